"""Limits: request bodies as Google's API front end bounds them, the sizes of the fields the
service stores, and how long a connection may idle.

Sources, or whose choice:
- Request bodies: 10 MiB (10,485,760 bytes), answered 400 INVALID_ARGUMENT "Request payload size
  exceeds the limit: 10485760 bytes." That is what Google's API front end answers (observed on
  googleapis.com APIs, e.g. PsychoinformaticsLab/pliers#481, googleworkspace/dotnet-samples#23,
  where a Google engineer adds that the limit is not documented). The control path takes 1 MiB
  (our choice: its bodies are a few hundred bytes).
- Display names (TuningJob.tunedModelDisplayName, Model.displayName): 128 characters, as the
  discovery documents say ("The name can be up to 128 characters long").
- Labels: 64 per resource, keys and values of at most 63 characters (Unicode code points), as
  validation.py checks at create, from GCP's labels rules the API reference links to.
- Descriptions (TuningJob.description, Model.description and versionDescription): 2,048
  characters. The service documents no limit; 2,048 is the provider's own bound on
  TuningJob `description`, so anything the provider sends fits.
- Idle connections: closed after 60 s without a byte (our choice; --idle-timeout).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request

from vertex_tuning.emulator import validation
from vertex_tuning.emulator.errors import ApiError, invalid_argument
from vertex_tuning.emulator.handlers import Call, Json
from vertex_tuning.emulator.schema import snake

PAYLOAD_BYTES = 10 * 1024 * 1024
CONTROL_BYTES = 1024 * 1024
IDLE_SECONDS = 60.0
MAX_DESCRIPTION = 2048


def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes, kept for later reads (`request.get_data()`).

    A Content-Length over the limit is refused before a byte of the body is read; a chunked body
    is read up to the limit. A client that goes away mid-body is a dropped connection.
    """
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    # Chunked: one byte more than the limit, as werkzeug's bounded stream stops at its bound
    # without a word and only the next read would tell.
    request.max_content_length = limit + 1
    try:
        data = request.get_data()
    except RequestEntityTooLarge as exc:
        raise too_large(limit) from exc
    except ClientDisconnected as exc:
        raise ConnectionAbortedError("the client closed the connection mid-body") from exc
    if len(data) > limit:
        raise too_large(limit)
    return data


def too_large(limit: int) -> ApiError:
    return ApiError("INVALID_ARGUMENT", f"Request payload size exceeds the limit: {limit} bytes.")


@dataclass(frozen=True)
class Text:
    """A string field of at most `most` characters."""

    most: int


@dataclass(frozen=True)
class Labels:
    """A labels map: at most MAX_LABELS entries, keys and values of MAX_LABEL_LENGTH."""


@dataclass(frozen=True)
class Message:
    """A nested message checked by the rules of `schema`."""

    schema: str


Rule = Text | Labels | Message

#: Schema -> JSON field -> its bound; checked on parsed (canonical) request JSON.
FIELDS: dict[str, dict[str, Rule]] = {
    # validation.py holds the display name and labels to the same bounds at create (and rebase).
    "TuningJob": {"description": Text(MAX_DESCRIPTION)},
    "RebaseTunedModelRequest": {"tuningJob": Message("TuningJob")},
    "Model": {
        "displayName": Text(validation.MAX_DISPLAY_NAME),
        "description": Text(MAX_DESCRIPTION),
        "versionDescription": Text(MAX_DESCRIPTION),
        "labels": Labels(),
    },
}


def check(schema: str, value: Mapping[str, Any], path: str) -> None:
    """INVALID_ARGUMENT naming the first field of `value` over its bound (`path` is the proto
    path of `value` itself, e.g. `tuning_job`)."""
    for name, rule in FIELDS.get(schema, {}).items():
        if name not in value:
            continue
        item, where = value[name], f"{path}.{snake(name)}" if path else snake(name)
        if isinstance(rule, Message):
            if isinstance(item, Mapping):
                check(rule.schema, item, where)
        elif isinstance(rule, Text):
            if isinstance(item, str) and len(item) > rule.most:
                raise invalid_argument(
                    f"{name} must be at most {rule.most} characters, got {len(item)}.", where
                )
        elif isinstance(item, Mapping):
            _labels(item, where)


def _labels(labels: Mapping[str, Any], where: str) -> None:
    most, length = validation.MAX_LABELS, validation.MAX_LABEL_LENGTH
    if len(labels) > most:
        raise invalid_argument(
            f"labels: at most {most} labels are allowed, got {len(labels)}.", where
        )
    for key, value in labels.items():
        for kind, text in (("key", key), ("value", value)):
            if len(str(text)) > length:
                raise invalid_argument(
                    f"labels: a label {kind} must be at most {length} characters, got "
                    f"{len(str(text))} (key {str(key)[:70]!r}).",
                    where,
                )


@dataclass(frozen=True)
class LimitedCall(Call):
    """A Call whose parsed body is also held to FIELDS, before any handler stores it."""

    def body(self, schema_name: str, field: str = "") -> Json:
        parsed = super().body(schema_name, field)
        check(schema_name, parsed, field)
        return parsed
