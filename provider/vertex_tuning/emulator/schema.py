"""The wire schema: Google's REST discovery documents for aiplatform v1 and v1beta1.

The documents ship in google-api-python-client (`googleapiclient/discovery_cache/documents/
aiplatform.{v1,v1beta1}.json`, revision 20261106 in 2.202.0) and are read lazily, once per
process. They are newer than the GAPIC types, which lag the live API (no
`preferenceOptimizationSpec`, no `tuningJobState`).

`parse` checks a request body the way the service's JSON front end does: unknown fields, wrong
JSON types, unknown enum values, duplicate keys and lone surrogates are INVALID_ARGUMENT naming
the field; lowerCamel and snake_case names are both accepted (proto JSON parsers do, and
google-genai sends some snake_case keys); enums by name or number; int64 as string or number.
The result is canonical API JSON: camelCase, int64 as strings, enums by name, defaults dropped.

`render` writes stored JSON for one API version: only the fields that version's schema has
(`tuningJobState` only exists in v1beta1), enums as numbers when the client asked for
`$alt=json;enum-encoding=int` (as the GAPIC REST transports do).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from vertex_tuning.emulator.errors import ApiError, invalid_argument

VERSIONS = ("v1", "v1beta1")
DOCUMENTS = "googleapiclient.discovery_cache.documents"
Json = dict[str, Any]

#: Proto numbers of the enums on the served surface whose numbers are not their order in the
#: discovery document (which lists values as declared, e.g. ADAPTER_SIZE_TWO = 6 was added
#: late). Keyed by the enum's value list; every other enum is numbered in declaration order.
#: Source: the googleapis protos as compiled into google-cloud-aiplatform 2.7.0 (a test checks);
#: values newer than those types (HARM_CATEGORY_IMAGE_*, ON_DEMAND_*) are numbered after the
#: known ones, a guess no GAPIC client can contradict.
_ENUM_NUMBERS: dict[tuple[str, ...], dict[str, int]] = {
    tuple(numbers): numbers
    for numbers in (
        {
            "ADAPTER_SIZE_UNSPECIFIED": 0,
            "ADAPTER_SIZE_ONE": 1,
            "ADAPTER_SIZE_TWO": 6,
            "ADAPTER_SIZE_FOUR": 2,
            "ADAPTER_SIZE_EIGHT": 3,
            "ADAPTER_SIZE_SIXTEEN": 4,
            "ADAPTER_SIZE_THIRTY_TWO": 5,
        },
        {
            "ADAPTER_SIZE_UNSPECIFIED": 0,
            "ADAPTER_SIZE_EIGHT": 8,
            "ADAPTER_SIZE_SIXTEEN": 16,
            "ADAPTER_SIZE_THIRTY_TWO": 32,
        },
        {"MODE_UNSPECIFIED": 0, "AUTO": 1, "ANY": 2, "NONE": 3, "VALIDATED": 5},
        {
            "HARM_CATEGORY_UNSPECIFIED": 0,
            "HARM_CATEGORY_HATE_SPEECH": 1,
            "HARM_CATEGORY_DANGEROUS_CONTENT": 2,
            "HARM_CATEGORY_HARASSMENT": 3,
            "HARM_CATEGORY_SEXUALLY_EXPLICIT": 4,
            "HARM_CATEGORY_CIVIC_INTEGRITY": 5,
            "HARM_CATEGORY_IMAGE_HATE": 7,
            "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT": 8,
            "HARM_CATEGORY_IMAGE_HARASSMENT": 9,
            "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT": 10,
            "HARM_CATEGORY_JAILBREAK": 6,
        },
        {
            "TRAFFIC_TYPE_UNSPECIFIED": 0,
            "ON_DEMAND": 1,
            "ON_DEMAND_PRIORITY": 3,
            "ON_DEMAND_FLEX": 4,
            "ON_DEMAND_OFFPEAK": 5,
            "PROVISIONED_THROUGHPUT": 2,
        },
        {
            "PHISH_BLOCK_THRESHOLD_UNSPECIFIED": 0,
            "BLOCK_LOW_AND_ABOVE": 30,
            "BLOCK_MEDIUM_AND_ABOVE": 40,
            "BLOCK_HIGH_AND_ABOVE": 50,
            "BLOCK_HIGHER_AND_ABOVE": 55,
            "BLOCK_VERY_HIGH_AND_ABOVE": 60,
            "BLOCK_ONLY_EXTREMELY_HIGH": 100,
        },
        {
            "AUTH_TYPE_UNSPECIFIED": 0,
            "NO_AUTH": 1,
            "API_KEY_AUTH": 2,
            "HTTP_BASIC_AUTH": 3,
            "GOOGLE_SERVICE_ACCOUNT_AUTH": 4,
            "OAUTH": 6,
            "OIDC_AUTH": 8,
        },
    )
}

_SNAKE = re.compile(r"(?<=[a-z0-9])([A-Z])")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_INTEGER = re.compile(r"^-?\d+$")
_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
_KINDS = {
    "int32": "TYPE_INT32",
    "uint32": "TYPE_UINT32",
    "int64": "TYPE_INT64",
    "uint64": "TYPE_UINT64",
    "double": "TYPE_DOUBLE",
    "float": "TYPE_FLOAT",
    "byte": "TYPE_BYTES",
}


@functools.lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """The proto field name behind a JSON name: tunedModelDisplayName -> tuned_model_display_name."""
    return _SNAKE.sub(r"_\1", name).lower()


class Api:
    """One discovery document: its schemas by short name, its methods by dotted resource path."""

    def __init__(self, version: str, document: Mapping[str, Any]) -> None:
        self.version = version
        self.document = document
        self.revision = str(document.get("revision", ""))
        self._prefix = "GoogleCloudAiplatform" + version.capitalize()
        self._aliases: dict[str, dict[str, str]] = {}

    def schema_id(self, name: str) -> str:
        """`TuningJob` -> `GoogleCloudAiplatformV1beta1TuningJob`; full ids are kept."""
        return name if name.startswith("Google") else self._prefix + name

    def schema(self, name: str) -> Mapping[str, Any]:
        schemas: Mapping[str, Any] = self.document["schemas"]
        return schemas[self.schema_id(name)]  # type: ignore[no-any-return]

    def has(self, name: str) -> bool:
        return self.schema_id(name) in self.document["schemas"]

    def properties(self, name: str) -> Mapping[str, Any]:
        props: Mapping[str, Any] = self.schema(name).get("properties", {})
        return props

    def canonical(self, name: str, key: str) -> str | None:
        """The JSON name a key stands for in schema `name` (camelCase or snake_case), or None."""
        schema_id = self.schema_id(name)
        aliases = self._aliases.get(schema_id)
        if aliases is None:
            aliases = {}
            for prop in self.properties(schema_id):
                aliases[prop] = prop
                aliases.setdefault(snake(prop), prop)
            self._aliases[schema_id] = aliases
        return aliases.get(key)

    def method(self, path: str) -> Mapping[str, Any]:
        """A method by its dotted path under `resources`, e.g. projects.locations.tuningJobs.get."""
        *resources, name = path.split(".")
        node: Mapping[str, Any] = self.document
        for resource in resources:
            node = node["resources"][resource]
        method: Mapping[str, Any] = node["methods"][name]
        return method

    def short(self, schema_id: str) -> str:
        return schema_id.removeprefix(self._prefix)


@functools.cache
def api(version: str) -> Api:
    """The discovery document of `version`, loaded on first use."""
    if version not in VERSIONS:
        raise ValueError(f"unknown API version {version!r}")
    text = importlib.resources.files(DOCUMENTS).joinpath(f"aiplatform.{version}.json").read_text()
    return Api(version, json.loads(text))


def enum_numbers(values: tuple[str, ...]) -> dict[str, int]:
    """Name -> proto number for an enum with these values (in declaration order)."""
    return _ENUM_NUMBERS.get(values) or {name: i for i, name in enumerate(values)}


# --- reading -----------------------------------------------------------------------------------


def loads(text: str | bytes, what: str = "JSON payload") -> Any:
    """JSON as the service's front end reads it: duplicate keys and oversized numbers are errors."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise ValueError(f'duplicate key "{key}"')
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, duplicates, 4300+ digit ints
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise invalid_argument(f"Invalid {what} received. {reason}") from exc


