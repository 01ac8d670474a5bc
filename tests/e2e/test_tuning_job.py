"""TuningJob end to end: the real Pulumi engine (Automation API, file backend) and the emulator."""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pytest
from pulumi import automation as auto

from conftest import (
    LOCATION,
    PROJECT,
    SUPPORT_EXAMPLES,
    Datasets,
    console_job,
    exists,
    make_clients,
)

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e


def tuning_program(**overrides: Any) -> Callable[[], None]:
    def program() -> None:
        import pulumi

        import vertex_tuning

        args: dict[str, Any] = {
            "base_model": "gemini-2.5-flash",
            "tuned_model_display_name": "support-e2e",
            "epoch_count": 2,
            "poll_interval": 0.2,
            "max_poll_interval": 0.5,
            "project": PROJECT,
            "location": LOCATION,
            **overrides,
        }
        opts = args.pop("opts", None)
        job = vertex_tuning.TuningJob("model", opts=opts, **args)
        pulumi.export("endpoint", job.tuned_model_endpoint)
        pulumi.export("endpoint_uri", job.tuned_model_endpoint_uri)
        pulumi.export("job_name", job.job_name)
        pulumi.export("state", job.state)
        pulumi.export("stats", job.tuning_data_stats)

    return program


class Stacks:
    """Creates Automation API stacks wired to the emulator; remembers them for cleanup."""

    def __init__(
        self, env: dict[str, str], emulator: RunningEmulator, training_uri: str, workspace: Any
    ) -> None:
        self.env = {**env, "VERTEX_API_ENDPOINT": emulator.url}
        self.workspace = workspace
        self.training_uri = training_uri
        self.emulator = emulator

    def stack(self, name: str = "e2e", **overrides: Any) -> auto.Stack:
        overrides.setdefault("training_dataset_uri", self.training_uri)
        return auto.create_or_select_stack(
            stack_name=name,
            project_name="tuning-e2e",
            program=tuning_program(**overrides),
            opts=self.workspace("tuning-e2e", self.env),
        )

    def jobs(self) -> list[dict[str, Any]]:
        return self.emulator.control.jobs()


@pytest.fixture
def stacks(
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    training_uri: str,
    tmp_path: Path,
    host_workspace: Callable[..., auto.LocalWorkspaceOptions],
) -> Iterator[Stacks]:
    emulator.control.configure(job_seconds=1.5)
    workspace = functools.partial(host_workspace, tmp_path / "project")
    yield Stacks(pulumi_env, emulator, training_uri, workspace)


def changes(result: auto.PreviewResult) -> dict[str, int]:
    return {k: v for k, v in result.change_summary.items() if k != "same"}


def test_up_exports_the_endpoint_and_a_second_up_changes_nothing(stacks: Stacks) -> None:
    stack = stacks.stack()
    up = stack.up()
    outputs = {k: v.value for k, v in up.outputs.items()}
    assert outputs["state"] == "JOB_STATE_SUCCEEDED"
    assert outputs["endpoint"].startswith("projects/") and "/endpoints/" in outputs["endpoint"]
    assert (
        outputs["endpoint_uri"] == f"{stacks.emulator.url}/v1/{outputs['endpoint']}:generateContent"
    )
    assert outputs["stats"]["tuning_dataset_example_count"] == len(SUPPORT_EXAMPLES)
    assert len(stacks.jobs()) == 1

    counts_before = stacks.emulator.control.request_counts()
    assert changes(stack.preview()) == {}
    assert stacks.emulator.control.request_counts() == counts_before  # preview: zero API calls
    again = stack.up()
    assert again.summary.resource_changes == {"same": 3}  # the stack, its identity, the job
    assert len(stacks.jobs()) == 1


def test_refresh_reads_the_live_job_and_drops_one_gone_outside_pulumi(stacks: Stacks) -> None:
    stack = stacks.stack()
    stack.up()
    assert stack.refresh().summary.result == "succeeded"
    assert changes(stack.preview()) == {}
    stacks.emulator.control.reset()  # the job vanishes outside Pulumi
    stack.refresh()
    resources = stack.export_stack().deployment["resources"]
    assert not [r for r in resources if r["type"].endswith("TuningJob")]


