"""A versioned, tested Gemini model per environment (dev / staging / prod stack configs).

Reads typed stack config, tunes the model, smoke-tests the endpoint against the base model, and
exports the endpoint for downstream stacks (see consumer/).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import vertex_tuning


class StackSettings(BaseModel):
    """The stack's config under the `vertex-tuning:` namespace, checked before anything runs."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")
    model_name: str = Field(alias="modelName", pattern=r"^[a-z][a-z0-9-]{0,40}$")
    version: str = Field(pattern=r"^v[0-9]+$")
    team: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")
    base_model: str = Field(alias="baseModel")
    training_data_uri: str = Field(alias="trainingDataUri")
    validation_data_uri: str | None = Field(default=None, alias="validationDataUri")
    epoch_count: int | None = Field(default=None, alias="epochCount")
    learning_rate_multiplier: float | None = Field(default=None, alias="learningRateMultiplier")
    adapter_size: str | None = Field(default=None, alias="adapterSize")
    protect: bool = False
    on_delete: str = Field(default="delete_endpoint", alias="onDelete")
    timeout: str = "8h"
    smoke_tests: list[dict[str, Any]] = Field(default_factory=list, alias="smokeTests")


def load_settings() -> StackSettings:
    config = pulumi.Config()
    raw: dict[str, Any] = {}
    for name, field in StackSettings.model_fields.items():
        key = field.alias or name
        value = config.get_object(key) if key == "smokeTests" else config.get(key)
        if value is not None:
            raw[key] = value
    try:
        return StackSettings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"vertex-tuning:{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise pulumi.RunError(f"invalid stack config: {problems}") from None


s = load_settings()
# The version label carries what produced the model: the data and the training spec. A change of
# either is a new model version with a new name, so the registry shows which stack made which.
spec_digest = hashlib.sha256(
    json.dumps(
        [
            s.base_model,
            s.training_data_uri,
            s.validation_data_uri,
            s.epoch_count,
            s.learning_rate_multiplier,
            s.adapter_size,
        ],
    ).encode()
).hexdigest()[:8]

job = vertex_tuning.TuningJob(
    "tuned-model",
    base_model=s.base_model,
    training_dataset_uri=s.training_data_uri,
    validation_dataset_uri=s.validation_data_uri,
    tuned_model_display_name=f"{s.model_name}-{s.environment}-{s.version}-{spec_digest}",
    description=f"{s.model_name} {s.version} for {s.environment}, managed by Pulumi",
    epoch_count=s.epoch_count,
    learning_rate_multiplier=s.learning_rate_multiplier,
    adapter_size=s.adapter_size,
    labels={
        "environment": s.environment,
        "version": s.version,
        "team": s.team,
        "spec": spec_digest,
        "managed-by": "pulumi",
    },
    timeout=s.timeout,
    on_delete=s.on_delete,
    opts=pulumi.ResourceOptions(protect=s.protect),
)

if s.smoke_tests:
    smoke = vertex_tuning.ModelSmokeTest(
        "smoke-test",
        endpoint=job.tuned_model_endpoint,
        location=job.location,
        base_model=s.base_model,
        cases=s.smoke_tests,
    )
    pulumi.export("smoke_test_passed", smoke.passed)

pulumi.export("tuning_job", job.job_name)
pulumi.export("tuned_model", job.tuned_model_name)
pulumi.export("tuned_model_display_name", job.tuned_model_display_name)
pulumi.export("tuned_model_endpoint", job.tuned_model_endpoint)
pulumi.export("tuned_model_endpoint_uri", job.tuned_model_endpoint_uri)
pulumi.export("tuning_data_stats", job.tuning_data_stats)
