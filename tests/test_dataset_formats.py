"""The chat formats people bring: named in reports with their mapping, and converted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vertex_tuning.dataset import validate_file, validate_lines
from vertex_tuning.dataset.convert import ConversionError, convert_example, convert_file

CHAT = Path(__file__).parent / "data" / "chat"
DATA = Path(__file__).parent / "data"


def test_an_openai_chat_file_is_named_with_the_mapping_and_the_command() -> None:
    report = validate_file(CHAT / "openai.jsonl")

    message = report.errors[0].message
    assert message.startswith('unknown field "messages" (the OpenAI chat format; ')
    assert 'system -> systemInstruction, assistant -> role "model", content -> parts[].text' in (
        message
    )
    assert "`vertex-tuning convert`" in message


def test_a_gemini_1_0_messages_file_is_named_as_such() -> None:
    report = validate_file(CHAT / "gemini_1_0.jsonl")

    message = report.errors[0].message
    assert message.startswith('unknown field "messages" (the Gemini 1.0 "messages" format; ')
    assert "assistant" not in message
    assert "`vertex-tuning convert`" in message


def test_assistant_as_a_role_gets_use_model() -> None:
    report = validate_file(DATA / "bad_role.jsonl")
    assert report.errors[0].message == (
        'must be "user" or "model", got "assistant" (use "model" for the answers)'
    )


def test_a_truncated_line_reports_the_column_where_it_breaks(tmp_path: Path) -> None:
    # The file's lines end in "\n": the old report said "column 1" (of the line after).
    full = json.dumps(
        {
            "contents": [
                {"role": "user", "parts": [{"text": "What is your refund policy?"}]},
                {"role": "model", "parts": [{"text": "Full refunds within 30 days."}]},
            ]
        }
    )
    cut = full[:107]
    path = tmp_path / "cut.jsonl"
    path.write_text(full + "\n" + cut + "\n" + full.replace("30", "31") + "\n")

    (error,) = validate_file(path).errors

    assert error.line == 2
    assert "(column 108)" in error.message
    assert "is it cut short?" in error.message
    broken = validate_lines(['{"contents": [1 2]}'])
    assert broken.errors[0].message == "not valid JSON: Expecting ',' delimiter (column 17)"


def back_to_chat(example: dict[str, Any], assistant: str) -> list[dict[str, str]]:
    """The inverse mapping, one message per part: what a round trip must give back."""
    messages = [
        {"role": "system", "content": part["text"]}
        for part in example.get("systemInstruction", {}).get("parts", [])
    ]
    for turn in example["contents"]:
        role = assistant if turn["role"] == "model" else "user"
        messages += [{"role": role, "content": part["text"]} for part in turn["parts"]]
    return messages


def flattened(example: dict[str, Any]) -> list[dict[str, str]]:
    messages = []
    for message in example["messages"]:
        role = "system" if message["role"] == "developer" else message["role"]
        content = message["content"]
        texts = [content] if isinstance(content, str) else [p["text"] for p in content]
        messages += [{"role": role, "content": text} for text in texts]
    return messages


@pytest.mark.parametrize(
    ("name", "source", "assistant"),
    [("openai", "openai", "assistant"), ("gemini_1_0", "gemini-1.0", "model")],
)
@pytest.mark.parametrize("given", [True, False], ids=["--from", "detected"])
def test_convert_round_trips_and_the_result_validates(
    tmp_path: Path, name: str, source: str, assistant: str, given: bool
) -> None:
    original = CHAT / f"{name}.jsonl"
    target = tmp_path / "gemini.jsonl"

    result = convert_file(original, target, source if given else None)  # type: ignore[arg-type]

    assert result.ok and result.formats == {source}
    report = validate_file(target)
    assert report.ok, [str(e) for e in report.errors]
    converted = [json.loads(line) for line in target.read_text().splitlines()]
    inputs = [json.loads(line) for line in original.read_text().splitlines()]
    assert report.stats.examples == len(inputs) == result.examples
    assert [back_to_chat(c, assistant) for c in converted] == [flattened(i) for i in inputs]


def test_consecutive_messages_of_one_role_become_one_turn() -> None:
    example = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi."},
            {"role": "user", "content": "My order is late."},
            {"role": "assistant", "content": "Sorry! Which order?"},
        ]
    }
    assert convert_example(example) == {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Hi."}, {"text": "My order is late."}]},
            {"role": "model", "parts": [{"text": "Sorry! Which order?"}]},
        ],
    }


@pytest.mark.parametrize(
    ("example", "fragment"),
    [
        ({"contents": []}, 'expected an object with a "messages" list'),
        ({"messages": [], "tools": []}, 'field "tools" has no Gemini tuning equivalent'),
        (
            {"messages": [{"role": "assistant", "content": None, "tool_calls": []}]},
            'messages[0]: field "tool_calls" has no Gemini tuning equivalent',
        ),
        (
            {"messages": [{"role": "user", "content": "Hi", "weight": 0}]},
            'field "weight" has no Gemini tuning equivalent',
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            'only text content converts, got "image_url"',
        ),
        ({"messages": [{"role": "user", "content": " "}]}, "content: must not be empty"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role: must be one of"),
        (
            {"messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "y"}]},
            "after the conversation started",
        ),
    ],
)
def test_what_has_no_gemini_equivalent_is_an_error_not_dropped(
    example: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ConversionError) as caught:
        convert_example(example)
    assert fragment in str(caught.value)


def test_from_says_which_format_and_a_mismatch_is_an_error() -> None:
    gemini = {"messages": [{"role": "user", "content": "x"}, {"role": "model", "content": "y"}]}
    with pytest.raises(
        ConversionError, match=r'in the Gemini 1\.0 "messages" format, not the OpenAI'
    ):
        convert_example(gemini, "openai")
    assert convert_example(gemini, "gemini-1.0")["contents"][1]["role"] == "model"


def test_a_failed_conversion_names_each_line_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "chat.jsonl"
    good = (CHAT / "openai.jsonl").read_text().splitlines()[0]
    source.write_text("\n".join([good, "{not json", good, '{"messages": [{"role": "x"}]}', ""]))
    target = tmp_path / "out.jsonl"

    result = convert_file(source, target)

    assert not result.ok
    assert [line for line, _ in result.errors] == [2, 4]
    assert "not valid JSON" in result.errors[0][1]
    assert not target.exists()
    assert not list(tmp_path.glob(".convert-*"))  # no temp file left behind
