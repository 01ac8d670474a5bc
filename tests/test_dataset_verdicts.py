"""The package split and the fast path changed no verdict: the whole corpus, plus thousands of
mutated examples, give what the validator gave before (tests/data/verdicts.json).

verdicts.json was recorded with the single-module validator of commit aa2d5bd
(`git show aa2d5bd:provider/vertex_tuning/dataset.py`) by running `record()` below with its
validate_lines; re-record only when a verdict is meant to change. Messages are compared by rule
tests elsewhere (some gained hints); here ok, counts, stats, and each issue's severity, line and
field path must be identical.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vertex_tuning.dataset import validate_file, validate_lines

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
VERDICTS = DATA / "verdicts.json"
CORPUS = sorted(DATA.glob("*.jsonl")) + sorted((ROOT / "stacks" / "data").glob("*.jsonl"))


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    """What must not change: everything but the source and the wording of messages."""
    return {
        "ok": report["ok"],
        "error_count": report["error_count"],
        "warning_count": report["warning_count"],
        "stats": report["stats"],
        "issues": [[i["severity"], i["line"], i["path"]] for i in report["issues"]],
    }


def _without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != key}


def _edits(example: dict[str, Any]) -> Iterator[Any]:
    """Deterministic variations of one valid example, valid and not."""
    turns = example.get("contents", [])
    yield example
    yield _without(example, "contents")
    yield {**example, "contents": []}
    yield {**example, "contents": turns[:1]}
    yield {**example, "contents": turns + turns[:1]}
    yield {**example, "contents": list(reversed(turns))}
    yield {**example, "extra": 1}
    yield {**example, "content": turns}
    yield {**example, "system_instruction": {"parts": [{"text": "Be brief."}]}}
    yield {**example, "systemInstruction": None}
    yield {**example, "systemInstruction": {"parts": []}}
    yield {**example, "systemInstruction": {"role": 5, "parts": [{"text": "x"}]}}
    yield {**example, "tools": [{"functionDeclarations": [{"name": "f"}]}]}
    yield {**example, "tools": {}}
    yield [example]
    for i in range(len(turns)):
        for change in _turn_edits(turns[i]):
            yield {**example, "contents": [*turns[:i], change, *turns[i + 1 :]]}


def _turn_edits(turn: dict[str, Any]) -> Iterator[Any]:
    parts = turn.get("parts", [])
    yield {**turn, "role": "assistant"}
    yield {**turn, "role": None}
    yield _without(turn, "role")
    yield _without(turn, "parts")
    yield {**turn, "parts": []}
    yield {**turn, "parts": {"text": "x"}}
    yield {**turn, "author": "user"}
    yield {**turn, "parts": [*parts, {"text": ""}]}
    yield {**turn, "parts": [*parts, {"text": " \n"}]}
    yield {**turn, "parts": [*parts, {"text": 7}]}
    yield {**turn, "parts": [*parts, {"text": "a", "fileData": {}}]}
    yield {**turn, "parts": [*parts, {}]}
    yield {**turn, "parts": [*parts, "text"]}
    yield {**turn, "parts": [*parts, {"image": "x"}]}
    yield {
        **turn,
        "parts": [*parts, {"file_data": {"mime_type": "image/png", "file_uri": "gs://b/o"}}],
    }
    yield {**turn, "parts": [*parts, {"fileData": {"mimeType": "png", "fileUri": "gs://b/o"}}]}
    yield {**turn, "parts": [*parts, {"fileData": {"mimeType": "image/png", "fileUri": "/o.png"}}]}
    yield {**turn, "parts": [*parts, {"inlineData": {"mimeType": "image/png", "data": "iVBO"}}]}
    yield {**turn, "parts": [*parts, {"inlineData": {"mimeType": "image/png", "data": ""}}]}
    yield {**turn, "parts": [*parts, {"functionCall": {"name": "f", "args": {"a": 1}}}]}
    yield {**turn, "parts": [*parts, {"functionCall": {"name": ""}}]}
    yield {**turn, "parts": [*parts, {"functionResponse": {"name": "f", "response": {}}}]}
    yield {**turn, "parts": [*parts, {"functionResponse": {"name": "f"}}]}
    yield {**turn, "parts": [*parts, {"text": "x", "videoMetadata": {}}]}
    yield {**turn, "parts": [{"text": p.get("text", "") * 3} for p in parts if isinstance(p, dict)]}


def mutated_lines(validate: Callable[..., Any] = validate_lines) -> list[str]:
    """Every edit of every valid example of the corpus, as JSONL lines."""
    lines: list[str] = []
    seeds: set[bytes] = set()
    for path in CORPUS:
        for raw in path.read_bytes().splitlines()[:: 1 if path.parent == DATA else 8]:
            if raw in seeds:
                continue
            seeds.add(raw)
            try:
                example = json.loads(raw)
            except ValueError:
                continue
            if isinstance(example, dict) and validate([raw]).error_count == 0:
                lines += [json.dumps(copy.deepcopy(e)) for e in _edits(example)]
    return lines


def record(validate: Callable[..., Any]) -> dict[str, Any]:
    """The verdicts of `validate` (a validate_lines) over the corpus and its mutations."""
    found: dict[str, Any] = {}
    for path in CORPUS:
        for purpose in ("training", "validation"):
            with path.open("rb") as handle:
                report = validate(handle, source="", purpose=purpose)
            found[f"{path.relative_to(ROOT)}:{purpose}"] = verdict(report.to_json())
    lines = mutated_lines(validate)
    found["mutations"] = [fingerprint(verdict(validate([line]).to_json())) for line in lines]
    return found


def fingerprint(found: dict[str, Any]) -> str:
    """A short digest of a verdict, so thousands of them fit in a small file."""
    text = json.dumps(found, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


RECORDED: dict[str, Any] = json.loads(VERDICTS.read_text()) if VERDICTS.exists() else {}


@pytest.mark.parametrize("key", sorted(k for k in RECORDED if k != "mutations"))
def test_each_corpus_file_keeps_its_verdict(key: str) -> None:
    name, purpose = key.rsplit(":", 1)
    report = validate_file(ROOT / name, purpose=purpose)  # type: ignore[arg-type]
    assert verdict(report.to_json()) == RECORDED[key]


def test_the_whole_corpus_is_recorded() -> None:
    assert {k.rsplit(":", 1)[0] for k in RECORDED if k != "mutations"} == {
        str(p.relative_to(ROOT)) for p in CORPUS
    }


def test_thousands_of_mutated_examples_keep_their_verdicts() -> None:
    lines = mutated_lines()
    recorded = RECORDED["mutations"]

    assert len(lines) == len(recorded) > 2000
    verdicts = [verdict(validate_lines([line]).to_json()) for line in lines]
    changed = [
        (line, got)
        for line, want, got in zip(lines, recorded, verdicts, strict=True)
        if fingerprint(got) != want
    ]
    assert not changed, changed[:3]
    assert sum(v["ok"] for v in verdicts) > 200, "the mutations must include valid examples"


def strict_verdict(line: str, method: str) -> tuple[bool, tuple[int, int, int, bool]]:
    """The strict path's verdict and counts for one line (what the fast path must match)."""
    from vertex_tuning.dataset import decode
    from vertex_tuning.dataset.rules import CHECKS

    errs: list[tuple[str, str]] = []
    try:
        example = decode.parse(line)
    except decode.JsonError:
        return False, (0, 0, 0, False)
    decode.findings(example, errs)
    turns, system = CHECKS[method](example, errs)
    return not errs, (turns.chars, turns.users, turns.models, system)


