"""The one waiter: growing intervals, a hard deadline, status callbacks, all on a fake clock."""

from __future__ import annotations

import pytest

from vertex_tuning.waiter import PollPolicy, WaitTimeout, wait


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_intervals_grow_with_elapsed_time_up_to_the_cap() -> None:
    policy = PollPolicy(initial=2, maximum=30, fraction=0.05)
    assert [policy.interval(t) for t in (0, 40, 100, 400, 3600)] == [2, 2, 5, 20, 30]


def test_waits_until_done_and_reports_each_status() -> None:
    clock = FakeClock()
    seen: list[tuple[str, float]] = []
    states = iter(["PENDING", "RUNNING", "RUNNING", "SUCCEEDED"])
    result = wait(
        lambda: next(states),
        lambda s: s == "SUCCEEDED",
        timeout=100,
        policy=PollPolicy(initial=2),
        on_status=lambda s, t: seen.append((s, t)),
        clock=clock,
        sleep=clock.sleep,
    )
    assert result == "SUCCEEDED"
    assert [s for s, _ in seen] == ["PENDING", "RUNNING", "RUNNING", "SUCCEEDED"]
    assert clock.sleeps == [2, 2, 2]


def test_deadline_raises_with_the_last_status_and_never_oversleeps() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as info:
        wait(
            lambda: "RUNNING",
            lambda s: False,
            timeout=7,
            policy=PollPolicy(initial=3),
            clock=clock,
            sleep=clock.sleep,
        )
    assert info.value.last == "RUNNING"
    assert clock.now == 7  # the last sleep is cut to the deadline
    assert clock.sleeps == [3, 3, 1]


def test_an_hour_long_job_costs_a_bounded_number_of_polls() -> None:
    clock = FakeClock()
    polls = 0

    def fetch() -> float:
        nonlocal polls
        polls += 1
        return clock.now

    wait(fetch, lambda t: t >= 3600, timeout=7200, clock=clock, sleep=clock.sleep)
    assert polls < 200
    assert clock.now - 3600 <= 30  # completion noticed within one capped interval
