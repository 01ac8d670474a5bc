"""CreateTuningJob checks beyond the schema, worded like the service: each INVALID_ARGUMENT names
its field (as a proto path, `tuning_job.supervised_tuning_spec...`).

Ranges the service does not publish are chosen here and documented: epochCount 1..100,
learningRateMultiplier in (0, 10], preference `beta` in [0, 1]; zero means "unset" for all
(proto3 has no presence). Data problems are found later, when the job reads its data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vertex_tuning.emulator import catalog
from vertex_tuning.emulator.errors import invalid_argument
from vertex_tuning.emulator.records import ModelRecord, VersionRecord, normalize
from vertex_tuning.emulator.schema import snake

MAX_EPOCHS = 100
MAX_LEARNING_RATE_MULTIPLIER = 10.0
MAX_BETA = 1.0
MAX_DISPLAY_NAME = 128
MAX_LABELS = 64
MAX_LABEL_LENGTH = 63
MAX_SAMPLING_COUNT = 32

#: Tuning spec field -> the method it stands for (the others are not Gemini methods).
SPECS = {
    "supervisedTuningSpec": catalog.SUPERVISED,
    "preferenceOptimizationSpec": catalog.PREFERENCE,
}
OTHER_SPECS = (
    "distillationSpec",
    "reinforcementTuningSpec",
    "partnerModelTuningSpec",
    "veoTuningSpec",
    "veoLoraTuningSpec",
    "fullFineTuningSpec",
)
_METHOD_NAMES = {catalog.SUPERVISED: "supervised tuning", catalog.PREFERENCE: "preference tuning"}
_DATASET = re.compile(r"^projects/[^/]+/locations/(?P<location>[^/]+)/datasets/[^/]+$")

#: Finds a tuned model version by name (`models/ID`, `@VERSION` or `@ALIAS` allowed).
VersionLookup = Callable[[str], "tuple[ModelRecord, VersionRecord] | None"]


@dataclass(frozen=True)
class Plan:
    """What a valid create asks for."""

    base_model: str
    method: str
    source: tuple[ModelRecord, VersionRecord] | None = None  # continuous tuning
    source_checkpoint: Mapping[str, Any] | None = None


def validate_create(job: Mapping[str, Any], location: str, find_version: VersionLookup) -> Plan:
    """Raise the service's INVALID_ARGUMENT for a bad TuningJob; return what it asks for."""
    base, source, checkpoint = _source_model(job, find_version)
    model = catalog.tunable(base)
    if model is None:  # a pre-tuned model from a base the service no longer tunes
        raise invalid_argument(
            f'Base model "{base}" of the pre-tuned model can no longer be tuned.',
            "tuning_job.pre_tuned_model.tuned_model_name",
        )
    if model.regions is not None and location not in model.regions:
        regions = ", ".join(sorted(model.regions))
        raise invalid_argument(
            f'{model.model_id} can be tuned only in {regions}, not in "{location}".',
            "tuning_job.base_model",
        )
    spec_key = _spec_key(job, model)
    _spec(job[spec_key], spec_key, model, location)
    if job.get("encryptionSpec", {}).get("kmsKeyName") and model.regions is not None:
        raise invalid_argument(
            f"Customer-managed encryption keys are not supported for tuning {model.model_id}.",
            "tuning_job.encryption_spec.kms_key_name",
        )
    display = str(job.get("tunedModelDisplayName", ""))
    if len(display) > MAX_DISPLAY_NAME:
        raise invalid_argument(
            f"tunedModelDisplayName must be at most {MAX_DISPLAY_NAME} characters, "
            f"got {len(display)}.",
            "tuning_job.tuned_model_display_name",
        )
    _labels(job.get("labels") or {})
    return Plan(base, SPECS[spec_key], source, checkpoint)