def test_spec_change_replaces_create_before_delete(stacks: Stacks) -> None:
    stack = stacks.stack()
    first = stack.up().outputs["endpoint"].value
    events: list[auto.EngineEvent] = []
    stack = stacks.stack(epoch_count=3)
    preview = stack.preview(diff=True)
    assert preview.change_summary.get("replace") == 1
    stack.up(on_event=events.append)
    second = stack.outputs()["endpoint"].value
    assert second != first
    ops = [
        e.res_outputs_event.metadata.op
        for e in events
        if e.res_outputs_event and e.res_outputs_event.metadata.type.endswith("TuningJob")
    ]
    assert ops == ["create-replacement", "replace", "delete-replaced"]
    assert len(stacks.jobs()) == 2
    assert exists(make_clients(stacks.emulator.url).endpoints.get_endpoint, second)
    assert not exists(
        make_clients(stacks.emulator.url).endpoints.get_endpoint, first
    )  # the old endpoint went after the new one came


def test_behaviour_change_updates_in_place_and_keeps_outputs(stacks: Stacks) -> None:
    stack = stacks.stack()
    before = stack.up().outputs
    creates = stacks.emulator.control.request_counts().get("CreateTuningJob", 0)
    stack = stacks.stack(timeout="2h", on_delete="keep")
    up = stack.up()
    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert up.outputs["endpoint"].value == before["endpoint"].value
    assert up.outputs["job_name"].value == before["job_name"].value
    assert stacks.emulator.control.request_counts().get("CreateTuningJob", 0) == creates


def test_failed_job_fails_the_update_with_the_service_message(
    stacks: Stacks, datasets: Datasets
) -> None:
    # The provider's own pre-submit check is off, so the service's failure is what is tested.
    uri = datasets.missing("nowhere.jsonl")
    stack = stacks.stack(training_dataset_uri=uri, validate_data=False)
    with pytest.raises(auto.CommandError) as info:
        stack.up()
    message = str(info.value)
    job = stacks.jobs()[0]
    assert job["state"] == "JOB_STATE_FAILED"
    assert job["name"] in message
    assert "NOT_FOUND" in message and "not found" in message.lower()
    assert "Hint:" in message
    resources = stack.export_stack().deployment.get("resources", [])
    assert not [r for r in resources if r["type"].endswith("TuningJob")]


def test_timeout_fails_then_the_next_up_adopts_the_same_job(stacks: Stacks) -> None:
    stacks.emulator.control.configure(job_seconds=0)  # jobs move only when told
    stack = stacks.stack(timeout=2)
    with pytest.raises(auto.CommandError) as info:
        stack.up()
    assert "still PENDING" in str(info.value) or "still RUNNING" in str(info.value)
    assert "Run `pulumi up` again to resume" in str(info.value)
    (job,) = stacks.jobs()
    stacks.emulator.control.finish(job["name"])
    up = stack.up()
    assert up.outputs["job_name"].value == job["name"]
    assert len(stacks.jobs()) == 1


def test_killed_up_and_rerun_makes_exactly_one_job(stacks: Stacks) -> None:
    stacks.emulator.control.configure(job_seconds=0)
    stack = stacks.stack(timeout=600)
    worker = threading.Thread(target=_up_quietly, args=(stack,), daemon=True)
    worker.start()
    _until(lambda: len(stacks.jobs()) == 1)
    _kill_engine()
    worker.join(timeout=30)
    stack.cancel()  # the killed CLI left its lock behind on the file backend
    stacks.emulator.control.finish(stacks.jobs()[0]["name"])
    up = stack.up()
    assert up.summary.result == "succeeded"
    assert len(stacks.jobs()) == 1
    assert up.outputs["job_name"].value == stacks.jobs()[0]["name"]


def test_destroy_deletes_the_endpoint_and_the_model(stacks: Stacks) -> None:
    stack = stacks.stack(on_delete="delete_model")
    endpoint = stack.up().outputs["endpoint"].value
    model = stacks.jobs()[0]["tunedModel"]["model"]
    assert exists(make_clients(stacks.emulator.url).endpoints.get_endpoint, endpoint)
    stack.destroy()
    assert not exists(make_clients(stacks.emulator.url).endpoints.get_endpoint, endpoint)
    assert not exists(make_clients(stacks.emulator.url).models.get_model, model)
    stack.destroy()  # idempotent: nothing left to delete


