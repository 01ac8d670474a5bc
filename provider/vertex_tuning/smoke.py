"""ModelSmokeTest: ask the tuned endpoint (and the base model) before anything ships.

The seed guide's "Test before deployment": each case is a prompt plus expectations
(contains / regex / exact); a failing case fails the update with a per-case report, and the
answers are recorded as outputs. Any change of endpoint or cases runs the cases again.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    Resource,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vertex_tuning import settings as settings_mod
from vertex_tuning.stateless import StatelessProvider, is_unknown


class SmokeCase(BaseModel):
    """One prompt and what its answer must satisfy (all given expectations must hold)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=1)
    name: str | None = None
    contains: list[str] = Field(default_factory=list)
    regex: str | None = None
    exact: str | None = None

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


class SmokeTestInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = Field(pattern=r"^projects/[^/]+/locations/[^/]+/endpoints/[^/]+$")
    base_model: str | None = None
    location: str
    cases: list[SmokeCase] = Field(min_length=1)


_STAND_INS = {"endpoint": "projects/p/locations/l/endpoints/0", "location": "l", "base_model": ""}


class SmokeTestFailed(Exception):
    """At least one case failed; the message is the whole report."""


def report(results: list[dict[str, Any]]) -> str:
    """A readable per-case report: PASS/FAIL, the prompt, the answer, and what was wrong."""
    lines = []
    for r in results:
        mark = "PASS" if r["passed"] else "FAIL"
        lines.append(f"[{mark}] {r['name']}: {r['prompt']!r}")
        lines.append(f"       tuned answer: {r['answer']!r}")
        if r.get("base_answer"):
            lines.append(f"       base answer:  {r['base_answer']!r}")
        lines.extend(f"       - answer {problem}" for problem in r["failures"])
    passed = sum(r["passed"] for r in results)
    lines.append(f"{passed}/{len(results)} smoke cases passed")
    return "\n".join(lines)


class SmokeTestProvider(StatelessProvider):
    """Runs the cases at create; nothing exists in the cloud, so delete has nothing to do."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        raw = {k: v for k, v in news.items() if not k.startswith("__") and k != "results"}
        # The endpoint is not known until the job exists: check the rest against a stand-in, so
        # bad cases fail the first preview and unchanged ones are normalised (no spurious diff).
        unknown = {k: v for k, v in raw.items() if is_unknown(v)}
        if not set(unknown) <= set(_STAND_INS):
            return CheckResult(news, [])  # the cases themselves come from another resource
        stand_ins = {k: _STAND_INS[k] for k in unknown}
        try:
            checked = SmokeTestInputs.model_validate(
                {k: v for k, v in {**raw, **stand_ins}.items() if v is not None}
            )
        except ValidationError as exc:
            return CheckResult(
                news,
                [
                    CheckFailure(
                        ".".join(str(p) for p in e["loc"]) or "cases",
                        str(e["msg"]).removeprefix("Value error, "),
                    )
                    for e in exc.errors()
                ],
            )
        inputs = checked.model_dump(mode="json", exclude_none=True)
        return CheckResult({**inputs, **unknown}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("endpoint", "base_model", "location", "cases")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        provider_changed = olds.get("__provider") != news.get("__provider")
        return DiffResult(
            changes=bool(changed) or provider_changed,
            replaces=changed,
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        from vertex_tuning.vertex import Vertex
        from vertex_tuning.wire import text_from_api

        inputs = SmokeTestInputs.model_validate(
            {k: v for k, v in props.items() if k in SmokeTestInputs.model_fields}
        )
        vertex = Vertex(settings_mod.resolve(self.config_get), inputs.location)
        base = _base_model_name(inputs) if inputs.base_model else None
        results: list[dict[str, Any]] = []
        for i, case in enumerate(inputs.cases, start=1):
            answer = text_from_api(vertex.generate_content(inputs.endpoint, case.prompt))
            base_answer = text_from_api(vertex.generate_content(base, case.prompt)) if base else ""
            problems = case.failures(answer)
            results.append(
                {
                    "name": case.name or f"case {i}",
                    "prompt": case.prompt,
                    "answer": answer,
                    "base_answer": base_answer,
                    "passed": not problems,
                    "failures": problems,
                }
            )
        text = report(results)
        print(text, flush=True)
        if not all(r["passed"] for r in results):
            raise SmokeTestFailed(f"smoke test of {inputs.endpoint} failed:\n{text}")
        passed = sum(r["passed"] for r in results)
        return CreateResult(
            f"{inputs.endpoint}/smoke", {**props, "results": results, "passed": passed}
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        from pulumi.dynamic import UpdateResult

        return UpdateResult({**olds, **news})


def _base_model_name(inputs: SmokeTestInputs) -> str:
    project = inputs.endpoint.split("/")[1]
    base = inputs.base_model or ""
    if base.startswith("projects/"):
        return base.split("@", 1)[0]
    return f"projects/{project}/locations/{inputs.location}/publishers/google/models/{base}"


class ModelSmokeTest(Resource, module="vertex-tuning", name="ModelSmokeTest"):
    """Fails `pulumi up` unless the tuned endpoint answers every case as expected."""

    results: pulumi.Output[list[dict[str, Any]]]
    passed: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        endpoint: pulumi.Input[str],
        location: pulumi.Input[str],
        cases: pulumi.Input[list[Any]],
        base_model: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings_mod.refuse_plaintext_token()
        props = {
            "endpoint": endpoint,
            "location": location,
            "cases": cases,
            "base_model": base_model,
            "results": None,
            "passed": None,
        }
        super().__init__(SmokeTestProvider(), resource_name, props, opts)