def parse(
    version: str, schema: str, value: Any, *, field: str = "", keep_read_only: bool = False
) -> Json:
    """`value` checked against `schema` of `version`, as canonical API JSON (see the module doc).

    `field` is the request field the body fills (`tuning_job` for CreateTuningJob), so errors
    name proto paths as the service does. Output-only fields are dropped unless kept.
    """
    parser = _Parser(api(version), keep_read_only)
    result = parser.message(schema, value, field)
    return result


class _Parser:
    def __init__(self, api_: Api, keep_read_only: bool) -> None:
        self.api = api_
        self.keep_read_only = keep_read_only

    def message(self, schema: str, value: Any, path: str) -> Json:
        if not isinstance(value, dict):
            raise _invalid(path, "TYPE_MESSAGE", value)
        result: Json = {}
        seen: dict[str, str] = {}
        for key, item in value.items():
            name = self.api.canonical(schema, key)
            if name is None:
                where = f" at '{path}'" if path else ""
                message = f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
                raise invalid_argument(message, path or key)
            if name in seen:
                message = (
                    f'Invalid JSON payload received. Field "{name}" is given twice at '
                    f'\'{path}\' (as "{seen[name]}" and "{key}").'
                )
                raise invalid_argument(message, _join(path, snake(name)))
            seen[name] = key
            prop = self.api.properties(schema)[name]
            if prop.get("readOnly") and not self.keep_read_only:
                continue  # the service ignores output-only fields in requests
            if item is None:
                continue
            parsed = self.value(prop, item, _join(path, snake(name)))
            if not _is_default(parsed, prop):
                result[name] = parsed
        return result

    def value(self, prop: Mapping[str, Any], value: Any, path: str) -> Any:
        if "$ref" in prop:
            return self.message(prop["$ref"], value, path)
        kind = prop.get("type")
        if kind == "array":
            if not isinstance(value, list):
                raise _invalid(path, "TYPE_REPEATED", value)
            return [self.value(prop["items"], v, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind == "object":  # a map
            if not isinstance(value, dict):
                raise _invalid(path, "TYPE_MAP", value)
            inner = prop.get("additionalProperties", {"type": "any"})
            return {k: self.value(inner, v, f"{path}[{k!r}]") for k, v in value.items()}
        if kind == "any":
            _check_strings(value, path)
            return value
        if "enum" in prop:
            return _enum(prop, value, path)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _invalid(path, "TYPE_BOOL", value)
            return value
        if kind == "integer" or prop.get("format") in ("int64", "uint64"):
            return _integer(prop, value, path)
        if kind == "number":
            return _number(prop, value, path)
        return _string(prop, value, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _invalid(path: str, kind: str, value: Any) -> ApiError:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    message = f"Invalid JSON payload received. Invalid value at '{path}' ({kind}), {shown}"
    return invalid_argument(message, path)


def _enum(prop: Mapping[str, Any], value: Any, path: str) -> str:
    values = tuple(prop["enum"])
    if isinstance(value, str) and value in values:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        for name, number in enum_numbers(values).items():
            if number == value:
                return name
    raise _invalid(path, "TYPE_ENUM", value)


def _integer(prop: Mapping[str, Any], value: Any, path: str) -> Any:
    fmt = str(prop.get("format", "int32"))
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    low, high = _INT_RANGES.get(fmt, _INT_RANGES["int64"])
    if number is None or not low <= number <= high:
        raise _invalid(path, _KINDS.get(fmt, "TYPE_INT64"), value)
    return str(number) if fmt in ("int64", "uint64") else number


def _number(prop: Mapping[str, Any], value: Any, path: str) -> float:
    kind = _KINDS.get(str(prop.get("format", "double")), "TYPE_DOUBLE")
    if isinstance(value, bool):
        raise _invalid(path, kind, value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value in special:
            return special[value]
        try:
            return float(value)
        except ValueError:
            pass
    raise _invalid(path, kind, value)


def _string(prop: Mapping[str, Any], value: Any, path: str) -> str:
    fmt = prop.get("format")
    kind = _KINDS.get(str(fmt), "TYPE_STRING")
    if not isinstance(value, str):
        raise _invalid(path, kind, value)
    _check_strings(value, path)
    if fmt == "byte" and not _is_base64(value):
        raise _invalid(path, kind, value)
    if fmt == "google-datetime" and not _DATETIME.match(value):
        raise _invalid(path, "google.protobuf.Timestamp", value)
    if fmt == "google-duration" and not _DURATION.match(value):
        raise _invalid(path, "google.protobuf.Duration", value)
    return value


def _is_base64(text: str) -> bool:
    """Standard or URL-safe base64, padded or not (proto JSON accepts both alphabets)."""
    compact = text.rstrip("=")
    if len(text) - len(compact) > 2 or not re.fullmatch(r"[A-Za-z0-9+/_-]*", compact):
        return False
    if re.search(r"[+/]", compact) and re.search(r"[_-]", compact):
        return False
    return len(compact) % 4 != 1


def _check_strings(value: Any, path: str) -> None:
    """Lone surrogates (JSON escapes like \\ud800 with no pair) are not valid UTF-8 text."""
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            message = (
                f"Invalid JSON payload received. Invalid value at '{path}': the string has a "
                "lone UTF-16 surrogate, which is not valid UTF-8."
            )
            raise invalid_argument(message, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, path)
            _check_strings(item, path)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, path)


def _is_default(value: Any, prop: Mapping[str, Any]) -> bool:
    """Proto3 scalars at their default are not sent; present messages (even `{}`) are kept."""
    if "$ref" in prop:
        return False
    if "enum" in prop:
        return bool(value == prop["enum"][0])
    if isinstance(value, bool):
        return not value
    if prop.get("format") in ("int64", "uint64"):
        return bool(value == "0")
    if isinstance(value, int | float | str | list | dict):
        return not value
    return False


# --- writing -----------------------------------------------------------------------------------


def render(version: str, schema: str, value: Mapping[str, Any], *, enum_ints: bool = False) -> Json:
    """Stored JSON as `version` of the API answers it: its fields only, in its encoding."""
    return _Renderer(api(version), enum_ints).message(schema, value)


class _Renderer:
    def __init__(self, api_: Api, enum_ints: bool) -> None:
        self.api = api_
        self.enum_ints = enum_ints

    def message(self, schema: str, value: Mapping[str, Any]) -> Json:
        props = self.api.properties(schema)
        result: Json = {}
        for key, item in value.items():
            prop = props.get(key)
            if prop is None or item is None:
                continue  # a field this version does not have
            result[key] = self.value(prop, item)
        return result

    def value(self, prop: Mapping[str, Any], value: Any) -> Any:
        if "$ref" in prop:
            return self.message(prop["$ref"], value)
        kind = prop.get("type")
        if kind == "array":
            return [self.value(prop["items"], v) for v in value]
        if kind == "object":
            inner = prop.get("additionalProperties", {"type": "any"})
            return {k: self.value(inner, v) for k, v in value.items()}
        if "enum" in prop and self.enum_ints and isinstance(value, str):
            return enum_numbers(tuple(prop["enum"])).get(value, value)
        if prop.get("format") in ("int64", "uint64") and isinstance(value, int):
            return str(value)
        if kind == "number" and isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return value


def type_url(version: str, schema: str) -> str:
    """The `@type` of a message packed in an Any, e.g. in an Operation's metadata."""
    if schema.startswith("GoogleProtobuf"):
        return "type.googleapis.com/google.protobuf." + schema.removeprefix("GoogleProtobuf")
    return f"type.googleapis.com/google.cloud.aiplatform.{version}.{schema}"
