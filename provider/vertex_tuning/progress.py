"""Calm progress lines for long waits: what matters first and short, then less and less often.

A line is the state, the time since the job was created (not since this process started
watching: a resumed wait says how old the job is), then the service's detailed state
("tuning", "waiting for quota"). A line is said on every change, then at most every
max(30 s, 10% of the wait), capped at 10 minutes. The console link is said once, when the job
is submitted or adopted. Under vertex-tuning's host each line lands on the job's own row, so it
names nothing else; elsewhere (the stock host prints on the stack's row) it names the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vertex_tuning import states
from vertex_tuning.wire import Job

#: Set by the provider host when what a provider prints lands on the resource's own row.
ON_OWN_ROW = False
#: Starts a line the host sends as a status message (the engine's ephemeral diagnostic): shown
#: live on the row, left out of the summary the engine prints at the end, so a CI log carries
#: each progress line once.
STATUS_MARK = "\x1f"


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def utc_now() -> datetime:
    return datetime.now(UTC)


def age(job: Job, now: datetime) -> float | None:
    """Seconds since the service created the job, or None when it does not say."""
    if not job.create_time:
        return None
    try:
        created = datetime.fromisoformat(job.create_time)
    except ValueError:
        return None
    return max(0.0, (now - created).total_seconds())


def detail(detailed_state: str) -> str:
    """`TUNING_JOB_STATE_WAITING_FOR_QUOTA` -> `waiting for quota` ("" when unset)."""
    words = detailed_state.removeprefix("TUNING_JOB_STATE_").replace("_", " ").lower()
    return "" if words in ("", "unspecified") else words


def status(job: Job, now: datetime, waited: float = 0.0) -> str:
    """`RUNNING 3m12s · tuning`: state, age, detail."""
    elapsed = age(job, now)
    text = f"{states.short(job.state)} {format_elapsed(waited if elapsed is None else elapsed)}"
    more = detail(job.detailed_state)
    return f"{text} · {more}" if more else text


def prefixed(label: str, text: str) -> str:
    """`text` as a line of the job `label`: alone on its own row, named on a shared one."""
    return text if ON_OWN_ROW or not label else f"{label}: {text}"


@dataclass
class ProgressLines:
    """Says a line when the state changes, else calmly (see the module docstring)."""

    label: str
    emit: Callable[[str], None]
    now: Callable[[], datetime] = utc_now
    _last: tuple[str, str] = ("", "")
    _last_at: float = field(default=-1.0)

    def __call__(self, job: Job, waited: float) -> None:
        quiet_for = min(600.0, max(30.0, 0.1 * waited))
        seen = (job.state, job.detailed_state)
        if seen == self._last and waited - self._last_at < quiet_for:
            return
        self._last, self._last_at = seen, waited
        line = prefixed(self.label, status(job, self.now(), waited))
        # On its own row a passing state is a status line; the last one stays in the summary.
        passing = ON_OWN_ROW and not states.is_terminal(job.state)
        self.emit(f"{STATUS_MARK}{line}" if passing else line)
