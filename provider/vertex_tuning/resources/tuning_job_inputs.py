"""TuningJob's inputs: each field's rule, and whether its change means a new job.

Kept apart from tuning_job.py so that the provider process loads pydantic only when a check
has something to validate (see resources/base.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from vertex_tuning import catalog, names, ownership, rules
from vertex_tuning.resources.base import DERIVED, NOT_DIFFED, REPLACES, StandIn
from vertex_tuning.resources.inputs import Inputs

DEFAULT_TIMEOUT_SECONDS = 8 * 3600
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
_ADAPTER_BY_NUMBER = {1: "ONE", 2: "TWO", 4: "FOUR", 8: "EIGHT", 16: "SIXTEEN", 32: "THIRTY_TWO"}


def _adapter_size(value: Any) -> Any:
    """Accept `ADAPTER_SIZE_FOUR`, `FOUR`, `four` and 4 (Pulumi sends numbers as floats)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and float(value).is_integer():
        return _ADAPTER_BY_NUMBER.get(int(value), value)
    if isinstance(value, str):
        name = value.strip().upper().removeprefix("ADAPTER_SIZE_")
        if name.isascii() and name.isdigit():
            return _ADAPTER_BY_NUMBER.get(int(name), value)
        return name if name in catalog.ADAPTER_SIZES else value
    return value


def training_data(value: str) -> str:
    """A Cloud Storage JSONL object, or a Vertex AI dataset (the service takes either)."""
    if names.parse(value, names.DATASETS) is not None:
        return value
    return rules.gcs_object_uri(value)


TrainingData = Annotated[str, AfterValidator(training_data)]


