"""The emulator, driven only through Google's clients (and its control path for progression)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from google.api_core import exceptions
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1 as v1
from google.cloud.storage import Client as StorageClient
from google.protobuf import empty_pb2

from conftest import SUPPORT_EXAMPLES
from vertex_tuning.emulator import ControlError, FaultPlan, serve, tokens

JOB_NAME = re.compile(r"^projects/(\d{12})/locations/us-central1/tuningJobs/(\d{19})$")
State = v1.JobState


def example(prompt: str, answer: str) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }


def new_job(training_uri: str, **fields: Any) -> Any:
    """A valid TuningJob for gemini-2.5-flash; `fields` override or add."""
    spec = fields.pop("spec", {})
    job: dict[str, Any] = {
        "base_model": "gemini-2.5-flash",
        "tuned_model_display_name": "support-bot",
        "supervised_tuning_spec": {"training_dataset_uri": training_uri, **spec},
        **fields,
    }
    return v1.TuningJob(**{k: v for k, v in job.items() if v is not None})


#: One checkpoint, so one endpoint: what a job made before intermediate checkpoints looked like.
LAST_CHECKPOINT_ONLY = {"export_last_checkpoint_only": True}


def create(vertex: Any, job: Any) -> Any:
    return vertex.tuning.create_tuning_job(parent=vertex.parent, tuning_job=job)


def error_status(exc: exceptions.GoogleAPICallError) -> str:
    """The canonical status in Google's JSON error body (REST clients map 400s to BadRequest)."""
    return str(exc.response.json()["error"]["status"])


# -- storage -------------------------------------------------------------------------------


def test_storage_client_talks_to_the_storage_emulator(storage_url: str) -> None:
    # No endpoint given: google-cloud-storage finds the emulator through STORAGE_EMULATOR_HOST.
    assert os.environ["STORAGE_EMULATOR_HOST"] == storage_url
    client = StorageClient(project="test-project", credentials=AnonymousCredentials())
    bucket = client.create_bucket("round-trip")
    bucket.blob("a/b.jsonl").upload_from_string('{"x": 1}\n')
    assert bucket.blob("a/b.jsonl").download_as_bytes() == b'{"x": 1}\n'


# -- create, get, progression ----------------------------------------------------------------


def test_create_answers_with_project_number_numeric_id_and_pending(
    vertex: Any, training_uri: str
) -> None:
    job = create(vertex, new_job(training_uri, labels={"team": "support"}))

    match = JOB_NAME.match(job.name)
    assert match, job.name
    assert match[1] != "test-project"
    assert job.state == State.JOB_STATE_PENDING
    assert job.create_time == job.update_time
    assert job.labels == {"team": "support"}
    assert job.base_model == "gemini-2.5-flash"
    # Both the project id and the project number reach the same job.
    by_id = vertex.tuning.get_tuning_job(
        name=f"projects/test-project/locations/us-central1/tuningJobs/{match[2]}"
    )
    assert by_id.name == vertex.tuning.get_tuning_job(name=job.name).name == job.name


def test_manual_progression_succeeds_with_model_endpoint_and_stats(
    emulator: Any, vertex: Any, training_uri: str
) -> None:
    job = new_job(training_uri, labels={"team": "support"}, spec=LAST_CHECKPOINT_ONLY)
    job = create(vertex, job)

    running = emulator.control.advance(job.name)
    assert running["state"] == "JOB_STATE_RUNNING"
    job = vertex.tuning.get_tuning_job(name=job.name)
    assert job.state == State.JOB_STATE_RUNNING
    assert job.start_time >= job.create_time
    assert "/metadataStores/default/contexts/" in job.experiment

    emulator.control.advance(job.name)
    job = vertex.tuning.get_tuning_job(name=job.name)
    assert job.state == State.JOB_STATE_SUCCEEDED
    assert job.end_time >= job.start_time
    parent = job.name.split("/tuningJobs/")[0]
    assert re.fullmatch(rf"{parent}/models/\d{{19}}@1", job.tuned_model.model)
    assert re.fullmatch(rf"{parent}/endpoints/\d{{19}}", job.tuned_model.endpoint)

    stats = job.tuning_data_stats.supervised_tuning_data_stats
    assert stats.tuning_dataset_example_count == 3
    assert stats.total_billable_character_count == stats.total_tuning_character_count > 100
    # Billed by the emulator's one tokenizer, the one its CountTokens answers with.
    texts = [
        "".join(part["text"] for part in content["parts"])
        for example in SUPPORT_EXAMPLES
        for content in example["contents"]
    ]
    assert stats.total_billable_token_count == sum(tokens.count(t) for t in texts)
    assert stats.tuning_step_count > 0
    inputs = stats.user_input_token_distribution
    assert inputs.min_ <= inputs.median <= inputs.max_ and inputs.sum > 0
    assert inputs.mean == pytest.approx(inputs.sum / 3)
    assert stats.user_message_per_example_distribution.max_ == 2
    assert sum(b.count for b in stats.user_output_token_distribution.buckets) == 3
    assert stats.user_dataset_examples[0].parts[0].text == "How do I reset my password?"

    model = vertex.models.get_model(name=job.tuned_model.model)
    assert model.name == job.tuned_model.model.removesuffix("@1")
    assert model.display_name == "support-bot"
    assert model.version_id == "1"
    assert model.labels == {"team": "support"}
    assert [ref.endpoint for ref in model.deployed_models] == [job.tuned_model.endpoint]
    assert vertex.models.get_model(name=model.name).name == model.name

    endpoint = vertex.endpoints.get_endpoint(name=job.tuned_model.endpoint)
    assert endpoint.deployed_models[0].model == model.name
    assert endpoint.deployed_models[0].id == model.deployed_models[0].deployed_model_id
    assert endpoint.traffic_split == {endpoint.deployed_models[0].id: 100}


