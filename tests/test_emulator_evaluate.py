"""The emulator's evaluateInstances, through Google's own EvaluationServiceClient (REST), against
the values sacrebleu and rouge-score compute themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import sacrebleu
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1 as v1
from rouge_score import rouge_scorer

from conftest import LOCATION, PROJECT

PARENT = f"projects/{PROJECT}/locations/{LOCATION}"

#: (prediction, reference): identical, close, reordered, unrelated, short, empty, punctuation,
#: multi-sentence, case.
PAIRS = [
    ("Refunds are accepted within 30 days.", "Refunds are accepted within 30 days."),
    ("We refund within 30 days of delivery.", "Refunds are accepted within 30 days of delivery."),
    ("days 30 within accepted are Refunds", "Refunds are accepted within 30 days."),
    ("Thank you for your question.", "Track your order at example.com/track."),
    ("Yes", "Yes, we ship to 40 countries."),
    ("", "Open Settings > Security."),
    ("Ship? Yes! To 40 countries.", "Yes, we ship to 40 countries."),
    (
        "Open Settings. Choose Security. Reset it.",
        "Open Settings and choose Security.\nThen reset your password.",
    ),
    ("REFUNDS ARE ACCEPTED", "Refunds are accepted"),
]


@pytest.fixture
def evaluation(emulator: Any) -> Any:
    return v1.EvaluationServiceClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": emulator.url},
    )


def instances(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"prediction": p, "reference": r} for p, r in pairs]


def scores(values: Any) -> list[float]:
    return [v.score for v in values]


@pytest.mark.parametrize("effective_order", [False, True])
def test_bleu_is_sacrebleus_sentence_bleu_over_100(evaluation: Any, effective_order: bool) -> None:
    response = evaluation.evaluate_instances(
        request={
            "location": PARENT,
            "bleu_input": {
                "metric_spec": {"use_effective_order": effective_order},
                "instances": instances(PAIRS),
            },
        }
    )
    expected = [
        sacrebleu.sentence_bleu(p, [r], use_effective_order=effective_order).score / 100
        for p, r in PAIRS
    ]
    got = scores(response.bleu_results.bleu_metric_values)
    assert got == pytest.approx(expected, rel=1e-6)
    assert all(0.0 <= s <= 1.0 for s in got)


@pytest.mark.parametrize(
    ("rouge_type", "use_stemmer"),
    [
        ("rouge1", False),
        ("rouge2", False),
        ("rougeL", False),
        ("rougeLsum", False),
        ("rougeL", True),
    ],
)
def test_rouge_is_rouge_scores_f_measure(
    evaluation: Any, rouge_type: str, use_stemmer: bool
) -> None:
    response = evaluation.evaluate_instances(
        request={
            "location": PARENT,
            "rouge_input": {
                "metric_spec": {"rouge_type": rouge_type, "use_stemmer": use_stemmer},
                "instances": instances(PAIRS),
            },
        }
    )
    scorer = rouge_scorer.RougeScorer([rouge_type], use_stemmer=use_stemmer)
    expected = [scorer.score(r, p)[rouge_type].fmeasure for p, r in PAIRS]
    got = scores(response.rouge_results.rouge_metric_values)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-7)


def test_rouge_lsum_with_split_summaries_scores_sentences_on_lines(evaluation: Any) -> None:
    prediction, reference = "Open Settings. Choose Security.", "Open Settings.\nChoose Security!"
    response = evaluation.evaluate_instances(
        request={
            "location": PARENT,
            "rouge_input": {
                "metric_spec": {"rouge_type": "rougeLsum", "split_summaries": True},
                "instances": [{"prediction": prediction, "reference": reference}],
            },
        }
    )
    scorer = rouge_scorer.RougeScorer(["rougeLsum"])
    expected = scorer.score("Open Settings.\nChoose Security!", "Open Settings.\nChoose Security.")
    got = response.rouge_results.rouge_metric_values[0].score
    assert got == pytest.approx(expected["rougeLsum"].fmeasure, rel=1e-6)


def test_exact_match_is_the_same_string_and_nothing_looser(evaluation: Any) -> None:
    pairs = [("a", "a"), ("a", "a "), ("A", "a"), ("", "")]
    response = evaluation.evaluate_instances(
        request={"location": PARENT, "exact_match_input": {"instances": instances(pairs)}}
    )
    assert scores(response.exact_match_results.exact_match_metric_values) == [1, 0, 0, 1]


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def tools(*calls: dict[str, Any]) -> str:
    return json.dumps({"content": "", "tool_calls": list(calls)})


TOOL_CASES = [
    # (prediction, reference, valid, name match, key match, kv match, kv strict)
    (tools(call("track", order="A1")), tools(call("track", order="A1")), 1, 1, 1, 1, 1),
    (tools(call("track", order="a1 ")), tools(call("track", order="A1")), 1, 1, 1, 1, 0),
    (tools(call("track", order="B2")), tools(call("track", order="A1")), 1, 1, 1, 0, 0),
    (tools(call("refund", order="A1")), tools(call("track", order="A1")), 1, 0, 1, 1, 1),
    (
        tools(call("track", order="A1")),
        tools(call("track", order="A1", carrier="ups")),
        1,
        1,
        0.5,
        0.5,
        0.5,
    ),
    ("not json", tools(call("track", order="A1")), 0, 0, 0, 0, 0),
    (json.dumps({"tool_calls": [{"arguments": {}}]}), tools(call("track")), 0, 0, 0, 0, 0),
    (tools(call("track", n=1)), tools(call("track", n=1.0)), 1, 1, 1, 1, 1),
]


@pytest.mark.parametrize(
    ("prediction", "reference", "valid", "names", "keys", "kv", "strict"), TOOL_CASES
)
def test_tool_call_metrics(
    evaluation: Any,
    prediction: str,
    reference: str,
    valid: float,
    names: float,
    keys: float,
    kv: float,
    strict: float,
) -> None:
    pair = [{"prediction": prediction, "reference": reference}]

    def ask(field: str, results: str, values: str, **spec: Any) -> float:
        request = {"location": PARENT, field: {"metric_spec": spec, "instances": pair}}
        found = getattr(evaluation.evaluate_instances(request=request), results)
        score: float = getattr(found, values)[0].score
        return score

    assert (
        ask("tool_call_valid_input", "tool_call_valid_results", "tool_call_valid_metric_values")
        == valid
    )
    assert (
        ask("tool_name_match_input", "tool_name_match_results", "tool_name_match_metric_values")
        == names
    )
    key_match = ask(
        "tool_parameter_key_match_input",
        "tool_parameter_key_match_results",
        "tool_parameter_key_match_metric_values",
    )
    assert key_match == keys
    kv_args = (
        "tool_parameter_kv_match_input",
        "tool_parameter_kv_match_results",
        "tool_parameter_kv_match_metric_values",
    )
    assert ask(*kv_args) == kv
    assert ask(*kv_args, use_strict_string_match=True) == strict


def test_the_autorater_is_a_rule_and_says_so(evaluation: Any) -> None:
    request = {
        "location": PARENT,
        "pointwise_metric_input": {
            "metric_spec": {"metric_prompt_template": "Rate {response} against {reference}."},
            "instance": {
                "json_instance": json.dumps(
                    {"response": "Refunds within 30 days.", "reference": "Refunds within 30 days."}
                )
            },
        },
    }
    first = evaluation.evaluate_instances(request=request).pointwise_metric_result
    second = evaluation.evaluate_instances(request=request).pointwise_metric_result
    assert first.score == second.score == 5.0
    assert first.explanation.startswith("emulated autorater (no model was asked)")
    fluency = evaluation.evaluate_instances(
        request={"location": PARENT, "fluency_input": {"instance": {"prediction": "Yes."}}}
    ).fluency_result
    assert 1.0 <= fluency.score <= 5.0
    assert "emulated autorater" in fluency.explanation


@pytest.mark.parametrize(
    ("request_body", "words"),
    [
        ({}, "Exactly one metric input must be set in metric_inputs, got 0"),
        ({"bleu_input": {"instances": []}}, "bleu_input.instances must not be empty"),
        (
            {"rouge_input": {"metric_spec": {"rouge_type": "rougeW"}, "instances": [{}]}},
            "rouge_input.metric_spec.rouge_type 'rougeW' is not supported",
        ),
    ],
)
def test_bad_requests_are_invalid_argument_naming_the_field(
    evaluation: Any, request_body: dict[str, Any], words: str
) -> None:
    with pytest.raises(exceptions.BadRequest, match=words.replace("[", r"\[").replace("]", r"\]")):
        evaluation.evaluate_instances(request={"location": PARENT, **request_body})


def test_two_metric_inputs_in_one_request_are_refused(emulator: Any) -> None:
    # Not sendable through the GAPIC client: a oneof keeps the last field set.
    body = {"bleuInput": {"instances": []}, "exactMatchInput": {"instances": []}}
    answer = requests.post(f"{emulator.url}/v1/{PARENT}:evaluateInstances", json=body)
    assert answer.status_code == 400
    assert "got 2 (bleuInput, exactMatchInput)" in answer.json()["error"]["message"]


def test_a_metric_the_emulator_does_not_compute_is_unimplemented(evaluation: Any) -> None:
    with pytest.raises(exceptions.MethodNotImplemented, match="does not evaluate comet_input"):
        evaluation.evaluate_instances(
            request={"location": PARENT, "comet_input": {"instance": {"prediction": "x"}}}
        )
