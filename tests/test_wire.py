"""State mapping: the API's TuningJob to plain values, outputs and read-back inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import aiplatform_v1 as v1
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from vertex_tuning import spec, wire

NAME = "projects/123456789012/locations/us-central1/tuningJobs/42"
TRAIN = "gs://bucket/support/train.jsonl"


def _inputs(**overrides: Any) -> spec.TuningJobInputs:
    values: dict[str, Any] = {
        "base_model": "gemini-2.5-flash",
        "training_dataset_uri": TRAIN,
        "tuned_model_display_name": "support-v2",
        "project": "my-project",
        "location": "us-central1",
        **overrides,
    }
    inputs, failures = spec.check_inputs({}, values, {})
    assert failures == []
    return spec.TuningJobInputs.model_validate(inputs)


def _succeeded(body: v1.TuningJob) -> v1.TuningJob:
    body.name = NAME
    body.state = v1.JobState.JOB_STATE_SUCCEEDED
    body.create_time = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    body.end_time = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
    body.tuned_model = v1.TunedModel(
        model="projects/123456789012/locations/us-central1/models/7@1",
        endpoint="projects/123456789012/locations/us-central1/endpoints/9",
    )
    return body


def test_the_spec_read_back_from_the_job_it_created_is_the_same_spec() -> None:
    inputs = _inputs(
        epoch_count=3,
        learning_rate_multiplier=0.5,
        adapter_size="ADAPTER_SIZE_FOUR",
        labels={"env": "dev", "team": "support"},
        validation_dataset_uri="gs://bucket/support/validation.jsonl",
        description="support bot",
    )
    job = wire.job_from_api(_succeeded(wire.spec_to_api(inputs, "f" * 32)))
    found = wire.inputs_from_job(job)
    expected = inputs.model_dump()
    assert {k: expected[k] for k in found} == found
    assert set(found) == {
        "base_model",
        "training_dataset_uri",
        "validation_dataset_uri",
        "tuned_model_display_name",
        "description",
        "epoch_count",
        "learning_rate_multiplier",
        "adapter_size",
        "labels",
    }
    assert spec.FINGERPRINT_LABEL not in found["labels"]  # ours, not the user's


def test_unset_hyperparameters_stay_unset_so_the_service_chooses() -> None:
    body = wire.spec_to_api(_inputs(), "f" * 32)
    hyper = body.supervised_tuning_spec.hyper_parameters
    assert (hyper.epoch_count, hyper.learning_rate_multiplier, hyper.adapter_size) == (0, 0.0, 0)
    found = wire.inputs_from_job(wire.job_from_api(_succeeded(body)))
    assert not {"epoch_count", "learning_rate_multiplier", "adapter_size"} & set(found)


def test_a_tuned_model_as_base_is_sent_as_pre_tuned_model_and_read_back() -> None:
    tuned = "projects/123456789012/locations/us-central1/models/7@1"
    body = wire.spec_to_api(_inputs(base_model=tuned), "f" * 32)
    assert body.pre_tuned_model.tuned_model_name == tuned and not body.base_model
    assert wire.inputs_from_job(wire.job_from_api(_succeeded(body)))["base_model"] == tuned


def test_outputs_name_the_endpoint_and_the_url_callers_post_to() -> None:
    job = wire.job_from_api(_succeeded(wire.spec_to_api(_inputs(), "f" * 32)))
    outs = wire.outputs_from_job(job, "https://us-central1-aiplatform.googleapis.com")
    assert set(outs) == set(wire.OUTPUT_KEYS)
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
    body = wire.spec_to_api(_inputs(), "f" * 32)
    body.name, body.state = NAME, v1.JobState.JOB_STATE_RUNNING
    outs = wire.outputs_from_job(wire.job_from_api(body), "https://x")
    assert outs["state"] == "JOB_STATE_RUNNING"
    assert outs["tuned_model_endpoint"] == outs["tuned_model_endpoint_uri"] == ""


def test_data_stats_are_plain_numbers_under_the_api_names() -> None:
    body = _succeeded(wire.spec_to_api(_inputs(), "f" * 32))
    body.tuning_data_stats = v1.TuningDataStats(
        supervised_tuning_data_stats=v1.SupervisedTuningDataStats(
            tuning_dataset_example_count=298,
            total_billable_token_count=123456789012,
            user_input_token_distribution=v1.SupervisedTuningDatasetDistribution(
                min_=3, max_=40, mean=12.5, sum=3725
            ),
            user_dataset_examples=[v1.Content(role="user", parts=[v1.Part(text="42")])],
        )
    )
    stats = wire.job_from_api(body).data_stats
    assert stats["tuning_dataset_example_count"] == 298  # int64: a string on the wire
    assert stats["total_billable_token_count"] == 123456789012
    assert stats["user_input_token_distribution"] == {
        "min": 3.0,
        "max": 40.0,
        "mean": 12.5,
        "sum": 3725,
    }
    assert stats["user_dataset_examples"] == [{"role": "user", "parts": [{"text": "42"}]}]
    # The sample conversations quote the training data: never an output, so never in state.
    outputs = wire.outputs_from_job(wire.job_from_api(body), "https://x")["tuning_data_stats"]
    assert "user_dataset_examples" not in outputs
    assert outputs["tuning_dataset_example_count"] == 298


def test_error_details_of_standard_types_are_decoded() -> None:
    bad_request = any_pb2.Any()
    bad_request.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field="supervisedTuningSpec.trainingDatasetUri", description="object not found"
                )
            ]
        )
    )
    unknown = any_pb2.Any(type_url="type.googleapis.com/example.Custom", value=b"\x08\x01")
    body = wire.spec_to_api(_inputs(), "f" * 32)
    body.name, body.state = NAME, v1.JobState.JOB_STATE_FAILED
    body.error = status_pb2.Status(code=5, message="not found", details=[bad_request, unknown])
    job = wire.job_from_api(body)
    assert job.state == "JOB_STATE_FAILED"
    assert job.error is not None and (job.error.code, job.error.message) == (5, "not found")
    assert job.error.details == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "field_violations": [
                {
                    "field": "supervisedTuningSpec.trainingDatasetUri",
                    "description": "object not found",
                }
            ],
        },
        {"@type": "type.googleapis.com/example.Custom"},
    ]
    assert "gs:// URI" in wire.failure_hint(job)


def test_the_fingerprint_follows_the_spec_and_the_resource_not_behaviour() -> None:
    base = wire.fingerprint(_inputs(resource_key="p/dev/model"))
    assert wire.fingerprint(_inputs(resource_key="p/dev/model", timeout=60)) == base
    assert wire.fingerprint(_inputs(resource_key="p/dev/model", epoch_count=4)) != base
    assert wire.fingerprint(_inputs(resource_key="p/prod/model")) != base
