"""Infrastructure as code for Gemini fine-tuning on Vertex AI.

Resources are imported lazily: `import vertex_tuning` must stay cheap because the Pulumi
dynamic provider process imports it on every preview.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vertex_tuning._version import __version__

if TYPE_CHECKING:
    from vertex_tuning.budget import hold_budget
    from vertex_tuning.resources.model_evaluation import ModelEvaluation
    from vertex_tuning.resources.smoke_test import ModelSmokeTest
    from vertex_tuning.resources.smoke_test_inputs import SmokeCase
    from vertex_tuning.resources.training_dataset import TrainingDataset
    from vertex_tuning.resources.tuning_job import TuningJob

#: Public name -> the module that defines it.
_EXPORTS = {
    "TuningJob": "vertex_tuning.resources.tuning_job",
    "ModelEvaluation": "vertex_tuning.resources.model_evaluation",
    "TrainingDataset": "vertex_tuning.resources.training_dataset",
    "ModelSmokeTest": "vertex_tuning.resources.smoke_test",
    "SmokeCase": "vertex_tuning.resources.smoke_test_inputs",
    "hold_budget": "vertex_tuning.budget",
}

__all__ = [
    "ModelEvaluation",
    "ModelSmokeTest",
    "SmokeCase",
    "TrainingDataset",
    "TuningJob",
    "__version__",
    "hold_budget",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_tuning' has no attribute {name!r}")
    return getattr(import_module(module), name)
