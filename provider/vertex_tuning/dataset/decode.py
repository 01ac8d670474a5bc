"""Strict JSON for the lines the typed fast path (typed.py) does not pass: every finding named.

Python's json is lenient where the service is not, so its hooks record instead of accepting:
duplicate object keys (proto JSON parsers reject them), NaN and Infinity (not JSON),
integers too long to read (over 4,300 digits Python refuses to convert them, which would be a
ValueError, not a report) and numbers too large for a double. A walk then reports those and any
lone UTF-16 surrogate (a "\\ud800" escape with no pair: not Unicode, so not UTF-8 the service can
read), each at its field path.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from vertex_tuning.dataset.rules.common import Errors, join, show

__all__ = ["JsonError", "findings", "parse"]

_MAX_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonError(ValueError):
    """Not JSON: the parser's reason and the 1-based column where it stopped."""

    def __init__(self, reason: str, column: int | None = None, note: str = "") -> None:
        where = "" if column is None else f" (column {column})"
        super().__init__(f"not valid JSON: {reason}{where}{note}")


class _Keys(dict[str, Any]):
    """An object whose source repeated keys (the last value won, as in Python's json)."""

    __slots__ = ("repeated",)
    repeated: list[str]


class _Unreadable:
    """A number JSON allows but the service cannot hold: the reason, reported at its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    keys = _Keys(obj)
    seen: set[str] = set()
    keys.repeated = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
    return keys


def _int(text: str) -> int | _Unreadable:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        return _Unreadable(f"an integer of {digits:,} digits is too large to read")
    return int(text)


def _float(text: str) -> float | _Unreadable:
    value = float(text)
    if math.isinf(value):
        return _Unreadable(
            f"the number {text[:20]}{'...' if len(text) > 20 else ''} is out of range"
        )
    return value


def _constant(name: str) -> _Unreadable:
    return _Unreadable(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def parse(text: str) -> Any:
    """Parse one line; JsonError with the real column where it breaks."""
    try:
        value, end = _DECODER.raw_decode(text, _skip_space(text))
    except json.JSONDecodeError as exc:
        raise _located(exc, len(text)) from None
    except RecursionError:
        raise JsonError("nested too deeply") from None
    end = _skip_space(text, end)
    if end != len(text):
        raise JsonError("Extra data", end + 1)
    return value


def _located(exc: json.JSONDecodeError, length: int) -> JsonError:
    """The error at the column where the line breaks; a line that ends early says so."""
    cut = "the line ends there: is it cut short?"
    if exc.msg.startswith("Unterminated string"):
        return JsonError(
            "Unterminated string", length + 1, f"; it starts at column {exc.pos + 1} and {cut}"
        )
    if exc.pos >= length:
        return JsonError(exc.msg, exc.pos + 1, f"; {cut}")
    return JsonError(exc.msg, exc.pos + 1)


def _skip_space(text: str, start: int = 0) -> int:
    end = start
    while end < len(text) and text[end] in " \t\r\n":
        end += 1
    return end


def findings(value: Any, errs: Errors, path: str = "") -> None:
    """Report repeated keys, unreadable numbers and lone surrogates anywhere in `value`."""
    if isinstance(value, dict):
        if isinstance(value, _Keys):
            for key in value.repeated:
                errs.append(
                    (path, f"field {show(key)} appears more than once; the service rejects it")
                )
        for key, item in value.items():
            if _SURROGATE.search(key):
                errs.append((path, f"field name {show(key)} {_surrogate_message(key)}"))
            findings(item, errs, join(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            findings(item, errs, f"{path}[{index}]")
    elif isinstance(value, str):
        if _SURROGATE.search(value):
            errs.append((path, _surrogate_message(value)))
    elif isinstance(value, _Unreadable):
        errs.append((path, value.reason))


def _surrogate_message(text: str) -> str:
    found = _SURROGATE.search(text)
    assert found is not None
    return (
        f"holds a lone UTF-16 surrogate (\\u{ord(found.group()):04x} at character "
        f"{found.start() + 1}), which is not Unicode text; the service rejects it"
    )
