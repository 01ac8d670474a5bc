"""vertex_tuning.dataset: rules, stats, limits, the issue cap, streaming memory and the split."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from vertex_tuning.dataset import (
    MAX_MULTIMODAL_TRAINING_EXAMPLES,
    MAX_TRAINING_EXAMPLES,
    MAX_VALIDATION_EXAMPLES,
    MIN_RECOMMENDED_EXAMPLES,
    DatasetReport,
    Limits,
    format_report,
    split_examples,
    validate_file,
    validate_lines,
)

DATA = Path(__file__).parent / "data"
SHIPPED = Path(__file__).parent.parent / "stacks" / "data" / "support-train.jsonl"


def example(question: str, answer: str = "Happy to help with that.") -> str:
    return json.dumps(
        {
            "contents": [
                {"role": "user", "parts": [{"text": question}]},
                {"role": "model", "parts": [{"text": answer}]},
            ]
        }
    )


def distinct(n: int) -> list[str]:
    return [example(f"Question number {i}?") for i in range(n)]


def line_errors(report: DatasetReport) -> list[str]:
    return [str(i) for i in report.errors if i.line is not None]


# One file per rule: (file, line, path, a fragment of the message). Each file holds good examples
# around the broken line, so the test also proves the rule fires only where it should.
BROKEN = [
    ("invalid_json", 3, "", "not valid JSON: Expecting ',' delimiter (column 59)"),
    ("not_object", 3, "", 'must be a JSON object with "contents", got a list'),
    ("missing_contents", 3, "contents", "required"),
    ("contents_not_list", 3, "contents", "must be a list of turns, got an object"),
    ("empty_contents", 3, "contents", "must not be empty"),
    ("bad_role", 3, "contents[1].role", 'must be "user" or "model", got "assistant"'),
    ("missing_role", 3, "contents[0].role", "required"),
    ("two_user_turns", 3, "contents[1].role", 'must be "model" after "user"'),
    ("starts_with_model", 3, "contents[0].role", 'must be "user"'),
    ("ends_with_user", 3, "contents[2].role", 'must be "model"'),
    ("empty_parts", 3, "contents[0].parts", "must not be empty"),
    ("parts_not_list", 3, "contents[1].parts", "must be a non-empty list of parts"),
    ("missing_parts", 3, "contents[1].parts", "required"),
    ("empty_text", 3, "contents[0].parts[0].text", "must not be empty"),
    ("whitespace_text", 3, "contents[1].parts[0].text", "must not be empty (only whitespace)"),
    ("text_not_string", 3, "contents[0].parts[0].text", "must be a string, got a number"),
    ("unknown_part_key", 3, "contents[0].parts[1]", 'unknown field "image"'),
    ("part_without_kind", 3, "contents[1].parts[0]", "found none"),
    ("part_two_kinds", 3, "contents[0].parts[0]", 'found "text" and "fileData"'),
    ("unknown_top_level_key", 3, "", 'unknown field "metadata"'),
    ("messages_format", 3, "", 'unknown field "messages"'),
    ("unknown_content_key", 3, "contents[0]", 'unknown field "author"'),
    ("file_data_not_gcs", 3, "contents[0].parts[1].fileData.fileUri", "gs://bucket/object"),
    ("file_data_missing_mime_type", 3, "contents[0].parts[1].fileData.mimeType", "required"),
    ("inline_data_not_base64", 3, "contents[0].parts[1].inlineData.data", "base64"),
    (
        "function_response_without_response",
        3,
        "contents[2].parts[0].functionResponse.response",
        "required",
    ),
    ("video_metadata_on_text", 3, "contents[0].parts[0].videoMetadata", "only allowed with"),
    ("system_instruction_not_object", 3, "systemInstruction", "must be an object with parts"),
    ("system_instruction_without_parts", 3, "systemInstruction.parts", "required"),
    ("system_instruction_not_text", 3, "systemInstruction.parts[0]", "only text parts"),
    ("system_instruction_both_spellings", 3, "", 'both "systemInstruction" and'),
    ("tools_not_list", 3, "tools", "must be a list of Tool objects"),
    ("blank_line", 3, "", "blank line"),
    ("byte_order_mark", 1, "", "byte order mark"),
    ("not_utf8", 2, "", "not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "line", "path", "fragment"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_file_reports_its_line_and_field_path(
    name: str, line: int, path: str, fragment: str
) -> None:
    report = validate_file(DATA / f"{name}.jsonl")

    assert not report.ok
    prefix = f"line {line}: {path}: " if path else f"line {line}: "
    matching = [e for e in line_errors(report) if e.startswith(prefix) and fragment in e]
    assert matching, f"no error starting {prefix!r} with {fragment!r} in {line_errors(report)}"
    assert {e.line for e in report.errors} == {line}, "only the broken line may have errors"


def test_every_broken_rule_has_a_file_and_every_file_a_rule() -> None:
    on_disk = {p.stem for p in DATA.glob("*.jsonl")} - {"good"}
    assert on_disk == {b[0] for b in BROKEN}


def test_known_good_file_is_clean_with_exact_stats() -> None:
    report = validate_file(DATA / "good.jsonl")

    assert report.ok, line_errors(report)
    # Only the small-dataset warning: 6 examples is under the recommended 100.
    assert [str(w) for w in report.warnings] == [
        "dataset: only 6 examples; at least 100 are recommended"
    ]
    s = report.stats
    assert (s.examples, s.valid_examples) == (6, 6)
    assert (s.user_turns, s.model_turns) == (8, 8)
    assert s.multi_turn_examples == 2
    assert s.system_instruction_examples == 2  # camelCase on line 2, snake_case on line 4
    assert s.multimodal_examples == 2  # file_data on line 4, inlineData on line 6
    assert s.text_characters == 532
    assert s.estimated_tokens == 133  # ceil(532 / 4)
    assert (s.longest_example_line, s.longest_example_characters) == (2, 129)
    assert (s.duplicates, s.duplicate_lines) == (0, ())


def test_every_problem_on_a_line_is_reported_and_later_lines_still_checked() -> None:
    bad = json.dumps(
        {
            "contents": [
                {"role": "user", "parts": [{"text": ""}]},
                {"role": "user", "parts": [{"text": "x", "image": "gs://shop-media/o.png"}]},
            ],
            "extra": 1,
        }
    )
    report = validate_lines([example("ok?"), bad, "{oops", example("fine?")])

    assert line_errors(report) == [
        'line 2: unknown field "extra"; expected contents, systemInstruction, tools',
        "line 2: contents[0].parts[0].text: must not be empty",
        'line 2: contents[1].role: must be "model" after "user"',
        'line 2: contents[1].parts[0]: unknown field "image"; a part holds one of text, '
        "inlineData, fileData, functionCall, functionResponse",
        'line 2: contents[1].role: must be "model": the conversation ends with the model\'s answer',
        "line 3: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]
    assert report.stats.examples == 4
    assert report.stats.valid_examples == 2


def test_snake_case_field_names_are_accepted_like_the_proto_json_parser() -> None:
    line = json.dumps(
        {
            "system_instruction": {"parts": [{"text": "Be brief."}]},
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
                        {
                            "file_data": {
                                "mime_type": "video/mp4",
                                "file_uri": "gs://shop-media/v.mp4",
                            }
                        },
                    ],
                },
                {"role": "model", "parts": [{"function_call": {"name": "f", "args": {}}}]},
                {"role": "user", "parts": [{"function_response": {"name": "f", "response": {}}}]},
                {"role": "model", "parts": [{"text": "Done."}]},
            ],
        }
    )
    report = validate_lines([line])
    assert report.ok, line_errors(report)


def test_inputs_may_be_bytes_str_files_or_generators_with_any_line_ending() -> None:
    lines: list[bytes | str] = [
        example("a?") + "\r\n",
        (example("b?") + "\n").encode(),
        example("c?"),
    ]
    assert validate_lines(lines).stats.valid_examples == 3
    assert validate_lines(iter(lines)).stats.valid_examples == 3
    handle = io.BytesIO("".join(example(q) + "\n" for q in "xyz").encode())
    assert validate_lines(handle).stats.valid_examples == 3


def test_exact_duplicates_are_counted_with_the_first_line_numbers() -> None:
    a, b = example("Do you ship to Peru?"), example("Do you sell gift cards?")
    lines = [a, b, a, a, b] + [a] * 20

    report = validate_lines(lines)

    assert report.ok  # duplicates are a warning: the service accepts them
    assert report.stats.duplicates == 23
    assert report.stats.duplicate_lines == (3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
    assert "line 3: duplicate of an earlier example" in [str(w) for w in report.warnings]


def test_duplicates_are_found_however_many_examples_came_before() -> None:
    # Enough distinct examples to grow the digest table several times before the repeats.
    lines = distinct(5000)

    report = validate_lines([*lines, *lines[::2], example("One more?")])

    assert report.stats.examples == 7501
    assert report.stats.duplicates == 2500
    assert report.stats.duplicate_lines[:3] == (5001, 5002, 5003)


def test_fewer_than_the_recommended_examples_is_a_warning_not_an_error() -> None:
    few = validate_lines(distinct(MIN_RECOMMENDED_EXAMPLES - 1))
    enough = validate_lines(distinct(MIN_RECOMMENDED_EXAMPLES))

    assert few.ok
    assert [str(w) for w in few.warnings] == [
        "dataset: only 99 examples; at least 100 are recommended"
    ]
    assert enough.ok
    assert enough.warnings == ()


def test_more_than_the_service_maximum_is_an_error() -> None:
    # Streamed from a generator: one repeated line, never a list of the examples. The limit is
    # the caller's (a model's Limits); the documented default is 10M, too many for a unit test.
    limits = Limits(training_examples=20_000)
    report = validate_lines(itertools.repeat(example("Same?"), 20_001), limits=limits)

    assert not report.ok
    assert str(report.errors[0]) == (
        "dataset: 20,001 examples, over the maximum of 20,000 for a training dataset"
    )
    assert MAX_TRAINING_EXAMPLES == 10_000_000  # "10M text-only examples" (2026-09-25 docs)


def test_multimodal_and_validation_datasets_have_their_own_maximum() -> None:
    media = json.dumps(
        {
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"fileData": {"mimeType": "image/png", "fileUri": "gs://shop-media/o.png"}}
                    ],
                },
                {"role": "model", "parts": [{"text": "A mug."}]},
            ]
        }
    )
    # A model's own limit (the documented 300,000 is asserted below): the rule, not the size.
    limits = Limits(multimodal_training_examples=3_000)
    multimodal = validate_lines(itertools.repeat(media, 3_001), limits=limits)
    at_limit = validate_lines(distinct(MAX_VALIDATION_EXAMPLES), purpose="validation")
    over_limit = validate_lines(distinct(MAX_VALIDATION_EXAMPLES + 1), purpose="validation")

    assert "over the maximum of 3,000 for a multimodal training dataset" in str(
        multimodal.errors[0]
    )
    assert MAX_MULTIMODAL_TRAINING_EXAMPLES == 300_000
    assert at_limit.ok
    assert at_limit.warnings == ()  # the 100-example advice is for training data
    assert [str(e) for e in over_limit.errors] == [
        "dataset: 5,001 examples, over the maximum of 5,000 for a validation dataset"
    ]


def test_empty_input_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")

    for report in (validate_lines([]), validate_file(empty)):
        assert not report.ok
        assert [str(e) for e in report.errors] == ["dataset: no examples: the file is empty"]
    blank = validate_lines(["\n", "  \n"])
    assert [str(e) for e in blank.errors] == [
        "dataset: no examples: only blank lines",
        "line 1: blank line: every line must hold one example",
        "line 2: blank line: every line must hold one example",
    ]


def test_an_example_over_the_token_limit_is_a_warning() -> None:
    report = validate_lines([example("Summarize this.", "x" * (131_072 * 4 + 1))])

    assert report.ok
    assert any(w.line == 1 and "over the 131,072-token limit" in w.message for w in report.warnings)


def test_issue_cap_keeps_the_first_issues_and_counts_the_rest() -> None:
    lines = ["{bad"] * 50

    report = validate_lines(lines, max_issues=10)

    assert report.error_count == 50
    assert [i.line for i in report.issues] == [None, *range(1, 11)]  # dataset-level kept
    assert report.omitted_issues == 40
    assert format_report(report).endswith("... and 40 more issues")
    assert report.to_json()["omitted_issues"] == 40
    with pytest.raises(ValueError, match="max_issues"):
        validate_lines(lines, max_issues=-1)


MEMORY_PROBE = """
from vertex_tuning.dataset import validate_lines