def test_clock_progression_is_read_off_the_clock(
    storage_url: str, fake_clock: Any, vertex_clients: Any, training_uri: str
) -> None:
    with serve(job_seconds=10, storage_url=storage_url, clock=fake_clock) as running:
        vertex = vertex_clients(running.url)
        job = create(vertex, new_job(training_uri))
        created = job.create_time

        fake_clock.advance(1.9)
        assert vertex.tuning.get_tuning_job(name=job.name).state == State.JOB_STATE_PENDING
        fake_clock.advance(0.2)
        job = vertex.tuning.get_tuning_job(name=job.name)
        assert job.state == State.JOB_STATE_RUNNING
        assert job.start_time - created == timedelta(seconds=2)

        fake_clock.advance(8)
        job = vertex.tuning.get_tuning_job(name=job.name)
        assert job.state == State.JOB_STATE_SUCCEEDED
        assert job.end_time - created == timedelta(seconds=10)
        assert job.update_time == job.end_time

        # A cancel completes a moment later, without any control call.
        other = create(vertex, new_job(training_uri))
        vertex.tuning.cancel_tuning_job(name=other.name)
        assert vertex.tuning.get_tuning_job(name=other.name).state == State.JOB_STATE_CANCELLING
        fake_clock.advance(1)
        other = vertex.tuning.get_tuning_job(name=other.name)
        assert other.state == State.JOB_STATE_CANCELLED
        assert other.error.code == 1


def test_manual_mode_never_moves_by_itself(emulator: Any, vertex: Any, training_uri: str) -> None:
    job = create(vertex, new_job(training_uri))
    for _ in range(3):
        assert vertex.tuning.get_tuning_job(name=job.name).state == State.JOB_STATE_PENDING
    # Switched to the clock at run time, the job is as far as its age says.
    emulator.control.configure(job_seconds=3600)
    assert vertex.tuning.get_tuning_job(name=job.name).state == State.JOB_STATE_PENDING
    emulator.control.configure(job_seconds=0.000001)
    assert vertex.tuning.get_tuning_job(name=job.name).state == State.JOB_STATE_SUCCEEDED


# -- cancel ------------------------------------------------------------------------------------


@pytest.mark.parametrize("advances", [0, 1], ids=["pending", "running"])
def test_cancel_goes_through_cancelling_to_cancelled(
    emulator: Any, vertex: Any, training_uri: str, advances: int
) -> None:
    job = create(vertex, new_job(training_uri))
    for _ in range(advances):
        emulator.control.advance(job.name)

    vertex.tuning.cancel_tuning_job(name=job.name)
    assert vertex.tuning.get_tuning_job(name=job.name).state == State.JOB_STATE_CANCELLING
    vertex.tuning.cancel_tuning_job(name=job.name)  # cancelling again is fine

    emulator.control.advance(job.name)
    job = vertex.tuning.get_tuning_job(name=job.name)
    assert job.state == State.JOB_STATE_CANCELLED
    assert job.end_time >= job.create_time
    assert "tuned_model" not in job


@pytest.mark.parametrize(
    "state", ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"]
)
def test_cancelling_a_finished_job_is_a_failed_precondition(
    emulator: Any, vertex: Any, training_uri: str, state: str
) -> None:
    job = create(vertex, new_job(training_uri))
    emulator.control.finish(job.name, state)

    with pytest.raises(exceptions.BadRequest) as raised:
        vertex.tuning.cancel_tuning_job(name=job.name)
    assert error_status(raised.value) == "FAILED_PRECONDITION"
    assert state in raised.value.message


# -- data failures -------------------------------------------------------------------------------


def test_missing_training_data_fails_the_job_with_not_found(
    emulator: Any, vertex: Any, datasets: Any
) -> None:
    uri = datasets.missing()
    job = create(vertex, new_job(uri))
    emulator.control.advance(job.name)

    job = vertex.tuning.get_tuning_job(name=job.name)
    assert job.state == State.JOB_STATE_FAILED
    assert job.error.code == 5
    assert job.error.message == f"Training data not found: {uri}"
    assert "tuned_model" not in job


def test_missing_validation_data_fails_the_job(
    emulator: Any, vertex: Any, datasets: Any, training_uri: str
) -> None:
    uri = datasets.missing("validation.jsonl")
    job = create(vertex, new_job(training_uri, spec={"validation_dataset_uri": uri}))
    emulator.control.finish(job.name)  # its natural outcome
    job = vertex.tuning.get_tuning_job(name=job.name)
    assert job.state == State.JOB_STATE_FAILED
    assert job.error.message == f"Validation data not found: {uri}"


GOOD_LINE = json.dumps(example("hi", "hello"))


