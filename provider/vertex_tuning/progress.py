"""Calm progress lines for long waits: on every state change, then less and less often."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vertex_tuning import states
from vertex_tuning.names import console_url
from vertex_tuning.wire import Job


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@dataclass
class ProgressLines:
    """Emits a line when the state changes, else at most every max(30 s, 10% of elapsed, 10 min cap)."""

    label: str
    emit: Callable[[str], None]
    _last_state: str = ""
    _last_at: float = field(default=-1.0)

    def __call__(self, job: Job, elapsed: float) -> None:
        quiet_for = min(600.0, max(30.0, 0.1 * elapsed))
        if job.state == self._last_state and elapsed - self._last_at < quiet_for:
            return
        self._last_state, self._last_at = job.state, elapsed
        self.emit(
            f"{self.label}: {states.short(job.state)} after {format_elapsed(elapsed)} "
            f"({job.name}) {console_url(job.name)}"
        )
