"""Rewrite chat-format JSONL (OpenAI chat, Gemini 1.0 "messages") as Gemini tuning JSONL.

Streaming, line by line, with the validator's reader (regular files only, lines capped): the
input is never held whole. Each example maps as formats.py says: leading system (or developer)
messages become systemInstruction, user turns stay user, assistant (or Gemini 1.0's model)
turns become model, and content becomes text parts; consecutive messages of one role become
one turn with several parts, since Gemini turns alternate. What has no Gemini tuning equivalent
(tool calls, images by URL, OpenAI's per-message weight) is an error on its line, never
silently dropped; with any error the output file is not written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vertex_tuning.dataset import decode
from vertex_tuning.dataset.formats import FORMAT_NAMES, ChatFormat, chat_format
from vertex_tuning.dataset.limits import DEFAULT_LIMITS
from vertex_tuning.dataset.read import chunks_of, lines_of, open_regular
from vertex_tuning.dataset.rules.common import show

__all__ = ["ConversionError", "Converted", "convert_example", "convert_file", "convert_lines"]

ERRORS_KEPT = 100
_MODEL_ROLE: dict[str, str] = {"openai": "assistant", "gemini-1.0": "model"}
_SYSTEM_ROLES = ("system", "developer")
_MESSAGE_FIELDS = frozenset({"role", "content"})


class ConversionError(ValueError):
    """Why one example cannot be converted (the message names the field)."""


@dataclass
class Converted:
    """What a conversion did: examples written, blank lines skipped, errors by line."""

    examples: int = 0
    blank_lines: int = 0
    error_count: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when every line converted."""
        return self.error_count == 0


def convert_example(example: Any, source: ChatFormat | None = None) -> dict[str, Any]:
    """One chat-format example as a Gemini tuning example; ConversionError if it cannot be."""
    if not isinstance(example, dict) or not isinstance(example.get("messages"), list):
        raise ConversionError('not a chat example: expected an object with a "messages" list')
    extra = sorted(set(example) - {"messages"})
    if extra:
        raise ConversionError(f"field {show(extra[0])} has no Gemini tuning equivalent")
    found = chat_format(example)
    if source is not None and found != source and found is not None:
        want = FORMAT_NAMES[source]
        raise ConversionError(f"this line is in {FORMAT_NAMES[found]}, not {want} (--from)")
    model_roles = {_MODEL_ROLE[source]} if source else set(_MODEL_ROLE.values())
    system: list[dict[str, str]] = []
    contents: list[dict[str, Any]] = []
    for index, message in enumerate(example["messages"]):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise ConversionError(f"{where}: must be an object with role and content")
        unknown = sorted(set(message) - _MESSAGE_FIELDS)
        if unknown:
            raise ConversionError(
                f"{where}: field {show(unknown[0])} has no Gemini tuning equivalent"
            )
        role = message.get("role")
        parts = _parts(message.get("content"), f"{where}.content")
        if role in _SYSTEM_ROLES:
            if contents:
                raise ConversionError(
                    f"{where}: a {role} message after the conversation started; Gemini has one "
                    "systemInstruction, before the turns"
                )
            system += parts
            continue
        if role == "user":
            gemini = "user"
        elif role in model_roles:
            gemini = "model"
        else:
            allowed = ", ".join(["system", "user", *sorted(model_roles)])
            raise ConversionError(f"{where}.role: must be one of {allowed}, got {show(role)}")
        if contents and contents[-1]["role"] == gemini:
            contents[-1]["parts"] += parts
        else:
            contents.append({"role": gemini, "parts": parts})
    converted: dict[str, Any] = {}
    if system:
        converted["systemInstruction"] = {"parts": system}
    converted["contents"] = contents
    return converted


def _parts(content: Any, where: str) -> list[dict[str, str]]:
    if isinstance(content, str):
        if not content.strip():
            raise ConversionError(f"{where}: must not be empty")
        return [{"text": content}]
    if isinstance(content, list) and content:
        parts = []
        for index, part in enumerate(content):
            if not isinstance(part, dict) or part.get("type") != "text":
                kind = part.get("type") if isinstance(part, dict) else None
                raise ConversionError(
                    f"{where}[{index}]: only text content converts, got {show(kind)}; put media "
                    "in Cloud Storage and reference it with fileData"
                )
            text = part.get("text")
            if not isinstance(text, str) or not text.strip():
                raise ConversionError(f"{where}[{index}].text: must be a non-empty string")
            parts.append({"text": text})
        return parts
    if content is None:
        raise ConversionError(f"{where}: missing (tool calls have no Gemini tuning equivalent)")
    raise ConversionError(f"{where}: must be a string or a list of text parts")


def convert_lines(
    lines: Iterable[bytes], result: Converted, source: ChatFormat | None = None
) -> Iterator[str]:
    """Converted JSONL lines (with newlines) for input lines; errors land in `result`."""
    for line_no, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
            if not text.strip():
                result.blank_lines += 1
                continue
            if len(raw) > DEFAULT_LIMITS.line_bytes:
                raise ConversionError(f"longer than {DEFAULT_LIMITS.line_bytes:,} bytes")
            example = decode.parse(text)
            problems: list[tuple[str, str]] = []
            decode.findings(example, problems)
            if problems:
                path, message = problems[0]
                raise ConversionError(f"{path}: {message}" if path else message)
            found = chat_format(example)
            converted = convert_example(example, source)
        except (ConversionError, decode.JsonError) as exc:
            _fail(result, line_no, str(exc))
            continue
        except UnicodeDecodeError as exc:
            _fail(result, line_no, f"not valid UTF-8: {exc.reason} (byte {exc.start + 1})")
            continue
        except RecursionError:
            _fail(result, line_no, "nested too deeply")
            continue
        if found:
            result.formats.add(found)
        result.examples += 1
        yield json.dumps(converted, ensure_ascii=False) + "\n"


def _fail(result: Converted, line_no: int, message: str) -> None:
    result.error_count += 1
    if len(result.errors) < ERRORS_KEPT:
        result.errors.append((line_no, message))


def convert_file(
    source_path: str | os.PathLike[str],
    target_path: str | os.PathLike[str],
    source: ChatFormat | None = None,
) -> Converted:
    """Convert a file; the target is written (atomically) only when every line converts."""
    result = Converted()
    target = os.fspath(target_path)
    folder = os.path.dirname(os.path.abspath(target))
    with open_regular(source_path) as (handle, _):
        lines = lines_of(chunks_of(handle), DEFAULT_LIMITS.line_bytes + 1)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".convert-", suffix=".jsonl")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.writelines(convert_lines(lines, result, source))
            if result.ok:
                os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    return result