@pytest.mark.parametrize(
    ("second_line", "reason"),
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "each line must be a JSON object"),
        ('{"messages": []}', 'missing required field "contents"'),
        (
            json.dumps({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}),
            'contents[0].role must be "user" or "model"',
        ),
        (
            json.dumps({"contents": [{"role": "user", "parts": [{"text": "x"}]}]}),
            'the last entry of "contents" must have role "model"',
        ),
        (
            json.dumps({"contents": [{"role": "user", "parts": []}]}),
            "contents[0].parts must not be empty",
        ),
        (json.dumps({**example("a", "b"), "colour": "red"}), 'Unknown name "colour"'),
    ],
)
def test_invalid_jsonl_fails_the_job_naming_the_line(
    emulator: Any, vertex: Any, datasets: Any, second_line: str, reason: str
) -> None:
    uri = datasets.upload("bad.jsonl", f"{GOOD_LINE}\n{second_line}\n{GOOD_LINE}\n")
    job = create(vertex, new_job(uri))
    emulator.control.finish(job.name)

    job = vertex.tuning.get_tuning_job(name=job.name)
    assert job.state == State.JOB_STATE_FAILED
    assert job.error.code == 3
    assert job.error.message.startswith("Invalid training data format at line 2: ")
    assert reason in job.error.message


def test_an_empty_dataset_fails_the_job(emulator: Any, vertex: Any, datasets: Any) -> None:
    job = create(vertex, new_job(datasets.upload("empty.jsonl", "\n\n")))
    emulator.control.finish(job.name)
    job = vertex.tuning.get_tuning_job(name=job.name)
    assert (job.state, job.error.code) == (State.JOB_STATE_FAILED, 3)
    assert "contains no examples" in job.error.message


# -- create validation -------------------------------------------------------------------------

A = v1.SupervisedHyperParameters.AdapterSize
LONG = "x" * 64


def _labels(count: int) -> dict[str, str]:
    return {f"k{i}": "v" for i in range(count)}


INVALID = {
    "unknown base model": ({"base_model": "gemini-1.0-pro-002"}, "baseModel"),
    "retired base model": ({"base_model": "gemini-2.0-flash-lite-001"}, "not supported"),
    "no base model": ({"base_model": None}, "baseModel is required"),
    "unknown pre-tuned model": (
        {
            "base_model": None,
            "pre_tuned_model": {
                "tuned_model_name": "projects/test-project/locations/us-central1/models/42"
            },
        },
        "preTunedModel.tunedModelName",
    ),
    "no tuning spec": ({"supervised_tuning_spec": None}, "supervisedTuningSpec is required"),
    "no training data": (
        {"supervised_tuning_spec": {"validation_dataset_uri": "gs://b/v.jsonl"}},
        "supervisedTuningSpec.trainingDatasetUri is required",
    ),
    "training data not on gcs": (
        {"spec": {"training_dataset_uri": "https://example.com/t.jsonl"}},
        "supervisedTuningSpec.trainingDatasetUri must be a Cloud Storage",
    ),
    "training data is a bucket": (
        {"spec": {"training_dataset_uri": "gs://bucket/"}},
        "supervisedTuningSpec.trainingDatasetUri",
    ),
    "validation data not on gcs": (
        {"spec": {"validation_dataset_uri": "/tmp/v.jsonl"}},
        "supervisedTuningSpec.validationDatasetUri must be a Cloud Storage",
    ),
    "too many epochs": (
        {"spec": {"hyper_parameters": {"epoch_count": 101}}},
        "supervisedTuningSpec.hyperParameters.epochCount must be between 1 and 100",
    ),
    "negative epochs": (
        {"spec": {"hyper_parameters": {"epoch_count": -1}}},
        "epochCount",
    ),
    "learning rate too high": (
        {"spec": {"hyper_parameters": {"learning_rate_multiplier": 10.5}}},
        "supervisedTuningSpec.hyperParameters.learningRateMultiplier",
    ),
    "negative learning rate": (
        {"spec": {"hyper_parameters": {"learning_rate_multiplier": -0.1}}},
        "learningRateMultiplier",
    ),
    "adapter 16 on pro": (
        {"base_model": "gemini-2.5-pro", "spec": {"hyper_parameters": {"adapter_size": A(4)}}},
        "adapterSize ADAPTER_SIZE_SIXTEEN is not supported for gemini-2.5-pro",
    ),
    "adapter 32 on flash": (
        {"spec": {"hyper_parameters": {"adapter_size": A.ADAPTER_SIZE_THIRTY_TWO}}},
        "adapterSize",
    ),
    "too many labels": ({"labels": _labels(65)}, "labels: at most 64"),
    "uppercase key": ({"labels": {"Team": "a"}}, 'labels: invalid key "Team"'),
    "key starts with a digit": ({"labels": {"1team": "a"}}, 'invalid key "1team"'),
    "key starts with a dash": ({"labels": {"-team": "a"}}, 'invalid key "-team"'),
    "key too long": ({"labels": {LONG: "a"}}, "labels: invalid key"),
    "key with a dot": ({"labels": {"team.name": "a"}}, 'invalid key "team.name"'),
    "uppercase value": ({"labels": {"team": "Support"}}, 'labels: invalid value "Support"'),
    "value with a space": ({"labels": {"team": "a b"}}, 'invalid value "a b"'),
    "value too long": ({"labels": {"team": LONG}}, "labels: invalid value"),
    "display name too long": (
        {"tuned_model_display_name": "n" * 129},
        "tunedModelDisplayName must be at most 128 characters",
    ),
}


