"""How jobs end and how they are torn down, through the real `pulumi` CLI and the emulator.

Jobs that end FAILED, CANCELLED (by someone else) or EXPIRED fail the update with the service's
words and the seed guide's hint, and leave nothing recorded; destroy cancels, cleans up per
`on_delete`, counts what is already gone as done, and keeps in state what it failed to delete.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import console_job, exists, make_clients
from e2e.harness import Project, emulator_env, job_args, jobs_by_display_name, until

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

#: resource (and display name) -> how its job ends, and the hint the update must give.
OUTCOMES: dict[str, dict[str, Any]] = {
    "missing-data": {
        "state": "JOB_STATE_FAILED",
        "code": 5,
        "status": "NOT_FOUND",
        "message": "Training data not found: gs://support-data/train.jsonl",
        "hint": "check the gs:// URI, that the object exists",
    },
    "bad-format": {
        "state": "JOB_STATE_FAILED",
        "code": 3,
        "status": "INVALID_ARGUMENT",
        "message": "Invalid training data format at line 2: 'contents' is required",
        "hint": "run `vertex-tuning validate FILE`",
    },
    "too-few": {
        "state": "JOB_STATE_FAILED",
        "code": 3,
        "status": "INVALID_ARGUMENT",
        "message": "Insufficient training data: 3 examples, at least 16 are required",
        "hint": "add more diverse examples",
    },
    "expired": {
        "state": "JOB_STATE_EXPIRED",
        "code": 4,
        "status": "DEADLINE_EXCEEDED",
        "message": "The tuning job expired before it could run.",
        "hint": "the job expired before it could run",
    },
    "cancelled": {  # by someone else, through the API: the emulator's own error
        "state": "JOB_STATE_CANCELLED",
        "code": 1,
        "status": "CANCELLED",
        "message": "CANCELLED",
        "cause": "cancelled outside this update (in the console, the CLI or through the API)",
        "hint": "run `pulumi up` to submit it again",
    },
}


@pytest.fixture
def project(tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator) -> Project:
    project = Project(
        tmp_path / "project", emulator_env(pulumi_env, emulator.url, emulator.storage_url)
    )
    project.init()
    return project


def test_failed_cancelled_and_expired_jobs_fail_the_update_then_the_next_up_succeeds(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    control = emulator.control
    control.configure(job_seconds=0)  # jobs move only when this test says
    project.program(
        {name: job_args(training_uri, tuned_model_display_name=name) for name in OUTCOMES}
    )
    running = project.start("up", "--yes", "--skip-preview")
    jobs = until(
        lambda: (
            {j["tunedModelDisplayName"]: j["name"] for j in control.jobs()}
            if len(control.jobs()) == len(OUTCOMES)
            else None
        ),
        timeout=120,
        what="every job to be submitted",
    )
    vertex = make_clients(emulator.url)
    for name, outcome in OUTCOMES.items():
        if name == "cancelled":
            vertex.tuning.cancel_tuning_job(name=jobs[name])
            control.advance(jobs[name])  # CANCELLING -> CANCELLED
        else:
            control.finish(
                jobs[name],
                outcome["state"],
                error_code=outcome["code"],
                error_message=outcome["message"],
            )
    failed = running.wait(timeout=120)

    assert failed.returncode != 0
    for name, outcome in OUTCOMES.items():
        ended = outcome["state"].removeprefix("JOB_STATE_")
        cause = outcome.get("cause") or (
            f"{outcome['status']} ({outcome['code']}): {outcome['message']}"
        )
        said = f"tuning job ({jobs[name]}) ended {ended}: {cause}. Hint: {outcome['hint']}"
        assert said in failed.output, failed.output
    assert "Traceback" not in failed.output  # an expected failure is its message alone
    assert project.tuning_jobs() == {}  # nothing recorded as created
    assert project.pending_operations() == []

    control.configure(job_seconds=1)  # the data is fixed: the next jobs succeed
    project.up().check()
    assert set(jobs_by_display_name(control.jobs()).values()) == {2}  # one failed, one new
    succeeded = {j["name"] for j in control.jobs() if j["state"] == "JOB_STATE_SUCCEEDED"}
    assert {outs["job_name"] for outs in project.tuning_jobs().values()} == succeeded
    assert len(succeeded) == len(OUTCOMES)


# -- destroy -----------------------------------------------------------------------------------


def test_destroy_cleans_up_per_on_delete_and_counts_what_is_gone_as_done(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    emulator.control.configure(job_seconds=1)
    project.program(
        {
            name: job_args(training_uri, tuned_model_display_name=name, on_delete=on_delete)
            for name, on_delete in {
                "keep": "keep",
                "endpoint": "delete_endpoint",
                "model": "delete_model",
                "gone": "delete_model",
            }.items()
        }
    )
    project.up().check()
    vertex = make_clients(emulator.url)
    tuned = {j["tunedModelDisplayName"]: j["tunedModel"] for j in emulator.control.jobs()}
    # Someone tears down `gone`'s endpoints (one per checkpoint) and model by hand before the
    # destroy.
    for checkpoint in tuned["gone"]["checkpoints"]:
        endpoint = vertex.endpoints.get_endpoint(name=checkpoint["endpoint"])
        vertex.endpoints.undeploy_model(
            endpoint=endpoint.name, deployed_model_id=endpoint.deployed_models[0].id
        ).result()
        vertex.endpoints.delete_endpoint(name=endpoint.name).result()
    vertex.models.delete_model(name=tuned["gone"]["model"].split("@")[0]).result()

    project.run("destroy", "--yes").check()

    def present(kind: str, name: str) -> bool:
        get = vertex.endpoints.get_endpoint if kind == "endpoint" else vertex.models.get_model
        return exists(get, tuned[name][kind])

    assert present("endpoint", "keep") and present("model", "keep")
    assert not present("endpoint", "endpoint") and present("model", "endpoint")
    assert not present("endpoint", "model") and not present("model", "model")
    assert project.tuning_jobs() == {}
    project.run("destroy", "--yes").check()  # nothing left: still fine


def test_a_failed_delete_keeps_the_resource_then_a_destroy_after_everything_vanished_works(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    emulator.control.configure(job_seconds=1)
    project.program({"alpha": job_args(training_uri)})
    project.up().check()
    emulator.control.set_faults(rate=1.0, kinds=["403"], methods=["DeleteEndpoint"])
    failed = project.run("destroy", "--yes")
    assert failed.returncode != 0
    assert "deleting endpoint" in failed.output and "PERMISSION_DENIED" in failed.output
    assert set(project.tuning_jobs()) == {"alpha"}  # kept, to be deleted again later

    emulator.control.reset()  # the job, model and endpoint all vanish outside Pulumi
    project.run("destroy", "--yes").check()
    assert project.tuning_jobs() == {}


def test_destroy_cancels_a_running_job_and_waits_until_it_stops(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    emulator.control.configure(job_seconds=600)  # it would run for ten minutes
    vertex = make_clients(emulator.url)
    made = console_job(vertex, training_uri, "running")
    job_id = f"{vertex.parent}/tuningJobs/{made.rsplit('/', 1)[1]}"
    # Imported while it runs (a create, by contrast, only records a job once it succeeded).
    project.program(
        {"running": job_args(training_uri, tuned_model_display_name="running", import_=job_id)}
    )
    project.up().check()
    assert project.tuning_jobs()["running"]["state"] in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")

    destroyed = project.run("destroy", "--yes").check()
    assert f"tuning job {job_id}: cancelling" in destroyed.output
    (job,) = emulator.control.jobs()
    assert job["state"] == "JOB_STATE_CANCELLED"  # stopped, not just asked to stop
    assert project.tuning_jobs() == {}
