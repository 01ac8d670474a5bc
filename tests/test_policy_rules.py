"""policies/guardrails.py, the policy pack's rules, as plain functions: table-driven, no engine.

tests/e2e/test_policies.py runs the same rules through `pulumi preview --policy-pack`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

PACK = Path(__file__).resolve().parents[1] / "policies"
_spec = importlib.util.spec_from_file_location("guardrails", PACK / "guardrails.py")
assert _spec is not None and _spec.loader is not None
g: Any = importlib.util.module_from_spec(_spec)
sys.modules["guardrails"] = g  # dataclasses look their module up by name
_spec.loader.exec_module(g)

JOB_URN = "urn:pulumi:prod::acme::pulumi-python:dynamic/vertex-tuning:TuningJob::model"
DATA_URN = "urn:pulumi:prod::acme::pulumi-python:dynamic/vertex-tuning:TrainingDataset::data"


def job(stack: str = "prod", protect: bool = True, **props: Any) -> Any:
    urn = JOB_URN.replace("urn:pulumi:prod::", f"urn:pulumi:{stack}::")
    values = {"base_model": "gemini-2.5-flash", "location": "us-central1", **props}
    deps = {"validation_dataset_uri": [DATA_URN]} if props.get("validation_dataset_uri") else {}
    return g.Resource(g.TUNING_JOB, "model", urn, values, protect, deps)


def dataset(fraction: Any) -> Any:
    return g.Resource(g.TRAINING_DATASET, "data", DATA_URN, {"validation_fraction": fraction})


def test_the_stack_and_the_title_come_from_the_urn() -> None:
    assert job("dev").stack == "dev"
    assert job().title == "TuningJob 'model'"


@pytest.mark.parametrize(
    ("stack", "tags", "labels", "prod"),
    [
        ("prod", {}, {}, True),
        ("production", {}, {}, True),
        ("dev", {}, {}, False),
        ("live", {g.ENVIRONMENT_TAG: "prod"}, {}, True),
        ("prod", {g.ENVIRONMENT_TAG: "staging"}, {}, False),
        ("sandbox", {}, {"environment": "prod"}, True),
        ("sandbox", {}, {"environment": g.UNKNOWN}, False),
    ],
)
def test_which_stacks_are_prod(
    stack: str, tags: dict[str, str], labels: dict[str, Any], prod: bool
) -> None:
    assert g.is_prod(job(stack, labels=labels), tags, g.DEFAULT_PROD) is prod


@pytest.mark.parametrize(
    ("model", "violations"),
    [
        ("gemini-2.5-flash", 0),
        ("gemini-2.0-flash-001", 1),
        ("projects/p/locations/us-central1/models/123", 0),  # continuous tuning of our own
        (g.UNKNOWN, 0),  # decided at `up`
    ],
)
def test_allowed_base_model(model: Any, violations: int) -> None:
    assert len(g.allowed_base_model(job(base_model=model), g.DEFAULT_MODELS)) == violations


@pytest.mark.parametrize(
    ("labels", "missing"),
    [
        ({"team": "a", "environment": "dev"}, []),
        ({"team": "a"}, ["'environment'"]),
        ({}, ["'team' or 'environment'"]),
        ({"team": "", "environment": "dev"}, ["'team'"]),
        ({"team": g.UNKNOWN, "environment": "dev"}, []),
        (g.UNKNOWN, []),
    ],
)
def test_required_labels(labels: Any, missing: list[str]) -> None:
    found = g.required_labels(job(labels=labels), g.DEFAULT_LABELS)
    assert [m.split(" has no ", 1)[1].split(" label", 1)[0] for m in found] == missing


@pytest.mark.parametrize(
    ("uri", "fraction", "violations"),
    [
        ("gs://b/validation.jsonl", None, 0),
        ("", None, 1),
        (None, None, 1),
        (g.UNKNOWN, 0.1, 0),  # the TrainingDataset it comes from splits one off
        (g.UNKNOWN, None, 1),
        (g.UNKNOWN, g.UNKNOWN, 0),
    ],
)
def test_prod_validation_data(uri: Any, fraction: Any, violations: int) -> None:
    data = dataset(fraction)
    found = g.prod_validation_data(job(validation_dataset_uri=uri), {data.urn: data})
    assert len(found) == violations


def test_the_endpoint_gate_is_a_smoke_test_taking_this_jobs_endpoint() -> None:
    model = job()
    gate = g.Resource(g.SMOKE_TEST, "smoke", "urn:x", {}, dependencies={"endpoint": [model.urn]})
    other = g.Resource(g.SMOKE_TEST, "smoke", "urn:y", {}, dependencies={"endpoint": ["urn:z"]})
    assert g.prod_endpoint_gate(model, [model, gate]) == []
    assert len(g.prod_endpoint_gate(model, [model, other])) == 1


def test_cost_cap_and_its_note() -> None:
    assert g.cost_cap(job(estimated_cost_usd=499.0), 500) == []
    (over,) = g.cost_cap(job(estimated_cost_usd=501), 500)
    assert "501.00 USD, over this stack's cap of 500.00 USD" in over
    assert g.cost_cap(job(), 500) == []
    assert g.cost_not_estimated(job(estimated_cost_usd=1.0), 500) == []
    assert len(g.cost_not_estimated(job(), 500)) == 1


def test_every_message_names_the_resource_and_the_fix() -> None:
    messages = [
        *g.allowed_base_model(job(base_model="gemini-2.0-flash-001"), g.DEFAULT_MODELS),
        *g.allowed_region(job(location="asia-northeast1"), g.DEFAULT_REGIONS),
        *g.required_labels(job(labels={}), g.DEFAULT_LABELS),
        *g.cmek_and_service_account(job(), {}, True, True),
        *g.prod_protected(job(protect=False)),
        *g.prod_validation_data(job(), {}),
        *g.prod_endpoint_gate(job(), []),
        *g.cost_cap(job(estimated_cost_usd=900.0), 500),
    ]
    assert len(messages) == 9
    for message in messages:
        assert message.startswith("TuningJob 'model' ")
        assert " Fix: " in message
