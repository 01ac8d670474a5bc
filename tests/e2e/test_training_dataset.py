"""TrainingDataset -> TuningJob end to end: the real Pulumi engine (Automation API, file backend),
the Vertex AI emulator and the real gcp-storage-emulator."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from conftest import LOCATION, PROJECT, SUPPORT_EXAMPLES, Datasets, example
from test_dataset import DATA

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

PROJECT_NAME = "dataset-e2e"


def program(
    source: Path | None, bucket: str, *, job: dict[str, Any] | None = None, **dataset: Any
) -> Callable[[], None]:
    """A TrainingDataset feeding a TuningJob; no dataset when `source` is None, no job when
    `job` is None."""

    def run() -> None:
        import pulumi

        import vertex_tuning

        training: Any = None
        validation: Any = None
        if source is not None:
            data = vertex_tuning.TrainingDataset(
                "support-data", source=str(source), bucket=bucket, **dataset
            )
            training, validation = data.uri, data.validation_uri
            pulumi.export("uri", data.uri)
            pulumi.export("validation_uri", data.validation_uri)
            pulumi.export("examples", data.examples)
            pulumi.export("content_hash", data.content_hash)
        if job is not None:
            args: dict[str, Any] = {
                "base_model": "gemini-2.5-flash",
                "tuned_model_display_name": "support-data-e2e",
                "training_dataset_uri": training,
                "validation_dataset_uri": validation,
                "poll_interval": 0.2,
                "max_poll_interval": 0.5,
                "project": PROJECT,
                "location": LOCATION,
                **job,
            }
            tuned = vertex_tuning.TuningJob("model", **args)
            pulumi.export("job_name", tuned.job_name)
            pulumi.export("endpoint", tuned.tuned_model_endpoint)

    return run


class Stacks:
    """Automation API stacks wired to both emulators, in one workspace per test."""

    def __init__(
        self, env: dict[str, str], emulator: RunningEmulator, datasets: Datasets, workspace: Any
    ) -> None:
        self.env = {**env, "VERTEX_API_ENDPOINT": emulator.url}
        self.emulator = emulator
        self.datasets = datasets
        self.bucket = datasets.bucket.name
        self.workspace = workspace

    def stack(
        self,
        source: Path | None,
        name: str = "e2e",
        *,
        job: dict[str, Any] | None = None,
        **kw: Any,
    ) -> auto.Stack:
        return auto.create_or_select_stack(
            stack_name=name,
            project_name=PROJECT_NAME,
            program=program(source, self.bucket, job=job, **kw),
            opts=self.workspace(PROJECT_NAME, self.env),
        )

    def jobs(self) -> list[dict[str, Any]]:
        return self.emulator.control.jobs()

    def creates(self) -> int:
        return self.emulator.control.request_counts().get("CreateTuningJob", 0)

    def objects(self) -> list[str]:
        return sorted(f"gs://{self.bucket}/{b.name}" for b in self.datasets.bucket.list_blobs())


@pytest.fixture
def stacks(
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    datasets: Datasets,
    tmp_path: Path,
    host_workspace: Callable[..., auto.LocalWorkspaceOptions],
) -> Iterator[Stacks]:
    emulator.control.configure(job_seconds=1.0)
    workspace = functools.partial(host_workspace, tmp_path / "project")
    yield Stacks(pulumi_env, emulator, datasets, workspace)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in SUPPORT_EXAMPLES))
    return path


def changes(result: auto.PreviewResult | auto.UpResult) -> dict[str, int]:
    summary = (
        result.change_summary
        if isinstance(result, auto.PreviewResult)
        else result.summary.resource_changes or {}
    )
    return {k: v for k, v in summary.items() if k != "same"}


def hashed_uri(stacks: Stacks, source: Path, stack: str = "e2e") -> str:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    return f"gs://{stacks.bucket}/{PROJECT_NAME}/{stack}/support-data-{digest[:16]}.jsonl"


def test_up_trains_on_the_hashed_object_and_nothing_changes_until_the_data_does(
    stacks: Stacks, source: Path, tmp_path: Path
) -> None:
    stack = stacks.stack(source, job={})
    up = stack.up()
    uri = hashed_uri(stacks, source)
    assert up.outputs["uri"].value == uri
    assert up.outputs["examples"].value == len(SUPPORT_EXAMPLES)
    (job,) = stacks.jobs()
    assert job["supervisedTuningSpec"]["trainingDatasetUri"] == uri
    assert "validationDatasetUri" not in job["supervisedTuningSpec"]
    assert stacks.objects() == [uri]

    counts = stacks.emulator.control.request_counts()
    assert changes(stack.preview()) == {}
    moved = tmp_path / "elsewhere" / "same.jsonl"
    moved.parent.mkdir()
    moved.write_bytes(source.read_bytes())
    assert changes(stacks.stack(moved, job={}).preview()) == {}  # same bytes, another path
    assert stacks.emulator.control.request_counts() == counts  # previews call no API


def test_changed_content_replaces_the_dataset_and_trains_a_new_job(
    stacks: Stacks, source: Path
) -> None:
    stack = stacks.stack(source, job={})
    first = stack.up().outputs
    old_uri = first["uri"].value
    with source.open("a") as handle:
        handle.write(json.dumps(example("Do you ship abroad?", "Yes, to 40 countries.")) + "\n")
    preview = stack.preview()
    assert changes(preview) == {"replace": 2}
    events: list[auto.EngineEvent] = []
    second = stack.up(on_event=events.append).outputs
    new_uri = hashed_uri(stacks, source)
    assert second["uri"].value == new_uri != old_uri
    assert second["examples"].value == len(SUPPORT_EXAMPLES) + 1
    assert second["job_name"].value != first["job_name"].value
    jobs = {j["name"]: j for j in stacks.jobs()}
    assert len(jobs) == 2
    assert jobs[second["job_name"].value]["supervisedTuningSpec"]["trainingDatasetUri"] == new_uri
    ops = [
        (e.res_outputs_event.metadata.type.rsplit(":", 1)[-1], e.res_outputs_event.metadata.op)
        for e in events
        if e.res_outputs_event
        and e.res_outputs_event.metadata.type.startswith("pulumi-python")
        and e.res_outputs_event.metadata.op != "same"
    ]
    # New data and new job first; the old job goes before the old data it names.
    assert ops == [
        ("TrainingDataset", "create-replacement"),
        ("TrainingDataset", "replace"),
        ("TuningJob", "create-replacement"),
        ("TuningJob", "replace"),
        ("TuningJob", "delete-replaced"),
        ("TrainingDataset", "delete-replaced"),
    ]
    assert stacks.objects() == [new_uri]


def test_invalid_data_fails_preview_with_the_line_and_calls_nothing(
    stacks: Stacks, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes((DATA / "bad_role.jsonl").read_bytes())
    stack = stacks.stack(bad, job={})
    with pytest.raises(auto.CommandError) as info:
        stack.preview()
    message = str(info.value)
    assert f"property source value {{{bad}}} has a problem: line 3: contents[1].role" in message
    assert stacks.emulator.control.request_counts() == {}
    with pytest.raises(auto.CommandError):
        stack.up()
    assert stacks.emulator.control.request_counts() == {}
    assert stacks.objects() == []


def test_a_job_on_a_missing_object_fails_up_before_submitting(stacks: Stacks) -> None:
    missing = stacks.datasets.missing("nowhere.jsonl")
    stack = stacks.stack(None, job={"training_dataset_uri": missing})
    with pytest.raises(auto.CommandError) as info:
        stack.up()
    message = str(info.value)
    assert f"checking training data ({missing}): NOT_FOUND:" in message
    assert "no tuning job was submitted" in message
    assert stacks.creates() == 0 and stacks.jobs() == []


def test_invalid_remote_data_fails_up_with_the_report_unless_the_check_is_off(
    stacks: Stacks,
) -> None:
    bad = stacks.datasets.upload("bad.jsonl", (DATA / "bad_role.jsonl").read_text())
    stack = stacks.stack(None, job={"training_dataset_uri": bad})
    with pytest.raises(auto.CommandError) as info:
        stack.up()
    assert f"checking training data ({bad}): INVALID: 1 error;" in str(info.value)
    assert "contents[1].role: must be" in str(info.value)
    assert stacks.creates() == 0

    stack = stacks.stack(None, job={"training_dataset_uri": bad, "validate_data": False})
    with pytest.raises(auto.CommandError) as info:
        stack.up()  # submitted: now the service itself fails the job on its data
    assert stacks.creates() == 1
    assert "INVALID_ARGUMENT" in str(info.value) and "line 3" in str(info.value)


def test_a_split_feeds_both_uris_and_destroy_deletes_the_objects(
    stacks: Stacks, tmp_path: Path
) -> None:
    source = tmp_path / "train.jsonl"
    source.write_text(
        "".join(json.dumps(example(f"Question {i}?", "Yes.")) + "\n" for i in range(40))
    )
    stack = stacks.stack(source, job={}, validation_fraction=0.2)
    outputs = stack.up().outputs
    uri, validation_uri = outputs["uri"].value, outputs["validation_uri"].value
    assert validation_uri == uri.removesuffix(".jsonl") + "-validation.jsonl"
    spec = stacks.jobs()[0]["supervisedTuningSpec"]
    assert (spec["trainingDatasetUri"], spec["validationDatasetUri"]) == (uri, validation_uri)
    assert stacks.objects() == sorted([uri, validation_uri])
    stack.destroy()
    assert stacks.objects() == []


def test_retain_on_delete_keeps_the_object_after_destroy(stacks: Stacks, source: Path) -> None:
    stack = stacks.stack(source, retain_on_delete=True)
    uri = stack.up().outputs["uri"].value
    stack.destroy()
    assert stacks.objects() == [uri]
    resources = stack.export_stack().deployment.get("resources", [])
    assert not [r for r in resources if r["type"].endswith("TrainingDataset")]
