"""Gemini tuning JSONL: streaming validation, stats, a deterministic hold-out split, conversion.

One module per concern: limits (the service's per-model limits), read (regular files, bounded
lines), typed (the msgspec fast path), decode (strict JSON: repeated keys, surrogates,
numbers), rules/ (per-example rules of each tuning method), scan (the streaming pass), report
(results and the printed report), split (the hold-out split), formats (Gemini's and the chat
formats people bring) and convert (chat formats to Gemini).

Field names: the proto3 JSON mapping lets parsers accept both the lowerCamelCase name and the
original proto field name (protobuf.dev/programming-guides/json), so ``systemInstruction`` and
``system_instruction`` (``fileData``/``file_data``, ...) are both accepted; giving both spellings
of one field is an error, as in protobuf's own JSON parser. Paths in messages use the spelling
found in the file.
"""

from __future__ import annotations

from vertex_tuning.dataset.limits import (
    CHARS_PER_TOKEN,
    DEFAULT_LIMITS,
    MAX_MULTIMODAL_TRAINING_EXAMPLES,
    MAX_TOKENS_PER_EXAMPLE,
    MAX_TRAINING_EXAMPLES,
    MAX_VALIDATION_EXAMPLES,
    MIN_RECOMMENDED_EXAMPLES,
    Limits,
)
from vertex_tuning.dataset.read import NotRegularFile
from vertex_tuning.dataset.report import (
    DatasetReport,
    DatasetStats,
    Issue,
    Method,
    Purpose,
    Severity,
    format_report,
)
from vertex_tuning.dataset.scan import DEFAULT_MAX_ISSUES, validate_file, validate_lines
from vertex_tuning.dataset.split import split_examples

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_ISSUES",
    "MAX_MULTIMODAL_TRAINING_EXAMPLES",
    "MAX_TOKENS_PER_EXAMPLE",
    "MAX_TRAINING_EXAMPLES",
    "MAX_VALIDATION_EXAMPLES",
    "MIN_RECOMMENDED_EXAMPLES",
    "DatasetReport",
    "DatasetStats",
    "Issue",
    "Limits",
    "Method",
    "NotRegularFile",
    "Purpose",
    "Severity",
    "format_report",
    "split_examples",
    "validate_file",
    "validate_lines",
]
