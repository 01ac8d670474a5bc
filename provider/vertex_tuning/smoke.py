"""Where state written by vertex-tuning 0.1 finds ModelSmokeTest's provider.

Pulumi stores each dynamic provider in state pickled by reference (module and class name);
a stack deployed before the move to resources/ unpickles it from here. New code imports
vertex_tuning.resources.smoke_test.
"""

from vertex_tuning.resources.smoke_test import SmokeTestProvider

__all__ = ["SmokeTestProvider"]
