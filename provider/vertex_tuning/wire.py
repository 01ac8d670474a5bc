"""Pure mappings between our inputs/outputs and the aiplatform_v1 types, named by direction.

The only module that knows API shapes: camelCase, proto types and enum names stay here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# protobuf is loaded already: the Pulumi SDK speaks gRPC with it.
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from vertex_tuning import models, states
from vertex_tuning.spec import FINGERPRINT_LABEL, REPLACE_ON_CHANGE, TuningJobInputs

if TYPE_CHECKING:
    from google.cloud import aiplatform_v1


@dataclass(frozen=True)
class JobError:
    code: int
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """A tuning job as the provider and CLI see it: plain values only."""

    name: str
    state: str
    display_name: str = ""
    base_model: str = ""
    description: str = ""
    training_dataset_uri: str = ""
    validation_dataset_uri: str = ""
    epoch_count: int | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    service_account: str = ""
    kms_key_name: str = ""
    create_time: str = ""
    start_time: str = ""
    end_time: str = ""
    update_time: str = ""
    tuned_model: str = ""
    tuned_endpoint: str = ""
    experiment: str = ""
    error: JobError | None = None
    data_stats: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.name.rsplit("/", 1)[-1]


def parent_of(project: str, location: str) -> str:
    return f"projects/{project}/locations/{location}"


def fingerprint(inputs: TuningJobInputs) -> str:
    """Identifies "this resource with this spec": label value used to adopt, not resubmit."""
    spec = {k: v for k, v in inputs.model_dump(mode="json").items() if k in REPLACE_ON_CHANGE}
    payload = json.dumps({"key": inputs.resource_key, "spec": spec}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def fingerprint_filter(value: str) -> str:
    return f"labels.{FINGERPRINT_LABEL}={value}"


def spec_to_api(inputs: TuningJobInputs, fingerprint_value: str) -> aiplatform_v1.TuningJob:
    """The CreateTuningJob body for these inputs."""
    from google.cloud import aiplatform_v1 as v1

    hyper = v1.SupervisedHyperParameters(
        epoch_count=inputs.epoch_count or 0,
        learning_rate_multiplier=inputs.learning_rate_multiplier or 0.0,
        adapter_size=f"ADAPTER_SIZE_{inputs.adapter_size}" if inputs.adapter_size else 0,
    )
    job = v1.TuningJob(
        tuned_model_display_name=inputs.tuned_model_display_name,
        description=inputs.description or "",
        labels={**inputs.labels, FINGERPRINT_LABEL: fingerprint_value},
        supervised_tuning_spec=v1.SupervisedTuningSpec(
            training_dataset_uri=inputs.training_dataset_uri,
            validation_dataset_uri=inputs.validation_dataset_uri or "",
            hyper_parameters=hyper,
        ),
        service_account=inputs.service_account or "",
    )
    if models.is_tuned_model(inputs.base_model):
        job.pre_tuned_model = v1.PreTunedModel(tuned_model_name=inputs.base_model)
    else:
        job.base_model = inputs.base_model
    if inputs.kms_key_name:
        job.encryption_spec = v1.EncryptionSpec(kms_key_name=inputs.kms_key_name)
    return job


def _time(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def plain_from_api(message: Message) -> dict[str, Any]:
    """A message as plain values for Pulumi outputs: set fields only, int64 as numbers (the
    JSON wire and proto-plus's to_dict make them strings), enum names, API field names."""
    return {_api_name(f): _plain_field(f, value) for f, value in message.ListFields()}


def code_name(code: int) -> str:
    """google.rpc.Code's name for a status code: 5 -> NOT_FOUND."""
    from google.rpc import code_pb2

    try:
        return str(code_pb2.Code.Name(code))
    except ValueError:
        return f"CODE_{code}"


def detail_from_api(detail: Any) -> dict[str, Any]:
    """An error detail (a google.protobuf.Any) decoded when it is one of google.rpc's standard
    types (BadRequest, ErrorInfo, ...), as the REST API shows it; otherwise its type only."""
    from google.rpc import error_details_pb2

    type_name = detail.type_url.rsplit("/", 1)[-1]
    message_name = type_name.removeprefix("google.rpc.")
    kind = error_details_pb2.DESCRIPTOR.message_types_by_name.get(message_name)
    if kind is None or type_name != kind.full_name:
        return {"@type": detail.type_url}
    message = getattr(error_details_pb2, message_name)()
    message.ParseFromString(detail.value)
    return {"@type": detail.type_url, **plain_from_api(message)}


def _api_name(field: FieldDescriptor) -> str:
    # proto-plus escapes names that shadow Python builtins (`min` -> `min_`); the API has none.
    return str(field.name).removesuffix("_")


def _plain_field(field: FieldDescriptor, value: Any) -> Any:
    if field.is_repeated:
        return [_plain_value(field, item) for item in value]
    return _plain_value(field, value)


def _plain_value(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return plain_from_api(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values_by_number[value].name
    if field.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value


def job_from_api(job: aiplatform_v1.TuningJob) -> Job:
    """Plain values from the API's TuningJob."""
    from google.cloud import aiplatform_v1 as v1

    spec = job.supervised_tuning_spec
    hyper = spec.hyper_parameters
    size = v1.SupervisedHyperParameters.AdapterSize(hyper.adapter_size).name
    error = None
    if job.error and (job.error.code or job.error.message):
        details = [detail_from_api(d) for d in job.error.details]
        error = JobError(code=job.error.code, message=job.error.message, details=details)
    stats: dict[str, Any] = {}
    if "supervised_tuning_data_stats" in job.tuning_data_stats:
        supervised = job.tuning_data_stats.supervised_tuning_data_stats
        stats = plain_from_api(v1.SupervisedTuningDataStats.pb(supervised))
    base = job.base_model or job.pre_tuned_model.tuned_model_name
    return Job(
        name=job.name,
        state=v1.JobState(job.state).name,
        display_name=job.tuned_model_display_name,
        base_model=base,
        description=job.description,
        training_dataset_uri=spec.training_dataset_uri,
        validation_dataset_uri=spec.validation_dataset_uri,
        epoch_count=hyper.epoch_count or None,
        learning_rate_multiplier=hyper.learning_rate_multiplier or None,
        adapter_size=size.removeprefix("ADAPTER_SIZE_") if hyper.adapter_size else None,
        labels=dict(job.labels),
        service_account=job.service_account,
        kms_key_name=job.encryption_spec.kms_key_name,
        create_time=_time(job.create_time),
        start_time=_time(job.start_time),
        end_time=_time(job.end_time),
        update_time=_time(job.update_time),
        tuned_model=job.tuned_model.model,
        tuned_endpoint=job.tuned_model.endpoint,
        experiment=job.experiment,
        error=error,
        data_stats=stats,
    )


def endpoint_uri(base_url: str, endpoint: str) -> str:
    """The URL downstream callers POST generateContent requests to."""
    return f"{base_url}/v1/{endpoint}:generateContent" if endpoint else ""


#: Data stats that quote the training data itself (the service's sample conversations): kept out
#: of Pulumi outputs, so customer text never lands in state or the update's display.
_QUOTED_DATA_STATS = frozenset({"user_dataset_examples"})


def outputs_from_job(job: Job, base_url: str) -> dict[str, Any]:
    """The TuningJob's outputs; the provider merges the inputs (with project/location) in."""
    stats = {k: v for k, v in job.data_stats.items() if k not in _QUOTED_DATA_STATS}
    return {
        "job_name": job.name,
        "state": job.state,
        "tuned_model_name": job.tuned_model,
        "tuned_model_endpoint": job.tuned_endpoint,
        "tuned_model_endpoint_uri": endpoint_uri(base_url, job.tuned_endpoint),
        "tuning_data_stats": stats,
        "experiment": job.experiment,
        "create_time": job.create_time,
        "end_time": job.end_time,
    }


OUTPUT_KEYS = (
    "job_name",
    "state",
    "tuned_model_name",
    "tuned_model_endpoint",
    "tuned_model_endpoint_uri",
    "tuning_data_stats",
    "experiment",
    "create_time",
    "end_time",
)


def inputs_from_job(job: Job) -> dict[str, Any]:
    """The spec inputs that would have created `job`, for import and refresh.

    Project and location are left to the caller: the service names jobs by project number.
    """
    found: dict[str, Any] = {
        "base_model": job.base_model,
        "training_dataset_uri": job.training_dataset_uri,
        "validation_dataset_uri": job.validation_dataset_uri or None,
        "tuned_model_display_name": job.display_name,
        "description": job.description or None,
        "epoch_count": job.epoch_count,
        "learning_rate_multiplier": job.learning_rate_multiplier,
        "adapter_size": job.adapter_size,
        "labels": {k: v for k, v in job.labels.items() if k != FINGERPRINT_LABEL},
        "service_account": job.service_account or None,
        "kms_key_name": job.kms_key_name or None,
    }
    return {k: v for k, v in found.items() if v is not None}


def failure_hint(job: Job) -> str:
    """The seed guide's troubleshooting advice for a failed job's error."""
    message = (job.error.message if job.error else "").lower()
    if job.state == states.CANCELLED:
        return "the job was cancelled outside this update; run `pulumi up` to submit it again"
    if job.state == states.EXPIRED:
        return "the job expired before it could run; run `pulumi up` to submit it again"
    if "not found" in message:
        return "check the gs:// URI, that the object exists and that Vertex AI may read the bucket"
    if "format" in message or "json" in message:
        return "run `vertex-tuning validate FILE` and fix each reported line"
    if "insufficient" in message or "too few" in message:
        return "add more diverse examples (at least 100 are recommended) and remove duplicates"
    return "check the error above, the data quality, or try a lower learning_rate_multiplier"


def text_from_api(response: aiplatform_v1.GenerateContentResponse) -> str:
    """The first candidate's text (its parts joined); empty when the model gave none."""
    if not response.candidates:
        return ""
    return "".join(part.text for part in response.candidates[0].content.parts)


def generation_from_api(response: aiplatform_v1.GenerateContentResponse) -> dict[str, Any]:
    """A GenerateContentResponse as plain JSON values, snake_case like every other output."""
    from google.cloud import aiplatform_v1 as v1

    return dict(
        v1.GenerateContentResponse.to_dict(
            response, preserving_proto_field_name=True, use_integers_for_enums=False
        )
    )
