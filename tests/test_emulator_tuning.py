"""Today's tuning surface of the emulator, through plain REST JSON (as the provider talks) and
the GAPIC clients: detailed states, checkpoints and the default checkpoint, model versions,
rebase, long-running operations, dataset limits, Vertex datasets, preference data, persistence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import aiplatform_v1 as v1
from google.protobuf import field_mask_pb2

from vertex_tuning.emulator import serve
from vertex_tuning.emulator.catalog import Limits
from vertex_tuning.emulator.datasets import DatasetError, Example, check_limits, check_size

PARENT = "projects/test-project/locations/us-central1"
Rest = Callable[..., Any]


def conversation(prompt: str, answer: str) -> dict[str, Any]:
    return {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }


ANSWER = "one two three four five six seven eight nine ten eleven twelve"
DATA = [conversation("count to twelve", ANSWER), conversation("say hi", "hi there")]


def rest_client(url: str) -> Rest:
    """call(method, path, body=None, version="v1beta1", **params) -> JSON, raising on errors."""

    def call(
        method: str, path: str, body: Any = None, version: str = "v1beta1", **params: Any
    ) -> Any:
        response = requests.request(
            method, f"{url}/{version}/{path}", json=body, params=params, timeout=10
        )
        if response.status_code >= 400:
            raise ApiCallError(response.status_code, response.json()["error"])
        return response.json()

    return call


class ApiCallError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(f"{status} {error['status']}: {error['message']}")
        self.http_status = status
        self.status = error["status"]
        self.message = error["message"]


@pytest.fixture
def rest(emulator: Any) -> Rest:
    return rest_client(emulator.url)


@pytest.fixture
def data(datasets: Any) -> str:
    return str(datasets.upload("train.jsonl", DATA))


def sft(uri: str, base: str = "gemini-2.5-flash", **spec: Any) -> dict[str, Any]:
    return {
        "baseModel": base,
        "tunedModelDisplayName": "counting",
        "supervisedTuningSpec": {"trainingDatasetUri": uri, **spec},
    }


def finished(emulator: Any, rest: Rest, body: dict[str, Any], version: str = "v1beta1") -> Any:
    job = rest("POST", f"{PARENT}/tuningJobs", body, version)
    emulator.control.finish(job["name"])
    return rest("GET", job["name"], version=version)


# -- detailed state ----------------------------------------------------------------------------


def test_detailed_state_follows_the_clock_and_is_v1beta1_only(
    storage_url: str, fake_clock: Any, data: str
) -> None:
    with serve(job_seconds=10, storage_url=storage_url, clock=fake_clock) as running:
        rest = rest_client(running.url)
        job = rest("POST", f"{PARENT}/tuningJobs", sft(data))
        seen = []
        for seconds in (0, 2, 1, 1, 5, 1):
            fake_clock.advance(seconds)
            beta = rest("GET", job["name"])
            assert "tuningJobState" not in rest("GET", job["name"], version="v1")
            seen.append((beta["state"].removeprefix("JOB_STATE_"), beta.get("tuningJobState")))
    assert seen == [
        ("PENDING", "TUNING_JOB_STATE_WAITING_FOR_QUOTA"),
        ("RUNNING", "TUNING_JOB_STATE_PROCESSING_DATASET"),
        ("RUNNING", "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"),
        ("RUNNING", "TUNING_JOB_STATE_TUNING"),
        ("RUNNING", "TUNING_JOB_STATE_POST_PROCESSING"),
        ("SUCCEEDED", None),
    ]


def test_step_moves_one_detailed_state_and_advance_one_job_state(
    emulator: Any, rest: Rest, data: str
) -> None:
    job = rest("POST", f"{PARENT}/tuningJobs", sft(data))
    stepped = emulator.control.step(job["name"])
    assert (stepped["state"], stepped["tuningJobState"]) == (
        "JOB_STATE_RUNNING",
        "TUNING_JOB_STATE_PROCESSING_DATASET",
    )
    assert (
        emulator.control.step(job["name"])["tuningJobState"]
        == "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
    )
    done = emulator.control.advance(job["name"])  # RUNNING -> its outcome, whatever the detail
    assert done["state"] == "JOB_STATE_SUCCEEDED" and "tuningJobState" not in done
    assert done["tuningJobMetadata"] == {"completedEpochCount": "3", "completedStepCount": "3"}


# -- checkpoints, the default checkpoint, model versions -----------------------------------------


def test_each_checkpoint_serves_on_its_own_endpoint_and_answers_by_its_share(
    emulator: Any, rest: Rest, vertex: Any, data: str
) -> None:
    job = finished(emulator, rest, sft(data, hyperParameters={"epochCount": 4}))
    checkpoints = job["tunedModel"]["checkpoints"]
    assert [(c["checkpointId"], c["epoch"], c["step"]) for c in checkpoints] == [
        (str(i), str(i), str(i)) for i in range(1, 5)
    ]
    answers = []
    for checkpoint in checkpoints:
        endpoint = vertex.endpoints.get_endpoint(name=checkpoint["endpoint"])
        assert endpoint.deployed_models[0].checkpoint_id == checkpoint["checkpointId"]
        reply = rest("POST", f"{checkpoint['endpoint']}:generateContent", ask("count to twelve"))
        answers.append(reply["candidates"][0]["content"]["parts"][0]["text"])
    # A quarter of training, a quarter of the answer; the final checkpoint knows it whole.
    assert [len(a.split()) for a in answers] == [3, 6, 9, 12]
    assert answers[-1] == ANSWER
    model = rest("GET", job["tunedModel"]["model"])
    assert model["defaultCheckpointId"] == "4"
    assert {ref["checkpointId"] for ref in model["deployedModels"]} == {"1", "2", "3", "4"}


def ask(prompt: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}


def test_update_model_moves_the_default_checkpoint_with_a_field_mask(
    emulator: Any, rest: Rest, vertex: Any, data: str
) -> None:
    job = finished(emulator, rest, sft(data, hyperParameters={"epochCount": 2}))
    model_name = job["tunedModel"]["model"].removesuffix("@1")

    model = vertex.models.update_model(
        model=v1.Model(name=model_name, default_checkpoint_id="1", display_name="ignored"),
        update_mask=field_mask_pb2.FieldMask(paths=["default_checkpoint_id"]),
    )
    assert model.default_checkpoint_id == "1" and model.display_name == "counting"
    moved = rest("GET", job["name"])["tunedModel"]
    assert moved["endpoint"] == moved["checkpoints"][0]["endpoint"]
    assert emulator.control.request_counts()["UpdateModel"] == 1

    with pytest.raises(exceptions.BadRequest, match='defaultCheckpointId "7"'):
        vertex.models.update_model(
            model=v1.Model(name=model_name, default_checkpoint_id="7"),
            update_mask=field_mask_pb2.FieldMask(paths=["default_checkpoint_id"]),
        )
    with pytest.raises(exceptions.BadRequest, match="cannot be updated"):
        vertex.models.update_model(
            model=v1.Model(name=model_name, etag="x"),
            update_mask=field_mask_pb2.FieldMask(paths=["etag"]),
        )
    renamed = rest("PATCH", model_name, {"displayName": "renamed"}, updateMask="displayName")
    assert renamed["displayName"] == "renamed" and renamed["defaultCheckpointId"] == "1"


def test_list_checkpoints_pages_and_takes_the_latest_version(
    emulator: Any, rest: Rest, vertex: Any, data: str
) -> None:
    first = finished(emulator, rest, sft(data, hyperParameters={"epochCount": 12}))
    model = first["tunedModel"]["model"].removesuffix("@1")
    second = finished(
        emulator,
        rest,
        {
            "preTunedModel": {"tunedModelName": model},
            "supervisedTuningSpec": {
                "trainingDatasetUri": data,
                "hyperParameters": {"epochCount": 2},
            },
        },
    )
    assert second["tunedModel"]["model"] == f"{model}@2"

    pager = vertex.models.list_model_version_checkpoints(request={"name": model, "page_size": 1})
    assert [c.checkpoint_id for c in pager] == ["1", "2"]  # @2, the latest
    at_one = vertex.models.list_model_version_checkpoints(
        request={"name": f"{model}@1", "page_size": 4}
    )
    pages = list(at_one.pages)
    assert [len(p.checkpoints) for p in pages] == [4, 4, 2]
    assert pages[-1].checkpoints[-1].epoch == 12


def test_delete_model_waits_for_every_checkpoint_endpoint(
    emulator: Any, rest: Rest, vertex: Any, data: str
) -> None:
    job = finished(emulator, rest, sft(data, hyperParameters={"epochCount": 2}))
    model = job["tunedModel"]["model"].removesuffix("@1")
    tuned_endpoint = job["tunedModel"]["endpoint"]
    other = job["tunedModel"]["checkpoints"][0]["endpoint"]

    def remove(endpoint: str) -> None:
        deployed = vertex.endpoints.get_endpoint(name=endpoint).deployed_models[0].id
        vertex.endpoints.undeploy_model(endpoint=endpoint, deployed_model_id=deployed).result()
        vertex.endpoints.delete_endpoint(name=endpoint).result()

    remove(tuned_endpoint)  # what a cleanup that knows only tunedModel.endpoint does
    with pytest.raises(exceptions.BadRequest) as raised:
        vertex.models.delete_model(name=model)
    assert other in raised.value.message and tuned_endpoint not in raised.value.message
    remove(other)
    vertex.models.delete_model(name=model).result()
    with pytest.raises(exceptions.NotFound):
        vertex.models.get_model(name=model)


def test_versions_can_be_deleted_one_at_a_time(
    emulator: Any, rest: Rest, vertex: Any, data: str
) -> None:
    spec = {"trainingDatasetUri": data, "exportLastCheckpointOnly": True}
    first = finished(
        emulator, rest, {"baseModel": "gemini-2.5-flash", "supervisedTuningSpec": spec}
    )
    model = first["tunedModel"]["model"].removesuffix("@1")
    second = finished(
        emulator, rest, {"preTunedModel": {"tunedModelName": model}, "supervisedTuningSpec": spec}
    )
    assert second["tunedModel"]["model"] == f"{model}@2"

    with pytest.raises(exceptions.BadRequest, match="deployed"):
        vertex.models.delete_model_version(name=f"{model}@2")
    endpoint = vertex.endpoints.get_endpoint(name=second["tunedModel"]["endpoint"])
    vertex.endpoints.undeploy_model(
        endpoint=endpoint.name, deployed_model_id=endpoint.deployed_models[0].id
    )
    vertex.models.delete_model_version(name=f"{model}@2").result()
    assert vertex.models.get_model(name=model).version_id == "1"  # default again
    with pytest.raises(exceptions.NotFound):
        vertex.models.get_model(name=f"{model}@2")
    with pytest.raises(exceptions.BadRequest, match="deleteVersion"):
        vertex.models.delete_model(name=f"{model}@1")
    assert emulator.control.request_counts()["DeleteModelVersion"] == 2


# -- rebase ------------------------------------------------------------------------------------


def test_rebase_tuned_model_is_a_long_running_operation_making_a_new_job(
    emulator: Any, rest: Rest, vertex: Any, data: str
) -> None:
    source = finished(
        emulator, rest, sft(data, base="gemini-2.5-flash", exportLastCheckpointOnly=True)
    )

    operation = vertex.tuning.rebase_tuned_model(
        request={
            "parent": vertex.parent,
            "tuned_model_ref": {"tuned_model": source["tunedModel"]["model"]},
            "tuning_job": {"base_model": "gemini-3.5-flash"},
            "deploy_to_same_endpoint": True,
        }
    )
    assert not operation.operation.done  # an operation starts undone; result() polls it
    rebased = operation.result(timeout=5)
    assert isinstance(operation.metadata, v1.RebaseTunedModelOperationMetadata)
    assert operation.operation.name.startswith(f"{rebased.name}/operations/")
    assert (
        rebased.base_model == "gemini-3.5-flash" and rebased.state == v1.JobState.JOB_STATE_PENDING
    )
    assert rebased.supervised_tuning_spec.training_dataset_uri == data

    emulator.control.finish(rebased.name)
    job = rest("GET", rebased.name)
    assert job["tunedModel"]["endpoint"] == source["tunedModel"]["endpoint"]  # same endpoint
    assert job["tunedModel"]["model"] != source["tunedModel"]["model"]
    old = rest("GET", source["tunedModel"]["model"])
    assert old["deployedModels"] == [] or "deployedModels" not in old  # undeployed from it

    with pytest.raises(exceptions.BadRequest, match="exactly one"):
        vertex.tuning.rebase_tuned_model(parent=vertex.parent, tuned_model_ref=v1.TunedModelRef())


def test_a_rebase_override_replaces_the_whole_spec_and_source(
    emulator: Any, rest: Rest, data: str, datasets: Any
) -> None:
    source = finished(emulator, rest, sft(data, hyperParameters={"epochCount": 4}))
    other = datasets.upload("other.jsonl", DATA[:1])
    operation = rest(
        "POST",
        f"{PARENT}/tuningJobs:rebaseTunedModel",
        {
            "tunedModelRef": {"tuningJob": source["name"]},
            "tuningJob": {
                "baseModel": "gemini-2.5-flash-lite",
                "supervisedTuningSpec": {"trainingDatasetUri": other},
            },
        },
        version="v1",
    )
    assert "done" not in operation
    job = rest("GET", operation["name"], version="v1")["response"]
    assert job["@type"] == "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob"
    assert job["baseModel"] == "gemini-2.5-flash-lite"
    assert job["supervisedTuningSpec"] == {"trainingDatasetUri": other}
    assert job["tunedModelDisplayName"] == "counting" and job["name"] != source["name"]


def test_only_a_succeeded_job_can_be_rebased(emulator: Any, rest: Rest, data: str) -> None:
    job = rest("POST", f"{PARENT}/tuningJobs", sft(data))
    with pytest.raises(ApiCallError) as raised:
        rest(
            "POST",
            f"{PARENT}/tuningJobs:rebaseTunedModel",
            {"tunedModelRef": {"tuningJob": job["name"]}},
        )
    assert raised.value.status == "FAILED_PRECONDITION"


# -- long-running operations -----------------------------------------------------------------


@pytest.mark.parametrize("polls", [0, 1, 3])
def test_operations_are_done_after_the_configured_polls(
    emulator: Any, rest: Rest, data: str, polls: int
) -> None:
    emulator.control.configure(operation_polls=polls)
    job = finished(emulator, rest, sft(data, exportLastCheckpointOnly=True))
    endpoint = rest("GET", job["tunedModel"]["endpoint"])
    deployed = endpoint["deployedModels"][0]["id"]
    operation = rest("POST", f"{endpoint['name']}:undeployModel", {"deployedModelId": deployed})
    answers = [operation] + [rest("GET", operation["name"], version="v1") for _ in range(polls)]

    assert [bool(a.get("done")) for a in answers] == [False] * polls + [True]
    # Any's @type names the message of the version asked for.
    expected = "v1" if polls else "v1beta1"
    assert answers[-1]["response"]["@type"].endswith(f".{expected}.UndeployModelResponse")
    assert answers[0]["metadata"]["@type"].endswith(".v1beta1.UndeployModelOperationMetadata")
    # The work is done at once; only the report waits.
    assert rest("GET", endpoint["name"]).get("deployedModels", []) == []


# -- what the job reads: limits, formats, Vertex datasets ------------------------------------------


def failed_with(emulator: Any, rest: Rest, body: dict[str, Any]) -> str:
    job = finished(emulator, rest, body)
    assert job["state"] == "JOB_STATE_FAILED", job
    return str(job["error"]["message"])


def test_an_example_over_the_models_token_limit_fails_the_job(
    emulator: Any, rest: Rest, datasets: Any
) -> None:
    long = conversation("summarize", "7" * 131_072)  # a token per digit: 131,073 with the prompt
    uri = datasets.upload("long.jsonl", [DATA[0], long])
    message = failed_with(emulator, rest, sft(uri, base="gemini-2.5-pro"))
    assert message == (
        "Training example 2 has 131,073 tokens; gemini-2.5-pro accepts at most 131,072 input "
        "and output tokens per example."
    )


def test_validation_limits(emulator: Any, rest: Rest, datasets: Any) -> None:
    small = [conversation(f"q{i}", "a") for i in range(5_001)]
    train = datasets.upload("train.jsonl", small)
    too_many = datasets.upload("validation.jsonl", small)
    message = failed_with(emulator, rest, sft(train, validationDatasetUri=too_many))
    assert message == "Validation data has 5,001 examples; at most 5,000 are allowed."

    share = datasets.upload("share.jsonl", small[:1_001])
    few = datasets.upload("few.jsonl", small[:3_000])
    message = failed_with(emulator, rest, sft(few, validationDatasetUri=share))
    assert "more than 30% of the 3,000 training examples" in message
    # 1,001 validation examples for 5,001 training examples are fine; the seed's "10,000
    # examples" is no rule of the service.
    ok = finished(
        emulator, rest, sft(train, validationDatasetUri=share, exportLastCheckpointOnly=True)
    )
    assert ok["state"] == "JOB_STATE_SUCCEEDED"


def test_size_and_multimodal_limits() -> None:
    media = Example("", (("user", ""), ("model", "a")), (), tokens=300, multimodal=True)
    with pytest.raises(DatasetError, match="2 multimodal examples; m accepts at most 1"):
        check_limits("m", Limits(multimodal_examples=1), [media, media], None)
    with pytest.raises(DatasetError, match="may be at most 1 GB"):
        check_size("gs://b/t.jsonl", (1 << 30) + 1, "training", Limits())
    check_size("gs://b/t.jsonl", 1 << 30, "training", Limits())


PREFERENCE_ERRORS = {
    "one completion": (
        {"completions": [{"score": 1, "completion": {"role": "model", "parts": [{"text": "a"}]}}]},
        "exactly 2",
    ),
    "two preferred": (
        {
            "completions": [{"score": 1, "completion": {"role": "model", "parts": [{"text": "a"}]}}]
            * 2
        },
        "one preferred",
    ),
    "score 0.5": (
        {
            "completions": [
                {"score": 0.5, "completion": {"role": "model", "parts": [{"text": "a"}]}}
            ]
            * 2
        },
        "must be 0 or 1",
    ),
    "ends with model": (
        {"contents": [{"role": "model", "parts": [{"text": "q"}]}]},
        'must have role "user"',
    ),
    "an image": (
        {
            "contents": [
                {
                    "role": "user",
                    "parts": [{"inlineData": {"mimeType": "image/png", "data": "AAAA"}}],
                }
            ]
        },
        "text only",
    ),
    "unknown field": ({"rating": 5}, 'Unknown name "rating"'),
}


@pytest.mark.parametrize(
    ("change", "reason"), PREFERENCE_ERRORS.values(), ids=PREFERENCE_ERRORS.keys()
)
def test_preference_data_is_checked_when_the_job_reads_it(
    emulator: Any, rest: Rest, datasets: Any, change: dict[str, Any], reason: str
) -> None:
    good = {
        "contents": [{"role": "user", "parts": [{"text": "q"}]}],
        "completions": [
            {"score": 1, "completion": {"role": "model", "parts": [{"text": "good"}]}},
            {"score": 0, "completion": {"role": "model", "parts": [{"text": "bad"}]}},
        ],
    }
    uri = datasets.upload("pref.jsonl", [good, {**good, **change}])
    body = {
        "baseModel": "gemini-2.5-flash",
        "preferenceOptimizationSpec": {"trainingDatasetUri": uri},
    }
    message = failed_with(emulator, rest, body)
    assert message.startswith("Invalid training data format at line 2: ") and reason in message


def test_a_registered_vertex_dataset_is_training_data(emulator: Any, rest: Rest, data: str) -> None:
    dataset = f"{PARENT}/datasets/1234"
    emulator.control.register_dataset(dataset, data)
    job = finished(emulator, rest, sft(dataset, exportLastCheckpointOnly=True), version="v1")
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["supervisedTuningSpec"]["trainingDatasetUri"] == dataset

    unknown = f"{PARENT}/datasets/999"
    assert failed_with(emulator, rest, sft(unknown)) == f"Training dataset not found: {unknown}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            sft("projects/test-project/locations/europe-west4/datasets/1"),
            "must be a dataset in us-central1",
        ),
        (
            {
                "baseModel": "gemini-2.5-flash",
                "preferenceOptimizationSpec": {"trainingDatasetUri": f"{PARENT}/datasets/1"},
            },
            "preferenceOptimizationSpec.trainingDatasetUri must be a Cloud Storage object URI",
        ),
        (
            sft(
                "gs://b/t.jsonl",
                base="gemini-3.5-flash",
                hyperParameters={"adapterSize": "ADAPTER_SIZE_THIRTY_TWO"},
            ),
            "supported adapter sizes: 1, 2, 4, 8, 16",
        ),
        (
            {
                **sft("gs://b/t.jsonl", base="gemini-3.5-flash"),
                "encryptionSpec": {"kmsKeyName": "k"},
            },
            "Customer-managed encryption keys are not supported",
        ),
        (
            sft("gs://b/t.jsonl", evaluationConfig={"metrics": [{"exactMatchSpec": {}}]}),
            "outputUriPrefix must be a gs:// prefix",
        ),
        (sft("gs://b/t.jsonl", evaluationConfig={"outputConfig": {}}), "at least one metric"),
        (
            {
                **sft("gs://b/t.jsonl"),
                "preferenceOptimizationSpec": {"trainingDatasetUri": "gs://b/p.jsonl"},
            },
            "Only one tuning spec",
        ),
        (
            sft("gs://b/t.jsonl", hyperParameters={"learningRate": 0.1}),
            "only available for open source models",
        ),
    ],
    ids=[
        "dataset elsewhere",
        "dataset for preference",
        "adapter 32",
        "cmek on 3.5",
        "no eval output",
        "no metrics",
        "two specs",
        "learning rate",
    ],
)
def test_invalid_creates_of_todays_fields(rest: Rest, body: dict[str, Any], message: str) -> None:
    with pytest.raises(ApiCallError) as raised:
        rest("POST", f"{PARENT}/tuningJobs", body)
    assert raised.value.status == "INVALID_ARGUMENT" and message in raised.value.message


def test_models_tune_only_in_their_regions(rest: Rest) -> None:
    with pytest.raises(
        ApiCallError, match=r"gemini-3\.5-flash can be tuned only in europe-west4, us-central1"
    ):
        rest(
            "POST",
            "projects/p/locations/asia-east1/tuningJobs",
            sft("gs://b/t.jsonl", base="gemini-3.5-flash"),
        )
    job = rest("POST", "projects/p/locations/asia-east1/tuningJobs", sft("gs://b/t.jsonl"))
    assert job["state"] == "JOB_STATE_PENDING"


def test_gapic_enum_numbers_reach_the_service_as_names(rest: Rest, vertex: Any, data: str) -> None:
    size = v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_TWO  # proto number 6
    job = vertex.tuning.create_tuning_job(
        parent=vertex.parent,
        tuning_job=v1.TuningJob(
            base_model="gemini-2.5-flash",
            supervised_tuning_spec=v1.SupervisedTuningSpec(
                training_dataset_uri=data,
                hyper_parameters=v1.SupervisedHyperParameters(adapter_size=size, epoch_count=2),
            ),
        ),
    )
    assert job.supervised_tuning_spec.hyper_parameters.adapter_size == size
    spec = rest("GET", job.name)["supervisedTuningSpec"]
    assert spec["hyperParameters"] == {"adapterSize": "ADAPTER_SIZE_TWO", "epochCount": "2"}


# -- persistence -----------------------------------------------------------------------------


def test_versions_checkpoints_and_operations_survive_a_restart(
    tmp_path: Path, storage_url: str, data: str
) -> None:
    state = tmp_path / "state.json"
    with serve(job_seconds=0, state_file=state, storage_url=storage_url) as first:
        rest = rest_client(first.url)
        job = finished(first, rest, sft(data, hyperParameters={"epochCount": 2}))
        model = job["tunedModel"]["model"].removesuffix("@1")
        rest("PATCH", model, {"defaultCheckpointId": "1"})
        endpoint = rest("GET", job["tunedModel"]["checkpoints"][1]["endpoint"])
        operation = rest(
            "POST",
            f"{endpoint['name']}:undeployModel",
            {"deployedModelId": endpoint["deployedModels"][0]["id"]},
        )
    with serve(job_seconds=0, state_file=state, storage_url=storage_url) as second:
        rest = rest_client(second.url)
        assert (
            rest("GET", job["name"])["tunedModel"]["endpoint"]
            == job["tunedModel"]["checkpoints"][0]["endpoint"]
        )
        assert rest("GET", model)["defaultCheckpointId"] == "1"
        assert rest("GET", operation["name"])["done"] is True
        reply = rest(
            "POST",
            f"{job['tunedModel']['checkpoints'][0]['endpoint']}:generateContent",
            ask("count to twelve"),
        )
        assert (
            reply["candidates"][0]["content"]["parts"][0]["text"] == "one two three four five six"
        )


def test_a_state_file_of_another_version_is_refused(tmp_path: Path, storage_url: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 1, "seq": 0, "jobs": []}))
    with (
        pytest.raises(ValueError, match="state version 1"),
        serve(state_file=state, storage_url=storage_url),
    ):
        pass


def test_the_v1beta1_gapic_clients_work_too(emulator: Any, data: str) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform_v1beta1 as beta

    options = {"client_options": {"api_endpoint": emulator.url}, "transport": "rest"}
    tuning = beta.GenAiTuningServiceClient(credentials=AnonymousCredentials(), **options)
    models = beta.ModelServiceClient(credentials=AnonymousCredentials(), **options)
    job = tuning.create_tuning_job(
        parent=PARENT,
        tuning_job=beta.TuningJob(
            base_model="gemini-3.5-flash",
            supervised_tuning_spec=beta.SupervisedTuningSpec(training_dataset_uri=data),
        ),
    )
    emulator.control.finish(job.name)
    job = tuning.get_tuning_job(name=job.name)  # fields newer than these types are ignored
    assert job.state == beta.JobState.JOB_STATE_SUCCEEDED
    assert [j.name for j in tuning.list_tuning_jobs(parent=PARENT)] == [job.name]
    model = models.get_model(name=job.tuned_model.model)
    assert model.default_checkpoint_id == "3" and len(model.checkpoints) == 3
    assert {c.checkpoint_id for c in job.tuned_model.checkpoints} == {"1", "2", "3"}
