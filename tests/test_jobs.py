"""The tuning-job workflow the provider runs, through Google's client against the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conftest import LOCATION, PROJECT, tuning_inputs
from vertex_tuning import jobs
from vertex_tuning.settings import Settings
from vertex_tuning.vertex import Vertex

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator


def test_the_create_response_stands_for_the_first_poll(
    emulator: RunningEmulator, training_uri: str
) -> None:
    """Its state is fresh: a GetTuningJob right after it would only repeat it."""
    counts_at_first_sleep: list[dict[str, int]] = []

    def sleep(_seconds: float) -> None:
        if not counts_at_first_sleep:
            counts_at_first_sleep.append(emulator.control.request_counts())
            (job,) = emulator.control.jobs()
            emulator.control.finish(job["name"])

    inputs = tuning_inputs(
        base_model="gemini-2.5-flash",
        training_dataset_uri=training_uri,
        tuned_model_display_name="first-poll",
        project=PROJECT,
        location=LOCATION,
        validate_data=False,
    )
    vertex = Vertex(Settings(api_endpoint=emulator.url), LOCATION, sleep=sleep)
    lines: list[str] = []

    job = jobs.tune(vertex, inputs, emit=lines.append)

    assert job.state == "JOB_STATE_SUCCEEDED"
    assert counts_at_first_sleep == [{"ListTuningJobs": 1, "CreateTuningJob": 1}]
    assert emulator.control.request_counts()["GetTuningJob"] == 1
    assert any(": PENDING after 0s" in line for line in lines), lines  # still reported
