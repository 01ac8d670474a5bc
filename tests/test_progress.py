"""Progress lines for an hour-long job, polled on the waiter's own schedule, on a fake clock."""

from __future__ import annotations

from itertools import pairwise

from vertex_tuning.progress import ProgressLines
from vertex_tuning.waiter import PollPolicy
from vertex_tuning.wire import Job

NAME = "projects/123/locations/us-central1/tuningJobs/42"


def lines_of_an_hour_long_job() -> tuple[list[tuple[float, str]], int]:
    """(elapsed, line) pairs and the number of polls: PENDING for 12 min, RUNNING until 1 h."""
    said: list[tuple[float, str]] = []
    now = 0.0
    progress = ProgressLines("tuning job support", lambda line: said.append((now, line)))
    policy, polls = PollPolicy(), 0
    while True:
        polls += 1
        state = "PENDING" if now < 720 else "RUNNING" if now < 3600 else "SUCCEEDED"
        progress(Job(name=NAME, state=f"JOB_STATE_{state}"), now)
        if state == "SUCCEEDED":
            return said, polls
        now += policy.interval(now)


def test_a_line_at_start_and_on_every_state_change() -> None:
    said, _ = lines_of_an_hour_long_job()
    first_running = next(t for t, line in said if "RUNNING" in line)
    assert said[0] == (0.0, "tuning job support: PENDING 0s")  # state first, short, no link
    assert 720 <= first_running <= 720 + 30  # the first poll that saw it
    assert said[-1][1].startswith("tuning job support: SUCCEEDED 1h00m")


def test_elapsed_is_the_jobs_age_and_the_detailed_state_follows() -> None:
    from datetime import UTC, datetime

    from vertex_tuning import progress

    said: list[str] = []
    now = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    lines = progress.ProgressLines("tuning job support", said.append, now=lambda: now)
    job = Job(
        name=NAME,
        state="JOB_STATE_RUNNING",
        create_time="2026-12-01T11:00:00Z",  # a resumed wait: the job is 1h30m old
        detailed_state="TUNING_JOB_STATE_WAITING_FOR_QUOTA",
    )
    lines(job, 0.0)
    assert said == ["tuning job support: RUNNING 1h30m · waiting for quota"]
    lines(
        Job(
            name=NAME,
            state=job.state,
            create_time=job.create_time,
            detailed_state="TUNING_JOB_STATE_TUNING",
        ),
        5.0,
    )
    assert said[-1] == "tuning job support: RUNNING 1h30m · tuning"  # a new detail is a change
    progress.ON_OWN_ROW = True
    try:
        assert progress.prefixed("tuning job support", "RUNNING 3s") == "RUNNING 3s"
    finally:
        progress.ON_OWN_ROW = False


def test_an_hour_long_job_is_heard_from_every_few_minutes_not_every_poll() -> None:
    said, polls = lines_of_an_hour_long_job()
    gaps = [later - earlier for (earlier, _), (later, _) in pairwise(said)]
    assert max(gaps) <= 600 + 30  # quiet for at most 10 minutes, give or take a poll
    assert len(said) <= 40 < polls  # about one line every two minutes on average
    assert all(30 <= gap <= 40 for gap in gaps[:5])  # every half minute while young
