"""Infrastructure as code for Gemini supervised fine-tuning on Vertex AI.

Resources are imported lazily: `import vertex_tuning` must stay cheap because the Pulumi
dynamic provider process imports it on every preview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vertex_tuning._version import __version__

if TYPE_CHECKING:
    from vertex_tuning.resources import TuningJob
    from vertex_tuning.smoke import ModelSmokeTest
    from vertex_tuning.training_data import TrainingDataset

__all__ = ["ModelSmokeTest", "TrainingDataset", "TuningJob", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "TuningJob":
        from vertex_tuning import resources

        return resources.TuningJob
    if name == "ModelSmokeTest":
        from vertex_tuning import smoke

        return smoke.ModelSmokeTest
    if name == "TrainingDataset":
        from vertex_tuning import training_data

        return training_data.TrainingDataset
    raise AttributeError(f"module 'vertex_tuning' has no attribute {name!r}")
