"""A versioned, tested Gemini model per environment (dev / staging / prod stack configs).

Reads typed stack config, uploads the training data, tunes the model, smoke-tests the endpoint
against the base model, evaluates it on data (staging and prod gate on it, dev only reports),
and exports the endpoint that passed for downstream stacks (see consumer/).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

import vertex_tuning
from vertex_tuning import SmokeCase, pulumi_compat

NAMESPACE = "vertex-tuning"
# Keys of the namespace that the providers read themselves (vertex_tuning/settings.py).
PROVIDER_KEYS = frozenset({"apiEndpoint", "apiVersion", "accessToken", "prices"})
# GCP label values: the environment, version and team become labels of the job and the model.
LABEL_VALUE = r"^[a-z][a-z0-9_-]{0,62}$"
# Relative data paths in the stack config are relative to this directory.
HERE = Path(__file__).resolve().parent


class EvaluationSettings(BaseModel):
    """`vertex-tuning:evaluation`: how the tuned model is evaluated before it is promoted.

    No thresholds: it only reports. `servedStack` names the stack whose `promoted_endpoint`
    serves today (prod reads its own): the model must also beat that by `minGain.served`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: list[str] = Field(default_factory=lambda: ["rouge_l", "bleu", "exact_match"])
    min_score: dict[str, float] = Field(default_factory=dict, alias="minScore")
    min_gain: dict[str, dict[str, float]] = Field(default_factory=dict, alias="minGain")
    max_examples: int | None = Field(default=None, alias="maxExamples", ge=1)
    select_checkpoint: bool = Field(default=True, alias="selectCheckpoint")
    served_stack: str | None = Field(default=None, alias="servedStack")


