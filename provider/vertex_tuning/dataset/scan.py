"""The streaming pass: every line through the typed fast path, or the strict path and the rules.

Decisions where the docs leave room:

* Blank lines are errors: the docs say each line contains a single tuning example, JSON Lines
  allows only a final line terminator, and line-by-line readers (``json.loads`` per line, as in
  Google's sample notebooks) fail on them. A UTF-8 byte order mark is an error for the same
  reason (RFC 8259 section 8.1).
* Exact duplicates are byte-identical lines (surrounding whitespace ignored). They are warnings:
  the service trains on them, but the seed guide says to remove them.
* A line over Limits.line_bytes is reported unread (see limits.py for the derivation).
* Example limits: a training file with any fileData/inlineData part is held to the multimodal
  maximum; fewer than the recommended minimum is a warning, over a maximum an error.
* Stats (turns, characters, tokens, longest) cover valid examples; ``examples`` counts every
  non-blank line, since each is meant to be one example. Tokens are estimated (characters / 4).
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from vertex_tuning.dataset import decode, typed
from vertex_tuning.dataset.limits import (
    CHARS_PER_TOKEN,
    DEFAULT_LIMITS,
    MIN_RECOMMENDED_EXAMPLES,
    Limits,
)
from vertex_tuning.dataset.read import chunks_of, lines_of, open_regular
from vertex_tuning.dataset.report import (
    DatasetReport,
    DatasetStats,
    Issue,
    Method,
    Purpose,
    Severity,
)
from vertex_tuning.dataset.rules import CHECKS, Errors

__all__ = ["DEFAULT_MAX_ISSUES", "DUPLICATE_LINES_SHOWN", "validate_file", "validate_lines"]

DEFAULT_MAX_ISSUES = 1000
DUPLICATE_LINES_SHOWN = 10
_MASK64 = (1 << 64) - 1
_FAST = {"supervised": typed.supervised, "preference": typed.preference}


class _DigestSet:
    """Open-addressing set of nonzero 64-bit digests in an array: 16-32 bytes per example where
    a set of Python ints takes about 100, so a million-example file costs ~30 MB, not ~100."""

    __slots__ = ("mask", "size", "table")

    def __init__(self) -> None:
        self.table = array("Q", [0]) * 1024
        self.mask = 1023
        self.size = 0

    def add(self, digest: int) -> bool:
        """Insert a digest; False when it was already present (_Scan.run inlines this)."""
        table, mask = self.table, self.mask
        index = digest & mask  # digests are uniform, so their low bits index well
        while (slot := table[index]) != 0:
            if slot == digest:
                return False
            index = (index + 1) & mask
        table[index] = digest
        self.size += 1
        if self.size * 2 > mask:  # keep the load under 1/2 so probes stay short
            self.grow()
        return True

    def grow(self) -> None:
        """Double the table."""
        old = self.table
        self.table = array("Q", [0]) * (2 * len(old))
        self.mask = len(self.table) - 1
        table, mask = self.table, self.mask
        for digest in old:
            if digest:
                index = digest & mask
                while table[index] != 0:
                    index = (index + 1) & mask
                table[index] = digest


def _digest(line: bytes) -> int:
    """A nonzero 64-bit digest of a line for this run (Python's keyed SipHash of the bytes)."""
    return (hash(line.strip()) & _MASK64) or 1


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


class _Scan:
    """Counters of one pass; `line` takes each line, `report` sums up."""

    def __init__(self, method: Method, limits: Limits, max_issues: int) -> None:
        self.method = method
        self.limits = limits
        self.out = _Collector(max_issues)
        self.seen = _DigestSet()
        self.check = CHECKS[method]
        self.lines = self.examples = self.valid = self.users = self.models = 0
        self.multi_turn = self.systems = self.multimodal = self.characters = 0
        self.longest_chars = self.duplicates = self.bytes = 0
        self.longest_line: int | None = None
        self.duplicate_lines: list[int] = []

    def run(self, lines: Iterable[bytes]) -> None:
        """Take every line. Valid lines are counted in locals, with the digest set inlined: it
        is the hot path, and an attribute update or a call per line costs as much as a check.
        The strict path counts on the instance; the two are summed at the end."""
        fast = _FAST[self.method]
        cap = self.limits.line_bytes
        token_chars = self.limits.tokens_per_example * CHARS_PER_TOKEN
        seen = self.seen
        table, mask = seen.table, seen.mask
        line_no = size = valid = users = models = multi_turn = systems = characters = 0
        longest_chars, longest_line = 0, None
        for line_no, raw in enumerate(lines, start=1):
            size += len(raw) + 1
            if len(raw) > cap:
                self._too_long(line_no)
                continue
            counts = fast(raw)
            if counts is None:
                self._strict(line_no, raw)
                table, mask = seen.table, seen.mask  # it may have grown
                continue
            digest = (hash(raw.strip()) & _MASK64) or 1
            index = digest & mask
            while (slot := table[index]) != 0 and slot != digest:
                index = (index + 1) & mask
            if slot:
                self._duplicate(line_no)
            else:
                table[index] = digest
                seen.size += 1
                if seen.size * 2 > mask:
                    seen.grow()
                    table, mask = seen.table, seen.mask
            chars, n_user, n_model, system = counts
            valid += 1
            users += n_user
            models += n_model
            multi_turn += n_model > 1
            systems += system
            characters += chars
            if chars > longest_chars:
                longest_chars, longest_line = chars, line_no
            if chars > token_chars:
                self._over_tokens(line_no, chars)
        self.lines = line_no
        self.bytes = max(self.bytes, size)
        self.examples += valid
        self.valid += valid
        self.users += users
        self.models += models
        self.multi_turn += multi_turn
        self.systems += systems
        self.characters += characters
        if longest_line is not None and (
            longest_chars > self.longest_chars
            or (longest_chars == self.longest_chars and longest_line < (self.longest_line or 0))
        ):
            self.longest_chars, self.longest_line = longest_chars, longest_line

    def _accept(
        self,
        line_no: int,
        chars: int,
        users: int,
        models: int,
        system: bool,
        media: bool,
        token_chars: int,
    ) -> None:
        self.valid += 1
        self.users += users
        self.models += models
        self.multi_turn += models > 1
        self.systems += system
        self.multimodal += media
        self.characters += chars
        if chars > self.longest_chars:
            self.longest_chars, self.longest_line = chars, line_no
        if chars > token_chars:
            self._over_tokens(line_no, chars)

    def _over_tokens(self, line_no: int, chars: int) -> None:
        self.out.add(
            "warning",
            line_no,
            "",
            f"about {math.ceil(chars / CHARS_PER_TOKEN):,} tokens (estimated), over the "
            f"{self.limits.tokens_per_example:,}-token limit per example; the service truncates it",
        )

    def _duplicate(self, line_no: int) -> None:
        self.duplicates += 1
        if len(self.duplicate_lines) < DUPLICATE_LINES_SHOWN:
            self.duplicate_lines.append(line_no)
        self.out.add("warning", line_no, "", "duplicate of an earlier example")

    def _too_long(self, line_no: int) -> None:
        self.examples += 1
        limits = self.limits
        self.out.add(
            "error",
            line_no,
            "",
            f"longer than {limits.line_bytes:,} bytes, more than an example within the "
            f"{limits.tokens_per_example:,}-token limit per example can take ({CHARS_PER_TOKEN} "
            "characters per token, up to 4 bytes each, doubled for JSON); not read. Put large "
            "media in Cloud Storage and reference it with fileData",
        )

    def _strict(self, line_no: int, raw: bytes) -> None:
        """The strict path: decode, parse and check, naming every problem on the line."""
        out = self.out
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.examples += 1
            out.add("error", line_no, "", _utf8_problem(raw, exc))
            return
        if line_no == 1 and text.startswith("\ufeff"):
            out.add(
                "error", 1, "", "starts with a byte order mark; save the file as UTF-8 without BOM"
            )
            text = text[1:]
        text = text.rstrip("\r\n")
        if not text or text.isspace():
            out.add("error", line_no, "", "blank line: every line must hold one example")
            return
        self.examples += 1
        try:
            obj = decode.parse(text)
        except decode.JsonError as exc:
            out.add("error", line_no, "", str(exc))
            return
        if not self.seen.add(_digest(raw)):
            self._duplicate(line_no)
        errs: Errors = []
        try:
            decode.findings(obj, errs)
            turns, system = self.check(obj, errs)
        except RecursionError:
            errs.append(("", "nested too deeply to check"))
        if errs:
            for path, message in errs:
                out.add("error", line_no, path, message)
            return
        token_chars = self.limits.tokens_per_example * CHARS_PER_TOKEN
        self._accept(
            line_no, turns.chars, turns.users, turns.models, system, turns.media, token_chars
        )

    def report(self, source: str, purpose: Purpose) -> DatasetReport:
        # Dataset-level findings lead the report and are kept whatever the cap.
        head = _Collector(cap=10)
        limits = self.limits
        if self.examples == 0:
            what = "the file is empty" if self.lines == 0 else "only blank lines"
            head.add("error", None, "", f"no examples: {what}")
        if self.bytes > limits.file_bytes:
            head.add(
                "error",
                None,
                "",
                f"{self.bytes:,} bytes, over the maximum file size of {limits.file_bytes:,} "
                "bytes for a JSONL dataset",
            )
        limit, why = _example_limit(purpose, self.multimodal, limits)
        if self.examples > limit:
            head.add(
                "error",
                None,
                "",
                f"{self.examples:,} examples, over the maximum of {limit:,} {why}",
            )
        if purpose == "training" and 0 < self.examples < MIN_RECOMMENDED_EXAMPLES:
            head.add(
                "warning",
                None,
                "",
                f"only {self.examples} examples; at least {MIN_RECOMMENDED_EXAMPLES} are "
                "recommended",
            )
        stats = DatasetStats(
            examples=self.examples,
            valid_examples=self.valid,
            user_turns=self.users,
            model_turns=self.models,
            multi_turn_examples=self.multi_turn,
            system_instruction_examples=self.systems,
            multimodal_examples=self.multimodal,
            text_characters=self.characters,
            estimated_tokens=math.ceil(self.characters / CHARS_PER_TOKEN),
            duplicates=self.duplicates,
            duplicate_lines=tuple(self.duplicate_lines),
            longest_example_line=self.longest_line,
            longest_example_characters=self.longest_chars,
        )
        return DatasetReport(
            source=source,
            purpose=purpose,
            stats=stats,
            issues=tuple(head.issues + self.out.issues),
            error_count=head.errors + self.out.errors,
            warning_count=head.warnings + self.out.warnings,
            method=self.method,
        )


def _utf8_problem(raw: bytes, exc: UnicodeDecodeError) -> str:
    try:
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return f"not valid UTF-8: {exc.reason} (byte {exc.start + 1})"
    column = next(i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff") + 1
    return (
        f"not valid UTF-8: a lone UTF-16 surrogate (\\u{ord(text[column - 1]):04x}) at column "
        f"{column}, which is not Unicode text; the service rejects it"
    )


def _example_limit(purpose: Purpose, multimodal: int, limits: Limits) -> tuple[int, str]:
    if purpose == "validation":
        return limits.validation_examples, "for a validation dataset"
    if multimodal:
        return limits.multimodal_training_examples, "for a multimodal training dataset"
    return limits.training_examples, "for a training dataset"


def _as_bytes(lines: Iterable[bytes | str]) -> Iterator[bytes]:
    """Items of any iterable as bytes without their line terminator."""
    for raw in lines:
        data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        yield data[:-1] if data.endswith(b"\n") else data


def _check_args(max_issues: int, method: str) -> None:
    if max_issues < 0:
        raise ValueError(f"max_issues must be >= 0, got {max_issues}")
    if method not in _FAST:
        raise ValueError(f"method must be one of {', '.join(_FAST)}, got {method!r}")


def validate_lines(
    lines: Iterable[bytes | str] | Any,
    *,
    source: str = "<stream>",
    purpose: Purpose = "training",
    max_issues: int = DEFAULT_MAX_ISSUES,
    method: Method = "supervised",
    limits: Limits = DEFAULT_LIMITS,
) -> DatasetReport:
    """Validate JSONL lines (one example per item, or a binary file) in one pass.

    Memory stays bounded: a file-like object (anything with ``read``) is read in chunks and cut
    at `limits.line_bytes` per line; items of other iterables are taken as they come.
    """
    _check_args(max_issues, method)
    if hasattr(lines, "read"):
        stream: Iterable[bytes] = lines_of(chunks_of(lines), limits.line_bytes)
    else:
        stream = _as_bytes(lines)
    scan = _Scan(method, limits, max_issues)
    scan.run(stream)
    return scan.report(source, purpose)


def validate_file(
    path: str | os.PathLike[str],
    *,
    purpose: Purpose = "training",
    max_issues: int = DEFAULT_MAX_ISSUES,
    method: Method = "supervised",
    limits: Limits = DEFAULT_LIMITS,
    on_chunk: Callable[[bytes], object] | None = None,
) -> DatasetReport:
    """Validate a local JSONL file, streaming it; only regular files (read.NotRegularFile).

    `on_chunk` sees every byte read, in order (a hash of the content, for instance).
    """
    _check_args(max_issues, method)
    scan = _Scan(method, limits, max_issues)
    with open_regular(path) as (handle, size):
        scan.bytes = size
        scan.run(lines_of(chunks_of(handle, on_chunk), limits.line_bytes))
    return scan.report(str(path), purpose)
