"""What a validation returns (Issue, DatasetStats, DatasetReport) and the human report.

Everything a report shows can come from the file (field names, values, the file's own name), so
text is made printable once, here: lone surrogates and undecodable bytes become backslash
escapes, and a report never fails to print whatever the input held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from vertex_tuning.dataset.limits import CHARS_PER_TOKEN

__all__ = [
    "DatasetReport",
    "DatasetStats",
    "Issue",
    "Method",
    "Purpose",
    "Severity",
    "format_report",
    "printable",
]

Severity = Literal["error", "warning"]
Purpose = Literal["training", "validation"]
#: The tuning method the data is for: its format and its rules.
Method = Literal["supervised", "preference"]


def printable(text: str) -> str:
    """`text` with lone surrogates as backslash escapes, so it encodes as UTF-8 anywhere."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: a 1-based line (None for the dataset as a whole), a field path and why."""

    severity: Severity
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = "dataset" if self.line is None else f"line {self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return printable(text)


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
    method: Method = "supervised"

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
            "source": printable(self.source),
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
                {
                    "severity": i.severity,
                    "line": i.line,
                    "path": printable(i.path),
                    "message": printable(i.message),
                }
                for i in self.issues
            ],
        }


def format_report(report: DatasetReport) -> str:
    """A readable multi-line report: verdict, stats, then issues grouped by line."""
    s = report.stats
    verdict = "OK" if report.ok else "INVALID"
    kind = f"{report.purpose} dataset"
    if report.method != "supervised":
        kind += f", {report.method} tuning"
    lines = [
        f"{report.source}: {verdict} ({_plural(report.error_count, 'error')}, "
        f"{_plural(report.warning_count, 'warning')}) [{kind}]",
        f"  examples    {s.examples:,} ({s.valid_examples:,} valid, "
        f"{s.multi_turn_examples:,} multi-turn, {s.system_instruction_examples:,} with "
        f"systemInstruction, {s.multimodal_examples:,} multimodal)",
        f"  turns       {s.user_turns:,} user / {s.model_turns:,} model",
        f"  text        {s.text_characters:,} characters, ~{s.estimated_tokens:,} tokens "
        f"(estimated: characters / {CHARS_PER_TOKEN})",
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
    return printable("\n".join(lines))


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