class StackSettings(BaseModel):
    """The stack's config under `vertex-tuning:`, typed and checked before anything runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")
    model_name: str = Field(alias="modelName", pattern=r"^[a-z][a-z0-9-]{0,40}$")
    version: str = Field(pattern=r"^v[0-9]+$")
    team: str = Field(pattern=LABEL_VALUE)
    base_model: str = Field(alias="baseModel")
    training_data: Path = Field(alias="trainingData")
    data_bucket: str = Field(alias="dataBucket")
    validation_fraction: float | None = Field(default=None, alias="validationFraction")
    epoch_count: int | None = Field(default=None, alias="epochCount")
    learning_rate_multiplier: float | None = Field(default=None, alias="learningRateMultiplier")
    adapter_size: str | None = Field(default=None, alias="adapterSize")
    protect: bool = False
    on_delete: Literal["keep", "delete_endpoint", "delete_model"] = Field(
        default="delete_endpoint", alias="onDelete"
    )
    timeout: str = "8h"
    poll_interval: str | None = Field(default=None, alias="pollInterval")
    max_poll_interval: str | None = Field(default=None, alias="maxPollInterval")
    smoke_tests: list[SmokeCase] = Field(default_factory=list, alias="smokeTests")
    evaluation: EvaluationSettings | None = None
    #: What the stack's tuning jobs may cost together, in USD: preview fails above it.
    budget_usd: float | None = Field(default=None, alias="budgetUsd", ge=0)

    @field_validator("training_data")
    @classmethod
    def _local_file(cls, path: Path) -> Path:
        path = HERE / path
        if not path.is_file():
            raise ValueError(f"{path} is not a file (give a JSONL path relative to {HERE})")
        return path


def load_settings() -> StackSettings:
    """Every `vertex-tuning:` key of the stack, so a misspelt key fails instead of being ignored."""
    config = pulumi.Config(NAMESPACE)
    # pulumi.Config cannot list keys; the runtime's config map is the one place that can.
    keys = {
        k.partition(":")[2]
        for k in pulumi_compat.stack_config_keys()
        if k.startswith(f"{NAMESPACE}:")
    }
    raw = {
        key: config.get_object(key) if key in ("smokeTests", "evaluation") else config.get(key)
        for key in sorted(keys - PROVIDER_KEYS)
    }
    try:
        return StackSettings.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(f"  {_config_path(e['loc'])}: {_rule(e)}" for e in exc.errors())
        raise pulumi.RunError(f"invalid stack config:\n{problems}") from None


def _config_path(loc: tuple[int | str, ...]) -> str:
    path = f"{NAMESPACE}:{loc[0]}"
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _rule(error: Any) -> str:
    if error["type"] == "missing":
        return f"is required: pulumi config set {_config_path(error['loc'])} VALUE"
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        known = ", ".join(sorted(f.alias or n for n, f in StackSettings.model_fields.items()))
        return f"is not a setting of this program (known: {known})"
    return str(error["msg"]).removeprefix("Value error, ")


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:8]


class ReleaseDateProvider(ResourceProvider):
    """Keeps the UTC date a model version was first deployed.

    The seed names models `support-model-v2-<date>`; a date taken while the program runs would
    rename, and so retrain, the model every day. This one changes only with the version key.
    """

    def create(self, props: dict[str, Any]) -> CreateResult:
        date = datetime.now(UTC).date().isoformat()
        return CreateResult(f"{props['key']}@{date}", {**props, "date": date})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("key") != news.get("key")
        return DiffResult(changes=changed, replaces=["key"] if changed else [])


class ReleaseDate(Resource, module="stacks", name="ReleaseDate"):
    date: pulumi.Output[str]

    def __init__(self, name: str, key: str) -> None:
        super().__init__(ReleaseDateProvider(), name, {"key": key, "date": None})


s = load_settings()
# The version is what produced the model: the data, and the spec trained on it. Changing either
# is a new model with a new name, and the labels let the registry be filtered by both. The data
# digest is of the file's bytes, as TrainingDataset names its object (…/training-data-<hash>).
data_digest = hashlib.sha256(s.training_data.read_bytes()).hexdigest()[:8]
spec_digest = digest(
    data_digest,
    s.validation_fraction,
    s.base_model,
    s.epoch_count,
    s.learning_rate_multiplier,
    s.adapter_size,
)
released = ReleaseDate("release-date", key=f"{s.environment}-{s.version}-{spec_digest}").date
model_version = released.apply(lambda date: f"{s.version}-{date}-{spec_digest}")
labels = {
    "environment": s.environment,
    "version": s.version,
    "team": s.team,
    "spec": spec_digest,
    "data": data_digest,
    "released": released,
    "managed-by": "pulumi",
}

data = vertex_tuning.TrainingDataset(
    "training-data",
    source=s.training_data,
    bucket=s.data_bucket,
    validation_fraction=s.validation_fraction,
    # The data that trained a model kept in the registry is kept with it.
    retain_on_delete=s.on_delete == "keep",
    # What its cost estimate is for (the row at preview, estimated_cost_usd).
    base_model=s.base_model,
    epoch_count=s.epoch_count,
)

job = vertex_tuning.TuningJob(
    "tuned-model",
    base_model=s.base_model,
    training_dataset_uri=data.uri,
    validation_dataset_uri=data.validation_uri,
    tuned_model_display_name=model_version.apply(
        lambda version: f"{s.model_name}-{s.environment}-{version}"
    ),
    description=f"{s.model_name} {s.version} for {s.environment}, managed by Pulumi",
    epoch_count=s.epoch_count,
    learning_rate_multiplier=s.learning_rate_multiplier,
    adapter_size=s.adapter_size,
    labels=labels,
    timeout=s.timeout,
    poll_interval=s.poll_interval,
    max_poll_interval=s.max_poll_interval,
    on_delete=s.on_delete,
    # Known at preview: the data's tokens, counted by the dataset's check.
    training_token_count=data.token_count,
    opts=pulumi.ResourceOptions(protect=s.protect),
)

if s.budget_usd is not None:
    # The stack's jobs together (one today), at preview: over budget names each job's share.
    pulumi.export(
        "estimated_cost_usd",
        vertex_tuning.hold_budget(
            s.budget_usd,
            {"tuned-model": job},
            setting="vertex-tuning:budgetUsd",
            lower="vertex-tuning:epochCount or the training data",
        ),
    )

if s.smoke_tests:
    smoke = vertex_tuning.ModelSmokeTest(
        "smoke-test",
        endpoint=job.tuned_model_endpoint,
        location=job.location,
        base_model=s.base_model,
        # Normalised as the resource's check stores them, so an unchanged case never diffs.
        cases=[case.model_dump(mode="json", exclude_none=True) for case in s.smoke_tests],
    )
    pulumi.export(
        "smoke_test_answers",
        smoke.results.apply(lambda results: {r["name"]: r["answer"] for r in results}),
    )

if s.evaluation is not None:
    e = s.evaluation
    served = pulumi.StackReference(e.served_stack) if e.served_stack else None
    evaluation = vertex_tuning.ModelEvaluation(
        "evaluation",
        tuning_job=job,
        # The held-out split where there is one (staging, prod); else how well dev learned.
        data=data.validation_uri if s.validation_fraction else str(s.training_data),
        metrics=e.metrics,
        min_score=e.min_score,
        min_gain=e.min_gain,
        max_examples=e.max_examples,
        select_checkpoint=e.select_checkpoint,
        served_endpoint=served.get_output("promoted_endpoint") if served else None,
        report_dir=HERE / "reports" / pulumi.get_stack(),
    )
    # Consumers read these (consumer/): set only by an evaluation that passed.
    pulumi.export("promoted_endpoint", evaluation.promoted_endpoint)
    pulumi.export("promoted_endpoint_uri", evaluation.promoted_endpoint_uri)
    pulumi.export("evaluation_scores", evaluation.scores)
    pulumi.export("evaluation_report", evaluation.report_uri)
    pulumi.export("evaluation_report_path", evaluation.report_path)
    pulumi.export("best_checkpoint", evaluation.best_checkpoint_id)

pulumi.export("model_version", model_version)
pulumi.export("training_data_uri", data.uri)
pulumi.export("validation_data_uri", data.validation_uri)
pulumi.export("tuning_job", job.job_name)
pulumi.export("tuned_model", job.tuned_model_name)
pulumi.export("tuned_model_display_name", job.tuned_model_display_name)
pulumi.export("tuned_model_labels", labels)
pulumi.export("tuned_model_endpoint", job.tuned_model_endpoint)
pulumi.export("tuned_model_endpoint_uri", job.tuned_model_endpoint_uri)
pulumi.export(
    "tuning_data_stats",
    job.tuning_data_stats.apply(
        lambda stats: {
            key: stats.get(key)
            for key in (
                "tuning_dataset_example_count",
                "total_billable_token_count",
                "tuning_step_count",
            )
        }
    ),
)