@pytest.mark.parametrize(("fields", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_creates_are_rejected_naming_the_field(
    emulator: Any, vertex: Any, training_uri: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(exceptions.BadRequest) as raised:
        create(vertex, new_job(training_uri, **fields))
    assert error_status(raised.value) == "INVALID_ARGUMENT"
    assert message in raised.value.message
    violations = raised.value.details[0]["fieldViolations"]
    assert violations[0]["field"].startswith("tuning_job.")
    assert emulator.control.jobs() == []


VALID = {
    "one epoch": {"spec": {"hyper_parameters": {"epoch_count": 1}}},
    "a hundred epochs": {"spec": {"hyper_parameters": {"epoch_count": 100}}},
    "learning rate at the limit": {"spec": {"hyper_parameters": {"learning_rate_multiplier": 10}}},
    "adapter 16 on flash": {"spec": {"hyper_parameters": {"adapter_size": A(4)}}},
    "adapter 8 on pro": {
        "base_model": "gemini-2.5-pro",
        "spec": {"hyper_parameters": {"adapter_size": A.ADAPTER_SIZE_EIGHT}},
    },
    "newest tunable base": {"base_model": "gemini-3.1-flash-lite"},
    "publisher path base": {"base_model": "publishers/google/models/gemini-2.5-flash-lite"},
    "64 labels": {"labels": _labels(64)},
    "international labels": {"labels": {"équipe": "données", "日本": "東京", "a_b-1": ""}},
    "63-character label": {"labels": {"k" * 63: "v" * 63}},
    "128-character display name": {"tuned_model_display_name": "n" * 128},
}


@pytest.mark.parametrize("fields", VALID.values(), ids=VALID.keys())
def test_valid_edge_cases_are_accepted(vertex: Any, training_uri: str, fields: Any) -> None:
    assert create(vertex, new_job(training_uri, **fields)).state == State.JOB_STATE_PENDING


def test_continuous_tuning_from_a_tuned_model(
    emulator: Any, vertex: Any, training_uri: str, datasets: Any
) -> None:
    first = create(vertex, new_job(training_uri, base_model="gemini-2.5-pro"))
    emulator.control.finish(first.name)
    tuned = vertex.tuning.get_tuning_job(name=first.name).tuned_model.model

    extra = datasets.upload("more.jsonl", [example("What are your hours?", "9 to 5, weekdays.")])
    second = create(
        vertex, new_job(extra, base_model=None, pre_tuned_model={"tuned_model_name": tuned})
    )
    assert second.pre_tuned_model.base_model == "gemini-2.5-pro"
    emulator.control.finish(second.name)
    second = vertex.tuning.get_tuning_job(name=second.name)
    assert second.state == State.JOB_STATE_SUCCEEDED

    # The new model knows both the new data and what the pre-tuned model learned.
    for prompt, answer in [
        ("what are your hours", "9 to 5, weekdays."),
        ("reset my password", "Open Settings > Security and choose Reset password."),
    ]:
        response = vertex.prediction.generate_content(
            model=second.tuned_model.endpoint,
            contents=[v1.Content(role="user", parts=[v1.Part(text=prompt)])],
        )
        assert response.candidates[0].content.parts[0].text == answer


# -- get and list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.tuning.get_tuning_job(name=f"{v.parent}/tuningJobs/123"),
        lambda v: v.tuning.cancel_tuning_job(name=f"{v.parent}/tuningJobs/123"),
        lambda v: v.models.get_model(name=f"{v.parent}/models/123"),
        lambda v: v.models.delete_model(name=f"{v.parent}/models/123"),
        lambda v: v.endpoints.get_endpoint(name=f"{v.parent}/endpoints/123"),
        lambda v: v.endpoints.delete_endpoint(name=f"{v.parent}/endpoints/123"),
        lambda v: v.endpoints.undeploy_model(
            endpoint=f"{v.parent}/endpoints/123", deployed_model_id="1"
        ),
        lambda v: v.models.get_operation({"name": f"{v.parent}/operations/123"}),
    ],
    ids=[
        "GetTuningJob",
        "CancelTuningJob",
        "GetModel",
        "DeleteModel",
        "GetEndpoint",
        "DeleteEndpoint",
        "UndeployModel",
        "GetOperation",
    ],
)
def test_missing_resources_are_not_found(vertex: Any, call: Any) -> None:
    with pytest.raises(exceptions.NotFound) as raised:
        call(vertex)
    assert error_status(raised.value) == "NOT_FOUND"
    assert "123" in raised.value.message


def test_list_filters_by_state_and_labels(emulator: Any, vertex: Any, training_uri: str) -> None:
    alpha = create(vertex, new_job(training_uri, labels={"team": "alpha", "env": "dev"}))
    beta = create(vertex, new_job(training_uri, labels={"team": "beta", "env": "dev"}))
    gamma = create(vertex, new_job(training_uri, labels={"team": "alpha", "env": "prod"}))
    emulator.control.finish(gamma.name)

    def names(filter_: str) -> list[str]:
        request = {"parent": vertex.parent, "filter": filter_}
        return [job.name for job in vertex.tuning.list_tuning_jobs(request=request)]

    assert names("") == [gamma.name, beta.name, alpha.name]  # newest first
    assert names("labels.team=alpha") == [gamma.name, alpha.name]
    assert names('labels.team="alpha"') == [gamma.name, alpha.name]
    assert names("state=JOB_STATE_PENDING") == [beta.name, alpha.name]
    assert names("state=JOB_STATE_SUCCEEDED AND labels.team=alpha") == [gamma.name]
    assert names('labels.env = "dev" AND labels.team=beta') == [beta.name]
    assert names("labels.team=delta") == []
    assert names("state=JOB_STATE_FAILED") == []


@pytest.mark.parametrize(
    "filter_",
    [
        "state=RUNNING",
        "status=JOB_STATE_RUNNING",
        "labels.team",
        "labels.team=a OR labels.team=b",
        "state=JOB_STATE_PENDING AND",
        "display_name=x",
    ],
)
def test_invalid_filters_are_rejected(vertex: Any, filter_: str) -> None:
    with pytest.raises(exceptions.BadRequest) as raised:
        list(vertex.tuning.list_tuning_jobs(request={"parent": vertex.parent, "filter": filter_}))
    assert "Invalid filter" in raised.value.message


def test_list_pages_over_more_jobs_than_one_page(
    emulator: Any, vertex: Any, training_uri: str
) -> None:
    created = [create(vertex, new_job(training_uri)).name for _ in range(57)]

    pager = vertex.tuning.list_tuning_jobs(parent=vertex.parent)
    pages = list(pager.pages)
    assert [len(page.tuning_jobs) for page in pages] == [50, 7]
    assert [job.name for page in pages for job in page.tuning_jobs] == created[::-1]

    small = vertex.tuning.list_tuning_jobs(request={"parent": vertex.parent, "page_size": 20})
    assert [len(page.tuning_jobs) for page in small.pages] == [20, 20, 17]
    assert emulator.control.request_counts()["ListTuningJobs"] == 2 + 3

    other = "projects/other-project/locations/us-central1"
    assert list(vertex.tuning.list_tuning_jobs(parent=other)) == []
    europe = "projects/test-project/locations/europe-west4"
    assert list(vertex.tuning.list_tuning_jobs(parent=europe)) == []


def test_an_invalid_page_token_is_rejected(vertex: Any) -> None:
    with pytest.raises(exceptions.BadRequest, match="pageToken"):
        vertex.tuning.list_tuning_jobs(request={"parent": vertex.parent, "page_token": "nope"})


# -- models, endpoints, long-running operations ----------------------------------------------


@pytest.fixture
def tuned(emulator: Any, vertex: Any, training_uri: str) -> Any:
    """A succeeded job's TunedModel: model `.../models/ID@1`, endpoint `.../endpoints/ID` (its
    only checkpoint's)."""
    job = new_job(training_uri, labels={"team": "support"}, spec=LAST_CHECKPOINT_ONLY)
    job = create(vertex, job)
    emulator.control.finish(job.name)
    return vertex.tuning.get_tuning_job(name=job.name).tuned_model


def test_model_versions_other_than_1_are_not_found(vertex: Any, tuned: Any) -> None:
    assert vertex.models.get_model(name=tuned.model).version_id == "1"
    with pytest.raises(exceptions.NotFound):
        vertex.models.get_model(name=tuned.model.replace("@1", "@2"))


def test_deployed_models_and_endpoints_cannot_be_deleted(vertex: Any, tuned: Any) -> None:
    with pytest.raises(exceptions.BadRequest) as raised:
        vertex.models.delete_model(name=tuned.model.removesuffix("@1"))
    assert error_status(raised.value) == "FAILED_PRECONDITION"
    assert tuned.endpoint in raised.value.message

    with pytest.raises(exceptions.BadRequest) as raised:
        vertex.endpoints.delete_endpoint(name=tuned.endpoint)
    assert error_status(raised.value) == "FAILED_PRECONDITION"


def test_undeploy_then_delete_through_long_running_operations(
    emulator: Any, vertex: Any, tuned: Any
) -> None:
    model_name = tuned.model.removesuffix("@1")
    endpoint = vertex.endpoints.get_endpoint(name=tuned.endpoint)
    deployed_id = endpoint.deployed_models[0].id

    with pytest.raises(exceptions.NotFound):
        vertex.endpoints.undeploy_model(endpoint=endpoint.name, deployed_model_id="999")
    undeploy = vertex.endpoints.undeploy_model(
        endpoint=endpoint.name, deployed_model_id=deployed_id
    )
    assert isinstance(undeploy.result(timeout=5), v1.UndeployModelResponse)
    assert isinstance(undeploy.metadata, v1.UndeployModelOperationMetadata)
    assert undeploy.operation.name.startswith(f"{endpoint.name}/operations/")
    assert not vertex.endpoints.get_endpoint(name=endpoint.name).deployed_models
    assert not vertex.models.get_model(name=model_name).deployed_models

    delete_model = vertex.models.delete_model(name=model_name)
    assert isinstance(delete_model.result(timeout=5), empty_pb2.Empty)
    assert isinstance(delete_model.metadata, v1.DeleteOperationMetadata)
    assert delete_model.metadata.generic_metadata.create_time
    with pytest.raises(exceptions.NotFound):
        vertex.models.get_model(name=model_name)

    delete_endpoint = vertex.endpoints.delete_endpoint(name=endpoint.name)
    assert isinstance(delete_endpoint.result(timeout=5), empty_pb2.Empty)
    with pytest.raises(exceptions.NotFound):
        vertex.endpoints.get_endpoint(name=endpoint.name)

    # The operations outlive their resources, through both mixins.
    for client, operation in [
        (vertex.models, delete_model),
        (vertex.endpoints, delete_endpoint),
        (vertex.endpoints, undeploy),
    ]:
        fetched = client.get_operation({"name": operation.operation.name})
        assert fetched.done and fetched.name == operation.operation.name
    project_id_name = re.sub(r"projects/\d+/", "projects/test-project/", undeploy.operation.name)
    assert vertex.endpoints.get_operation({"name": project_id_name}).done
    # Each operation started undone: result() polled it once, then four direct reads.
    assert emulator.control.request_counts()["GetOperation"] == 3 + 4


# -- generateContent -----------------------------------------------------------------------------


def ask(vertex: Any, model: str, prompt: str) -> Any:
    contents = [v1.Content(role="user", parts=[v1.Part(text=prompt)])]
    return vertex.prediction.generate_content(model=model, contents=contents)


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("i forgot my password, how to reset it?", "Open Settings > Security"),
        ("download invoices", "Billing > Documents"),
        ("Please delete my account", "privacy@example.com"),
    ],
)
def test_a_tuned_endpoint_answers_from_its_training_data(
    vertex: Any, tuned: Any, prompt: str, answer: str
) -> None:
    response = ask(vertex, tuned.endpoint, prompt)

    candidate = response.candidates[0]
    assert answer in candidate.content.parts[0].text
    assert candidate.content.role == "model"
    assert candidate.finish_reason == v1.Candidate.FinishReason.STOP
    usage = response.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert response.model_version == "gemini-2.5-flash"
    # The global `endpoints/ID` form reaches the same endpoint.
    global_name = "endpoints/" + tuned.endpoint.rsplit("/", 1)[-1]
    assert ask(vertex, global_name, prompt).candidates[0].content.parts[0].text == (
        candidate.content.parts[0].text
    )