class EvaluationConfig(BaseModel):
    """Evaluation during tuning (the service's `evaluationConfig`): metrics, where results go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The service's Metric objects, as its REST reference spells them.
    metrics: Annotated[list[dict[str, Any]], Field(min_length=1)]
    #: gs://bucket/prefix/ the per-example results and metrics are written under.
    output_uri_prefix: Annotated[str, AfterValidator(rules.gcs_prefix_uri)]
    #: The service's AutoraterConfig (autorater model, sampling count, ...), if any.
    autorater: dict[str, Any] | None = None


class TuningJobInputs(Inputs):
    """Every input of a TuningJob after `check`: validated, normalised, defaults applied."""

    # --- the training spec: a change means a new job (and a new model version) ---
    base_model: Annotated[str, REPLACES, StandIn("gemini-2.5-flash")]
    #: "supervised" fine-tuning, or "preference" tuning (the service's preferenceOptimizationSpec).
    method: Annotated[catalog.Method, REPLACES] = "supervised"
    training_dataset_uri: Annotated[
        TrainingData, REPLACES, StandIn("gs://unknown-bucket/unknown.jsonl")
    ]
    validation_dataset_uri: Annotated[TrainingData | None, REPLACES] = None
    #: Default: the resource name and a digest of its spec; for continuous tuning, unset, so the
    #: service makes the next version of the tuned model under its display name.
    tuned_model_display_name: Annotated[rules.DisplayName | None, REPLACES, StandIn("unknown")] = (
        None
    )
    description: Annotated[rules.Text | None, Field(max_length=2048), REPLACES] = None
    epoch_count: Annotated[rules.Count | None, Field(ge=1, le=100), REPLACES] = None
    learning_rate_multiplier: Annotated[rules.Number | None, Field(ge=0.1, le=2.0), REPLACES] = None
    adapter_size: Annotated[
        Literal["ONE", "TWO", "FOUR", "EIGHT", "SIXTEEN", "THIRTY_TWO"] | None,
        BeforeValidator(_adapter_size),
        REPLACES,
    ] = None
    #: Preference tuning's beta: lower moves further toward the preferred answers (Google
    #: recommends 0.01-0.5; 0 stops learning).
    beta: Annotated[rules.Number | None, Field(gt=0, le=1), REPLACES] = None
    #: Keep only the final checkpoint (default: one about every epoch, each with an endpoint).
    export_last_checkpoint_only: Annotated[bool | None, REPLACES] = None
    #: Continuous tuning from a tuned base_model: the checkpoint to start from (default: its
    #: default checkpoint).
    base_checkpoint_id: Annotated[rules.Text | None, Field(min_length=1), REPLACES] = None
    evaluation_config: Annotated[EvaluationConfig | None, REPLACES] = None
    labels: Annotated[dict[str, str], REPLACES] = Field(default_factory=dict)
    project: Annotated[rules.ProjectId, REPLACES, StandIn("unknown-project")]
    location: Annotated[rules.Location, REPLACES, StandIn("us-central1")]
    service_account: Annotated[rules.ServiceAccount | None, REPLACES] = None
    kms_key_name: Annotated[rules.KmsKeyName | None, REPLACES] = None

    # --- the tuned model, changed in place by a Model update (no retraining) ---
    #: The checkpoint the tuned model (and `tuned_model_endpoint`) serves; default: the last.
    default_checkpoint_id: Annotated[rules.Text | None, Field(min_length=1)] = None

    # --- how the provider behaves: changes update in place, with no API call ---
    timeout: Annotated[rules.Seconds, Field(ge=1, le=MAX_TIMEOUT_SECONDS)] = DEFAULT_TIMEOUT_SECONDS
    poll_interval: Annotated[rules.Seconds, Field(ge=0.05, le=3600)] = 2.0
    max_poll_interval: Annotated[rules.Seconds, Field(ge=0.05, le=3600)] = 30.0
    on_delete: Literal["keep", "delete_endpoint", "delete_model"] = "delete_endpoint"
    # Stream the gs:// datasets through the validator before submitting (not when adopting).
    validate_data: bool = True

    # --- what it costs (cost.py): the budget is behaviour; the estimate never a change ---
    #: Fail preview (and create, before submitting) when the estimate is over this, in USD.
    max_cost_usd: Annotated[rules.Number | None, Field(ge=0)] = None
    #: The training data's billable tokens per epoch, as TrainingDataset.token_count gives
    #: them: known at preview, before the data is uploaded. Unset: a gs:// object's cached
    #: count at preview, else counted at create.
    training_token_count: Annotated[dict[str, Any] | None, NOT_DIFFED] = None
    estimate: Annotated[dict[str, Any] | None, DERIVED, NOT_DIFFED] = None
    estimated_billable_tokens: Annotated[int | None, DERIVED, NOT_DIFFED] = None
    estimated_cost_usd: Annotated[float | None, DERIVED, NOT_DIFFED] = None

    # --- who owns the job (ownership.py), set by the TuningJob class: never a change ---
    # The resource's full URN (before 0.2: "<project>/<stack>/<name>").
    resource_key: Annotated[str, NOT_DIFFED, StandIn("")] = ""
    # The stack's StackIdentity token: unknown at the first preview of a stack.
    stack_token: Annotated[str, NOT_DIFFED, StandIn("")] = ""

    @field_validator("validation_dataset_uri", mode="before")
    @classmethod
    def _no_validation_data(cls, value: Any) -> Any:
        # "" means none, as TrainingDataset.validation_uri says it: Pulumi's Python SDK reports a
        # None output as unknown at every preview, which would plan a replacement each time.
        return None if value == "" else value

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str) -> str:
        return catalog.normalize_base_model(value)

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return rules.label_map(labels, reserved=ownership.RESERVED_LABELS)

    @property
    def model(self) -> catalog.BaseModel:
        return catalog.base_model(self.base_model)

    @property
    def label(self) -> str:
        """How progress lines name the job: its display name, else the resource's name."""
        return self.tuned_model_display_name or self.resource_key.rsplit("::", 1)[-1]

    @model_validator(mode="after")
    def _fits_the_model(self) -> TuningJobInputs:
        known = self.model.known
        if known is not None and self.adapter_size and self.adapter_size not in known.adapter_sizes:
            sizes = ", ".join(s for s in catalog.ADAPTER_SIZES if s in known.adapter_sizes)
            raise ValueError(
                f"adapter_size: {self.adapter_size} is not available for {self.base_model} "
                f"(allowed: {sizes})"
            )
        if known is not None and self.method not in known.methods:
            methods = ", ".join(sorted(known.methods))
            raise ValueError(
                f"method: {self.method} tuning is not available for {self.base_model} "
                f"(available: {methods}; catalog of {catalog.CATALOG_DATE})"
            )
        if self.beta is not None and self.method != "preference":
            raise ValueError('beta: is a preference-tuning hyperparameter; set method="preference"')
        if self.evaluation_config is not None and self.method != "supervised":
            raise ValueError("evaluation_config: the service evaluates supervised tuning only")
        if self.base_checkpoint_id is not None and not self.model.tuned:
            raise ValueError(
                "base_checkpoint_id: only for continuous tuning, when base_model names a tuned "
                "model (projects/P/locations/L/models/ID)"
            )
        if self.max_poll_interval < self.poll_interval:
            raise ValueError("max_poll_interval: must be at least poll_interval")
        return self
