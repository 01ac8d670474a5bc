"""The retry policy through Google's own clients against the emulator, sleeps recorded not slept.

What the fault suite's end-to-end runs cannot show without timing: that a 429's Retry-After is
honoured, that backoff grows with full jitter, that permanent errors are not retried, and that a
create whose answer was lost is adopted instead of submitted again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conftest import LOCATION, PROJECT, tuning_inputs
from vertex_tuning import jobs
from vertex_tuning.errors import ApiError, NotFound
from vertex_tuning.retry import RetryPolicy
from vertex_tuning.settings import Settings
from vertex_tuning.vertex import Vertex

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


def vertex(emulator: RunningEmulator, sleeps: list[float], **policy: Any) -> Vertex:
    return Vertex(
        Settings(api_endpoint=emulator.url),
        LOCATION,
        retry=RetryPolicy(**policy),
        sleep=sleeps.append,
    )


def inputs(training_uri: str) -> Any:
    return tuning_inputs(
        base_model="gemini-2.5-flash",
        training_dataset_uri=training_uri,
        resource_key="retries/test/model",
    )


def test_a_429_waits_at_least_its_retry_after(emulator: RunningEmulator) -> None:
    sleeps: list[float] = []
    emulator.control.set_faults(sequence=["429", "429"], retry_after=7)
    vertex(emulator, sleeps).list_jobs_page(PARENT)
    assert len(sleeps) == 2 and min(sleeps) >= 7
    assert emulator.control.request_counts() == {"ListTuningJobs": 3}


def test_transient_failures_are_retried_with_growing_backoff(emulator: RunningEmulator) -> None:
    sleeps: list[float] = []
    emulator.control.set_faults(sequence=["503", "500", "drop", "503"])
    vertex(emulator, sleeps, initial=1.0, multiplier=2.0, maximum=30.0).list_jobs_page(PARENT)
    # Full jitter within [ceiling/2, ceiling], the ceiling doubling per attempt.
    for attempt, slept in enumerate(sleeps):
        ceiling = 2.0**attempt
        assert ceiling / 2 <= slept <= ceiling, (attempt, slept)
    assert len(sleeps) == 4
    assert emulator.control.request_counts() == {"ListTuningJobs": 5}


def test_backoff_is_jittered_and_capped() -> None:
    policy = RetryPolicy(initial=1.0, multiplier=2.0, maximum=30.0)
    samples = [policy.backoff(3, None) for _ in range(200)]
    assert 4.0 <= min(samples) < 5.0 and 7.0 < max(samples) <= 8.0  # spread, not one value
    assert max(policy.backoff(20, None) for _ in range(50)) <= 30.0
    assert policy.backoff(0, 12.0) == 12.0  # Retry-After wins over a shorter backoff


def test_retries_give_up_after_the_attempts_with_the_service_status(
    emulator: RunningEmulator,
) -> None:
    sleeps: list[float] = []
    emulator.control.set_faults(rate=1.0, kinds=["503"])
    with pytest.raises(ApiError) as info:
        vertex(emulator, sleeps, attempts=3).list_jobs_page(PARENT)
    assert info.value.status == "UNAVAILABLE"
    assert str(info.value).startswith(f"listing tuning jobs ({PARENT}): UNAVAILABLE")
    assert len(sleeps) == 2
    assert emulator.control.request_counts() == {"ListTuningJobs": 3}


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("400", "INVALID_ARGUMENT", ApiError),
        ("403", "PERMISSION_DENIED", ApiError),
        ("404", "NOT_FOUND", NotFound),
    ],
)
def test_permanent_errors_are_not_retried(
    emulator: RunningEmulator, kind: str, status: str, error: type[Exception]
) -> None:
    sleeps: list[float] = []
    emulator.control.set_faults(sequence=[kind])
    with pytest.raises(error) as info:
        vertex(emulator, sleeps).get_job(f"{PARENT}/tuningJobs/1")
    assert isinstance(info.value, ApiError) and info.value.status == status
    assert sleeps == []
    assert emulator.control.request_counts() == {"GetTuningJob": 1}


def test_a_create_whose_answer_was_lost_is_adopted_not_submitted_again(
    emulator: RunningEmulator, training_uri: str
) -> None:
    sleeps: list[float] = []
    lines: list[str] = []
    emulator.control.set_faults(sequence=["lost"], methods=["CreateTuningJob"])
    job = jobs.adopt_or_submit(vertex(emulator, sleeps), inputs(training_uri), emit=lines.append)
    (only,) = emulator.control.jobs()
    assert job.name == only["name"]
    assert emulator.control.request_counts()["CreateTuningJob"] == 1
    (adopted,) = (line for line in lines if "adopting" in line)
    assert "pulumi refresh --clear-pending-creates --yes" in adopted  # the engine's leftovers


def test_a_create_refused_by_a_transient_error_is_submitted_once_more(
    emulator: RunningEmulator, training_uri: str
) -> None:
    sleeps: list[float] = []
    emulator.control.set_faults(sequence=["503"], methods=["CreateTuningJob"])
    job = jobs.adopt_or_submit(vertex(emulator, sleeps), inputs(training_uri), emit=print)
    (only,) = emulator.control.jobs()
    assert job.name == only["name"]
    assert emulator.control.request_counts()["CreateTuningJob"] == 2
    assert len(sleeps) == 1
