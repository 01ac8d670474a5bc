"""The TuningJob's inputs: field rules, normalisation, and which fields force a new job.

`check` turns raw Pulumi inputs into `TuningJobInputs` once; code below it trusts the result.
Keep this module light (pydantic and stdlib only): it runs on every `pulumi preview`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from vertex_tuning import models

# Marks an input whose change means a different tuning job: Vertex AI cannot update a job.
REPLACES: dict[str, Any] = {"replaces": True}

FINGERPRINT_LABEL = "pulumi-vertex-tuning"
DEFAULT_TIMEOUT_SECONDS = 8 * 3600
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600

_GCS_URI_RE = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/.+$")
_PROJECT_RE = re.compile(r"^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20})$")
_LOCATION_RE = re.compile(r"^[a-z]+(?:-[a-z]+)+\d+$")
_LABEL_KEY_RE = re.compile(r"^[\w-]{1,63}$", re.UNICODE)
_SERVICE_ACCOUNT_RE = re.compile(r"^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$|^[^@\s]+@[^@\s]+$")
_KMS_KEY_RE = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(d|h|m|s)")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _adapter_size(value: Any) -> Any:
    """Accept `ADAPTER_SIZE_FOUR`, `FOUR`, `four` and 4 (Pulumi sends numbers as floats)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and float(value).is_integer():
        by_number = {1: "ONE", 2: "TWO", 4: "FOUR", 8: "EIGHT", 16: "SIXTEEN"}
        return by_number.get(int(value), value)
    if isinstance(value, str):
        name = value.strip().upper().removeprefix("ADAPTER_SIZE_")
        return by_name(name, value)
    return value


def by_name(name: str, original: str) -> str:
    if name.isdigit():
        return _adapter_size(int(name))  # type: ignore[no-any-return]
    return name if name in models.ADAPTER_SIZES else original


def parse_duration(value: Any) -> Any:
    """Seconds from 3600, 3600.0, "90m", "1h30m", "2d"; anything else is left for the rule."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.replace(".", "", 1).isdigit():
            return float(text)
        parts = _DURATION_RE.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if isinstance(value, str | bool):  # pydantic would read `true` as 1 second
        raise ValueError(f'{value!r} is not a duration: use seconds or e.g. "90m", "6h", "1h30m"')
    return value


def _not_bool(value: Any) -> Any:
    """Pydantic reads `true` as 1: a boolean where a number belongs is a mistake, not a one."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


