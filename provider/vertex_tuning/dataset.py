"""Gemini supervised-tuning JSONL: streaming validation, stats and a deterministic hold-out split.

The format is Vertex AI's "Prepare supervised fine-tuning data for Gemini models"
(cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning-prepare): one
example per line, ``{"systemInstruction"?: Content, "contents": [Content, ...], "tools"?: [...]}``
with the v1 ``Content``/``Part`` shapes. Decisions where the docs leave room:

* Field names: the proto3 JSON mapping lets parsers accept both the lowerCamelCase name and the
  original proto field name (protobuf.dev/programming-guides/json), so ``systemInstruction`` and
  ``system_instruction`` (``fileData``/``file_data``, ``mimeType``/``mime_type``, ...) are both
  accepted; giving both spellings of one field is an error, as in protobuf's own JSON parser.
  Paths in messages use the spelling found in the file.
* Unknown fields are errors (proto JSON parsers reject them unless told to ignore them, and a
  typo such as ``"content"`` would otherwise silently drop data).
* Blank lines are errors: the docs say each line contains a single tuning example, JSON Lines
  allows only a final line terminator, and line-by-line readers (``json.loads`` per line, as in
  Google's sample notebooks) fail on them. A UTF-8 byte order mark is an error for the same
  reason (RFC 8259 section 8.1).
* ``role`` is required on every turn of ``contents`` (Google's dataset-validation notebook treats
  a missing role as an error even though the generic ``Content.role`` is optional); turns must
  alternate ``user``/``model``, start with ``user`` and end with ``model`` (the turn being taught).
  The role of ``systemInstruction`` is ignored by the service and is not checked beyond its type.
* ``systemInstruction`` holds text parts only ("only text should be used in parts" in the v1
  ``GenerateContentRequest.systemInstruction`` reference).
* A part holds exactly one of ``text``, ``inlineData``, ``fileData``, ``functionCall``,
  ``functionResponse`` (the v1 ``Part.data`` union, minus code execution, which tuning does not
  take); ``videoMetadata`` may ride along with ``inlineData``/``fileData`` only.
* Exact duplicates are byte-identical lines (surrounding whitespace ignored). They are warnings:
  the service trains on them, but the seed guide says to remove them.
* Example limits: a training file with any ``fileData``/``inlineData`` part is held to the
  multimodal maximum; fewer than the recommended minimum is a warning, over a maximum an error.
* Stats (turns, characters, tokens, longest) cover valid examples; ``examples`` counts every
  non-blank line, since each is meant to be one example.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from typing import Any, Literal

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_MAX_ISSUES",
    "MAX_MULTIMODAL_TRAINING_EXAMPLES",
    "MAX_TOKENS_PER_EXAMPLE",
    "MAX_TRAINING_EXAMPLES",
    "MAX_VALIDATION_EXAMPLES",
    "MIN_RECOMMENDED_EXAMPLES",
    "DatasetReport",
    "DatasetStats",
    "Issue",
    "Purpose",
    "Severity",
    "format_report",
    "split_examples",
    "validate_file",
    "validate_lines",
]

Severity = Literal["error", "warning"]
Purpose = Literal["training", "validation"]

# Google: "For best results, we recommend that you start with 100 examples" (prepare page) and
# the seed guide's "Minimum 100 examples recommended". Below it is a warning, not an error.
MIN_RECOMMENDED_EXAMPLES = 100
# Limits from "About supervised fine-tuning for Gemini models", Limitations table for Gemini 2.5
# Flash / Flash-Lite / Pro (cloud.google.com/vertex-ai/generative-ai/docs/models/
# gemini-supervised-tuning): "Maximum training dataset size: 1M text-only examples or 300K
# multimodal examples", "Maximum validation dataset size: 5000 examples", "Maximum input and
# output training tokens: 131,072". The seed guide's "10,000 examples per job" is out of date.
MAX_TRAINING_EXAMPLES = 1_000_000
MAX_MULTIMODAL_TRAINING_EXAMPLES = 300_000
MAX_VALIDATION_EXAMPLES = 5_000
MAX_TOKENS_PER_EXAMPLE = 131_072
# "For Gemini models, a token is equivalent to about 4 characters" (Google's token-counting
# docs). Estimated tokens are ceil(text characters / 4), counting text parts (systemInstruction
# included); media and function-call parts are not counted.
CHARS_PER_TOKEN = 4
DEFAULT_MAX_ISSUES = 1000
DUPLICATE_LINES_SHOWN = 10

_ROLES = ("user", "model")
_TOP_FIELDS = {
    "contents": "contents",
    "systemInstruction": "systemInstruction",
    "system_instruction": "systemInstruction",
    "tools": "tools",
}
_CONTENT_FIELDS = {"role": "role", "parts": "parts"}
_PART_KINDS = {
    "text": "text",
    "inlineData": "inlineData",
    "inline_data": "inlineData",
    "fileData": "fileData",
    "file_data": "fileData",
    "functionCall": "functionCall",
    "function_call": "functionCall",
    "functionResponse": "functionResponse",
    "function_response": "functionResponse",
}
_PART_METADATA = {"videoMetadata": "videoMetadata", "video_metadata": "videoMetadata"}
_KIND_NAMES = "text, inlineData, fileData, functionCall, functionResponse"
_MEDIA_KINDS = ("inlineData", "fileData")
_FILE_DATA_FIELDS = {
    "mimeType": "mimeType",
    "mime_type": "mimeType",
    "fileUri": "fileUri",
    "file_uri": "fileUri",
}
_INLINE_DATA_FIELDS = {"mimeType": "mimeType", "mime_type": "mimeType", "data": "data"}
_MIME_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+")
_GCS_URI = re.compile(r"gs://[^/\s]+/\S.*")
# Proto JSON accepts standard and URL-safe base64, padded or not.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_HINTS = {
    "messages": ' (the Gemini 1.0 "messages" format; Gemini tuning reads "contents")',
    "content": ' (did you mean "contents"?)',
    "system": ' (did you mean "systemInstruction"?)',
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: a 1-based line (None for the dataset as a whole), a field path and why."""

    severity: Severity
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = "dataset" if self.line is None else f"line {self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class DatasetStats:
    """Counts over the file; turns, characters and the longest example cover valid examples."""

    examples: int
    valid_examples: int
    user_turns: int
    model_turns: int
    multi_turn_examples: int
    system_instruction_examples: int
    multimodal_examples: int
    text_characters: int
    estimated_tokens: int
    duplicates: int
    duplicate_lines: tuple[int, ...]
    longest_example_line: int | None
    longest_example_characters: int


