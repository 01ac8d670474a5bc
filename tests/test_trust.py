"""Trust nothing once: one 404 never makes state forget a live job, and destroy reads again
until what it deleted is confirmed gone. The provider against the emulator's fault injection,
through the same REST calls it makes in a deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conftest import LOCATION, PROJECT, VertexClients, console_job, exists
from vertex_tuning import ownership
from vertex_tuning.resources.tuning_job import TuningJobProvider

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

OWNER = "0" * 31 + "1"


@pytest.fixture
def vertex_env(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    monkeypatch.setenv("VERTEX_API_ENDPOINT", emulator.url)
    return emulator


def _tuned(
    emulator: RunningEmulator, vertex: VertexClients, uri: str, owner: str
) -> dict[str, Any]:
    """A finished job labelled for `owner`, and the state a TuningJob would hold for it."""
    name = console_job(vertex, uri, labels={ownership.OWNER_LABEL: owner})
    job = emulator.control.finish(name)
    return {
        "project": PROJECT,
        "location": LOCATION,
        "on_delete": "delete_endpoint",
        "job_name": name,
        "tuned_model_name": job["tunedModel"]["model"],
        "tuned_model_endpoint": job["tunedModel"]["endpoint"],
        "owner": OWNER,
    }


def test_one_404_on_the_job_does_not_drop_it_from_state(
    vertex_env: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    props = _tuned(vertex_env, vertex, training_uri, OWNER)
    vertex_env.control.set_faults(sequence=["404"], methods=["GetTuningJob"])
    assert TuningJobProvider().read(props["job_name"], props).id == props["job_name"]


def test_a_job_whose_reads_all_fail_is_still_found_by_its_owner_label(
    vertex_env: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    props = _tuned(vertex_env, vertex, training_uri, OWNER)
    vertex_env.control.set_faults(sequence=["404", "404"], methods=["GetTuningJob"])
    assert TuningJobProvider().read(props["job_name"], props).id == props["job_name"]


def test_a_job_that_is_gone_leaves_state(
    vertex_env: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    props = _tuned(vertex_env, vertex, training_uri, OWNER)
    vertex_env.control.reset()  # gone from the service: every witness agrees
    assert TuningJobProvider().read(props["job_name"], props).id == ""


def test_one_404_on_the_endpoint_during_destroy_still_deletes_it(
    vertex_env: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    props = _tuned(vertex_env, vertex, training_uri, OWNER)
    vertex_env.control.set_faults(sequence=["404"], methods=["GetEndpoint"])
    TuningJobProvider().delete(props["job_name"], props)
    assert not exists(vertex.endpoints.get_endpoint, props["tuned_model_endpoint"])


def test_a_delete_answered_404_is_read_again_until_the_endpoint_is_gone(
    vertex_env: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    props = _tuned(vertex_env, vertex, training_uri, OWNER)
    # The delete is refused as if done, and the next read claims it is gone: neither is believed.
    vertex_env.control.set_faults(
        sequence=["ok", "404", "404"], methods=["DeleteEndpoint", "GetEndpoint"]
    )
    TuningJobProvider().delete(props["job_name"], props)
    assert not exists(vertex.endpoints.get_endpoint, props["tuned_model_endpoint"])


def test_destroy_leaves_alone_what_another_resource_owns(
    vertex_env: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    props = _tuned(vertex_env, vertex, training_uri, owner="f" * 32)
    TuningJobProvider().delete(props["job_name"], {**props, "on_delete": "delete_model"})
    assert exists(vertex.endpoints.get_endpoint, props["tuned_model_endpoint"])
    assert exists(vertex.models.get_model, props["tuned_model_name"])


def test_the_owner_is_the_resource_in_its_stack_and_the_fingerprint_the_owner_with_the_spec() -> (
    None
):
    from conftest import tuning_inputs

    def inputs(**values: Any) -> Any:
        base = {
            "base_model": "gemini-2.5-flash",
            "training_dataset_uri": "gs://bkt/train.jsonl",
            "resource_key": "urn:pulumi:dev::proj::pulumi-python:dynamic/vertex-tuning:TuningJob::m",
            "stack_token": "a" * 32,
        }
        return tuning_inputs(**{**base, **values})

    mine = inputs()
    assert ownership.owner(inputs(stack_token="b" * 32)) != ownership.owner(mine)  # other backend
    other_parent = (
        "urn:pulumi:dev::proj::team:b:Model$pulumi-python:dynamic/vertex-tuning:TuningJob::m"
    )
    assert ownership.owner(inputs(resource_key=other_parent)) != ownership.owner(mine)
    assert ownership.owner(inputs(timeout=60)) == ownership.owner(mine)
    assert ownership.fingerprint(inputs(epoch_count=3)) != ownership.fingerprint(mine)
    assert ownership.fingerprint(inputs(timeout=60)) == ownership.fingerprint(mine)
    assert ownership.belongs_to(
        {ownership.OWNER_LABEL: ownership.owner(mine)}, ownership.owner(mine)
    )
    assert not ownership.belongs_to({ownership.OWNER_LABEL: "x"}, ownership.owner(mine))
    assert ownership.belongs_to({}, ownership.owner(mine))  # made before owners were labelled
