"""An evaluation set: Gemini tuning JSONL (local or gs://), each example's conversation up to
its last model turn as the prompt, and that turn as the reference."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vertex_tuning import wire


@dataclass(frozen=True)
class Example:
    """One evaluation example: what the candidates are asked, and the answer expected."""

    contents: tuple[dict[str, Any], ...]
    reference: dict[str, Any]
    system_instruction: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user turn's text (what a person reading the report sees as the question)."""
        users = [c for c in self.contents if c.get("role", "user") == "user"]
        return _text(users[-1]) if users else ""

    @property
    def reference_text(self) -> str:
        return _text(self.reference)

    @property
    def reference_tools(self) -> str:
        return wire.tool_calls_json(self.reference)


@dataclass(frozen=True)
class EvaluationSet:
    examples: tuple[Example, ...]
    #: Lines that were not an example ending in a model turn (preference data, blank lines).
    skipped: int = 0


def parse(lines: Iterable[bytes | str], *, max_examples: int = 0) -> EvaluationSet:
    """Examples from JSONL lines; `max_examples` > 0 keeps the first that many."""
    examples: list[Example] = []
    skipped = 0
    for raw in lines:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        example = _example(text)
        if example is None:
            skipped += 1
            continue
        if max_examples and len(examples) >= max_examples:
            break
        examples.append(example)
    return EvaluationSet(tuple(examples), skipped)


def read(source: str, *, storage: Any = None, max_examples: int = 0) -> EvaluationSet:
    """The evaluation set at a local path or a gs:// URI (read with `storage`)."""
    if source.startswith("gs://"):
        from vertex_tuning import gcs

        with gcs.open_lines(storage, source) as lines:
            return parse(lines, max_examples=max_examples)
    with open(source, "rb") as handle:
        return parse(handle, max_examples=max_examples)


def _example(line: str) -> Example | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, Mapping):
        return None
    contents = [c for c in value.get("contents") or [] if isinstance(c, Mapping)]
    last_model = max((i for i, c in enumerate(contents) if c.get("role") == "model"), default=-1)
    if last_model < 1:
        return None
    system = value.get("systemInstruction") or value.get("system_instruction") or {}
    return Example(
        contents=tuple(dict(c) for c in contents[:last_model]),
        reference=dict(contents[last_model]),
        system_instruction=dict(system) if isinstance(system, Mapping) else {},
    )


def text_of(content: Mapping[str, Any]) -> str:
    """A turn's text, without thoughts."""
    return _text(content)


def _text(content: Mapping[str, Any]) -> str:
    return "".join(str(p.get("text", "")) for p in _parts(content) if not p.get("thought"))


def _parts(content: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for part in content.get("parts") or []:
        if isinstance(part, Mapping):
            yield part
