"""Preference-tuning data: validated like supervised data, with its own format and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_dataset_strict import assert_only_line_3
from vertex_tuning.dataset import format_report, validate_file, validate_lines

PREFERENCE = Path(__file__).parent / "data" / "preference"

# One file per rule, the broken example on line 3: (file, path, a fragment of the message).
BROKEN = [
    ("ends_with_model", "contents[1].role", 'must be "user": the completions answer'),
    ("one_completion", "completions", "exactly two completions"),
    ("three_completions", "completions", "exactly two completions (one scored 1, one 0), got 3"),
    ("score_not_binary", "completions[1].score", "must be 0 or 1, got 0.5"),
    ("same_scores", "completions", "one completion 1 (preferred) and the other 0"),
    ("completion_role_user", "completions[1].completion.role", 'must be "model", got "user"'),
    ("missing_completions", "completions", "required"),
    ("media_in_contents", "contents[0].parts[1]", "only text parts are accepted in preference"),
    ("supervised_example", "contents[1].role", 'must be "user"'),
]


@pytest.mark.parametrize(("name", "path", "fragment"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_preference_file_reports_its_line_and_field(
    name: str, path: str, fragment: str
) -> None:
    assert_only_line_3(
        validate_file(PREFERENCE / f"{name}.jsonl", method="preference"), path, fragment
    )


def test_every_preference_file_has_a_case() -> None:
    assert {p.stem for p in PREFERENCE.glob("*.jsonl")} - {"good"} == {b[0] for b in BROKEN}


def test_the_documented_example_is_valid_with_exact_stats() -> None:
    report = validate_file(PREFERENCE / "good.jsonl", method="preference")

    assert report.ok, [str(e) for e in report.errors]
    s = report.stats
    assert (s.examples, s.valid_examples) == (5, 5)
    assert (s.user_turns, s.model_turns) == (6, 1)  # the prompts' turns; completions apart
    assert s.system_instruction_examples == 2
    assert format_report(report).splitlines()[0].endswith("[training dataset, preference tuning]")


def test_characters_count_the_prompt_and_the_longer_completion() -> None:
    line = json.dumps(
        {
            "systemInstruction": {"parts": [{"text": "abc"}]},
            "contents": [{"role": "user", "parts": [{"text": "12345"}]}],
            "completions": [
                {"score": 0, "completion": {"role": "model", "parts": [{"text": "x" * 7}]}},
                {"score": 1, "completion": {"role": "model", "parts": [{"text": "y" * 4}]}},
            ],
        }
    )
    for raw in (line, line.replace('"systemInstruction"', '"system_instruction"')):
        report = validate_lines([raw], method="preference")
        assert report.ok
        assert report.stats.text_characters == 3 + 5 + 7


def test_supervised_data_checked_as_preference_and_back_says_which_is_which() -> None:
    pref = (PREFERENCE / "good.jsonl").read_text().splitlines()[1]
    as_supervised = validate_lines([pref])

    assert any(
        'unknown field "completions" (preference tuning data' in e.message
        and "--method preference" in e.message
        for e in as_supervised.errors
    )


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="method must be one of supervised, preference"):
        validate_lines([], method="distillation")  # type: ignore[arg-type]
