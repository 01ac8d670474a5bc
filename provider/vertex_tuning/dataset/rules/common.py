"""What every rule shares: the error list, how values are described and field spellings read.

Each check appends (path, message) pairs to an Errors list and builds path strings only on
failure. Paths use the spelling found in the file (systemInstruction or system_instruction).
"""

from __future__ import annotations

import json
import re
from typing import Any

Errors = list[tuple[str, str]]

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """The proto field name of a lowerCamelCase JSON name: fileUri -> file_uri."""
    return _CAMEL_HUMP.sub(r"_\1", name).lower()


def spellings(*names: str) -> dict[str, str]:
    """Both proto3 JSON spellings of each field name, mapped to the camelCase one."""
    return {spelling: name for name in names for spelling in (name, snake(name))}


def kind(value: object) -> str:
    """A value's JSON type, as a message says it: "an object", "a list", ..."""
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


def show(value: object) -> str:
    """A short JSON rendering of a value for a message (printable: see report.printable)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = kind(value)
    return text if len(text) <= 40 else text[:37] + "..."


def join(parent: str, key: str) -> str:
    """The path of a field under `parent` ("" is the example itself)."""
    return f"{parent}.{key}" if parent else key


def fields(
    obj: dict[str, Any],
    known: dict[str, str],
    path: str,
    errs: Errors,
    expected: str,
    hints: dict[str, str] | None = None,
) -> dict[str, tuple[str, Any]]:
    """Map canonical field name -> (spelling, value); report unknown and doubly spelled fields."""
    found: dict[str, tuple[str, Any]] = {}
    for key, value in obj.items():
        canon = known.get(key)
        if canon is None:
            hint = hints.get(key, "") if hints else ""
            errs.append((path, f"unknown field {show(key)}{hint}; expected {expected}"))
        elif canon in found:
            errs.append((path, f"both {show(found[canon][0])} and {show(key)} given; use one"))
        else:
            found[canon] = (key, value)
    return found