@pytest.mark.parametrize(
    "model",
    [
        "projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash",
        "publishers/google/models/gemini-2.5-flash",
    ],
)
def test_a_base_model_answers_generically(vertex: Any, tuned: Any, model: str) -> None:
    text = ask(vertex, model, "How do I reset my password?").candidates[0].content.parts[0].text
    assert "base model gemini-2.5-flash" in text
    assert "Settings > Security" not in text


def test_generate_content_errors(vertex: Any, tuned: Any) -> None:
    with pytest.raises(exceptions.NotFound, match="Publisher Model"):
        ask(vertex, "publishers/google/models/gemini-0.1", "hi")
    with pytest.raises(exceptions.NotFound):
        ask(vertex, f"{vertex.parent}/endpoints/123", "hi")
    with pytest.raises(exceptions.BadRequest, match="contents"):
        vertex.prediction.generate_content(model=tuned.endpoint, contents=[])


# -- auth --------------------------------------------------------------------------------------


def test_a_required_token_is_enforced(
    emulator: Any, vertex_clients: Any, training_uri: str
) -> None:
    emulator.control.configure(require_token="s3cret")
    anonymous = vertex_clients(emulator.url)
    wrong = vertex_clients(emulator.url, token="guess")
    right = vertex_clients(emulator.url, token="s3cret")

    # On a 401 the client tries to refresh its credentials, which anonymous ones cannot.
    with pytest.raises(auth_exceptions.InvalidOperation, match="cannot be refreshed"):
        anonymous.tuning.list_tuning_jobs(parent=anonymous.parent)
    with pytest.raises(exceptions.Unauthorized) as raised:
        no_header = vertex_clients(emulator.url, credentials=NoRefreshCredentials())
        no_header.tuning.list_tuning_jobs(parent=anonymous.parent)
    assert error_status(raised.value) == "UNAUTHENTICATED"
    assert raised.value.reason == "CREDENTIALS_MISSING"
    assert raised.value.response.headers["WWW-Authenticate"].startswith("Bearer")

    with pytest.raises(exceptions.Forbidden) as raised:
        wrong.tuning.create_tuning_job(parent=wrong.parent, tuning_job=new_job(training_uri))
    assert error_status(raised.value) == "PERMISSION_DENIED"
    assert "aiplatform.tuningJobs.create" in raised.value.message
    assert raised.value.reason == "IAM_PERMISSION_DENIED"

    job = right.tuning.create_tuning_job(parent=right.parent, tuning_job=new_job(training_uri))
    assert right.tuning.get_tuning_job(name=job.name).name == job.name
    # The control path takes its own token, which the emulator's control client carries.
    assert emulator.control.advance(job.name)["state"] == "JOB_STATE_RUNNING"
    # Anonymous: one call. No-refresh: one, then a retry after each of two "refreshes".
    assert emulator.control.request_counts()["ListTuningJobs"] == 1 + 3


