"""Today's Vertex AI tuning, declaratively (issue 16), through the real engine and the emulator:
Gemini 3.5 Flash, preference tuning, continuous tuning from a checkpoint, the default checkpoint
as an in-place update, a model the catalog does not know yet, and a per-model dataset limit."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from conftest import LOCATION, PROJECT, Datasets, make_clients

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

BASE = {
    "poll_interval": 0.2,
    "max_poll_interval": 0.5,
    "project": PROJECT,
    "location": LOCATION,
}


def _jobs_program(jobs: dict[str, dict[str, Any]]) -> Callable[[], None]:
    """TuningJobs by name; an arg of the form ("from", "other", "output") takes that job's
    output, so a job can continue another's model."""

    def program() -> None:
        import pulumi

        import vertex_tuning

        made: dict[str, Any] = {}
        for name, args in jobs.items():
            resolved = {}
            for key, value in args.items():
                if isinstance(value, tuple) and value[0] == "from":
                    _, other, output = value
                    resolved[key] = getattr(made[other], output)
                else:
                    resolved[key] = value
            made[name] = vertex_tuning.TuningJob(name, **{**BASE, **resolved})
            pulumi.export(name, made[name])

    return program


class Surface:
    def __init__(self, env: dict[str, str], emulator: RunningEmulator, workspace: Any) -> None:
        self.env = {**env, "VERTEX_API_ENDPOINT": emulator.url}
        self.emulator = emulator
        self.workspace = workspace

    def stack(self, program: Callable[[], None], name: str = "surface") -> auto.Stack:
        return auto.create_or_select_stack(
            stack_name=name,
            project_name="surface-e2e",
            program=program,
            opts=self.workspace("surface-e2e", self.env),
        )


@pytest.fixture
def surface(
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    tmp_path: Path,
    host_workspace: Callable[..., auto.LocalWorkspaceOptions],
) -> Surface:
    emulator.control.configure(job_seconds=1.0)
    return Surface(pulumi_env, emulator, functools.partial(host_workspace, tmp_path / "project"))


def _outputs(up: auto.UpResult, name: str) -> dict[str, Any]:
    value: dict[str, Any] = up.outputs[name].value
    return value


def test_a_stack_tunes_gemini_3_5_flash_and_exports_each_checkpoint(
    surface: Surface, training_uri: str
) -> None:
    job = {"base_model": "gemini-3.5-flash", "training_dataset_uri": training_uri, "epoch_count": 3}
    out = _outputs(surface.stack(_jobs_program({"model": job})).up(), "model")
    assert out["state"] == "JOB_STATE_SUCCEEDED"
    (created,) = surface.emulator.control.jobs()
    assert created["baseModel"] == "gemini-3.5-flash"
    checkpoints = out["checkpoints"]
    assert [c["checkpoint_id"] for c in checkpoints] == ["1", "2", "3"]
    assert out["tuned_model_endpoint"] == checkpoints[-1]["endpoint"]  # the default: the last
    assert out["serving_checkpoint_id"] == "3"
    assert all(c["endpoint_uri"].endswith(f"{c['endpoint']}:generateContent") for c in checkpoints)


def test_a_preference_tuning_job_tunes_on_pairs(surface: Surface, datasets: Datasets) -> None:
    pairs = [
        {
            "contents": [{"role": "user", "parts": [{"text": f"Question {i}?"}]}],
            "completions": [
                {"score": 1, "completion": {"role": "model", "parts": [{"text": f"Good {i}."}]}},
                {"score": 0, "completion": {"role": "model", "parts": [{"text": f"Bad {i}."}]}},
            ],
        }
        for i in range(4)
    ]
    uri = datasets.upload("preference.jsonl", pairs)
    job = {
        "base_model": "gemini-2.5-flash",
        "method": "preference",
        "beta": 0.1,
        "training_dataset_uri": uri,
    }
    out = _outputs(surface.stack(_jobs_program({"model": job})).up(), "model")
    assert out["state"] == "JOB_STATE_SUCCEEDED" and out["method"] == "preference"
    (created,) = surface.emulator.control.jobs()
    assert created["preferenceOptimizationSpec"]["hyperParameters"]["beta"] == 0.1
    assert out["tuning_data_stats"]["tuning_dataset_example_count"] == len(pairs)