def _source_model(
    job: Mapping[str, Any], find_version: VersionLookup
) -> tuple[str, tuple[ModelRecord, VersionRecord] | None, Mapping[str, Any] | None]:
    if "baseModel" in job and "preTunedModel" in job:
        raise invalid_argument(
            "Only one of baseModel and preTunedModel may be set.", "tuning_job.source_model"
        )
    if "preTunedModel" in job:
        pre_tuned = job["preTunedModel"]
        name = str(pre_tuned.get("tunedModelName", ""))
        field = "tuning_job.pre_tuned_model.tuned_model_name"
        if not name:
            raise invalid_argument(
                "preTunedModel.tunedModelName is required for continuous tuning.", field
            )
        found = find_version(name)
        if found is None:
            raise invalid_argument(
                f'preTunedModel.tunedModelName "{name}" is not a tuned model in this project '
                "and location.",
                field,
            )
        version = found[1]
        checkpoint_id = str(pre_tuned.get("checkpointId", ""))
        checkpoint = (
            version.checkpoint(checkpoint_id) if checkpoint_id else version.default_checkpoint()
        )
        if checkpoint is None:
            known = ", ".join(c["checkpointId"] for c in version.checkpoints)
            raise invalid_argument(
                f'preTunedModel.checkpointId "{checkpoint_id}" is not a checkpoint of {name} '
                f"(its checkpoints: {known}).",
                "tuning_job.pre_tuned_model.checkpoint_id",
            )
        return version.base_model, found, checkpoint
    if not job.get("baseModel"):
        raise invalid_argument(
            "baseModel is required (or preTunedModel for continuous tuning).",
            "tuning_job.base_model",
        )
    base = str(job["baseModel"])
    if catalog.tunable(base) is None:
        supported = ", ".join(catalog.MODELS)
        raise invalid_argument(
            f'baseModel "{base}" is not supported for tuning. Supported models: {supported}.',
            "tuning_job.base_model",
        )
    return catalog.model_id(base), None, None


def _spec_key(job: Mapping[str, Any], model: catalog.TunableModel) -> str:
    present = [key for key in (*SPECS, *OTHER_SPECS) if key in job]
    if not present:
        raise invalid_argument(
            "supervisedTuningSpec is required (or preferenceOptimizationSpec for preference "
            "tuning).",
            "tuning_job.supervised_tuning_spec",
        )
    if len(present) > 1:
        raise invalid_argument(
            f"Only one tuning spec may be set, got {' and '.join(present)}.",
            f"tuning_job.{snake(present[1])}",
        )
    key = present[0]
    method = SPECS.get(key)
    if method is None or method not in model.methods:
        supported = ", ".join(_METHOD_NAMES[m] for m in sorted(model.methods))
        raise invalid_argument(
            f"{key} is not supported for {model.model_id}; it supports {supported}.",
            f"tuning_job.{snake(key)}",
        )
    return key


def _spec(spec: Mapping[str, Any], key: str, model: catalog.TunableModel, location: str) -> None:
    field = f"tuning_job.{snake(key)}"
    if not spec.get("trainingDatasetUri"):
        raise invalid_argument(
            f"{key}.trainingDatasetUri is required.", f"{field}.training_dataset_uri"
        )
    for name in ("trainingDatasetUri", "validationDatasetUri"):
        uri = str(spec.get(name, ""))
        if not uri or _is_gcs_object(uri):
            continue
        dataset = _DATASET.match(uri)
        where = f"{field}.{snake(name)}"
        if dataset is None or key != "supervisedTuningSpec":
            kinds = (
                "a Cloud Storage object URI (gs://bucket/path.jsonl) or a Vertex dataset "
                "(projects/P/locations/L/datasets/ID)"
                if key == "supervisedTuningSpec"
                else "a Cloud Storage object URI (gs://bucket/path.jsonl)"
            )
            raise invalid_argument(f'{key}.{name} must be {kinds}, got "{uri}".', where)
        if dataset["location"] != location:
            raise invalid_argument(
                f'{key}.{name} "{uri}" must be a dataset in {location}, the tuning job\'s '
                "location.",
                where,
            )
    if spec.get("tuningMode") == "TUNING_MODE_FULL":
        raise invalid_argument(
            f"{key}.tuningMode TUNING_MODE_FULL is only available for open source models.",
            f"{field}.tuning_mode",
        )
    _hyper_parameters(spec.get("hyperParameters") or {}, key, model)
    if "evaluationConfig" in spec:
        _evaluation(
            spec["evaluationConfig"], f"{key}.evaluationConfig", f"{field}.evaluation_config"
        )


