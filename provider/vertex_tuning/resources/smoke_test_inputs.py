"""ModelSmokeTest's inputs: the endpoint to ask and the cases, each with its expectations.

Kept apart from smoke_test.py so that the provider process loads pydantic only when a check
has something to validate (see resources/base.py). `SmokeCase` is public: stacks type their
config with it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vertex_tuning import catalog, names, rules
from vertex_tuning.resources.base import REPLACES, StandIn
from vertex_tuning.resources.inputs import Inputs

_STAND_IN_ENDPOINT = "projects/unknown-project/locations/us-central1/endpoints/0"


class SmokeCase(BaseModel):
    """One prompt and what its answer must satisfy (all given expectations must hold)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: rules.NonBlankText
    name: rules.Text | None = None
    contains: list[rules.NonBlankText] = Field(default_factory=list)
    regex: str | None = None
    exact: rules.Text | None = None

    @field_validator("contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"regex {value!r} does not compile: {exc}") from None
        return value

    def failures(self, answer: str) -> list[str]:
        """What the answer got wrong, in words; empty when it passes."""
        found = []
        for needle in self.contains:
            if needle.lower() not in answer.lower():
                found.append(f"does not contain {needle!r}")
        if self.regex is not None and not re.search(self.regex, answer):
            found.append(f"does not match /{self.regex}/")
        if self.exact is not None and answer.strip() != self.exact.strip():
            found.append(f"is not exactly {self.exact!r}")
        return found


class SmokeTestInputs(Inputs):
    """The endpoint to ask, what to compare with, and the cases: any change runs them again."""

    endpoint: Annotated[str, REPLACES, StandIn(_STAND_IN_ENDPOINT)]
    base_model: Annotated[str | None, REPLACES] = None
    location: Annotated[rules.Location | None, REPLACES] = None
    cases: Annotated[list[SmokeCase], Field(min_length=1), REPLACES]

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if names.parse(value, names.ENDPOINTS) is None:
            raise ValueError(f"{value!r} must be projects/P/locations/L/endpoints/ID")
        return value

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str | None) -> str | None:
        return catalog.normalize_base_model(value) if value else None

    @model_validator(mode="after")
    def _location_of_the_endpoint(self) -> SmokeTestInputs:
        where = names.location_of(self.endpoint)
        if self.location not in (None, where) and self.endpoint != _STAND_IN_ENDPOINT:
            raise ValueError(f"location: {self.location!r} is not the endpoint's ({where!r})")
        return self