def test_continuous_tuning_from_a_checkpoint_is_the_next_version_of_the_model(
    surface: Surface, training_uri: str
) -> None:
    first = {
        "base_model": "gemini-2.5-flash",
        "training_dataset_uri": training_uri,
        "epoch_count": 2,
    }
    program = _jobs_program(
        {
            "first": first,
            "next": {
                "base_model": ("from", "first", "tuned_model_name"),
                "base_checkpoint_id": "1",
                "training_dataset_uri": training_uri,
            },
        }
    )
    up = surface.stack(program).up()
    before, after = _outputs(up, "first"), _outputs(up, "next")
    model = before["tuned_model_name"].split("@")[0]
    assert before["tuned_model_name"] == f"{model}@1"
    assert after["tuned_model_name"] == f"{model}@2"  # the same registry model, version 2
    continued = [j for j in surface.emulator.control.jobs() if "preTunedModel" in j]
    assert continued[0]["preTunedModel"]["checkpointId"] == "1"
    assert (
        "tunedModelDisplayName" not in continued[0]
        or continued[0]["tunedModelDisplayName"] == before["tuned_model_display_name"]
    )  # inherited


def test_a_new_default_checkpoint_moves_the_endpoint_in_place_without_a_new_job(
    surface: Surface, training_uri: str
) -> None:
    job = {"base_model": "gemini-2.5-flash", "training_dataset_uri": training_uri, "epoch_count": 3}
    first = _outputs(surface.stack(_jobs_program({"model": job})).up(), "model")
    stack = surface.stack(_jobs_program({"model": {**job, "default_checkpoint_id": "1"}}))
    assert {k: v for k, v in stack.preview().change_summary.items() if k != "same"} == {"update": 1}
    up = stack.up()
    moved = _outputs(up, "model")

    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert len(surface.emulator.control.jobs()) == 1  # no retraining
    one = next(c for c in first["checkpoints"] if c["checkpoint_id"] == "1")
    assert moved["tuned_model_endpoint"] == one["endpoint"] != first["tuned_model_endpoint"]
    assert moved["tuned_model_endpoint_uri"].endswith(f"{one['endpoint']}:generateContent")
    assert moved["serving_checkpoint_id"] == "1" and moved["job_name"] == first["job_name"]
    model = make_clients(surface.emulator.url).models.get_model(name=moved["tuned_model_name"])
    assert model.default_checkpoint_id == "1"


def test_a_model_the_catalog_does_not_know_previews_with_a_dated_warning_and_tunes(
    surface: Surface, training_uri: str
) -> None:
    from vertex_tuning import catalog

    job = {"base_model": "gemini-3.6-flash-preview", "training_dataset_uri": training_uri}
    stack = surface.stack(_jobs_program({"model": job}))
    said: list[str] = []
    stack.preview(on_output=said.append)
    text = "\n".join(said)
    assert "'gemini-3.6-flash-preview' is not in vertex-tuning's model catalog" in text
    assert catalog.CATALOG_DATE in text
    assert _outputs(stack.up(), "model")["state"] == "JOB_STATE_SUCCEEDED"  # the service knows it


def test_a_dataset_over_its_models_limit_fails_preview_naming_the_limit(
    surface: Surface, tmp_path: Path, datasets: Datasets
) -> None:
    source = tmp_path / "big.jsonl"
    with source.open("w") as out:
        for i in range(10_004):
            example = {
                "contents": [
                    {"role": "user", "parts": [{"text": f"Question number {i}?"}]},
                    {"role": "model", "parts": [{"text": f"Answer number {i}."}]},
                ]
            }
            out.write(json.dumps(example) + "\n")

    def program() -> None:
        import vertex_tuning

        vertex_tuning.TrainingDataset(
            "data",
            source=str(source),
            bucket=datasets.bucket.name,
            validation_fraction=0.5,  # 5,002 held out: over the service's 5,000
            base_model="gemini-3.5-flash",
        )

    with pytest.raises(auto.CommandError) as failed:
        surface.stack(program).preview()
    assert "over the maximum of 5,000 for a validation dataset" in str(failed.value)
    assert 'the service\'s "Maximum validation dataset size"' in str(failed.value)
    assert surface.emulator.control.request_counts() == {}
