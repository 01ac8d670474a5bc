"""`pulumi import` of a tuning job made outside Pulumi, as the README tells users to run it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import console_job, make_clients
from e2e.harness import Project, emulator_env, job_args, until

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

TUNING_JOB = "pulumi-python:dynamic/vertex-tuning:TuningJob"


def test_pulumi_import_adopts_a_console_job_and_the_declared_program_then_matches(
    tmp_path: Path,
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    storage_url: str,
    training_uri: str,
) -> None:
    emulator.control.configure(job_seconds=0.5)
    vertex = make_clients(emulator.url)
    made = console_job(vertex, training_uri, "made-in-the-console", epoch_count=2)
    until(lambda: emulator.control.jobs()[0]["state"] == "JOB_STATE_SUCCEEDED", what="the job")
    project = Project(tmp_path / "project", emulator_env(pulumi_env, emulator.url, storage_url))
    project.init()
    project.program({})
    job_id = f"{vertex.parent}/tuningJobs/{made.rsplit('/', 1)[1]}"  # the project by its ID

    project.run("import", "--generate-code=false", "--yes", TUNING_JOB, "support", job_id).check()
    imported = project.tuning_jobs()["support"]
    assert imported["job_name"] == made
    assert imported["tuned_model_endpoint"] == emulator.control.jobs()[0]["tunedModel"]["endpoint"]

    # Then the program declares it with the inputs it was made with (and its own polling).
    args = job_args(training_uri, tuned_model_display_name="made-in-the-console", epoch_count=2)
    project.program({"support": args})
    preview = project.preview("--diff").check()
    assert "replace" not in preview.output.lower(), preview.output
    project.up().check()
    project.preview("--expect-no-changes").check()
    assert len(emulator.control.jobs()) == 1
    assert emulator.control.request_counts().get("CreateTuningJob", 0) == 1  # the console's