def test_destroy_of_a_recorded_running_job_cancels_it(stacks: Stacks) -> None:
    """A timed-out up records its job still running (a partial create); destroy cancels it."""
    stacks.emulator.control.configure(job_seconds=0)  # jobs move only when told
    stack = stacks.stack(timeout=1)
    with pytest.raises(auto.CommandError):
        stack.up()
    (job,) = stacks.jobs()
    stacks.emulator.control.advance(job["name"])  # RUNNING now, and it would stay so
    (resource,) = _tuning_jobs(stack)
    assert resource["id"] == job["name"] and resource.get("initErrors"), resource
    destroying = threading.Thread(target=stack.destroy, daemon=True)
    destroying.start()
    _until(lambda: stacks.jobs()[0]["state"] == "JOB_STATE_CANCELLING")  # destroy asked
    stacks.emulator.control.advance(job["name"])  # the service honours the cancel
    destroying.join(timeout=120)
    assert not destroying.is_alive(), "destroy kept waiting after the job was cancelled"
    assert [j["state"] for j in stacks.jobs()] == ["JOB_STATE_CANCELLED"]
    assert _tuning_jobs(stack) == []


def test_destroy_of_an_adopted_job_leaves_no_endpoint(stacks: Stacks) -> None:
    """A job made outside this stack's records (a killed up) is adopted, then destroyed whole."""
    stacks.emulator.control.configure(job_seconds=0)
    stack = stacks.stack(timeout=600)
    worker = threading.Thread(target=_up_quietly, args=(stack,), daemon=True)
    worker.start()
    _until(lambda: len(stacks.jobs()) == 1)
    _kill_engine()  # the create never returned: nothing of the job is in state
    worker.join(timeout=30)
    stack.cancel()
    stack.refresh(clear_pending_creates=True)
    assert _tuning_jobs(stack) == []
    (job,) = stacks.jobs()
    stacks.emulator.control.finish(job["name"])
    up = stack.up()
    assert up.outputs["job_name"].value == job["name"]  # adopted, not submitted again
    endpoint = up.outputs["endpoint"].value
    stack.destroy()
    assert not exists(make_clients(stacks.emulator.url).endpoints.get_endpoint, endpoint)
    assert [j["name"] for j in stacks.jobs()] == [job["name"]]


def _tuning_jobs(stack: auto.Stack) -> list[dict[str, Any]]:
    resources = stack.export_stack().deployment.get("resources", [])
    return [r for r in resources if r["type"].endswith("TuningJob")]


def test_the_state_file_never_holds_the_token(
    stacks: Stacks, pulumi_env: dict[str, str], tmp_path: Path
) -> None:
    token = "ya29.e2e-secret-token"
    stacks.emulator.control.configure(require_token=token)
    stacks.env["VERTEX_ACCESS_TOKEN"] = token
    stack = stacks.stack()
    stack.up()
    stack.refresh()
    state = json.dumps(stack.export_stack().deployment)
    assert token not in state
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for path in backend.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    stack.destroy()
    stacks.emulator.control.configure(require_token=None)


def _up_quietly(stack: auto.Stack) -> None:
    with contextlib.suppress(auto.CommandError):
        stack.up()


def _until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.1)


def _kill_engine() -> None:
    import psutil

    # Only this test's own CLI (Automation API runs it as our child): other sessions on the
    # machine run `pulumi up` too.
    for proc in psutil.Process().children(recursive=True):
        if proc.name() == "pulumi" and "up" in proc.cmdline():
            proc.kill()


def test_import_adopts_a_job_made_outside_pulumi_and_the_next_preview_is_clean(
    stacks: Stacks,
) -> None:
    vertex = make_clients(stacks.emulator.url)
    made = console_job(vertex, stacks.training_uri, "made-in-the-console", epoch_count=2)
    _until(lambda: stacks.jobs()[0]["state"] == "JOB_STATE_SUCCEEDED")
    # The service names jobs by project number; the import ID names the project as the stack does.
    job_id = f"{vertex.parent}/tuningJobs/{made.rsplit('/', 1)[1]}"
    stack = stacks.stack(
        tuned_model_display_name="made-in-the-console",
        opts=pulumi.ResourceOptions(import_=job_id),
    )
    up = stack.up()
    # The program's poll settings differ from the defaults an import reads back: in place.
    assert up.summary.resource_changes == {"create": 2, "import": 1, "update": 1}
    assert up.outputs["job_name"].value == made
    assert up.outputs["endpoint"].value == stacks.jobs()[0]["tunedModel"]["endpoint"]
    assert changes(stack.preview()) == {}
    assert len(stacks.jobs()) == 1  # adopted, never submitted again