def _hyper_parameters(hp: Mapping[str, Any], key: str, model: catalog.TunableModel) -> None:
    prefix = f"{key}.hyperParameters"
    field = f"tuning_job.{snake(key)}.hyper_parameters"
    epochs = int(hp.get("epochCount", 0))
    if epochs and not 1 <= epochs <= MAX_EPOCHS:
        raise invalid_argument(
            f"{prefix}.epochCount must be between 1 and {MAX_EPOCHS}, got {epochs}.",
            f"{field}.epoch_count",
        )
    lr = float(hp.get("learningRateMultiplier", 0.0))
    if lr and not 0 < lr <= MAX_LEARNING_RATE_MULTIPLIER:
        raise invalid_argument(
            f"{prefix}.learningRateMultiplier must be greater than 0 and at most "
            f"{MAX_LEARNING_RATE_MULTIPLIER:g}, got {lr:g}.",
            f"{field}.learning_rate_multiplier",
        )
    for name in ("learningRate", "batchSize"):
        if name in hp:
            raise invalid_argument(
                f"{prefix}.{name} is only available for open source models; use "
                "learningRateMultiplier for Gemini models.",
                f"{field}.{snake(name)}",
            )
    beta = float(hp.get("beta", 0.0))
    if beta and not 0 <= beta <= MAX_BETA:
        raise invalid_argument(
            f"{prefix}.beta must be between 0 and {MAX_BETA:g}, got {beta:g}.", f"{field}.beta"
        )
    size = hp.get("adapterSize")
    if size and catalog.ADAPTER_SIZES.get(size) not in model.adapter_sizes:
        sizes = ", ".join(str(s) for s in sorted(model.adapter_sizes))
        raise invalid_argument(
            f"{prefix}.adapterSize {size} is not supported for {model.model_id}; "
            f"supported adapter sizes: {sizes}.",
            f"{field}.adapter_size",
        )


def _evaluation(config: Mapping[str, Any], prefix: str, field: str) -> None:
    if not config.get("metrics"):
        raise invalid_argument(
            f"{prefix}.metrics must have at least one metric.", f"{field}.metrics"
        )
    destination = (config.get("outputConfig") or {}).get("gcsDestination") or {}
    uri = str(destination.get("outputUriPrefix", ""))
    if not uri.startswith("gs://") or len(uri) <= len("gs://"):
        raise invalid_argument(
            f"{prefix}.outputConfig.gcsDestination.outputUriPrefix must be a gs:// prefix, "
            f'got "{uri}".',
            f"{field}.output_config.gcs_destination.output_uri_prefix",
        )
    count = int((config.get("autoraterConfig") or {}).get("samplingCount", 0))
    if count and not 1 <= count <= MAX_SAMPLING_COUNT:
        raise invalid_argument(
            f"{prefix}.autoraterConfig.samplingCount must be between 1 and "
            f"{MAX_SAMPLING_COUNT}, got {count}.",
            f"{field}.autorater_config.sampling_count",
        )


def is_dataset(uri: str) -> bool:
    """Whether a dataset URI names a Vertex dataset resource (not a gs:// object)."""
    return bool(_DATASET.match(uri))


def dataset_key(uri: str) -> str:
    return normalize(uri)


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
