"""How tuning jobs advance, read off an injectable clock: the JobState and, while it runs, the
detailed `tuningJobState` (v1beta1 only on the wire).

A job goes through PHASES in order. With `job_seconds` > 0, phase i starts `start` x job_seconds
after creation (so a job is PENDING for the first 20% of its run, then RUNNING until the end);
a cancel completes CANCEL_SECONDS (at most) after it was asked for. Every read recomputes this
from the clock, so callers see progress without a background thread. With `job_seconds` <= 0
nothing moves by itself: the control API's advance (next JobState), step (next phase) and finish
drive it.
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

WAITING_FOR_QUOTA = "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
PROCESSING_DATASET = "TUNING_JOB_STATE_PROCESSING_DATASET"
WAITING_FOR_CAPACITY = "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
TUNING = "TUNING_JOB_STATE_TUNING"
POST_PROCESSING = "TUNING_JOB_STATE_POST_PROCESSING"


@dataclass(frozen=True)
class Phase:
    """A stretch of a job's run: its JobState, its detailed state, when it starts (share)."""

    state: str
    detail: str | None
    start: float


PHASES = (
    Phase(PENDING, WAITING_FOR_QUOTA, 0.0),
    Phase(RUNNING, PROCESSING_DATASET, 0.2),  # the service reads the data here
    Phase(RUNNING, WAITING_FOR_CAPACITY, 0.3),
    Phase(RUNNING, TUNING, 0.4),
    Phase(RUNNING, POST_PROCESSING, 0.9),  # checkpoints deployed, evaluation run
    Phase(SUCCEEDED, None, 1.0),
)
FIRST = PHASES[0]
DONE = PHASES[-1]

CANCEL_SECONDS = 1.0
CANCELLABLE = frozenset({QUEUED, PENDING, RUNNING})
#: States the control API's finish may force.
FINAL_CHOICES = frozenset({SUCCEEDED, FAILED, CANCELLED, EXPIRED})


def system_clock() -> datetime:
    """The wall clock, timezone-aware UTC."""
    return datetime.now(UTC)


def phase_of(state: str, detail: str | None) -> int | None:
    """The index in PHASES of a job in `state` (and `detail`), or None when not on the path."""
    if state in (QUEUED, PENDING):
        return 0
    if state == RUNNING:
        details = [p.detail for p in PHASES]
        return details.index(detail) if detail in details[1:-1] else 1
    if state == SUCCEEDED:
        return len(PHASES) - 1
    return None


def next_phase(state: str, detail: str | None) -> Phase | None:
    """One step along the path (control `step`), or None when the job is not on it."""
    index = phase_of(state, detail)
    if index is None or index + 1 >= len(PHASES):
        return None
    return PHASES[index + 1]


def next_state(state: str, detail: str | None) -> list[Phase] | None:
    """The phases to the next JobState (control `advance`): PENDING -> RUNNING's first phase,
    RUNNING -> through the rest to SUCCEEDED. None when there is no next state."""
    if state == CANCELLING:
        return []
    index = phase_of(state, detail)
    if index is None or index + 1 >= len(PHASES):
        return None
    if state == RUNNING:
        return list(PHASES[index + 1 :])
    return [PHASES[index + 1]]


@dataclass(frozen=True)
class Step:
    """A transition that is due: enter `phase` (or CANCELLED when phase is None), dated `at`."""

    phase: Phase | None
    at: datetime


def due(
    state: str,
    detail: str | None,
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
        return Step(None, at) if now >= at else None
    following = next_phase(state, detail) if state in (QUEUED, PENDING, RUNNING) else None
    if following is None:
        return None
    at = created + timedelta(seconds=job_seconds * following.start)
    return Step(following, at) if now >= at else None
