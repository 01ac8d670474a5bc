"""The one poller for long-running work: tuning jobs in the provider and CLI, LROs on delete.

Intervals grow with elapsed time (a fraction of it, between a floor and a cap), so a short job
is noticed within seconds and a long one costs few calls. Clock and sleep are injectable so
tests run in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PollPolicy:
    """Interval = clamp(fraction * elapsed, initial, maximum)."""

    initial: float = 2.0
    maximum: float = 30.0
    fraction: float = 0.05

    def interval(self, elapsed: float) -> float:
        return min(self.maximum, max(self.initial, self.fraction * elapsed))


class WaitTimeout(Exception, Generic[T]):
    """The deadline passed before the work finished; `last` is what was seen last."""

    def __init__(self, last: T, elapsed: float) -> None:
        super().__init__(f"still not done after {elapsed:.0f}s")
        self.last = last
        self.elapsed = elapsed


def wait(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    policy: PollPolicy = PollPolicy(),
    on_status: Callable[[T, float], None] | None = None,
    current: T | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Poll `fetch` until `done` holds; raise WaitTimeout once `timeout` seconds have passed.

    `current` is a value the caller has just fetched (a create's response): it stands for the
    first poll, which would only repeat it.
    """
    start = clock()
    while True:
        if current is None:
            current = fetch()
        elapsed = clock() - start
        if on_status is not None:
            on_status(current, elapsed)
        if done(current):
            return current
        remaining = timeout - elapsed
        if remaining <= 0:
            raise WaitTimeout(current, elapsed)
        sleep(min(policy.interval(elapsed), remaining))
        current = None