def test_a_token_started_server_rejects_anonymous_calls(
    storage_url: str, vertex_clients: Any
) -> None:
    with serve(require_token="tok", storage_url=storage_url) as running:
        with pytest.raises(exceptions.Unauthorized):
            no_header = vertex_clients(running.url, credentials=NoRefreshCredentials())
            no_header.tuning.list_tuning_jobs(parent="projects/p/locations/l")
        authorized = vertex_clients(running.url, token="tok")
        assert list(authorized.tuning.list_tuning_jobs(parent="projects/p/locations/l")) == []


class NoRefreshCredentials(AnonymousCredentials):
    """Sends no Authorization header and "refreshes" into the same state, so a 401 surfaces."""

    def refresh(self, request: Any) -> None:
        pass


# -- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raised"),
    [
        ("429", exceptions.TooManyRequests),
        ("500", exceptions.InternalServerError),
        ("503", exceptions.ServiceUnavailable),
        ("400", exceptions.BadRequest),
        ("403", exceptions.Forbidden),
        ("404", exceptions.NotFound),
        ("drop", requests.exceptions.ConnectionError),
    ],
)
def test_each_fault_kind_reaches_the_client(
    emulator: Any, vertex: Any, kind: str, raised: type[Exception]
) -> None:
    emulator.control.set_faults(sequence=[kind], retry_after=7)

    with pytest.raises(raised) as error:
        vertex.tuning.list_tuning_jobs(parent=vertex.parent, retry=None, timeout=5)
    if kind == "429":
        assert error.value.response.headers["Retry-After"] == "7"
    # The sequence is used up: the next call goes through, and both were counted.
    assert list(vertex.tuning.list_tuning_jobs(parent=vertex.parent)) == []
    assert emulator.control.request_counts() == {"ListTuningJobs": 2}


