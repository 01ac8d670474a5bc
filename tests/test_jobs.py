"""The tuning-job workflow the provider runs, through Google's client against the emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conftest import LOCATION, PROJECT, console_job, exists, tuning_inputs
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
    assert any(": PENDING " in line for line in lines), lines  # still reported


def test_destroy_removes_every_checkpoint_endpoint_then_the_model(
    emulator: RunningEmulator, vertex: Any, training_uri: str
) -> None:
    """A job exports a checkpoint per epoch, each on an endpoint of its own: DeleteModel is
    refused while any of them still serves the model."""
    name = console_job(vertex, training_uri, epoch_count=2)
    emulator.control.finish(name)
    tuned = vertex.tuning.get_tuning_job(name=name).tuned_model
    endpoints = [c.endpoint for c in tuned.checkpoints]
    assert len(set(endpoints)) == 2 and tuned.endpoint in endpoints

    rest = Vertex(Settings(api_endpoint=emulator.url), LOCATION, sleep=lambda _: None)
    lines: list[str] = []
    jobs.cancel_and_clean_up(
        rest,
        name,
        owner="",
        on_delete="delete_model",
        model=tuned.model,
        endpoint=tuned.endpoint,
        timeout=10,
        emit=lines.append,
    )

    assert not any(exists(vertex.endpoints.get_endpoint, e) for e in endpoints)
    assert not exists(vertex.models.get_model, tuned.model)
    assert sum("deleted endpoint" in line for line in lines) == 2
