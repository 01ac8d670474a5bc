"""Transient and permanent API faults, and an emulator restart, under the real `pulumi` CLI.

The emulator injects the faults (its `/_emulator/faults` control) into Google's own REST clients
in the provider process; the retry policy itself (Retry-After, jittered backoff, attempts) is
pinned down without timing in tests/test_retries.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import exists, make_clients
from e2e.harness import (
    EmulatorProcess,
    Project,
    emulator_env,
    job_args,
    jobs_by_display_name,
    restart_mid_wait,
)
from vertex_tuning.emulator import EmulatorControl

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

#: Every kind the issue names (429, 500, 503, a dropped connection) plus a lost answer.
TRANSIENT = ("429", "500", "503", "drop", "lost")
#: Met first by each command: every kind once, a call let through between them so that no one
#: call backs off five times in a row (the rate still may).
EACH_ONCE = [step for kind in TRANSIENT for step in (kind, "ok")]


@pytest.fixture
def project(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> Project:
    emulator.control.configure(job_seconds=1.5)
    project = Project(
        tmp_path / "project", emulator_env(pulumi_env, emulator.url, emulator.storage_url)
    )
    project.program(
        {
            "alpha": job_args(training_uri, on_delete="delete_model"),
            "beta": job_args(training_uri),  # on_delete: delete_endpoint
        }
    )
    project.init()
    return project


def injected(control: EmulatorControl) -> int:
    return sum(sum(kinds.values()) for kinds in control.fault_counts().values())


def test_up_refresh_and_destroy_succeed_with_a_fifth_of_all_calls_failing(
    project: Project, emulator: RunningEmulator
) -> None:
    control = emulator.control
    # Each command meets one of every kind first, then a 20% rate on every method.
    control.set_faults(sequence=EACH_ONCE, rate=0.2, kinds=TRANSIENT, retry_after=1)
    project.up().check()
    after_up = injected(control)
    jobs = control.jobs()
    assert jobs_by_display_name(jobs).most_common(1)[0][1] == 1 and len(jobs) == 2
    tuned = {j["tunedModelDisplayName"]: j["tunedModel"] for j in jobs}

    control.set_faults(sequence=EACH_ONCE, rate=0.2, kinds=TRANSIENT, retry_after=1)
    project.run("refresh", "--yes", "--expect-no-changes").check()
    after_refresh = injected(control)

    control.set_faults(sequence=EACH_ONCE, rate=0.2, kinds=TRANSIENT, retry_after=1)
    project.run("destroy", "--yes").check()
    after_destroy = injected(control)
    control.clear_faults()

    assert after_up >= len(TRANSIENT)
    assert after_refresh - after_up >= 2  # refresh makes two calls, then their retries
    assert after_destroy - after_refresh >= len(TRANSIENT)
    assert project.tuning_jobs() == {}
    assert len(control.jobs()) == 2  # no job was submitted twice, none went missing
    vertex = make_clients(emulator.url)
    for model in tuned.values():
        assert not exists(vertex.endpoints.get_endpoint, model["endpoint"])
    alpha, beta = (tuned[n] for n in sorted(tuned))
    assert not exists(vertex.models.get_model, alpha["model"])  # delete_model
    assert exists(vertex.models.get_model, beta["model"])  # delete_endpoint keeps the model


def test_a_permanent_error_on_create_fails_up_after_one_call_each(
    project: Project, emulator: RunningEmulator
) -> None:
    control = emulator.control
    control.set_faults(rate=1.0, kinds=["400"], methods=["CreateTuningJob"])
    result = project.run("up", "--yes")
    assert result.returncode != 0 and "INVALID_ARGUMENT" in result.output
    assert control.request_counts()["CreateTuningJob"] == 2, result.output  # one per resource
    assert control.jobs() == [] and project.tuning_jobs() == {}


def test_a_permanent_error_fails_refresh_and_destroy_after_one_call_each_keeping_state(
    project: Project, emulator: RunningEmulator
) -> None:
    control = emulator.control
    project.up().check()
    control.set_faults(rate=1.0, kinds=["403"], methods=["GetTuningJob"])
    for command in ("refresh", "destroy"):
        before = control.request_counts()["GetTuningJob"]
        result = project.run(command, "--yes", "--skip-preview")
        assert result.returncode != 0 and "PERMISSION_DENIED" in result.output, command
        assert control.request_counts()["GetTuningJob"] - before == 2, result.output
        assert set(project.tuning_jobs()) == {"alpha", "beta"}  # a failed read or delete keeps it


# -- the emulator restarts mid-wait ------------------------------------------------------------


@pytest.fixture
def emulator_process(tmp_path: Path, storage_url: str) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(tmp_path / "vertex-state.json", storage_url, job_seconds=3)
    process.start()
    yield process
    process.kill()


def test_the_wait_carries_on_across_an_emulator_restart(
    tmp_path: Path,
    pulumi_env: dict[str, str],
    storage_url: str,
    training_uri: str,
    emulator_process: EmulatorProcess,
) -> None:
    project = Project(
        tmp_path / "project", emulator_env(pulumi_env, emulator_process.url, storage_url)
    )
    project.program({"alpha": job_args(training_uri)})
    project.init()
    trial = restart_mid_wait(project, emulator_process)
    assert trial.result.returncode == 0, trial.result.output
    assert "adopting" not in trial.result.output  # the same wait went on: nothing resubmitted
    (after,) = trial.jobs
    assert after["name"] == trial.submitted["name"] and after["state"] == "JOB_STATE_SUCCEEDED"
    assert trial.in_state == {"alpha": trial.submitted["name"]}
    assert trial.resumed
