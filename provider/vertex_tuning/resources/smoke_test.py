"""ModelSmokeTest: ask the tuned endpoint (and the base model) before anything ships.

The seed guide's "Test before deployment": each case is a prompt plus expectations
(contains / regex / exact); a failing case fails the update with a per-case report, and the
answers are recorded as outputs. Any change of endpoint or cases runs the cases again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult

from vertex_tuning import names
from vertex_tuning import settings as settings_mod
from vertex_tuning.errors import ExpectedFailure
from vertex_tuning.resources.base import (
    DynamicResource,
    Outputs,
    TypedProvider,
    resource_props,
    say,
)

if TYPE_CHECKING:
    from vertex_tuning.resources.smoke_test_inputs import SmokeTestInputs


@dataclass(frozen=True)
class SmokeTestOutputs(Outputs):
    results: list[dict[str, Any]] = field(default_factory=list)
    passed: int = 0


class SmokeTestFailed(ExpectedFailure):
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


class SmokeTestProvider(TypedProvider["SmokeTestInputs"]):
    """Runs the cases at create; nothing exists in the cloud, so delete has nothing to do."""

    inputs_model = "vertex_tuning.resources.smoke_test_inputs:SmokeTestInputs"
    outputs = SmokeTestOutputs
    kind = "ModelSmokeTest"
    delete_before_replace = True
    stamped = False

    # --- create ---
    def create(self, props: dict[str, Any]) -> CreateResult:
        from vertex_tuning import wire
        from vertex_tuning.vertex import Vertex

        inputs = self.parsed(props)
        vertex = Vertex(settings_mod.resolve(self.config_get), names.location_of(inputs.endpoint))
        base = _base_model_name(inputs) if inputs.base_model else None
        results: list[dict[str, Any]] = []
        for i, case in enumerate(inputs.cases, start=1):
            request = wire.generate_request(case.prompt)
            answer = wire.text_from_api(vertex.generate_content(inputs.endpoint, request))
            base_answer = wire.text_from_api(vertex.generate_content(base, request)) if base else ""
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
        say(text)
        if not all(r["passed"] for r in results):
            raise SmokeTestFailed(f"smoke test of {inputs.endpoint} failed:\n{text}")
        passed = sum(r["passed"] for r in results)
        return CreateResult(
            f"{inputs.endpoint}/smoke", {**props, "results": results, "passed": passed}
        )

    # --- read ---
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)  # nothing lives in the cloud: the last run stands

    # --- delete ---
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


def _base_model_name(inputs: SmokeTestInputs) -> str:
    endpoint = names.parse(inputs.endpoint, names.ENDPOINTS)
    assert endpoint is not None  # checked
    base = inputs.base_model or ""
    model = names.parse(base, names.MODELS)
    if model is not None:
        return model.unversioned
    return names.publisher_model(endpoint.project, endpoint.location, base)


class ModelSmokeTest(DynamicResource, module="vertex-tuning", name="ModelSmokeTest"):
    """Fails `pulumi up` unless the tuned endpoint answers every case as expected."""

    results: pulumi.Output[list[dict[str, Any]]]
    passed: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        endpoint: pulumi.Input[str],
        cases: pulumi.Input[list[Any]],
        location: pulumi.Input[str] | None = None,
        base_model: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings_mod.refuse_plaintext_token()
        inputs = {
            "endpoint": endpoint,
            "location": location,
            "cases": cases,
            "base_model": base_model,
        }
        super().__init__(
            SmokeTestProvider(), resource_name, resource_props(inputs, SmokeTestOutputs), opts
        )
