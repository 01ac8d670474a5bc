"""ModelEvaluation's inputs: what is evaluated, on which data, by which metrics and thresholds,
against what; any change of those evaluates again (a replacement, so a failed evaluation leaves
the last one, and its `promoted_endpoint`, in state).

Kept apart from model_evaluation.py so that the provider process loads pydantic only when a
check has something to validate (see resources/base.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vertex_tuning import catalog, names, rules
from vertex_tuning.resources.base import DERIVED, NOT_DIFFED, REPLACES, StandIn
from vertex_tuning.resources.inputs import Inputs

_STAND_IN_ENDPOINT = "projects/unknown-project/locations/us-central1/endpoints/0"
MetricName = Literal[
    "exact_match",
    "bleu",
    "rouge_1",
    "rouge_2",
    "rouge_l",
    "rouge_l_sum",
    "tool_call_valid",
    "tool_name_match",
    "tool_parameter_key_match",
    "tool_parameter_kv_match",
    "fluency",
    "coherence",
    "safety",
    "groundedness",
    "question_answering_quality",
    "summarization_quality",
]
Comparison = Literal["base", "served"]
COMPARISONS: tuple[Comparison, ...] = ("base", "served")
DEFAULT_METRICS: tuple[MetricName, ...] = ("rouge_l", "bleu", "exact_match")


class MetricChoice(BaseModel):
    """A metric (the names of Google's evaluation SDK) and its spec's options, if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: MetricName
    use_stemmer: bool | None = None
    split_summaries: bool | None = None
    use_effective_order: bool | None = None
    use_strict_string_match: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _by_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _options_fit(self) -> MetricChoice:
        allowed = {
            "use_stemmer": self.name.startswith("rouge"),
            "split_summaries": self.name == "rouge_l_sum",
            "use_effective_order": self.name == "bleu",
            "use_strict_string_match": self.name == "tool_parameter_kv_match",
        }
        for option, fits in allowed.items():
            if getattr(self, option) is not None and not fits:
                raise ValueError(f"{option} is not an option of {self.name}")
        return self

    @property
    def options(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"name"}).items() if v is not None}