answer = "We offer full refunds within 30 days of purchase with proof of receipt. " * 7

def lines():
    for i in range(200_000):
        yield (
            '{"contents": [{"role": "user", "parts": [{"text": "Refund question %d?"}]}, '
            '{"role": "model", "parts": [{"text": "%s"}]}]}\\n' % (i, answer)
        )

def peak_kib():
    # VmHWM, not ru_maxrss: a child of a large pytest process inherits the parent's ru_maxrss
    # across fork+exec, which hides any growth; VmHWM can be reset through clear_refs.
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))

with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = peak_kib()
report = validate_lines(lines())
after = peak_kib()
held = list(lines())  # the control: what keeping the raw lines would cost
control = peak_kib()
print(report.stats.valid_examples, after - before, control - after)
"""


def test_validating_a_long_stream_does_not_hold_the_examples() -> None:
    # 200k examples of ~600 bytes from a generator, in a fresh process so the peak RSS is ours.
    # Holding the raw lines alone costs 80+ MiB (the control proves the probe would see it);
    # the validator may keep an 8-byte digest per example: a table of ~6 MiB at its peak.
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True, check=True
    ).stdout
    valid, growth_kib, control_kib = map(int, out.split())

    assert valid == 200_000
    # The control lands between ~80 and ~130 MiB depending on what the allocator can reuse.
    assert control_kib > 48 * 1024, "the probe must be able to see examples being held"
    assert growth_kib < 16 * 1024, f"validating grew the peak RSS by {growth_kib / 1024:.0f} MiB"


def test_report_json_has_stable_snake_case_keys() -> None:
    data = validate_file(DATA / "two_user_turns.jsonl").to_json()

    assert list(data) == [
        "source",
        "purpose",
        "ok",
        "error_count",
        "warning_count",
        "omitted_issues",
        "stats",
        "issues",
    ]
    assert list(data["stats"]) == [
        "examples",
        "valid_examples",
        "user_turns",
        "model_turns",
        "multi_turn_examples",
        "system_instruction_examples",
        "multimodal_examples",
        "text_characters",
        "estimated_tokens",
        "duplicates",
        "duplicate_lines",
        "longest_example_line",
        "longest_example_characters",
    ]
    assert data["issues"][1] == {
        "severity": "error",
        "line": 3,
        "path": "contents[1].role",
        "message": 'must be "model" after "user"',
    }
    assert json.loads(json.dumps(data)) == data


def test_format_report_has_a_verdict_stats_and_issues_grouped_by_line() -> None:
    report = validate_lines([example("a?"), "{x", "[1]", example("a?")], source="train.jsonl")

    text = format_report(report)

    lines = text.splitlines()
    assert lines[0] == "train.jsonl: INVALID (2 errors, 2 warnings) [training dataset]"
    assert (
        "  examples    4 (2 valid, 0 multi-turn, 0 with systemInstruction, 0 multimodal)" in lines
    )
    assert "  duplicates  1 (lines 4)" in lines
    issues = lines[lines.index("dataset:") :]
    assert issues == [
        "dataset:",
        "  warning only 4 examples; at least 100 are recommended",
        "line 2:",
        "  error   not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        "line 3:",
        '  error   must be a JSON object with "contents", got a list',
        "line 4:",
        "  warning duplicate of an earlier example",
    ]
    ok = format_report(validate_file(SHIPPED))
    assert ok.splitlines()[0].endswith(": OK (0 errors, 0 warnings) [training dataset]")


def test_split_is_deterministic_exact_and_stable_when_examples_are_added() -> None:
    lines = distinct(1000)

    train, validation = split_examples(lines, 0.15, seed_key="support-v1")

    assert len(validation) == 150
    assert len(train) == 850
    assert sorted(train + validation) == sorted(lines)
    assert split_examples(lines, 0.15, seed_key="support-v1") == (train, validation)
    assert split_examples(lines, 0.15, seed_key="support-v2")[1] != validation
    assert train == [line for line in lines if line in set(train)]  # file order kept

    grown = [*lines, example("A brand new question?")]
    _, grown_validation = split_examples(grown, 0.15, seed_key="support-v1")
    # round(1001 * 0.15) = 150: at most one example may cross the boundary.
    assert len(set(validation) - set(grown_validation)) <= 1


def test_split_hashes_content_not_formatting_and_skips_blank_lines() -> None:
    lines = distinct(40)
    spaced = [json.dumps(json.loads(line), indent=None, separators=(", ", " : ")) for line in lines]

    _, validation = split_examples([*lines, "", "\n"], 0.25, seed_key=b"k")
    _, spaced_validation = split_examples(spaced, 0.25, seed_key=b"k")

    assert len(validation) == 10
    assert [lines.index(v) for v in validation] == [spaced.index(v) for v in spaced_validation]


@pytest.mark.parametrize("fraction", [0, -0.1, 0.51, 1, 1.5, float("nan")])
def test_split_fraction_must_be_in_range(fraction: float) -> None:
    with pytest.raises(ValueError, match="validation_fraction"):
        split_examples(distinct(10), fraction, seed_key="k")


def test_split_accepts_half_and_rounds_to_the_nearest_count() -> None:
    train, validation = split_examples(distinct(10), 0.5, seed_key="k")
    assert (len(train), len(validation)) == (5, 5)
    assert len(split_examples(distinct(9), 0.3, seed_key="k")[1]) == 3  # 2.7 -> 3, not 2


def test_shipped_support_dataset_is_clean_and_big_enough() -> None:
    report = validate_file(SHIPPED)

    assert report.ok, line_errors(report)[:5]
    assert report.warnings == ()
    assert report.stats.duplicates == 0
    assert report.stats.examples >= 250
    assert report.stats.multi_turn_examples >= report.stats.examples // 10
    assert report.stats.system_instruction_examples > 0


def test_shipped_support_dataset_keeps_the_seed_answers() -> None:
    seed = {
        "What is your refund policy?": (
            "We offer full refunds within 30 days of purchase with proof of receipt."
        ),
        "How do I track my order?": (
            "Visit our tracking page at example.com/track and enter your order number."
        ),
        "Do you ship internationally?": (
            "Yes, we ship to over 50 countries. Shipping times vary by destination."
        ),
    }
    found = {}
    for line in SHIPPED.read_text(encoding="utf-8").splitlines():
        turns = json.loads(line)["contents"]
        question = turns[0]["parts"][0]["text"]
        if question in seed:
            found[question] = turns[1]["parts"][0]["text"]
    assert found == seed


def test_importing_the_module_stays_cheap() -> None:
    # It is imported at `pulumi preview` time: stdlib and msgspec (the fast path, a few ms) only;
    # pydantic tolerated for the package.
    code = (
        "import json, sys; before = set(sys.modules); import vertex_tuning.dataset; "
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before} "
        "- set(sys.stdlib_module_names))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    allowed = {"vertex_tuning", "msgspec", "pydantic", "pydantic_core", "typing_extensions"}
    assert set(json.loads(out)) <= allowed, out
