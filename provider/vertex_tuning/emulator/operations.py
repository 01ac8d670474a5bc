"""Long-running operations (google.longrunning.Operation) of deletes, undeploys and rebases.

An operation starts undone, as on the service, so clients' polling paths run: it is done at the
`polls`-th GetOperation (default 1: the first poll finds it done; 0: done at once). The work
itself happens when the call is made; only the operation's report waits. Metadata and response
are packed as Any JSON whose `@type` names the requested API version's message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vertex_tuning.emulator import schema
from vertex_tuning.emulator.records import timestamp

Json = dict[str, Any]
EMPTY = "GoogleProtobufEmpty"


def new(
    name: str,
    metadata_type: str,
    now: datetime,
    *,
    polls: int,
    response_type: str = EMPTY,
    response: Json | None = None,
) -> Json:
    """An operation record (what the Store keeps); render() makes its wire JSON."""
    at = timestamp(now)
    return {
        "name": name,
        "metadataType": metadata_type,
        "metadata": {"genericMetadata": {"createTime": at, "updateTime": at}},
        "responseType": response_type,
        "response": response or {},
        "pollsLeft": max(0, polls),
    }


def poll(record: Json, now: datetime) -> None:
    """One GetOperation: the operation gets one poll closer to done."""
    if record["pollsLeft"] > 0:
        record["pollsLeft"] -= 1
        if record["pollsLeft"] == 0:
            record["metadata"]["genericMetadata"]["updateTime"] = timestamp(now)


def render(record: Json, version: str, *, enum_ints: bool = False) -> Json:
    """The Operation as `version` of the API answers it."""
    result: Json = {
        "name": record["name"],
        "metadata": {
            "@type": schema.type_url(version, record["metadataType"]),
            **record["metadata"],
        },
    }
    if record["pollsLeft"] == 0:
        result["done"] = True
        kind = record["responseType"]
        body = record["response"]
        if kind != EMPTY and schema.api(version).has(kind):
            body = schema.render(version, kind, body, enum_ints=enum_ints)
        result["response"] = {"@type": schema.type_url(version, kind), **body}
    return result
