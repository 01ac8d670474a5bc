"""ListTuningJobs: the `filter` grammar (`state=JOB_STATE_X`, `labels.KEY=VALUE`,
`labels.KEY="VALUE"`, joined with AND; anything else is a 400) and opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from vertex_tuning.emulator import schema
from vertex_tuning.emulator.errors import invalid_argument

Predicate = Callable[[Any], bool]

_TERM = re.compile(r'^(?P<field>state|labels\.(?P<key>[^\s="]+))\s*=\s*(?P<value>"[^"]*"|[^\s"]+)$')
_AND = re.compile(r"\s+AND\s+")


def _job_states() -> frozenset[str]:
    return frozenset(schema.api("v1").properties("TuningJob")["state"]["enum"])


def parse_filter(text: str) -> Predicate:
    """A predicate over TuningJob JSON; an empty filter matches every job."""
    text = text.strip()
    if not text:
        return lambda job: True
    predicates = [_term(term.strip(), text) for term in _AND.split(text)]
    return lambda job: all(p(job) for p in predicates)


def _term(term: str, whole: str) -> Predicate:
    match = _TERM.match(term)
    if not match:
        raise invalid_argument(
            f'Invalid filter "{whole}": cannot parse "{term}". Supported: state=JOB_STATE_..., '
            'labels.KEY=VALUE, labels.KEY="VALUE", joined with AND.',
            "filter",
        )
    value = match["value"].strip('"')
    key = match["key"]
    if key is not None:
        return lambda job: (job.get("labels") or {}).get(key) == value
    if value not in _job_states():
        raise invalid_argument(f'Invalid filter "{whole}": unknown state "{value}".', "filter")
    return lambda job: job.get("state") == value


def encode_token(seq: int) -> str:
    """A token for the page after the job created `seq`-th (newest first)."""
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode()


def decode_token(token: str) -> int | None:
    if not token:
        return None
    try:
        kind, _, seq = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "after" and seq.isdigit():
            return int(seq)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise invalid_argument(f'Invalid pageToken "{token}".', "page_token")