@dataclass(frozen=True, slots=True)
class DatasetReport:
    """The outcome of a validation: stats, the stored issues and the totals behind them."""

    source: str
    purpose: Purpose
    stats: DatasetStats
    issues: tuple[Issue, ...]
    error_count: int
    warning_count: int

    @property
    def ok(self) -> bool:
        """True when the dataset has no errors (warnings allowed)."""
        return self.error_count == 0

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The stored errors (at most the issue cap of them)."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The stored warnings (at most the issue cap of them)."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def omitted_issues(self) -> int:
        """Issues counted but not stored because of the cap."""
        return self.error_count + self.warning_count - len(self.issues)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with stable snake_case keys (CLI --json, Pulumi outputs)."""
        s = self.stats
        return {
            "source": self.source,
            "purpose": self.purpose,
            "ok": self.ok,
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "omitted_issues": self.omitted_issues,
            "stats": {
                "examples": s.examples,
                "valid_examples": s.valid_examples,
                "user_turns": s.user_turns,
                "model_turns": s.model_turns,
                "multi_turn_examples": s.multi_turn_examples,
                "system_instruction_examples": s.system_instruction_examples,
                "multimodal_examples": s.multimodal_examples,
                "text_characters": s.text_characters,
                "estimated_tokens": s.estimated_tokens,
                "duplicates": s.duplicates,
                "duplicate_lines": list(s.duplicate_lines),
                "longest_example_line": s.longest_example_line,
                "longest_example_characters": s.longest_example_characters,
            },
            "issues": [
                {"severity": i.severity, "line": i.line, "path": i.path, "message": i.message}
                for i in self.issues
            ],
        }


# --- per-example checks ------------------------------------------------------------------------
# Each check appends (path, message) pairs to `errs` and builds path strings only on failure, so
# a valid line costs little more than json.loads.

_Errors = list[tuple[str, str]]


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _fields(
    obj: dict[str, Any], known: dict[str, str], path: str, errs: _Errors, expected: str
) -> dict[str, tuple[str, Any]]:
    """Map canonical field name -> (spelling, value); report unknown and doubly spelled fields."""
    found: dict[str, tuple[str, Any]] = {}
    for key, value in obj.items():
        canon = known.get(key)
        if canon is None:
            hint = _HINTS.get(key, "") if not path else ""
            errs.append((path, f'unknown field "{key}"{hint}; expected {expected}'))
        elif canon in found:
            errs.append((path, f'both "{found[canon][0]}" and "{key}" given; use one'))
        else:
            found[canon] = (key, value)
    return found


def _check_mime(value: Any, path: str, errs: _Errors) -> None:
    if not isinstance(value, str) or not _MIME_TYPE.fullmatch(value):
        errs.append((path, f'must be a MIME type such as "image/png", got {_show(value)}'))


def _check_file_data(value: Any, path: str, errs: _Errors) -> None:
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with mimeType and fileUri, got {_kind(value)}"))
        return
    found = _fields(value, _FILE_DATA_FIELDS, path, errs, "mimeType, fileUri")
    if "mimeType" not in found:
        errs.append((_join(path, "mimeType"), "required"))
    else:
        key, mime = found["mimeType"]
        _check_mime(mime, _join(path, key), errs)
    if "fileUri" not in found:
        errs.append((_join(path, "fileUri"), "required: a gs://bucket/object URI"))
    else:
        key, uri = found["fileUri"]
        if not isinstance(uri, str) or not _GCS_URI.fullmatch(uri):
            errs.append(
                (
                    _join(path, key),
                    f"must be a Cloud Storage URI gs://bucket/object, got {_show(uri)}",
                )
            )


def _check_inline_data(value: Any, path: str, errs: _Errors) -> None:
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with mimeType and data, got {_kind(value)}"))
        return
    found = _fields(value, _INLINE_DATA_FIELDS, path, errs, "mimeType, data")
    if "mimeType" not in found:
        errs.append((_join(path, "mimeType"), "required"))
    else:
        key, mime = found["mimeType"]
        _check_mime(mime, _join(path, key), errs)
    if "data" not in found:
        errs.append((_join(path, "data"), "required: base64-encoded bytes"))
    else:
        data = found["data"][1]
        if not isinstance(data, str) or not _BASE64.fullmatch(data):
            errs.append((_join(path, "data"), "must be non-empty base64-encoded bytes"))


def _check_function(value: Any, path: str, errs: _Errors, payload: str | None) -> None:
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with a name, got {_kind(value)}"))
        return
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        errs.append((_join(path, "name"), "required: the function's name"))
    if payload is None:
        args = value.get("args")
        if args is not None and not isinstance(args, dict):
            errs.append((_join(path, "args"), f"must be an object, got {_kind(args)}"))
    elif not isinstance(value.get(payload), dict):
        errs.append((_join(path, payload), "required: an object with the function's result"))


def _check_parts(value: Any, path: str, errs: _Errors, text_only: bool) -> tuple[int, bool]:
    """Check a parts list; return (text characters, has media)."""
    if not isinstance(value, list):
        errs.append((path, f"must be a non-empty list of parts, got {_kind(value)}"))
        return 0, False
    if not value:
        errs.append((path, "must not be empty"))
        return 0, False
    chars = 0
    media = False
    for j, part in enumerate(value):
        if isinstance(part, dict) and len(part) == 1:
            text = part.get("text")
            if isinstance(text, str) and text and not text.isspace():
                chars += len(text)
                continue
        ppath = f"{path}[{j}]"
        if not isinstance(part, dict):
            errs.append((ppath, f'must be an object such as {{"text": ...}}, got {_kind(part)}'))
            continue
        kinds: list[tuple[str, str, Any]] = []
        metadata: str | None = None
        unknown = False
        for key, item in part.items():
            canon = _PART_KINDS.get(key)
            if canon is not None:
                kinds.append((canon, key, item))
            elif key in _PART_METADATA:
                metadata = key
            else:
                unknown = True
                errs.append((ppath, f'unknown field "{key}"; a part holds one of {_KIND_NAMES}'))
        if not kinds:
            if not unknown:
                errs.append((ppath, f"must hold exactly one of {_KIND_NAMES}; found none"))
            continue
        if len(kinds) > 1:
            names = " and ".join(f'"{key}"' for _, key, _ in kinds)
            errs.append((ppath, f"must hold exactly one of {_KIND_NAMES}; found {names}"))
            continue
        canon, key, item = kinds[0]
        kpath = f"{ppath}.{key}"
        if metadata is not None and canon not in _MEDIA_KINDS:
            errs.append((f"{ppath}.{metadata}", "only allowed with inlineData or fileData"))
        if text_only and canon != "text":
            errs.append((ppath, f'only text parts are accepted here, found "{key}"'))
            continue
        if canon == "text":
            if not isinstance(item, str):
                errs.append((kpath, f"must be a string, got {_kind(item)}"))
            elif not item:
                errs.append((kpath, "must not be empty"))
            elif item.isspace():
                errs.append((kpath, "must not be empty (only whitespace)"))
            else:
                chars += len(item)
        elif canon == "fileData":
            media = True
            _check_file_data(item, kpath, errs)
        elif canon == "inlineData":
            media = True
            _check_inline_data(item, kpath, errs)
        elif canon == "functionCall":
            _check_function(item, kpath, errs, None)
        else:
            _check_function(item, kpath, errs, "response")
    return chars, media


def _check_system_instruction(value: Any, path: str, errs: _Errors) -> int:
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with parts, got {_kind(value)}"))
        return 0
    found = _fields(value, _CONTENT_FIELDS, path, errs, "role, parts")
    if "role" in found and not isinstance(found["role"][1], str):
        errs.append(
            (f"{path}.role", f"must be a string (it is ignored), got {_kind(found['role'][1])}")
        )
    if "parts" not in found:
        errs.append((f"{path}.parts", "required: a non-empty list of text parts"))
        return 0
    return _check_parts(found["parts"][1], f"{path}.parts", errs, text_only=True)[0]


def _check_contents(value: Any, errs: _Errors) -> tuple[int, int, int, bool]:
    """Check the turns; return (text characters, user turns, model turns, has media)."""
    if not isinstance(value, list):
        errs.append(("contents", f"must be a list of turns, got {_kind(value)}"))
        return 0, 0, 0, False
    if not value:
        errs.append(("contents", 'must not be empty: an example needs a "user" and a "model" turn'))
        return 0, 0, 0, False
    chars = users = models = 0
    media = False
    previous: str | None = None
    for i, content in enumerate(value):
        if not isinstance(content, dict):
            errs.append(
                (f"contents[{i}]", f"must be an object with role and parts, got {_kind(content)}")
            )
            previous = None
            continue
        role = content.get("role")
        parts = content.get("parts")
        if len(content) != 2 or parts is None or role is None:
            found = _fields(content, _CONTENT_FIELDS, f"contents[{i}]", errs, "role, parts")
            role = found.get("role", ("", None))[1]
            parts = found.get("parts", ("", None))[1]
        current: str | None = None
        if role is None:
            errs.append((f"contents[{i}].role", 'required: "user" or "model"'))
        elif role not in _ROLES:
            errs.append((f"contents[{i}].role", f'must be "user" or "model", got {_show(role)}'))
        else:
            current = role
            if i == 0 and role != "user":
                errs.append(
                    ("contents[0].role", 'must be "user": the conversation starts with the user')
                )
            elif role == previous:
                other = "model" if role == "user" else "user"
                errs.append((f"contents[{i}].role", f'must be "{other}" after "{previous}"'))
            if role == "user":
                users += 1
            else:
                models += 1
        previous = current
        if parts is None:
            errs.append((f"contents[{i}].parts", "required: a non-empty list of parts"))
        else:
            if type(parts) is list and len(parts) == 1:  # the common turn: one text part
                part = parts[0]
                if type(part) is dict and len(part) == 1:
                    text = part.get("text")
                    if type(text) is str and text and not text.isspace():
                        chars += len(text)
                        continue
            part_chars, part_media = _check_parts(
                parts, f"contents[{i}].parts", errs, text_only=False
            )
            chars += part_chars
            media = media or part_media
    if previous == "user":
        last = len(value) - 1
        errs.append(
            (
                f"contents[{last}].role",
                'must be "model": the conversation ends with the model\'s answer',
            )
        )
    return chars, users, models, media


def _check_example(obj: Any, errs: _Errors) -> tuple[int, int, int, bool, bool]:
    """Check one parsed line; return (chars, user turns, model turns, has media, has system)."""
    if not isinstance(obj, dict):
        errs.append(("", f'must be a JSON object with "contents", got {_kind(obj)}'))
        return 0, 0, 0, False, False
    if len(obj) == 1 and "contents" in obj:
        found: dict[str, tuple[str, Any]] = {"contents": ("contents", obj["contents"])}
    else:
        found = _fields(obj, _TOP_FIELDS, "", errs, "contents, systemInstruction, tools")
    chars = 0
    system = False
    if "systemInstruction" in found:
        key, value = found["systemInstruction"]
        if value is not None:  # proto JSON reads null as "not set"
            system = True
            chars += _check_system_instruction(value, key, errs)
    if "tools" in found:
        tools = found["tools"][1]
        if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
            errs.append(("tools", "must be a list of Tool objects"))
    if "contents" not in found:
        errs.append(("contents", 'required: the list of "user" and "model" turns'))
        return chars, 0, 0, False, system
    content_chars, users, models, media = _check_contents(found["contents"][1], errs)
    return chars + content_chars, users, models, media, system


# --- the streaming pass ------------------------------------------------------------------------


def _digest(line: bytes) -> int:
    """A nonzero 8-byte digest of a line: exact duplicates are byte-identical examples."""
    return int.from_bytes(hashlib.blake2b(line.strip(), digest_size=8).digest(), "big") or 1


class _DigestSet:
    """Open-addressing set of nonzero 64-bit digests in an array: 16-32 bytes per example where
    a set of Python ints takes about 100, so a million-example file costs ~30 MB, not ~100."""

    __slots__ = ("_mask", "_size", "_table")

    def __init__(self) -> None:
        self._table = array("Q", [0]) * 1024
        self._mask = 1023
        self._size = 0

    def add(self, digest: int) -> bool:
        """Insert a digest; False when it was already present."""
        table, mask = self._table, self._mask
        index = digest & mask  # digests are uniform, so their low bits index well
        while (slot := table[index]) != 0:
            if slot == digest:
                return False
            index = (index + 1) & mask
        table[index] = digest
        self._size += 1
        if self._size * 2 > mask:  # keep the load under 1/2 so probes stay short
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        self._table = array("Q", [0]) * (2 * len(old))
        self._mask = len(self._table) - 1
        table, mask = self._table, self._mask
        for digest in old:
            if digest:
                index = digest & mask
                while table[index] != 0:
                    index = (index + 1) & mask
                table[index] = digest


class _Collector:
    __slots__ = ("cap", "errors", "issues", "warnings")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.issues: list[Issue] = []
        self.errors = 0
        self.warnings = 0

    def add(self, severity: Severity, line: int | None, path: str, message: str) -> None:
        if severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.issues) < self.cap:
            self.issues.append(Issue(severity, line, path, message))


def validate_lines(
    lines: Iterable[bytes | str],
    *,
    source: str = "<stream>",
    purpose: Purpose = "training",
    max_issues: int = DEFAULT_MAX_ISSUES,
) -> DatasetReport:
    """Validate JSONL lines (one example per item) in one pass and constant memory."""
    if max_issues < 0:
        raise ValueError(f"max_issues must be >= 0, got {max_issues}")
    out = _Collector(max_issues)
    seen = _DigestSet()
    line_no = examples = valid = users = models = multi_turn = systems = multimodal = 0
    characters = longest_chars = duplicates = 0
    longest_line: int | None = None
    duplicate_lines: list[int] = []
    token_limit_chars = MAX_TOKENS_PER_EXAMPLE * CHARS_PER_TOKEN
    errs: _Errors = []
    for line_no, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            data = raw
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                examples += 1
                out.add(
                    "error", line_no, "", f"not valid UTF-8: {exc.reason} (byte {exc.start + 1})"
                )
                continue
        else:
            text = raw
            data = raw.encode("utf-8", "surrogatepass")
        if line_no == 1 and text.startswith("\ufeff"):
            out.add(
                "error", 1, "", "starts with a byte order mark; save the file as UTF-8 without BOM"
            )
            text = text[1:]
        if not text or text.isspace():
            out.add("error", line_no, "", "blank line: every line must hold one example")
            continue
        examples += 1
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            out.add("error", line_no, "", f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            out.add("error", line_no, "", "not valid JSON: nested too deeply")
            continue
        if not seen.add(_digest(data)):
            duplicates += 1
            if len(duplicate_lines) < DUPLICATE_LINES_SHOWN:
                duplicate_lines.append(line_no)
            out.add("warning", line_no, "", "duplicate of an earlier example")
        chars, n_user, n_model, media, system = _check_example(obj, errs)
        if errs:
            for path, message in errs:
                out.add("error", line_no, path, message)
            errs.clear()
            continue
        valid += 1
        users += n_user
        models += n_model
        multi_turn += n_model > 1
        systems += system
        multimodal += media
        characters += chars
        if chars > longest_chars:
            longest_chars, longest_line = chars, line_no
        if chars > token_limit_chars:
            out.add(
                "warning",
                line_no,
                "",
                f"about {math.ceil(chars / CHARS_PER_TOKEN):,} tokens (estimated), over the "
                f"{MAX_TOKENS_PER_EXAMPLE:,}-token limit per example; the service truncates it",
            )
    # Dataset-level findings lead the report and are kept whatever the cap.
    head = _Collector(cap=10)
    if examples == 0:
        what = "the file is empty" if line_no == 0 else "only blank lines"
        head.add("error", None, "", f"no examples: {what}")
    limit, why = _example_limit(purpose, multimodal)
    if examples > limit:
        head.add("error", None, "", f"{examples:,} examples, over the maximum of {limit:,} {why}")
    if purpose == "training" and 0 < examples < MIN_RECOMMENDED_EXAMPLES:
        head.add(
            "warning",
            None,
            "",
            f"only {examples} examples; at least {MIN_RECOMMENDED_EXAMPLES} are recommended",
        )
    stats = DatasetStats(
        examples=examples,
        valid_examples=valid,
        user_turns=users,
        model_turns=models,
        multi_turn_examples=multi_turn,
        system_instruction_examples=systems,
        multimodal_examples=multimodal,
        text_characters=characters,
        estimated_tokens=math.ceil(characters / CHARS_PER_TOKEN),
        duplicates=duplicates,
        duplicate_lines=tuple(duplicate_lines),
        longest_example_line=longest_line,
        longest_example_characters=longest_chars,
    )
    return DatasetReport(
        source=source,
        purpose=purpose,
        stats=stats,
        issues=tuple(head.issues + out.issues),
        error_count=head.errors + out.errors,
        warning_count=head.warnings + out.warnings,
    )


def _example_limit(purpose: Purpose, multimodal: int) -> tuple[int, str]:
    if purpose == "validation":
        return MAX_VALIDATION_EXAMPLES, "for a validation dataset"
    if multimodal:
        return MAX_MULTIMODAL_TRAINING_EXAMPLES, "for a multimodal training dataset"
    return MAX_TRAINING_EXAMPLES, "for a training dataset"


def validate_file(
    path: str | PathLike[str],
    *,
    purpose: Purpose = "training",
    max_issues: int = DEFAULT_MAX_ISSUES,
) -> DatasetReport:
    """Validate a local JSONL file, streaming it line by line."""
    with open(path, "rb") as handle:
        return validate_lines(handle, source=str(path), purpose=purpose, max_issues=max_issues)


# --- the hold-out split ------------------------------------------------------------------------


def split_examples(
    lines: Iterable[bytes | str],
    validation_fraction: float,
    *,
    seed_key: str | bytes,
) -> tuple[list[str], list[str]]:
    """Split examples into (train, validation) deterministically by a keyed hash of each one.

    The validation set is the round(n * fraction) examples with the smallest keyed hash, so the
    fraction is exact over the file and adding an example moves at most one other across the
    boundary. Lines come back in file order, without line terminators; blank lines are dropped.
    """
    if not isinstance(validation_fraction, int | float) or not 0 < validation_fraction <= 0.5:
        raise ValueError(f"validation_fraction must be in (0, 0.5], got {validation_fraction!r}")
    key = seed_key.encode() if isinstance(seed_key, str) else seed_key
    key = hashlib.blake2b(key, digest_size=32).digest()  # any length in, a valid blake2b key out
    kept: list[str] = []
    scores: list[tuple[bytes, int]] = []
    for raw in lines:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n")
        if not text or text.isspace():
            continue
        try:
            content = json.dumps(
                json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
        except ValueError:
            content = text.strip()
        score = hashlib.blake2b(content.encode(), digest_size=8, key=key).digest()
        scores.append((score, len(kept)))
        kept.append(text)
    count = round(len(kept) * validation_fraction)
    chosen = {index for _, index in sorted(scores)[:count]}
    train = [text for index, text in enumerate(kept) if index not in chosen]
    validation = [text for index, text in enumerate(kept) if index in chosen]
    return train, validation


# --- the human report --------------------------------------------------------------------------


def format_report(report: DatasetReport) -> str:
    """A readable multi-line report: verdict, stats, then issues grouped by line."""
    s = report.stats
    verdict = "OK" if report.ok else "INVALID"
    lines = [
        f"{report.source}: {verdict} ({_plural(report.error_count, 'error')}, "
        f"{_plural(report.warning_count, 'warning')}) [{report.purpose} dataset]",
        f"  examples    {s.examples:,} ({s.valid_examples:,} valid, "
        f"{s.multi_turn_examples:,} multi-turn, {s.system_instruction_examples:,} with "
        f"systemInstruction, {s.multimodal_examples:,} multimodal)",
        f"  turns       {s.user_turns:,} user / {s.model_turns:,} model",
        f"  text        {s.text_characters:,} characters, ~{s.estimated_tokens:,} tokens "
        f"(characters / {CHARS_PER_TOKEN})",
    ]
    if s.longest_example_line is not None:
        lines.append(
            f"  longest     line {s.longest_example_line} "
            f"({s.longest_example_characters:,} characters)"
        )
    dup = f"  duplicates  {s.duplicates:,}"
    if s.duplicate_lines:
        more = ", ..." if s.duplicates > len(s.duplicate_lines) else ""
        dup += f" (lines {', '.join(map(str, s.duplicate_lines))}{more})"
    lines.append(dup)
    group: int | str | None = "none yet"
    for issue in report.issues:
        if issue.line != group:
            group = issue.line
            lines.append("dataset:" if issue.line is None else f"line {issue.line}:")
        where = f"{issue.path}: " if issue.path else ""
        lines.append(f"  {issue.severity:<7} {where}{issue.message}")
    if report.omitted_issues:
        lines.append(f"... and {_plural(report.omitted_issues, 'more issue')}")
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
