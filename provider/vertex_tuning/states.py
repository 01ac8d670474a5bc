"""What each Vertex AI JobState means, declared once."""

from __future__ import annotations

PENDING = "JOB_STATE_PENDING"
QUEUED = "JOB_STATE_QUEUED"
RUNNING = "JOB_STATE_RUNNING"
SUCCEEDED = "JOB_STATE_SUCCEEDED"
FAILED = "JOB_STATE_FAILED"
CANCELLING = "JOB_STATE_CANCELLING"
CANCELLED = "JOB_STATE_CANCELLED"
PAUSED = "JOB_STATE_PAUSED"
EXPIRED = "JOB_STATE_EXPIRED"
UPDATING = "JOB_STATE_UPDATING"
PARTIALLY_SUCCEEDED = "JOB_STATE_PARTIALLY_SUCCEEDED"

#: States after which a job never changes again (python-genai calls these JOB_STATES_ENDED).
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, EXPIRED, PARTIALLY_SUCCEEDED})
#: States in which a job is still doing (and billing) work, so it can be adopted or cancelled.
ACTIVE = frozenset({PENDING, QUEUED, RUNNING, PAUSED, UPDATING, CANCELLING})
#: States a user may filter on, for the CLI's --state.
ALL = (
    PENDING,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLING,
    CANCELLED,
    PAUSED,
    EXPIRED,
    UPDATING,
    PARTIALLY_SUCCEEDED,
)


def is_terminal(state: str) -> bool:
    """True once the job will not change any more."""
    return state in TERMINAL


def is_active(state: str) -> bool:
    """True while the job still runs or may run: adopt it rather than submit another."""
    return state in ACTIVE


def short(state: str) -> str:
    """`JOB_STATE_RUNNING` -> `RUNNING`, for progress lines and tables."""
    return state.removeprefix("JOB_STATE_")
