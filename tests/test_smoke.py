"""ModelSmokeTest's rules and its check at preview, when the endpoint is not known yet."""

from __future__ import annotations

from typing import Any

from pulumi.runtime.rpc import UNKNOWN

from vertex_tuning.resources.smoke_test import SmokeTestProvider, report
from vertex_tuning.resources.smoke_test_inputs import SmokeCase

ENDPOINT = "projects/123/locations/us-central1/endpoints/9"


def _check(**news: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    provider = SmokeTestProvider()
    result = provider.check({}, {"location": "us-central1", **news})
    return dict(result.inputs), [(f.property, f.reason) for f in result.failures or []]


def test_each_expectation_is_reported_in_words() -> None:
    case = SmokeCase(prompt="Hi", contains="Welcome", regex=r"\d+ days", exact="Welcome!")
    assert case.failures("welcome, returns take 30 days") == [
        "is not exactly 'Welcome!'"
    ]  # contains ignores case
    assert case.failures("Goodbye") == [
        "does not contain 'Welcome'",
        r"does not match /\d+ days/",
        "is not exactly 'Welcome!'",
    ]


def test_cases_are_normalised_and_checked_while_the_endpoint_is_unknown() -> None:
    """A first preview (no job yet) still catches a bad case and shows the final inputs."""
    inputs, failures = _check(endpoint=UNKNOWN, cases=[{"prompt": "Hi", "contains": "hello"}])
    assert failures == []
    assert inputs["endpoint"] == UNKNOWN
    assert inputs["cases"] == [{"prompt": "Hi", "contains": ["hello"]}]
    _, failures = _check(endpoint=UNKNOWN, cases=[{"prompt": "Hi", "regex": "(["}])
    assert [p for p, _ in failures] == ["cases"]
    assert failures[0][1].startswith("cases[0].regex: ")


def test_normalised_cases_are_the_same_known_or_not() -> None:
    case = {"prompt": "Hi", "contains": "hello", "name": "greeting"}
    unknown, _ = _check(endpoint=UNKNOWN, cases=[case])
    known, _ = _check(endpoint=ENDPOINT, cases=[case])
    assert unknown["cases"] == known["cases"]


def test_cases_from_another_resource_are_left_for_later() -> None:
    inputs, failures = _check(endpoint=ENDPOINT, cases=UNKNOWN)
    assert failures == [] and inputs["cases"] == UNKNOWN


def test_no_cases_and_a_bad_endpoint_name_their_fields() -> None:
    _, failures = _check(endpoint="endpoints/9", cases=[])
    assert sorted(p for p, _ in failures) == ["cases", "endpoint"]


def test_the_report_says_which_case_failed_and_why() -> None:
    text = report(
        [
            {"name": "a", "prompt": "Hi", "answer": "Hello", "passed": True, "failures": []},
            {
                "name": "b",
                "prompt": "Refund?",
                "answer": "No",
                "base_answer": "Maybe",
                "passed": False,
                "failures": ["does not contain '30 days'"],
            },
        ]
    )
    assert "[PASS] a: 'Hi'" in text
    assert "[FAIL] b: 'Refund?'" in text and "- answer does not contain '30 days'" in text
    assert "base answer:  'Maybe'" in text
    assert text.endswith("1/2 smoke cases passed")
