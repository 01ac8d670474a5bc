"""proto-plus messages <-> API JSON dicts: camelCase names, int64 as strings, enums by name
(or by number when the client asked for `$alt=json;enum-encoding=int`)."""

from __future__ import annotations

import json
from typing import Any


def to_dict(message: Any, *, enum_ints: bool = False) -> dict[str, Any]:
    """The message as the service would put it on the wire (fields at default omitted)."""
    result: dict[str, Any] = type(message).to_dict(
        message,
        use_integers_for_enums=enum_ints,
        preserving_proto_field_name=False,
        always_print_fields_with_no_presence=False,
    )
    return result


def from_dict(message_type: Any, data: dict[str, Any]) -> Any:
    """Parse wire JSON (names or numbers for enums) into `message_type`."""
    return message_type.from_json(json.dumps(data))
