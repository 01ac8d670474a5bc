"""Interrupted applies: `pulumi up` cut short while jobs wait, then the documented recovery.

The real `pulumi` CLI runs as a subprocess (harness.Project) against the emulator; it is
interrupted at a random moment after its first job is submitted, the three ways a user's run
ends early. The longer run (10+ trials, random kinds) is scripts/soak.py.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.harness import INTERRUPTIONS, Project, emulator_env, interrupt_and_recover, job_args

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

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
    # Every job the interrupted run had submitted is adopted, and only the rest are submitted.
    assert trial.adopted == trial.submitted, f"{about}\n{trial.rerun.output}"
    if trial.pending_creates:  # the engine warned: the provider said how to clear its records
        assert "pulumi refresh --clear-pending-creates --yes" in trial.rerun.output, about
    assert len(trial.jobs) == len(RESOURCES) and trial.duplicates == 0, (about, trial.jobs)
    live = {j["name"] for j in emulator.control.jobs() if j["state"] == "JOB_STATE_SUCCEEDED"}
    assert set(trial.in_state) == set(RESOURCES) and set(trial.in_state.values()) == live
    # Converged: state matches the service and the program, and no stale records remain.
    assert trial.refresh.returncode == 0, f"{about}\n{trial.refresh.output}"
    assert trial.preview.returncode == 0, f"{about}\n{trial.preview.output}"
    assert trial.pending_after == 0, about
