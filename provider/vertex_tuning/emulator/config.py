"""The emulator's settings as the control path, `serve()` and the command line take them, each
checked: a bad value is an INVALID_ARGUMENT naming its field, never a later 500 on every call
(a NaN `jobSeconds` used to make each GetTuningJob fail until a reset).

The bounds are our choice, not the service's: a job runs at most a week (the provider's longest
wait, `tuning_job_inputs.MAX_TIMEOUT_SECONDS`), an operation needs at most 1,000 polls, a 429
asks for at most an hour's wait, a fault sequence has at most 10,000 entries, and a token is an
RFC 6750 bearer token (visible ASCII without spaces) of at most 1,024 characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from vertex_tuning.emulator.errors import ApiError, invalid_argument
from vertex_tuning.emulator.faults import FaultPlan

MAX_JOB_SECONDS = 7 * 24 * 3600
MAX_OPERATION_POLLS = 1000
MAX_RETRY_AFTER = 3600
MAX_SEQUENCE = 10_000
MAX_TOKEN = 1024
MAX_IDLE_SECONDS = 24 * 3600
#: RFC 6750 `b64token`: what an `Authorization: Bearer` header can carry.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
#: google.rpc.Code values a job can end with (1 CANCELLED ... 16 UNAUTHENTICATED).
_CODES = range(1, 17)

CONFIG_FIELDS = ("jobSeconds", "requireToken", "operationPolls")
FAULT_FIELDS = ("rate", "kinds", "sequence", "methods", "retryAfter")


def job_seconds(value: Any) -> float:
    """How long a job runs: seconds, up to a week; 0 or less: only the control path moves it."""
    if not _is_number(value) or not -MAX_JOB_SECONDS <= value <= MAX_JOB_SECONDS:  # NaN too
        raise _invalid(
            "jobSeconds",
            f"a number of seconds from -{MAX_JOB_SECONDS} to {MAX_JOB_SECONDS} (0 or less: jobs "
            "move only through the control path)",
            value,
        )
    return float(value)


def operation_polls(value: Any) -> int:
    if not _is_integer(value) or not 0 <= value <= MAX_OPERATION_POLLS:
        raise _invalid("operationPolls", f"an integer from 0 to {MAX_OPERATION_POLLS}", value)
    return int(value)


def token(value: Any, field: str = "requireToken") -> str | None:
    """A bearer token, or None for none (null or "")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TOKEN or not _TOKEN.fullmatch(value):
        raise _invalid(
            field,
            f"null or a bearer token: at most {MAX_TOKEN} letters, digits and -._~+/ "
            "(then = padding)",
            value,
            show=False,
        )
    return value


def idle_seconds(value: Any) -> float:
    if not _is_number(value) or not 0 < value <= MAX_IDLE_SECONDS:  # NaN too
        raise _invalid(
            "idleTimeout", f"a number of seconds above 0 and at most {MAX_IDLE_SECONDS}", value
        )
    return float(value)


def fault_plan(body: Mapping[str, Any], methods: Collection[str]) -> FaultPlan:
    """A fault plan from the control path's JSON: every field of the right type and range, and
    `methods` only RPC names the emulator serves."""
    _known(body, FAULT_FIELDS, "fault")
    rate = body.get("rate", 0.0)
    if not _is_number(rate) or not 0 <= rate <= 1:
        raise _invalid("rate", "a number from 0 to 1", rate)
    for field in ("kinds", "sequence", "methods"):
        items = body.get(field, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _invalid(field, "a list of strings", items)
    sequence = body.get("sequence", [])
    if len(sequence) > MAX_SEQUENCE:
        raise invalid_argument(
            f"sequence must have at most {MAX_SEQUENCE} entries, got {len(sequence)}.", "sequence"
        )
    unknown = sorted(set(body.get("methods", [])) - set(methods))
    if unknown:
        raise invalid_argument(
            f"methods names no RPC the emulator serves: {', '.join(unknown)} (it serves "
            f"{', '.join(sorted(methods))}).",
            "methods",
        )
    retry_after = body.get("retryAfter", 1)
    if not _is_integer(retry_after) or not 0 <= retry_after <= MAX_RETRY_AFTER:
        raise _invalid(
            "retryAfter", f"an integer number of seconds from 0 to {MAX_RETRY_AFTER}", retry_after
        )
    try:
        return FaultPlan.from_json(dict(body))
    except ValueError as exc:
        raise invalid_argument(str(exc)) from exc


def finish(body: Mapping[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """The control path's `jobs/ID:finish` body: an optional final state and error."""
    _known(body, ("state", "error"), "finish")
    state = body.get("state")
    if state is not None and not isinstance(state, str):
        raise _invalid("state", "a JobState name", state)
    error = body.get("error")
    if error is None:
        return state, None
    if not isinstance(error, dict):
        raise _invalid("error", "an object with code and message", error)
    _known(error, ("code", "message"), "error")
    code = error.get("code", 13)
    if not _is_integer(code) or code not in _CODES:
        raise _invalid("error.code", "a google.rpc.Code from 1 to 16", code)
    if not isinstance(error.get("message", ""), str):
        raise _invalid("error.message", "a string", error["message"])
    return state, dict(error)


def dataset(body: Mapping[str, Any]) -> tuple[str, str]:
    """The control path's `datasets` body: a Vertex dataset name and the gs:// JSONL it holds."""
    _known(body, ("name", "uri"), "dataset")
    name, uri = body.get("name", ""), body.get("uri", "")
    for field, value in (("name", name), ("uri", uri)):
        if not isinstance(value, str):
            raise _invalid(field, "a string", value)
    return name, uri


def _known(body: Mapping[str, Any], fields: Collection[str], what: str) -> None:
    unknown = set(body) - set(fields)
    if unknown:
        raise invalid_argument(
            f"unknown {what} fields: {', '.join(sorted(unknown))} (known: {', '.join(fields)}).",
            sorted(unknown)[0],
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _invalid(field: str, wanted: str, value: Any, *, show: bool = True) -> ApiError:
    """`show=False` keeps a string out of the message (it may be someone's secret)."""
    if not show and isinstance(value, str):
        shown = f"a string of {len(value)} characters that is not one"
    else:
        shown = _shown(value)
    return invalid_argument(f"{field} must be {wanted}; got {shown}.", field)


def _shown(value: Any) -> str:
    """The value as JSON (NaN and Infinity as JSON parsers write them), cut at 60 characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
