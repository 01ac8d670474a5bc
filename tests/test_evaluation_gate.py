"""The gate's arithmetic (min_score, min_gain per comparison, 6-decimal comparison), the best
checkpoint (ties to the earlier one), and how ModelEvaluation's inputs spell thresholds."""

from __future__ import annotations

from typing import Any

import pytest

from vertex_tuning.evaluation.gate import Check, best_checkpoint, checks, passed

SCORES = {
    "tuned": {"rouge_l": 0.62, "bleu": 0.30},
    "base": {"rouge_l": 0.12, "bleu": 0.05},
    "served": {"rouge_l": 0.60, "bleu": 0.31},
}


@pytest.mark.parametrize(
    ("min_score", "min_gain", "verdicts"),
    [
        ({}, {}, []),
        ({"rouge_l": 0.6}, {}, [True]),
        ({"rouge_l": 0.62}, {}, [True]),  # equal passes
        ({"rouge_l": 0.620001}, {}, [False]),
        ({"rouge_l": 0.6200001}, {}, [True]),  # below the 6th decimal: float noise
        ({"rouge_l": 0.5, "bleu": 0.31}, {}, [True, False]),
        ({}, {"base": {"rouge_l": 0.5}}, [True]),  # gain 0.50 exactly: float error forgiven
        ({}, {"base": {"rouge_l": 0.51}}, [False]),
        ({}, {"served": {"rouge_l": 0.02}}, [True]),  # 0.62 - 0.60 = 0.020000000000000018
        ({}, {"served": {"bleu": 0.0}}, [False]),  # worse than what serves
        ({}, {"served": {"bleu": -0.01}}, [True]),  # allowed to be a little worse
        ({}, {"base": {"rouge_l": 0.1}, "served": {"rouge_l": 0.1}}, [True, False]),
    ],
)
def test_each_threshold_is_one_check(
    min_score: dict[str, float], min_gain: dict[str, dict[str, float]], verdicts: list[bool]
) -> None:
    found = checks(SCORES, "tuned", min_score=min_score, min_gain=min_gain)
    assert [c.passed for c in found] == verdicts
    assert passed(found) == all(verdicts)


def test_a_comparison_that_was_not_evaluated_has_no_check() -> None:
    scores = {"tuned": SCORES["tuned"], "base": SCORES["base"]}
    found = checks(scores, "tuned", min_score={}, min_gain={"served": {"rouge_l": 0.1}})
    assert found == []


def test_checks_say_what_was_compared_in_words() -> None:
    gain = Check("rouge_l", "min_gain", 0.05, 0.012, "base")
    assert gain.describe() == "rouge_l gain over base +0.0120 < min_gain +0.0500"
    score = Check("bleu", "min_score", 0.2, 0.31)
    assert score.describe() == "bleu 0.3100 >= min_score 0.2000"


@pytest.mark.parametrize(
    ("scores", "chosen", "tied"),
    [
        ([("1", 0.2), ("2", 0.5), ("3", 0.4)], "2", False),
        ([("1", 0.2), ("2", 0.5), ("3", 0.5)], "2", True),  # a tie goes to the earlier
        ([("1", 0.5), ("2", 0.5000000001), ("3", 0.5)], "1", True),  # equal at 6 decimals
        ([("1", 0.1), ("2", 0.2), ("3", 0.3)], "3", False),
        ([("7", 0.4)], "7", False),
    ],
)
def test_the_best_checkpoint_is_the_highest_and_ties_go_earlier(
    scores: list[tuple[str, float]], chosen: str, tied: bool
) -> None:
    choice = best_checkpoint("rouge_l", scores)
    assert choice.checkpoint_id == chosen
    assert f"checkpoint {chosen} has the highest rouge_l" in choice.reason
    assert ("the earlier wins (less overfitting)" in choice.reason) == tied


def test_no_checkpoints_is_an_error() -> None:
    with pytest.raises(ValueError):
        best_checkpoint("rouge_l", [])


def check(**values: Any) -> tuple[dict[str, Any], list[Any]]:
    from vertex_tuning.resources.model_evaluation import ModelEvaluationProvider

    base = {
        "endpoint": "projects/p/locations/us-central1/endpoints/1",
        "data": "gs://bucket/eval.jsonl",
        "report_dir": "/tmp/reports",
    }
    return ModelEvaluationProvider().check_inputs({}, {**base, **values}, {})


def test_a_bare_number_is_a_threshold_of_the_primary_metric() -> None:
    checked, failures = check(metrics=["bleu", "rouge_l"], min_score=0.2, min_gain=0.05)
    assert failures == []
    assert checked["min_score"] == {"bleu": 0.2}
    assert checked["min_gain"] == {"base": {"bleu": 0.05}, "served": {"bleu": 0.05}}


def test_gains_by_comparison_are_kept_apart() -> None:
    gains = {"base": {"rouge_l": 0.05}, "served": {"rouge_l": 0.0}}
    checked, failures = check(min_gain=gains)
    assert failures == []
    assert checked["min_gain"] == gains


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"min_score": {"meteor": 0.2}}, "min_score: meteor is not one of metrics"),
        ({"metrics": ["bleu"], "min_gain": {"rouge_l": 0.1}}, "min_gain: rouge_l is not one of"),
        ({"min_score": {"rouge_l": 7}}, "min_score: rouge_l 7.0 is not in 0..5"),
        ({"metrics": ["rouge_l", "rouge_l"]}, "metrics: each metric once"),
        (
            {"metrics": [{"name": "bleu", "use_stemmer": True}]},
            "use_stemmer is not an option of bleu",
        ),
        ({"metric": "bleu", "metrics": ["rouge_l"]}, "metric: bleu is not one of metrics"),
        ({"checkpoints": [{"checkpoint_id": "1", "endpoint": "x"}]}, "must be projects/P"),
        ({"base_model": "projects/p/locations/us-central1/models/9"}, "is a tuned model"),
    ],
)
def test_bad_thresholds_and_metrics_fail_check_naming_the_rule(
    values: dict[str, Any], words: str
) -> None:
    _, failures = check(**values)
    assert any(words in f"{f.property}: {f.reason}" for f in failures), failures


def test_the_same_local_file_at_another_path_is_no_change(tmp_path: Any) -> None:
    """A CI runner's fresh checkout moves the data file, not its content: nothing to redo."""
    from vertex_tuning.resources.model_evaluation import ModelEvaluationProvider

    first, second, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    first.write_text('{"contents": []}\n')
    second.write_text('{"contents": []}\n')
    other.write_text('{"contents": [1]}\n')
    olds, _ = check(data=str(first))
    moved, _ = check(data=str(second))
    changed, _ = check(data=str(other))
    provider = ModelEvaluationProvider()
    assert provider.diff("id", olds, moved).changes is False
    assert provider.diff("id", olds, changed).replaces == ["data", "data_hash"]
    on_gcs, _ = check(data="gs://bucket/eval.jsonl")
    elsewhere, _ = check(data="gs://bucket/other.jsonl")
    assert provider.diff("id", on_gcs, elsewhere).replaces == ["data"]  # named by its URI
