"""State mapping: the API's TuningJob JSON to plain values, outputs and read-back inputs."""

from __future__ import annotations

from typing import Any

from conftest import tuning_inputs
from vertex_tuning import jobs, ownership, wire
from vertex_tuning.resources.tuning_job import TuningJobOutputs

NAME = "projects/123456789012/locations/us-central1/tuningJobs/42"
TRAIN = "gs://bucket/support/train.jsonl"


def _inputs(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "base_model": "gemini-2.5-flash",
        "training_dataset_uri": TRAIN,
        "tuned_model_display_name": "support-v2",
        "project": "my-project",
        "location": "us-central1",
        **overrides,
    }
    return tuning_inputs({}, **values)


def _request(inputs: Any) -> dict[str, Any]:
    return wire.job_request(inputs, ownership.labels(inputs, "f" * 32))


def _succeeded(body: dict[str, Any]) -> dict[str, Any]:
    return {
        **body,
        "name": NAME,
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2026-11-26T09:00:00Z",
        "endTime": "2026-11-26T10:30:00Z",
        "tunedModel": {
            "model": "projects/123456789012/locations/us-central1/models/7@1",
            "endpoint": "projects/123456789012/locations/us-central1/endpoints/9",
        },
    }


def test_the_spec_read_back_from_the_job_it_created_is_the_same_spec() -> None:
    inputs = _inputs(
        epoch_count=3,
        learning_rate_multiplier=0.5,
        adapter_size="ADAPTER_SIZE_FOUR",
        labels={"env": "dev", "team": "support"},
        validation_dataset_uri="gs://bucket/support/validation.jsonl",
        description="support bot",
    )
    job = wire.job_from_api(_succeeded(_request(inputs)))
    found = wire.inputs_from_job(job, ownership.RESERVED_LABELS)
    expected = inputs.model_dump()
    assert {k: expected[k] for k in found} == found
    assert set(found) == {
        "base_model",
        "method",
        "training_dataset_uri",
        "validation_dataset_uri",
        "tuned_model_display_name",
        "description",
        "epoch_count",
        "learning_rate_multiplier",
        "adapter_size",
        "labels",
    }
    assert ownership.FINGERPRINT_LABEL not in found["labels"]  # ours, not the user's


def test_unset_hyperparameters_stay_unset_so_the_service_chooses() -> None:
    body = _request(_inputs())
    assert "hyperParameters" not in body["supervisedTuningSpec"]
    found = wire.inputs_from_job(wire.job_from_api(_succeeded(body)))
    assert not {"epoch_count", "learning_rate_multiplier", "adapter_size"} & set(found)


def test_a_tuned_model_as_base_is_sent_as_pre_tuned_model_and_read_back() -> None:
    tuned = "projects/123456789012/locations/us-central1/models/7@1"
    body = _request(_inputs(base_model=tuned))
    assert body["preTunedModel"] == {"tunedModelName": tuned} and "baseModel" not in body
    assert wire.inputs_from_job(wire.job_from_api(_succeeded(body)))["base_model"] == tuned


def test_outputs_name_the_endpoint_and_the_url_callers_post_to() -> None:
    job = wire.job_from_api(_succeeded(_request(_inputs())))
    outs = wire.outputs_from_job(job, "https://us-central1-aiplatform.googleapis.com")
    # The provider adds what the job does not say: its owner, the checkpoint the model serves.
    provider_adds = {"owner", "serving_checkpoint_id", "drift", "repair"}
    provider_adds |= {"billed_tokens", "cost_usd", "estimate_error_percent"}  # its cost
    assert set(outs) | provider_adds == set(TuningJobOutputs.names())
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert outs["job_name"] == NAME
    assert outs["tuned_model_endpoint_uri"] == (
        "https://us-central1-aiplatform.googleapis.com/v1/"
        "projects/123456789012/locations/us-central1/endpoints/9:generateContent"
    )
    assert (outs["create_time"], outs["end_time"]) == (
        "2026-11-26T09:00:00Z",
        "2026-11-26T10:30:00Z",
    )


def test_a_running_job_has_no_endpoint_url_yet() -> None:
    body = _request(_inputs())
    body = {**body, "name": NAME, "state": "JOB_STATE_RUNNING"}
    outs = wire.outputs_from_job(wire.job_from_api(body), "https://x")
    assert outs["state"] == "JOB_STATE_RUNNING"
    assert outs["tuned_model_endpoint"] == outs["tuned_model_endpoint_uri"] == ""


def test_data_stats_are_plain_numbers_under_the_api_names() -> None:
    body = _succeeded(_request(_inputs()))
    body["tuningDataStats"] = {
        "supervisedTuningDataStats": {
            "tuningDatasetExampleCount": "298",
            "totalBillableTokenCount": "123456789012",
            "userInputTokenDistribution": {"min": 3, "max": 40, "mean": 12.5, "sum": "3725"},
            "userDatasetExamples": [{"role": "user", "parts": [{"text": "42"}]}],
        }
    }
    stats = wire.job_from_api(body).data_stats
    assert stats["tuning_dataset_example_count"] == 298  # int64: a string on the wire
    assert stats["total_billable_token_count"] == 123456789012
    assert stats["user_input_token_distribution"] == {
        "min": 3,
        "max": 40,
        "mean": 12.5,
        "sum": 3725,
    }
    assert stats["user_dataset_examples"] == [{"role": "user", "parts": [{"text": "42"}]}]
    # The sample conversations quote the training data: never an output, so never in state.
    outputs = wire.outputs_from_job(wire.job_from_api(body), "https://x")["tuning_data_stats"]
    assert "user_dataset_examples" not in outputs
    assert outputs["tuning_dataset_example_count"] == 298


def test_error_details_are_kept_as_the_service_sent_them() -> None:
    violation = {
        "field": "supervisedTuningSpec.trainingDatasetUri",
        "description": "object not found",
    }
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]},
        {"@type": "type.googleapis.com/example.Custom"},
    ]
    body = {
        **_request(_inputs()),
        "name": NAME,
        "state": "JOB_STATE_FAILED",
        "error": {"code": 5, "message": "not found", "details": details},
    }
    job = wire.job_from_api(body)
    assert job.state == "JOB_STATE_FAILED"
    assert job.error is not None and (job.error.code, job.error.message) == (5, "not found")
    assert job.error.details == details
    assert "gs:// URI" in jobs.failure_hint(job)


def test_the_fingerprint_follows_the_spec_and_the_resource_not_behaviour() -> None:
    base = ownership.fingerprint(_inputs(resource_key="p/dev/model"))
    assert ownership.fingerprint(_inputs(resource_key="p/dev/model", timeout=60)) == base
    assert ownership.fingerprint(_inputs(resource_key="p/dev/model", epoch_count=4)) != base
    assert ownership.fingerprint(_inputs(resource_key="p/prod/model")) != base
