"""TrainingDataset's inputs and the object names they decide.

Kept apart from training_dataset.py so that the provider process loads pydantic only when a
check has something to validate (see resources/base.py).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from pydantic import Field, field_validator

from vertex_tuning import catalog, rules
from vertex_tuning.resources.base import DERIVED, NOT_DIFFED, REPLACES, StandIn
from vertex_tuning.resources.inputs import Inputs


class TrainingDatasetInputs(Inputs):
    """Every input of a TrainingDataset after `check`; `content_hash` is computed by check."""

    # --- which objects hold the data: a change means new objects (and a new tuning job) ---
    bucket: Annotated[rules.BucketName, REPLACES, StandIn("unknown-bucket")]
    prefix: Annotated[rules.ObjectPrefix, REPLACES] = ""
    name: Annotated[str, Field(min_length=1), REPLACES, StandIn("unknown")]
    validation_fraction: Annotated[rules.Number | None, Field(gt=0, le=0.5), REPLACES] = None
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$"), REPLACES, DERIVED]

    # --- which rules the data is held to: the same bytes, so no new objects ---
    #: The model it will tune (its dataset limits apply at preview); default: today's limits.
    base_model: rules.Text | None = None
    #: The data's format: "supervised" examples or "preference" pairs.
    method: catalog.Method = "supervised"

    #: The epochs its cost estimate is for (the TuningJob's epoch_count); unset: an assumption.
    epoch_count: Annotated[rules.Count | None, Field(ge=1, le=100)] = None

    # --- the cost estimate check makes (counting.py, cost.py): never a change of its own ---
    #: The training examples' billable tokens per epoch, and how they were counted.
    token_count: Annotated[dict[str, Any] | None, DERIVED, NOT_DIFFED] = None
    estimated_billable_tokens: Annotated[int | None, DERIVED, NOT_DIFFED] = None
    estimated_cost_usd: Annotated[float | None, DERIVED, NOT_DIFFED] = None

    # --- where to read and how to behave: no new objects ---
    # Where the file lives does not matter, only what it holds: moving it changes nothing.
    source: Annotated[str, Field(min_length=1), NOT_DIFFED, StandIn("unknown.jsonl")]
    retain_on_delete: bool = False
    project: rules.ProjectId | None = None

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str | None) -> str | None:
        return catalog.normalize_base_model(value) if value else None

    @property
    def version(self) -> str:
        """The part of the object name that changes whenever the uploaded bytes would."""
        if self.validation_fraction is None:
            return self.content_hash[:16]
        split = f"{self.content_hash}:validation_fraction={self.validation_fraction!r}"
        return hashlib.sha256(split.encode()).hexdigest()[:16]

    @property
    def uri(self) -> str:
        """The training object: gs://bucket/prefix/name-version.jsonl."""
        return f"gs://{self.bucket}/{self._stem}.jsonl"

    @property
    def validation_uri(self) -> str | None:
        """The held-out object, when there is a split."""
        if self.validation_fraction is None:
            return None
        return f"gs://{self.bucket}/{self._stem}-validation.jsonl"

    @property
    def _stem(self) -> str:
        return "/".join(p for p in (self.prefix, f"{self.name}-{self.version}") if p)
