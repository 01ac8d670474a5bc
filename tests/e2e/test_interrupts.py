"""Interrupted applies: `pulumi up` cut short while jobs wait, then the documented recovery.

The real `pulumi` CLI runs as a subprocess (harness.Project) against the emulator; it is
interrupted at a random moment after its first job is submitted, the three ways a user's run
ends early. The longer run (10+ trials, random kinds) is scripts/soak.py.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from e2e.harness import (
    INTERRUPTIONS,
    SIGINT_ONCE,
    SIGTERM,
    Project,
    Result,
    emulator_env,
    interrupt_and_recover,
    job_args,
    until,
)

if TYPE_CHECKING:
    from vertex_tuning.emulator import EmulatorControl, RunningEmulator

pytestmark = pytest.mark.e2e

JOB_SECONDS = 3.0  # long enough that every interruption lands while jobs wait
RESOURCES = ("alpha", "beta")


@pytest.fixture
def project(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> Project:
    emulator.control.configure(job_seconds=JOB_SECONDS)
    env = emulator_env(pulumi_env, emulator.url, emulator.storage_url)
    project = Project(tmp_path / "project", env)
    project.program({name: job_args(training_uri) for name in RESOURCES})
    project.init()
    return project


@pytest.mark.parametrize("kind", INTERRUPTIONS)
def test_an_interrupted_up_converges_on_the_next_with_one_job_per_resource(
    project: Project, emulator: RunningEmulator, kind: str
) -> None:
    seed = int(os.environ.get("FAULT_SEED") or random.randrange(2**32))
    delay = random.Random(seed).uniform(0.0, JOB_SECONDS / 2)
    trial = interrupt_and_recover(project, emulator.control, kind, delay)
    about = f"{kind} {delay:.2f}s after the first submission (FAULT_SEED={seed})"

    assert trial.interrupted.returncode != 0, about
    # Only a SIGKILLed CLI leaves its lock; Ctrl-C and a dead provider release it.
    assert trial.locked == (kind == "kill-cli"), about
    assert trial.rerun.returncode == 0, f"{about}\n{trial.rerun.output}"
    # Every job the interrupted run had submitted is resumed (it was recorded) or adopted (it
    # was not), and only the rest are submitted.
    assert trial.adopted | trial.resumed == trial.submitted, f"{about}\n{trial.rerun.output}"
    assert not trial.adopted & trial.resumed, about
    if trial.pending_creates:  # the engine warned: the provider said how to clear its records
        assert "pulumi refresh --clear-pending-creates --yes" in trial.rerun.output, about
    assert len(trial.jobs) == len(RESOURCES) and trial.duplicates == 0, (about, trial.jobs)
    live = {j["name"] for j in emulator.control.jobs() if j["state"] == "JOB_STATE_SUCCEEDED"}
    assert set(trial.in_state) == set(RESOURCES) and set(trial.in_state.values()) == live
    # Converged: state matches the service and the program, and no stale records remain.
    assert trial.refresh.returncode == 0, f"{about}\n{trial.refresh.output}"
    assert trial.preview.returncode == 0, f"{about}\n{trial.preview.output}"
    assert trial.pending_after == 0, about


# -- one Ctrl-C, a timeout: the job is recorded and the next up finishes it --------------------

RUNNING = ("JOB_STATE_PENDING", "JOB_STATE_QUEUED", "JOB_STATE_RUNNING")
RESUMES = "the job keeps running"


def _recorded_then_finished(
    project: Project, control: EmulatorControl, stopped: Result, job: dict[str, Any]
) -> None:
    """What a stopped `up` must leave, and how the next one ends: the job in state with its
    name, still running in the cloud; then the same job finished, no second one, nothing left."""
    assert stopped.returncode != 0, stopped.output
    assert stopped.left_running == [], stopped.left_running  # no host polling on its own
    # One line for the job, the engine's error (its summary has none for a stopped create).
    assert stopped.output.count(f"* tuning job {job['name']}") == 1, stopped.output
    assert "keeps running" in stopped.output, stopped.output
    assert "Traceback" not in stopped.output, stopped.output
    (live,) = control.jobs()
    assert live["name"] == job["name"] and live["state"] in RUNNING  # it keeps running
    (resource,) = [r for r in project.export()["resources"] if r["type"].endswith("TuningJob")]
    assert resource["id"] == job["name"] and resource["outputs"]["job_name"] == job["name"]
    assert resource.get("initErrors"), resource  # so the next up updates it, resuming the wait
    assert project.pending_operations() == []

    control.finish(job["name"])
    rerun = project.up().check()
    assert f"resuming the wait on {job['name']}" in rerun.output, rerun.output
    assert "adopting" not in rerun.output
    assert [j["name"] for j in control.jobs()] == [job["name"]]  # one job in total
    (resource,) = [r for r in project.export()["resources"] if r["type"].endswith("TuningJob")]
    assert resource["outputs"]["state"] == "JOB_STATE_SUCCEEDED" and not resource.get("initErrors")
    assert project.pending_operations() == []
    project.preview("--expect-no-changes").check()


@pytest.mark.parametrize("signal_kind", [SIGINT_ONCE, SIGTERM])
def test_one_ctrl_c_stops_the_wait_records_the_job_and_the_next_up_finishes_it(
    project: Project, emulator: RunningEmulator, training_uri: str, signal_kind: str
) -> None:
    """The engine waits for creates under way without a timeout: our host's Cancel ends them."""
    control = emulator.control
    control.configure(job_seconds=0)  # the job would wait for ever: only Cancel ends this up
    project.program({"alpha": job_args(training_uri)})
    running = project.start("up", "--yes", "--skip-preview")
    (job,) = until(control.jobs, timeout=120, what="the submitted job")
    running.interrupt(signal_kind)
    stopped = running.wait(timeout=120)
    assert "the update was cancelled" in stopped.output, stopped.output
    _recorded_then_finished(project, control, stopped, job)