def preference_lines() -> list[str]:
    """Preference variations: the corpus's preference files and edits of their examples."""
    lines = []
    for path in sorted((DATA / "preference").glob("*.jsonl")):
        for raw in path.read_text().splitlines():
            lines.append(raw)
            example = json.loads(raw)
            for edit in _edits(example):
                lines.append(json.dumps(edit))
                if isinstance(edit, dict) and isinstance(edit.get("completions"), list):
                    pairs = edit["completions"]
                    lines.append(json.dumps({**edit, "completions": pairs[::-1]}))
                    lines.append(json.dumps({**edit, "completions": pairs[:1] * 2}))
    return lines


@pytest.mark.parametrize("method", ["supervised", "preference"])
def test_the_fast_path_passes_only_what_the_strict_path_passes_with_the_same_counts(
    method: str,
) -> None:
    from vertex_tuning.dataset import typed

    fast = typed.supervised if method == "supervised" else typed.preference
    lines = mutated_lines() + preference_lines()
    # Repeated keys that a decoder keeps quiet about (the last value wins): in the hot fields,
    # and with escaped quotes and backslashes around so the quote count must be exact.
    repeated = [
        line.replace('"role": "user"', '"role": "model", "role": "user"', 1).replace(
            '"text": "', '"text": "\\"\\\\", "text": "', 1
        )
        for line in lines
        if '"role": "user"' in line
    ]
    assert all(fast(line.encode()) is None for line in repeated)
    lines += [line.replace('"text": "', '"text": "say \\"hi\\" \\\\', 1) for line in lines]
    passed = 0
    for line in lines:
        counts = fast(line.encode())
        if counts is not None:
            passed += 1
            assert strict_verdict(line, method) == (True, counts), line
    assert passed > 100