class TuningJobInputs(BaseModel):
    """Every input of a TuningJob after `check`: validated, normalised, defaults applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- the training spec: a change means a new job (and a new model version) ---
    base_model: Annotated[str, Field(json_schema_extra=REPLACES)]
    training_dataset_uri: Annotated[str, Field(json_schema_extra=REPLACES)]
    validation_dataset_uri: Annotated[str | None, Field(json_schema_extra=REPLACES)] = None
    tuned_model_display_name: Annotated[
        str, Field(min_length=1, max_length=128, json_schema_extra=REPLACES)
    ]
    description: Annotated[str | None, Field(max_length=2048, json_schema_extra=REPLACES)] = None
    epoch_count: Annotated[
        int | None, BeforeValidator(_not_bool), Field(ge=1, le=100, json_schema_extra=REPLACES)
    ] = None
    learning_rate_multiplier: Annotated[
        float | None,
        BeforeValidator(_not_bool),
        Field(ge=0.1, le=2.0, json_schema_extra=REPLACES),
    ] = None
    adapter_size: Annotated[
        Literal["ONE", "TWO", "FOUR", "EIGHT", "SIXTEEN"] | None,
        BeforeValidator(_adapter_size),
        Field(json_schema_extra=REPLACES),
    ] = None
    labels: Annotated[dict[str, str], Field(json_schema_extra=REPLACES)] = Field(
        default_factory=dict
    )
    project: Annotated[str, Field(json_schema_extra=REPLACES)]
    location: Annotated[str, Field(json_schema_extra=REPLACES)]
    service_account: Annotated[str | None, Field(json_schema_extra=REPLACES)] = None
    kms_key_name: Annotated[str | None, Field(json_schema_extra=REPLACES)] = None

    # --- how the provider behaves: changes update in place, with no API call ---
    timeout: Annotated[
        float, BeforeValidator(parse_duration), Field(ge=1, le=MAX_TIMEOUT_SECONDS)
    ] = DEFAULT_TIMEOUT_SECONDS
    poll_interval: Annotated[float, BeforeValidator(parse_duration), Field(ge=0.05, le=3600)] = 2.0
    max_poll_interval: Annotated[
        float, BeforeValidator(parse_duration), Field(ge=0.05, le=3600)
    ] = 30.0
    on_delete: Literal["keep", "delete_endpoint", "delete_model"] = "delete_endpoint"
    # Stream the gs:// datasets through the validator before submitting (not when adopting).
    validate_data: bool = True

    # --- identity for adoption, set by the TuningJob class: "<project>/<stack>/<name>" ---
    resource_key: str = ""

    @field_validator("validation_dataset_uri", mode="before")
    @classmethod
    def _no_validation_data(cls, value: Any) -> Any:
        # "" means none, as TrainingDataset.validation_uri says it: Pulumi's Python SDK reports a
        # None output as unknown at every preview, which would plan a replacement each time.
        return None if value == "" else value

    @field_validator("training_dataset_uri", "validation_dataset_uri")
    @classmethod
    def _gcs_uri(cls, value: str | None) -> str | None:
        if value is not None and not _GCS_URI_RE.match(value):
            raise ValueError(
                f"{value!r} must be a Cloud Storage object URI like gs://bucket/path/data.jsonl"
            )
        return value

    @field_validator("tuned_model_display_name")
    @classmethod
    def _display_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "must not be blank (leave it unset to name the job after the resource)"
            )
        return value

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str) -> str:
        return models.normalize_base_model(value)

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        if len(labels) > 63:
            raise ValueError(
                f"at most 63 labels (one of GCP's 64 is the provider's); got {len(labels)}"
            )
        for key, value in labels.items():
            if key == FINGERPRINT_LABEL:
                raise ValueError(f"label {key!r} is reserved for the provider's own bookkeeping")
            if not (_LABEL_KEY_RE.match(key) and key[0].isalpha() and key == key.lower()):
                raise ValueError(
                    f"label key {key!r} must be 1-63 lowercase letters, digits, '_' or '-', "
                    "starting with a lowercase letter"
                )
            if (
                len(value) > 63
                or (value and not _LABEL_KEY_RE.match(value))
                or value != value.lower()
            ):
                raise ValueError(
                    f"label {key!r} value {value!r} must be at most 63 lowercase letters, "
                    "digits, '_' or '-'"
                )
        return labels

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _PROJECT_RE.match(value):
            raise ValueError(
                f"{value!r} is not a GCP project ID (6-30 lowercase letters, digits or '-', "
                "starting with a letter) or project number"
            )
        return value

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if not _LOCATION_RE.match(value):
            raise ValueError(f"{value!r} is not a Vertex AI region like us-central1")
        return value

    @field_validator("service_account")
    @classmethod
    def _service_account(cls, value: str | None) -> str | None:
        if value is not None and not _SERVICE_ACCOUNT_RE.match(value):
            raise ValueError(f"{value!r} must be a service account email")
        return value

    @field_validator("kms_key_name")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_KEY_RE.match(value):
            raise ValueError(f"{value!r} must be projects/P/locations/L/keyRings/R/cryptoKeys/K")
        return value

    @model_validator(mode="after")
    def _adapter_allowed(self) -> TuningJobInputs:
        if self.adapter_size and not models.is_tuned_model(self.base_model):
            allowed = models.TUNABLE_MODELS[self.base_model]
            if self.adapter_size not in allowed:
                sizes = ", ".join(s for s in models.ADAPTER_SIZES if s in allowed)
                raise ValueError(
                    f"adapter_size: {self.adapter_size} is not available for {self.base_model} "
                    f"(allowed: {sizes})"
                )
        if self.max_poll_interval < self.poll_interval:
            raise ValueError("max_poll_interval: must be at least poll_interval")
        return self


#: Inputs whose change replaces the job; everything else updates in place.
REPLACE_ON_CHANGE = frozenset(
    name
    for name, info in TuningJobInputs.model_fields.items()
    if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("replaces")
)


class CheckFailure(BaseModel):
    """One rule broken by one property, as Pulumi shows it."""

    property: str
    reason: str


# Stand-ins for inputs that are not known yet during a preview (another resource's output):
# the rest is still checked, and the unknown ones are checked at `pulumi up`.
_PLACEHOLDERS: dict[str, Any] = {
    "base_model": "gemini-2.5-flash",
    "training_dataset_uri": "gs://unknown-bucket/unknown.jsonl",
    "tuned_model_display_name": "unknown",
    "project": "unknown-project",
    "location": "us-central1",
}


def check_inputs(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    defaults: Mapping[str, str | None],
    *,
    unknown: set[str] | frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validate raw inputs; returns normalised inputs (for state) and one failure per property.

    `defaults` supplies `project`/`location` resolved from stack config and the environment;
    `unknown` names inputs whose values are not known yet: they are left out of the result.
    """
    raw = {
        k: v
        for k, v in news.items()
        if not k.startswith("__") and v is not None and k not in unknown
    }
    raw.update({k: _PLACEHOLDERS[k] for k in unknown if k in _PLACEHOLDERS})
    for key in ("project", "location"):
        if raw.get(key) in (None, "") and defaults.get(key):
            raw[key] = defaults[key]
    if not raw.get("tuned_model_display_name") and "tuned_model_display_name" not in unknown:
        raw["tuned_model_display_name"] = olds.get("tuned_model_display_name") or _auto_name(
            str(raw.get("resource_key", ""))
        )
    try:
        inputs = TuningJobInputs.model_validate(raw)
    except ValidationError as exc:
        failures = [_failure(err) for err in exc.errors()]
        return dict(news), [f for f in failures if f.property not in unknown]
    checked = inputs.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in checked.items() if k not in unknown}, []