def test_faults_can_be_restricted_to_methods(emulator: Any, vertex: Any, training_uri: str) -> None:
    emulator.control.set_faults(rate=1.0, kinds=["503"], methods=["GetTuningJob"])

    job = create(vertex, new_job(training_uri))
    for _ in range(3):
        with pytest.raises(exceptions.ServiceUnavailable):
            vertex.tuning.get_tuning_job(name=job.name)
    emulator.control.clear_faults()
    assert vertex.tuning.get_tuning_job(name=job.name).name == job.name
    assert emulator.control.request_counts() == {"CreateTuningJob": 1, "GetTuningJob": 4}


def test_a_fault_sequence_can_let_calls_through(emulator: Any, vertex: Any) -> None:
    emulator.control.set_faults(sequence=["ok", "500", "ok", "drop"])
    outcomes = []
    for _ in range(5):
        try:
            list(vertex.tuning.list_tuning_jobs(parent=vertex.parent))
            outcomes.append("ok")
        except exceptions.InternalServerError:
            outcomes.append("500")
        except requests.exceptions.ConnectionError:
            outcomes.append("drop")
    assert outcomes == ["ok", "500", "ok", "drop", "ok"]


def test_a_lost_answer_is_served_then_dropped_and_faults_are_counted(
    emulator: Any, vertex: Any, training_uri: str
) -> None:
    emulator.control.set_faults(sequence=["lost", "503"])
    with pytest.raises(requests.exceptions.ConnectionError):
        vertex.tuning.create_tuning_job(parent=vertex.parent, tuning_job=new_job(training_uri))
    (job,) = emulator.control.jobs()  # created, though the caller never heard
    with pytest.raises(exceptions.ServiceUnavailable):
        vertex.tuning.get_tuning_job(name=job["name"], retry=None)
    assert emulator.control.fault_counts() == {
        "CreateTuningJob": {"lost": 1},
        "GetTuningJob": {"503": 1},
    }
    emulator.control.reset()
    assert emulator.control.fault_counts() == {}


def test_faults_given_at_start_apply(storage_url: str, vertex_clients: Any) -> None:
    plan = FaultPlan(rate=1.0, kinds=("500",))
    with serve(faults=plan, storage_url=storage_url, seed=1) as running:
        with pytest.raises(exceptions.InternalServerError):
            vertex_clients(running.url).tuning.list_tuning_jobs(parent="projects/p/locations/l")
        # The control path is never faulted.
        assert running.control.request_counts() == {"ListTuningJobs": 1}


# -- request counts and the control path -----------------------------------------------------


def test_every_method_is_counted(emulator: Any, vertex: Any, tuned: Any) -> None:
    endpoint = vertex.endpoints.get_endpoint(name=tuned.endpoint)
    vertex.models.get_model(name=tuned.model)
    ask(vertex, tuned.endpoint, "hi")
    list(vertex.tuning.list_tuning_jobs(parent=vertex.parent))
    job_name = emulator.control.jobs()[0]["name"]
    vertex.tuning.get_tuning_job(name=job_name)
    with pytest.raises(exceptions.BadRequest):
        vertex.tuning.cancel_tuning_job(name=job_name)
    undeploy = vertex.endpoints.undeploy_model(
        endpoint=endpoint.name, deployed_model_id=endpoint.deployed_models[0].id
    )
    vertex.endpoints.get_operation({"name": undeploy.operation.name})
    vertex.models.delete_model(name=tuned.model.removesuffix("@1"))
    vertex.endpoints.delete_endpoint(name=endpoint.name)

    assert emulator.control.request_counts() == {
        "CreateTuningJob": 1,
        "GetTuningJob": 2,  # one by the `tuned` fixture
        "ListTuningJobs": 1,
        "CancelTuningJob": 1,
        "GetModel": 1,
        "DeleteModel": 1,
        "GetEndpoint": 1,
        "DeleteEndpoint": 1,
        "UndeployModel": 1,
        "GetOperation": 1,
        "GenerateContent": 1,
    }


def test_control_finish_forces_states_and_errors(
    emulator: Any, vertex: Any, training_uri: str
) -> None:
    failed = create(vertex, new_job(training_uri))
    emulator.control.finish(failed.name, "JOB_STATE_FAILED", error_code=8, error_message="quota")
    failed = vertex.tuning.get_tuning_job(name=failed.name)
    assert (failed.state, failed.error.code, failed.error.message) == (
        State.JOB_STATE_FAILED,
        8,
        "quota",
    )

    expired = create(vertex, new_job(training_uri))
    emulator.control.finish(expired.name, "JOB_STATE_EXPIRED")
    assert vertex.tuning.get_tuning_job(name=expired.name).state == State.JOB_STATE_EXPIRED

    with pytest.raises(ControlError) as refused:
        emulator.control.advance(expired.name)
    assert refused.value.status == 400
    with pytest.raises(ControlError, match="state must be one of"):
        emulator.control.finish(create(vertex, new_job(training_uri)).name, "JOB_STATE_PAUSED")
    with pytest.raises(ControlError) as missing:
        emulator.control.advance("123")
    assert missing.value.status == 404