class CheckpointRef(BaseModel):
    """One of TuningJob's `checkpoints` outputs: its id and endpoint (other keys are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    checkpoint_id: Annotated[str, Field(min_length=1)]
    endpoint: str

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return _endpoint_name(value)


def _endpoint_name(value: str) -> str:
    if names.parse(value, names.ENDPOINTS) is None:
        raise ValueError(f"{value!r} must be projects/P/locations/L/endpoints/ID")
    return value


class ModelEvaluationInputs(Inputs):
    """Every input of a ModelEvaluation after `check`."""

    # --- what is evaluated, and how: a change evaluates again ---
    endpoint: Annotated[str, REPLACES, StandIn(_STAND_IN_ENDPOINT)]
    #: The tuned model (projects/P/locations/L/models/ID): its default checkpoint is moved.
    model: Annotated[str | None, REPLACES] = None
    #: The job's checkpoints: each is evaluated, and the best by `metric` is served.
    checkpoints: Annotated[list[CheckpointRef], REPLACES, StandIn([])] = Field(default_factory=list)
    #: A local JSONL path or a gs:// object (e.g. TrainingDataset's validation_uri).
    data: Annotated[str, Field(min_length=1), REPLACES, StandIn("gs://unknown/unknown.jsonl")]
    #: The local file's SHA-256 (computed by check): new content evaluates again.
    data_hash: Annotated[str, REPLACES, DERIVED] = ""
    metrics: Annotated[list[MetricChoice], Field(min_length=1), REPLACES] = Field(
        default_factory=lambda: [MetricChoice(name=m) for m in DEFAULT_METRICS]
    )
    #: The metric checkpoints are chosen by (default: the first of `metrics`).
    metric: Annotated[MetricName | None, REPLACES] = None
    #: Absolute minimums, by metric (a number applies to `metric`).
    min_score: Annotated[dict[str, rules.Number], REPLACES] = Field(default_factory=dict)
    #: Minimum gains by comparison ("base", "served"), then by metric; given as {metric: gain}
    #: (or a number, for `metric`) it applies to every comparison.
    min_gain: Annotated[dict[Comparison, dict[str, rules.Number]], REPLACES] = Field(
        default_factory=dict
    )
    #: The base model to compare with (a Gemini model id); none: no base comparison.
    base_model: Annotated[str | None, REPLACES] = None
    max_examples: Annotated[rules.Count, Field(ge=0, le=100_000), REPLACES] = 0
    location: Annotated[rules.Location | None, REPLACES] = None

    # --- what serves today (a StackReference's output): read at each evaluation, never a
    # change by itself: once this model is promoted it *is* what serves ---
    served_endpoint: Annotated[str | None, NOT_DIFFED, StandIn(None)] = None

    # --- how and where: in place, no API call ---
    concurrency: Annotated[rules.Count, Field(ge=1, le=256)] = 8
    #: The local directory the report is written to.
    report_dir: Annotated[str, Field(min_length=1), NOT_DIFFED, StandIn("reports")]
    #: Where the report's copy goes (gs://bucket/prefix/); default: beside gs:// data.
    report_uri_prefix: Annotated[str | None, NOT_DIFFED] = None
    #: The resource's name, for report paths and lines.
    resource_name: Annotated[str, NOT_DIFFED, StandIn("evaluation")] = "evaluation"

    @field_validator("endpoint", "served_endpoint")
    @classmethod
    def _endpoints(cls, value: str | None) -> str | None:
        return _endpoint_name(value) if value else None

    @field_validator("model")
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        if value and names.parse(value, names.MODELS) is None:
            raise ValueError(f"{value!r} must be projects/P/locations/L/models/ID")
        return value or None

    @field_validator("data")
    @classmethod
    def _data(cls, value: str) -> str:
        return rules.gcs_object_uri(value) if value.startswith("gs://") else value

    @field_validator("report_uri_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        return rules.gcs_prefix_uri(value) if value else None

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = catalog.normalize_base_model(value)
        if names.parse(value, names.MODELS) is not None:
            raise ValueError(
                f"{value!r} is a tuned model: compare with its endpoint as served_endpoint"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _number_means_the_primary_metric(cls, values: Any) -> Any:
        """`min_score=0.3` is `{METRIC: 0.3}` for the primary metric."""
        if not isinstance(values, dict):
            return values
        metrics = values.get("metrics") or list(DEFAULT_METRICS)
        first = metrics[0] if isinstance(metrics, list) and metrics else None
        first = first.get("name") if isinstance(first, dict) else first
        primary = values.get("metric") or first
        for field in ("min_score", "min_gain"):
            given = values.get(field)
            if isinstance(given, int | float) and not isinstance(given, bool):
                values = {**values, field: {str(primary): given}}
        gains = values.get("min_gain")
        if isinstance(gains, dict) and gains and not set(gains) & set(COMPARISONS):
            values = {**values, "min_gain": dict.fromkeys(COMPARISONS, gains)}
        return values

    @model_validator(mode="after")
    def _consistent(self) -> ModelEvaluationInputs:
        chosen = [m.name for m in self.metrics]
        if len(set(chosen)) != len(chosen):
            raise ValueError("metrics: each metric once")
        if self.metric is not None and self.metric not in chosen:
            raise ValueError(f"metric: {self.metric} is not one of metrics ({', '.join(chosen)})")
        thresholds = [("min_score", self.min_score, 0.0)] + [
            ("min_gain", gains, -5.0) for gains in self.min_gain.values()
        ]
        for field, given, low in thresholds:
            for name, value in given.items():
                if name not in chosen:
                    raise ValueError(f"{field}: {name} is not one of metrics ({', '.join(chosen)})")
                if not low <= value <= 5.0:
                    raise ValueError(f"{field}: {name} {value} is not in {low:g}..5")
        where = names.location_of(self.endpoint)
        if self.location not in (None, where) and self.endpoint != _STAND_IN_ENDPOINT:
            raise ValueError(f"location: {self.location!r} is not the endpoint's ({where!r})")
        if self.checkpoints and not self.model:
            raise ValueError("checkpoints: give the tuned `model` too, whose default is moved")
        return self

    @property
    def primary(self) -> str:
        return self.metric or self.metrics[0].name
