"""Checks a value against a message of shapes.py: field names, types, enums, recursion.

Proto3 JSON as the service parses it: both spellings of a field name, null for "not set",
int64 as a number or a decimal string, enums by name or number, bytes as base64.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from vertex_tuning.dataset.rules.common import Errors, join, kind, show, spellings
from vertex_tuning.dataset.rules.shapes import ENUMS, MESSAGES

__all__ = ["BASE64", "check_message"]

# Proto JSON accepts standard and URL-safe base64, padded or not: whole groups of four, then an
# optional two or three characters (with their padding). A lone trailing character is invalid.
BASE64 = re.compile(r"(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?")
_INT = re.compile(r"-?[0-9]+")
_DURATION = re.compile(r"-?[0-9]+(?:\.[0-9]{1,9})?s")
_FLOAT_WORDS = ("NaN", "Infinity", "-Infinity")
_LISTED = 8  # list the fields of a message in a message up to this many


@cache
def _names(message: str) -> dict[str, str]:
    return spellings(*MESSAGES[message])


def check_message(value: Any, message: str, path: str, errs: Errors) -> None:
    """Report each way `value` is not a `message` (of shapes.MESSAGES) at `path`."""
    if not isinstance(value, dict):
        errs.append((path, f"must be an object ({message}), got {kind(value)}"))
        return
    names, kinds = _names(message), MESSAGES[message]
    seen: dict[str, str] = {}
    for key, item in value.items():
        canon = names.get(key)
        if canon is None:
            listed = (
                f"expected {', '.join(kinds)}"
                if len(kinds) <= _LISTED
                else "see the v1 API reference for its fields"
            )
            errs.append((path, f"unknown field {show(key)} in {message}; {listed}"))
        elif canon in seen:
            errs.append((path, f"both {show(seen[canon])} and {show(key)} given; use one"))
        else:
            seen[canon] = key
            if item is not None:  # null reads as "not set"
                _check_value(item, kinds[canon], join(path, key), errs)


def _check_value(item: Any, spec: str, path: str, errs: Errors) -> None:
    if spec.startswith("["):
        if not isinstance(item, list):
            errs.append((path, f"must be a list, got {kind(item)}"))
            return
        for index, element in enumerate(item):
            where = f"{path}[{index}]"
            if element is None:
                errs.append((where, "null is not allowed in a list"))
            else:
                _check_value(element, spec[1:-1], where, errs)
    elif spec.startswith("{"):
        if not isinstance(item, dict):
            errs.append((path, f"must be an object (a map), got {kind(item)}"))
            return
        for key, element in item.items():
            _check_value(element, spec[1:-1], join(path, key), errs)
    elif spec in MESSAGES:
        check_message(item, spec, path, errs)
    elif not _scalar_ok(item, spec):
        errs.append((path, f"must be {_describe(spec)}, got {show(item)}"))


def _scalar_ok(item: Any, spec: str) -> bool:
    if spec == "string":
        return isinstance(item, str)
    if spec == "bool":
        return isinstance(item, bool)
    if spec == "number":
        return _is_number(item) or item in _FLOAT_WORDS
    if spec == "int":
        if isinstance(item, float):
            return item.is_integer()
        return (isinstance(item, int) and not isinstance(item, bool)) or (
            isinstance(item, str) and _INT.fullmatch(item) is not None
        )
    if spec == "bytes":
        return isinstance(item, str) and BASE64.fullmatch(item) is not None
    if spec == "duration":
        return isinstance(item, str) and _DURATION.fullmatch(item) is not None
    if spec == "struct":
        return isinstance(item, dict)
    if spec == "list":
        return isinstance(item, list)
    if spec.startswith("enum:"):
        if isinstance(item, int) and not isinstance(item, bool):
            return True
        return isinstance(item, str) and item in ENUMS[spec[5:]]
    return True  # "value": any JSON


def _is_number(item: Any) -> bool:
    return isinstance(item, int | float) and not isinstance(item, bool)


def _describe(spec: str) -> str:
    if spec.startswith("enum:"):
        return "one of " + ", ".join(ENUMS[spec[5:]])
    return {
        "string": "a string",
        "bool": "true or false",
        "number": "a number",
        "int": "an integer",
        "bytes": "base64-encoded bytes",
        "duration": 'a duration such as "1.5s"',
        "struct": "an object",
        "list": "a list",
    }[spec]