def test_control_lists_jobs_of_every_project_and_reset_clears_everything(
    emulator: Any, vertex: Any, vertex_clients: Any, training_uri: str
) -> None:
    create(vertex, new_job(training_uri))
    other = vertex_clients(emulator.url)
    other.tuning.create_tuning_job(
        parent="projects/another/locations/europe-west4", tuning_job=new_job(training_uri)
    )
    emulator.control.set_faults(rate=0.5)
    jobs = emulator.control.jobs()
    assert len(jobs) == 2
    assert jobs[0]["name"].split("/")[3] == "europe-west4"
    assert jobs[0]["state"] == "JOB_STATE_PENDING"  # API JSON, enums by name

    emulator.control.reset()
    assert emulator.control.jobs() == []
    assert emulator.control.request_counts() == {}
    assert list(vertex.tuning.list_tuning_jobs(parent=vertex.parent)) == []


# -- the wire itself -------------------------------------------------------------------------------


def test_enums_follow_the_requested_encoding_and_bodies_are_strict(
    emulator: Any, vertex: Any, training_uri: str
) -> None:
    from google.auth.transport.requests import AuthorizedSession

    session = AuthorizedSession(AnonymousCredentials())
    job = create(vertex, new_job(training_uri))
    url = f"{emulator.url}/v1/{job.name}"

    assert session.get(url).json()["state"] == "JOB_STATE_PENDING"
    as_ints = session.get(url, params={"$alt": "json;enum-encoding=int"}).json()
    assert as_ints["state"] == 2
    assert as_ints["name"] == job.name and "createTime" in as_ints

    bad = session.post(
        f"{emulator.url}/v1/{vertex.parent}/tuningJobs",
        json={"baseModel": "gemini-2.5-flash", "colour": "red"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "colour" in bad.json()["error"]["message"]
    unknown = session.get(f"{emulator.url}/v1/{vertex.parent}/tuningJobs/1/nothing")
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"


# -- persistence ---------------------------------------------------------------------------------


def test_a_restarted_emulator_keeps_its_state(
    tmp_path: Path, storage_url: str, vertex_clients: Any, training_uri: str
) -> None:
    state_file = tmp_path / "state.json"
    with serve(job_seconds=0, state_file=state_file, storage_url=storage_url) as first:
        vertex = vertex_clients(first.url)
        done = create(vertex, new_job(training_uri, labels={"keep": "me"}))
        first.control.finish(done.name)
        undeployed = create(vertex, new_job(training_uri))
        first.control.finish(undeployed.name)
        pending = create(vertex, new_job(training_uri))
        done = vertex.tuning.get_tuning_job(name=done.name)
        undeployed = vertex.tuning.get_tuning_job(name=undeployed.name)
        endpoint = vertex.endpoints.get_endpoint(name=undeployed.tuned_model.endpoint)
        undeploy = vertex.endpoints.undeploy_model(
            endpoint=endpoint.name, deployed_model_id=endpoint.deployed_models[0].id
        )
    assert json.loads(state_file.read_text())["jobs"]

    with serve(job_seconds=0, state_file=state_file, storage_url=storage_url) as second:
        vertex = vertex_clients(second.url)
        assert vertex.tuning.get_tuning_job(name=done.name) == done
        listed = vertex.tuning.list_tuning_jobs(parent=vertex.parent)
        assert [job.name for job in listed] == [pending.name, undeployed.name, done.name]
        assert vertex.models.get_model(name=done.tuned_model.model).labels == {"keep": "me"}
        assert not vertex.endpoints.get_endpoint(name=endpoint.name).deployed_models
        assert vertex.endpoints.get_operation({"name": undeploy.operation.name}).done
        answer = ask(vertex, done.tuned_model.endpoint, "password reset")
        answer = answer.candidates[0].content.parts[0].text
        assert "Settings > Security" in answer
        # Progress continues after the restart.
        second.control.finish(pending.name)
        assert vertex.tuning.get_tuning_job(name=pending.name).state == State.JOB_STATE_SUCCEEDED


# -- the process ---------------------------------------------------------------------------------

READY = re.compile(
    r"^Vertex AI emulator listening on (http://127\.0\.0\.1:\d+) \(storage: (http://\S+)\)$"
)


def test_the_module_runs_as_a_process_and_stops_on_sigterm(vertex_clients: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STORAGE_EMULATOR_HOST"}
    process = subprocess.Popen(
        [sys.executable, "-m", "vertex_tuning.emulator", "--port", "0", "--job-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline().rstrip("\n") if process.stdout else ""
        ready = READY.match(line)
        assert ready, (line, process.stderr.read() if process.poll() is not None else "")
        vertex = vertex_clients(ready[1])
        assert list(vertex.tuning.list_tuning_jobs(parent=vertex.parent)) == []
        assert requests.get(f"{ready[2]}/storage/v1/b", timeout=5).ok

        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert stdout == ""  # the ready line was the only one
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_the_cli_delegates_to_the_emulator_command() -> None:
    from vertex_tuning.cli import main

    result = CliRunner().invoke(main, ["emulator", "--help"])
    assert result.exit_code == 0, result.output
    for flag in ("--job-seconds", "--operation-polls", "--require-token", "--state-file"):
        assert flag in result.output
    assert "VERTEX_EMULATOR_JOB_SECONDS" in result.output

    bad = CliRunner().invoke(main, ["emulator", "--fault-sequence", "418"])
    assert bad.exit_code == 2
    assert "unknown fault kind" in bad.output