def _auto_name(resource_key: str) -> str:
    """The resource name plus a suffix derived from "<project>/<stack>/<name>", never random.

    A create interrupted before the engine recorded it comes back with no olds; the same name
    (so the same fingerprint) is what lets it adopt its running job instead of paying twice.
    """
    name = resource_key.rsplit("/", 1)[-1] or "tuned-model"
    return f"{name[:119]}-{hashlib.sha256(resource_key.encode()).hexdigest()[:8]}"


_MISSING_HINTS = {
    "project": "set the `project` input, stack config `gcp:project`, or GOOGLE_CLOUD_PROJECT",
    "location": "set the `location` input, stack config `gcp:region`, or GOOGLE_CLOUD_LOCATION",
}


def _failure(err: Any) -> CheckFailure:
    loc = [str(p) for p in err.get("loc", ())]
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    if not loc:
        # Model-level rules name their property first: "adapter_size: ...".
        prop, _, rest = message.partition(": ")
        return CheckFailure(property=prop, reason=rest or message)
    prop = loc[0]
    if err.get("type") == "missing":
        return CheckFailure(
            property=prop, reason=f"is required: {_MISSING_HINTS.get(prop, 'set it')}"
        )
    if err.get("type") == "extra_forbidden":
        known = ", ".join(sorted(TuningJobInputs.model_fields))
        return CheckFailure(property=prop, reason=f"is not a TuningJob input (known: {known})")
    where = f" ({'.'.join(loc[1:])})" if len(loc) > 1 else ""
    return CheckFailure(property=prop, reason=f"{message}{where}")
