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


def test_a_value_already_fetched_stands_for_the_first_poll() -> None:
    clock = FakeClock()
    fetched: list[float] = []
    seen: list[tuple[str, float]] = []

    def fetch() -> str:
        fetched.append(clock.now)
        return "SUCCEEDED"

    wait(
        fetch,
        lambda s: s == "SUCCEEDED",
        timeout=100,
        on_status=lambda s, t: seen.append((s, t)),
        current="PENDING",  # as a create's response has it
        clock=clock,
        sleep=clock.sleep,
    )
    assert fetched == [2.0]  # not at 0: the create's response already said PENDING
    assert seen == [("PENDING", 0.0), ("SUCCEEDED", 2.0)]


def _wait_for_end(end: float) -> tuple[int, float]:
    """GetTuningJob-like calls and lateness for a job ending at `end`, submitted at 0."""
    clock = FakeClock()
    polls = 0

    def fetch() -> float:
        nonlocal polls
        polls += 1
        return clock.now

    wait(fetch, lambda t: t >= end, timeout=7200, current=0.0, clock=clock, sleep=clock.sleep)
    return polls, clock.now - end


def test_completion_is_noticed_within_5_percent_of_the_run_between_2_and_30_s() -> None:
    for end in [k * 0.7 for k in range(1, 5200)]:  # every ending up to an hour, 0.7 s apart
        _, late = _wait_for_end(end)
        assert late <= min(30.0, max(2.0, 0.05 * end)) + 1e-9, end


def test_an_hour_long_job_costs_no_more_polls_than_the_bound_requires() -> None:
    # The sparsest schedule that keeps any ending within the bound polls again bound(t) after
    # each poll at t: 20 polls at 2 s to 40 s, 5% growth to 10 min, then every 30 s.
    t, needed = 0.0, 0
    while t < 3600:
        t += min(30.0, max(2.0, 0.05 * t))
        needed += 1
    polls, _ = _wait_for_end(3600)
    assert polls <= needed == 176
