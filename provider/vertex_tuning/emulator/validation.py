"""CreateTuningJob checks, worded like the service: each INVALID_ARGUMENT names its field.

Ranges the service does not publish are chosen here and documented: epochCount 1..100 and
learningRateMultiplier in (0, 10]; zero means "unset" for both (proto3 has no presence).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vertex_tuning.emulator import catalog
from vertex_tuning.emulator.errors import invalid_argument

MAX_EPOCHS = 100
MAX_LEARNING_RATE_MULTIPLIER = 10.0
MAX_DISPLAY_NAME = 128
MAX_LABELS = 64
MAX_LABEL_LENGTH = 63

#: Looks a tuned model up by resource name; returns its base model id, or None if absent.
TunedModelLookup = Callable[[str], "str | None"]


def validate_create(job: Any, tuned_model_base: TunedModelLookup) -> str:
    """Raise the service's INVALID_ARGUMENT for a bad TuningJob; return its base model id."""
    base = _source_model(job, tuned_model_base)
    _spec(job, base)
    if len(job.tuned_model_display_name) > MAX_DISPLAY_NAME:
        raise invalid_argument(
            f"tunedModelDisplayName must be at most {MAX_DISPLAY_NAME} characters, "
            f"got {len(job.tuned_model_display_name)}.",
            "tuning_job.tuned_model_display_name",
        )
    _labels(job.labels)
    return base


def _source_model(job: Any, tuned_model_base: TunedModelLookup) -> str:
    source = type(job).pb(job).WhichOneof("source_model")
    if source == "pre_tuned_model":
        name = job.pre_tuned_model.tuned_model_name
        if not name:
            raise invalid_argument(
                "preTunedModel.tunedModelName is required for continuous tuning.",
                "tuning_job.pre_tuned_model.tuned_model_name",
            )
        base = tuned_model_base(name)
        if base is None:
            raise invalid_argument(
                f'preTunedModel.tunedModelName "{name}" is not a tuned model in this project '
                "and location.",
                "tuning_job.pre_tuned_model.tuned_model_name",
            )
        return base
    if not job.base_model:
        raise invalid_argument(
            "baseModel is required (or preTunedModel for continuous tuning).",
            "tuning_job.base_model",
        )
    base = catalog.base_model_id(job.base_model)
    if base is None:
        supported = ", ".join(catalog.TUNABLE)
        raise invalid_argument(
            f'baseModel "{job.base_model}" is not supported for supervised tuning. '
            f"Supported models: {supported}.",
            "tuning_job.base_model",
        )
    return base


def _spec(job: Any, base: str) -> None:
    if "supervised_tuning_spec" not in job:
        raise invalid_argument(
            "supervisedTuningSpec is required.", "tuning_job.supervised_tuning_spec"
        )
    spec = job.supervised_tuning_spec
    if not spec.training_dataset_uri:
        raise invalid_argument(
            "supervisedTuningSpec.trainingDatasetUri is required.",
            "tuning_job.supervised_tuning_spec.training_dataset_uri",
        )
    for camel, snake in (
        ("trainingDatasetUri", "training_dataset_uri"),
        ("validationDatasetUri", "validation_dataset_uri"),
    ):
        uri = getattr(spec, snake)
        if uri and not _is_gcs_object(uri):
            raise invalid_argument(
                f"supervisedTuningSpec.{camel} must be a Cloud Storage object URI "
                f'(gs://bucket/path.jsonl), got "{uri}".',
                f"tuning_job.supervised_tuning_spec.{snake}",
            )
    _hyper_parameters(spec.hyper_parameters, base)


def _hyper_parameters(hp: Any, base: str) -> None:
    prefix = "supervisedTuningSpec.hyperParameters"
    field = "tuning_job.supervised_tuning_spec.hyper_parameters"
    if hp.epoch_count and not 1 <= hp.epoch_count <= MAX_EPOCHS:
        raise invalid_argument(
            f"{prefix}.epochCount must be between 1 and {MAX_EPOCHS}, got {hp.epoch_count}.",
            f"{field}.epoch_count",
        )
    lr = hp.learning_rate_multiplier
    if lr and not 0 < lr <= MAX_LEARNING_RATE_MULTIPLIER:
        raise invalid_argument(
            f"{prefix}.learningRateMultiplier must be greater than 0 and at most "
            f"{MAX_LEARNING_RATE_MULTIPLIER:g}, got {lr:g}.",
            f"{field}.learning_rate_multiplier",
        )
    if hp.adapter_size:
        name = getattr(hp.adapter_size, "name", str(hp.adapter_size))
        allowed = catalog.TUNABLE[base]
        if catalog.ADAPTER_SIZES.get(name) not in allowed:
            sizes = ", ".join(str(s) for s in sorted(allowed))
            raise invalid_argument(
                f"{prefix}.adapterSize {name} is not supported for {base}; "
                f"supported adapter sizes: {sizes}.",
                f"{field}.adapter_size",
            )


def _is_gcs_object(uri: str) -> bool:
    bucket, _, path = uri.removeprefix("gs://").partition("/")
    return uri.startswith("gs://") and bool(bucket) and bool(path) and not path.endswith("/")


def _labels(labels: Mapping[str, str]) -> None:
    if len(labels) > MAX_LABELS:
        raise invalid_argument(
            f"labels: at most {MAX_LABELS} labels are allowed, got {len(labels)}.",
            "tuning_job.labels",
        )
    for key, value in labels.items():
        if not (key and len(key) <= MAX_LABEL_LENGTH and _is_lower_letter(key[0])):
            raise invalid_argument(
                f'labels: invalid key "{key}": keys must be 1-{MAX_LABEL_LENGTH} characters '
                "and start with a lowercase letter.",
                "tuning_job.labels",
            )
        for kind, text in (("key", key), ("value", value)):
            if len(text) > MAX_LABEL_LENGTH or not all(_is_label_char(c) for c in text):
                raise invalid_argument(
                    f'labels: invalid {kind} "{text}" (for key "{key}"): at most '
                    f"{MAX_LABEL_LENGTH} characters of lowercase letters, digits, "
                    "underscores and dashes.",
                    "tuning_job.labels",
                )


def _is_lower_letter(char: str) -> bool:
    # GCP allows international characters: lowercase letters and letters without case (Lo).
    return char.isalpha() and char == char.lower() and not char.isupper()


def _is_label_char(char: str) -> bool:
    return _is_lower_letter(char) or char.isdigit() or char in "_-"
