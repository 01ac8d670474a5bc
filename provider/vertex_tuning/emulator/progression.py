"""How tuning jobs advance: PENDING -> RUNNING -> an outcome, read off an injectable clock.

With `job_seconds` > 0 a job is PENDING for the first PENDING_SHARE of its run, RUNNING until
`job_seconds` after creation, then done; a cancel completes CANCEL_SECONDS (at most) later.
Every read recomputes this from the clock, so callers see progress without a background thread.
With `job_seconds` <= 0 nothing moves by itself: the control API's advance/finish drive it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# The service's JobState, declared once for the provider and the emulator alike.
from vertex_tuning.states import (
    CANCELLED,
    CANCELLING,
    EXPIRED,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    SUCCEEDED,
)

Clock = Callable[[], datetime]

PENDING_SHARE = 0.2
CANCEL_SECONDS = 1.0

CANCELLABLE = frozenset({QUEUED, PENDING, RUNNING})
#: States the control API's finish may force.
FINAL_CHOICES = frozenset({SUCCEEDED, FAILED, CANCELLED, EXPIRED})

#: The state one manual `advance` moves to; RUNNING's successor is the job's natural outcome.
NEXT = {QUEUED: PENDING, PENDING: RUNNING, RUNNING: SUCCEEDED, CANCELLING: CANCELLED}


def system_clock() -> datetime:
    """The wall clock, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Step:
    """A transition that is due: enter `state`, dated `at` (in the past or now)."""

    state: str
    at: datetime


def due(
    state: str,
    created: datetime,
    cancel_requested: datetime | None,
    job_seconds: float,
    now: datetime,
) -> Step | None:
    """The next transition the clock says has happened already, or None."""
    if job_seconds <= 0:
        return None
    if state == CANCELLING and cancel_requested is not None:
        at = cancel_requested + timedelta(seconds=min(CANCEL_SECONDS, job_seconds * 0.2))
        return Step(CANCELLED, at) if now >= at else None
    if state in (QUEUED, PENDING):
        at = created + timedelta(seconds=job_seconds * PENDING_SHARE)
        return Step(RUNNING, at) if now >= at else None
    if state == RUNNING:
        at = created + timedelta(seconds=job_seconds)
        return Step(SUCCEEDED, at) if now >= at else None
    return None
