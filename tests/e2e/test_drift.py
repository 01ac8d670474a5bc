"""What changed outside Pulumi (issue 17): refresh sees what a consumer would, and `up` repairs it.

Through the real engine and the emulator: the tuned endpoint deleted in the console (the model
is deployed again, no retraining), the model itself deleted (tuned again), the training data's
object deleted (uploaded again). After each, the smoke test asks the live endpoint again and the
next preview is clean.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from conftest import LOCATION, PROJECT, SUPPORT_EXAMPLES, VertexClients, exists, make_clients

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e


def _program(source: Path, bucket: str) -> Callable[[], None]:
    def program() -> None:
        import pulumi

        import vertex_tuning

        data = vertex_tuning.TrainingDataset("data", source=str(source), bucket=bucket)
        job = vertex_tuning.TuningJob(
            "model",
            base_model="gemini-2.5-flash",
            training_dataset_uri=data.uri,
            export_last_checkpoint_only=True,
            poll_interval=0.2,
            max_poll_interval=0.5,
            project=PROJECT,
            location=LOCATION,
            on_delete="delete_model",
        )
        smoke = vertex_tuning.ModelSmokeTest(
            "smoke",
            endpoint=job.tuned_model_endpoint,
            cases=[{"prompt": SUPPORT_EXAMPLES[0]["contents"][0]["parts"][0]["text"]}],
        )
        pulumi.export("endpoint", job.tuned_model_endpoint)
        pulumi.export("model", job.tuned_model_name)
        pulumi.export("data", data.uri)
        pulumi.export("answers", smoke.results)

    return program


@pytest.fixture
def stack(
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    tmp_path: Path,
    host_workspace: Callable[..., auto.LocalWorkspaceOptions],
    datasets: Any,
) -> auto.Stack:
    import json

    emulator.control.configure(job_seconds=1.0)
    source = tmp_path / "train.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in SUPPORT_EXAMPLES))
    env = {**pulumi_env, "VERTEX_API_ENDPOINT": emulator.url}
    workspace = functools.partial(host_workspace, tmp_path / "project")
    return auto.create_or_select_stack(
        stack_name="drift",
        project_name="drift-e2e",
        program=_program(source, datasets.bucket.name),
        opts=workspace("drift-e2e", env),
    )


def _delete_endpoint(vertex: VertexClients, name: str) -> None:
    """As the console does it: undeploy what it serves, then delete it."""
    endpoint = vertex.endpoints.get_endpoint(name=name)
    for deployed in endpoint.deployed_models:
        vertex.endpoints.undeploy_model(endpoint=name, deployed_model_id=deployed.id).result()
    vertex.endpoints.delete_endpoint(name=name).result()


def _refreshed(stack: auto.Stack) -> tuple[str, list[str]]:
    said: list[str] = []
    stack.refresh(on_output=said.append)
    return "\n".join(said), said


def _state(stack: auto.Stack, kind: str) -> dict[str, Any]:
    """The outputs the stack's state holds for its one resource of `kind`."""
    resources = stack.export_stack().deployment["resources"]
    (found,) = [r for r in resources if r["type"].endswith(f":{kind}")]
    outputs: dict[str, Any] = found.get("outputs", {})
    return outputs


def _changes(result: auto.PreviewResult) -> dict[str, int]:
    return {k: v for k, v in result.change_summary.items() if k != "same"}


def test_a_deleted_endpoint_shows_at_refresh_and_up_deploys_the_model_again(
    stack: auto.Stack, emulator: RunningEmulator
) -> None:
    vertex = make_clients(emulator.url)
    first = {k: v.value for k, v in stack.up().outputs.items()}
    _delete_endpoint(vertex, first["endpoint"])

    text, _ = _refreshed(stack)
    assert f"the endpoint {first['endpoint']} is gone" in text
    assert _state(stack, "TuningJob")["tuned_model_endpoint"] == ""  # what a consumer finds
    said: list[str] = []
    planned = stack.preview(on_output=said.append)
    assert "will redeploy the tuned model to a new endpoint" in "\n".join(said)
    assert _changes(planned).get("update") == 1  # the job: no replacement, no retraining

    up = stack.up()
    after = {k: v.value for k, v in up.outputs.items()}
    assert after["endpoint"] and after["endpoint"] != first["endpoint"]
    assert exists(vertex.endpoints.get_endpoint, after["endpoint"])
    assert after["model"] == first["model"] and len(emulator.control.jobs()) == 1
    answer = vertex.prediction.generate_content(
        model=after["endpoint"],
        contents=[{"role": "user", "parts": [{"text": "How do I reset my password?"}]}],
    )
    assert (
        answer.candidates[0].content.parts[0].text
        == SUPPORT_EXAMPLES[0]["contents"][1]["parts"][0]["text"]
    )
    assert up.summary.resource_changes is not None
    assert up.summary.resource_changes.get("replace") == 1  # the smoke test asked again
    assert _changes(stack.preview()) == {}


def test_a_deleted_model_shows_at_refresh_and_up_tunes_it_again(
    stack: auto.Stack, emulator: RunningEmulator
) -> None:
    vertex = make_clients(emulator.url)
    first = {k: v.value for k, v in stack.up().outputs.items()}
    _delete_endpoint(vertex, first["endpoint"])
    vertex.models.delete_model(name=first["model"].split("@")[0]).result()

    text, _ = _refreshed(stack)
    assert f"the tuned model {first['model']} is gone" in text
    said: list[str] = []
    planned = stack.preview(on_output=said.append)
    assert "will tune the model again (the last run took" in "\n".join(said)
    assert _changes(planned).get("replace", 0) >= 1

    after = {k: v.value for k, v in stack.up().outputs.items()}
    assert after["model"] != first["model"] and exists(vertex.models.get_model, after["model"])
    assert len(emulator.control.jobs()) == 2
    assert _changes(stack.preview()) == {}


def test_a_deleted_data_object_shows_at_refresh_and_up_uploads_it_again(
    stack: auto.Stack, emulator: RunningEmulator, datasets: Any
) -> None:
    first = {k: v.value for k, v in stack.up().outputs.items()}
    name = first["data"].split("/", 3)[3]
    datasets.bucket.blob(name).delete()

    text, _ = _refreshed(stack)
    assert f"{first['data']} is gone" in text
    assert _changes(stack.preview()) == {"update": 1}
    stack.up()
    assert datasets.bucket.blob(name).exists()
    assert len(emulator.control.jobs()) == 1  # the same data: the job stands
    assert _changes(stack.preview()) == {}