@pytest.mark.parametrize(
    "limit",
    [{"timeout": 1}, {"custom_timeouts": {"create": "1s"}}],
    ids=["timeout-input", "custom-timeouts"],
)
def test_a_timed_out_wait_records_the_job_and_the_next_up_finishes_it(
    project: Project, emulator: RunningEmulator, training_uri: str, limit: dict[str, Any]
) -> None:
    control = emulator.control
    control.configure(job_seconds=0)  # it only ends when told: the limit passes first
    project.program({"alpha": job_args(training_uri, **limit)})
    stopped = project.up()
    (job,) = control.jobs()
    _recorded_then_finished(project, control, stopped, job)


# -- a SIGKILLed CLI: what the user must still do, measured -----------------------------------


def test_after_a_killed_cli_the_minimum_is_cancel_then_up_then_clearing_the_stale_record(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    """The README's three steps after a SIGKILL, each shown necessary and all sufficient.

    A killed engine writes nothing more: its lock stays, and the create it had begun stays a
    "pending create" record without an id, which only `pulumi refresh` can clear.
    """
    control = emulator.control
    control.configure(job_seconds=0)
    project.program({"alpha": job_args(training_uri)})
    running = project.start("up", "--yes", "--skip-preview")
    (job,) = until(control.jobs, timeout=120, what="the submitted job")
    running.interrupt("kill-cli")
    running.wait()
    assert project.tuning_jobs() == {}  # nothing recorded: the engine died first
    control.finish(job["name"])

    locked = project.up()
    assert locked.returncode != 0 and "the stack is currently locked" in locked.output
    project.run("cancel", "--yes").check()  # step 1: the dead CLI's lock

    rerun = project.up().check()  # step 2: the job is adopted, not submitted again
    assert f"adopting {job['name']}" in rerun.output, rerun.output
    assert [j["name"] for j in control.jobs()] == [job["name"]]
    assert project.tuning_jobs()["alpha"]["job_name"] == job["name"]
    # Converged but for the stale record, which the engine copies into every later state.
    assert [op["type"] for op in project.pending_operations()] == ["creating"]
    project.preview("--expect-no-changes").check()
    again = project.up().check()
    assert "pending operations" in again.output and project.pending_operations() != []

    # Step 3: only this clears it (safe: the job is in state, under the same resource).
    project.run("refresh", "--yes", "--clear-pending-creates").check()
    assert project.pending_operations() == []
    assert project.tuning_jobs()["alpha"]["job_name"] == job["name"]
    project.preview("--expect-no-changes").check()


def test_a_refresh_between_the_stopped_up_and_the_next_keeps_the_wait_to_resume(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    """Refresh clears the engine's record of an unfinished create; the provider keeps its own."""
    control = emulator.control
    control.configure(job_seconds=0)
    project.program({"alpha": job_args(training_uri, timeout=1)})
    assert project.up().returncode != 0
    (job,) = control.jobs()
    project.run("refresh", "--yes").check()
    planned = project.preview()
    assert "~ 1 to update" in planned.output or "1 to update" in planned.output, planned.output
    control.finish(job["name"])
    rerun = project.up().check()
    assert f"resuming the wait on {job['name']}" in rerun.output, rerun.output
    (resource,) = [r for r in project.export()["resources"] if r["type"].endswith("TuningJob")]
    assert resource["outputs"]["state"] == "JOB_STATE_SUCCEEDED"
    assert [j["name"] for j in control.jobs()] == [job["name"]]
