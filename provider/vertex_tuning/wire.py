"""The one mapping to and from Vertex AI's REST JSON: requests, responses, errors, filters.

The provider talks to the REST API directly (vertex.py) rather than through the GAPIC types,
which lag the live API (the GAPIC v1 TuningJob has no `preferenceOptimizationSpec`, neither
version has `tuningJobState`). camelCase, int64-as-string, enum names and the error body's
shape stay in this module: everything past it sees `Job` and plain snake_case values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vertex_tuning import names

if TYPE_CHECKING:
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

#: google.rpc.Code numbers by name, for TuningJob.error.code (the REST API sends the number).
CODES = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "DATA_LOSS": 15,
    "UNAUTHENTICATED": 16,
}
_CODE_NAMES = {number: name for name, number in CODES.items()}
#: What the HTTP status says when an error body names no status (google.rpc's HTTP mapping).
_STATUS_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


@dataclass(frozen=True)
class JobError:
    code: int
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint a job exported, with the endpoint it is deployed to."""

    checkpoint_id: str
    epoch: int | None = None
    step: int | None = None
    endpoint: str = ""


@dataclass(frozen=True)
class Job:
    """A tuning job as the provider and CLI see it: plain values only."""

    name: str
    state: str
    display_name: str = ""
    base_model: str = ""
    method: str = "supervised"
    #: The service's detailed state (v1beta1 `tuningJobState`), e.g. TUNING_JOB_STATE_TUNING.
    detailed_state: str = ""
    description: str = ""
    training_dataset_uri: str = ""
    validation_dataset_uri: str = ""
    epoch_count: int | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: str | None = None
    beta: float | None = None
    export_last_checkpoint_only: bool | None = None
    base_checkpoint_id: str = ""
    evaluation_config: dict[str, Any] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    service_account: str = ""
    kms_key_name: str = ""
    create_time: str = ""
    start_time: str = ""
    end_time: str = ""
    update_time: str = ""
    tuned_model: str = ""
    tuned_endpoint: str = ""
    checkpoints: tuple[Checkpoint, ...] = ()
    experiment: str = ""
    error: JobError | None = None
    data_stats: dict[str, Any] = field(default_factory=dict)
    #: What evaluation during tuning returned: the runs (plain values) and the metrics' URI.
    evaluation: dict[str, Any] = field(default_factory=dict)
    #: Epochs the job completed (v1beta1 `tuningJobMetadata`; v1 does not say).
    completed_epochs: int | None = None

    @property
    def id(self) -> str:
        return names.last(self.name)

    @property
    def checkpoint_endpoints(self) -> tuple[str, ...]:
        """Every checkpoint's endpoint (the tuned endpoint among them), when the job exported
        intermediate checkpoints, which it does unless exportLastCheckpointOnly."""
        return tuple(c.endpoint for c in self.checkpoints if c.endpoint)


# --- requests ----------------------------------------------------------------------------------


#: The TuningJob field that holds each method's spec.
SPEC_FIELDS = {"supervised": "supervisedTuningSpec", "preference": "preferenceOptimizationSpec"}


def job_request(inputs: TuningJobInputs, labels: Mapping[str, str]) -> dict[str, Any]:
    """The CreateTuningJob body for these inputs, with `labels` as the job's labels."""
    hyper: dict[str, Any] = {}
    if inputs.epoch_count:
        hyper["epochCount"] = str(inputs.epoch_count)
    if inputs.learning_rate_multiplier:
        hyper["learningRateMultiplier"] = inputs.learning_rate_multiplier
    if inputs.adapter_size:
        hyper["adapterSize"] = f"ADAPTER_SIZE_{inputs.adapter_size}"
    if inputs.beta is not None:
        hyper["beta"] = inputs.beta
    spec: dict[str, Any] = {"trainingDatasetUri": inputs.training_dataset_uri}
    if inputs.validation_dataset_uri:
        spec["validationDatasetUri"] = inputs.validation_dataset_uri
    if hyper:
        spec["hyperParameters"] = hyper
    if inputs.export_last_checkpoint_only is not None:
        spec["exportLastCheckpointOnly"] = inputs.export_last_checkpoint_only
    if inputs.evaluation_config is not None:
        evaluation = inputs.evaluation_config
        config: dict[str, Any] = {
            "metrics": evaluation.metrics,
            "outputConfig": {"gcsDestination": {"outputUriPrefix": evaluation.output_uri_prefix}},
        }
        if evaluation.autorater is not None:
            config["autoraterConfig"] = evaluation.autorater
        spec["evaluationConfig"] = config
    body: dict[str, Any] = {"labels": dict(labels), SPEC_FIELDS[inputs.method]: spec}
    if inputs.tuned_model_display_name:  # unset in continuous tuning: the model's next version
        body["tunedModelDisplayName"] = inputs.tuned_model_display_name
    if names.parse(inputs.base_model, names.MODELS) is not None:
        body["preTunedModel"] = {"tunedModelName": inputs.base_model}
        if inputs.base_checkpoint_id:
            body["preTunedModel"]["checkpointId"] = inputs.base_checkpoint_id
    else:
        body["baseModel"] = inputs.base_model
    if inputs.description:
        body["description"] = inputs.description
    if inputs.service_account:
        body["serviceAccount"] = inputs.service_account
    if inputs.kms_key_name:
        body["encryptionSpec"] = {"kmsKeyName": inputs.kms_key_name}
    return body


def generate_request(prompt: str) -> dict[str, Any]:
    """A generateContent body: one user turn of text."""
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}


def count_tokens_request(contents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A CountTokens body: the Contents to count, in order."""
    return {"contents": [dict(c) for c in contents]}


def tokens_from_api(response: Mapping[str, Any]) -> int:
    """A CountTokensResponse's `totalTokens` (an int32: a JSON number)."""
    return int(response.get("totalTokens") or 0)


def label_filter(key: str, value: str) -> str:
    """One `labels.KEY=VALUE` term of a ListTuningJobs filter, quoted when it must be."""
    quoted = value if re.fullmatch(r"[\w-]+", value) else json.dumps(value)
    return f"labels.{key}={quoted}"


def list_filter(raw: str | None, state: str | None, labels: Iterable[tuple[str, str]]) -> str:
    """One API filter from a raw expression, a state and labels: terms joined with AND."""
    terms = [raw.strip()] if raw and raw.strip() else []
    if state:
        terms.append(f"state={state}")
    terms += [label_filter(key, value) for key, value in labels]
    return " AND ".join(terms)


# --- responses ---------------------------------------------------------------------------------


def job_from_api(body: Mapping[str, Any]) -> Job:
    """Plain values from the API's TuningJob JSON."""
    method = next((m for m, key in SPEC_FIELDS.items() if key in body), "supervised")
    spec = body.get(SPEC_FIELDS[method]) or {}
    hyper = spec.get("hyperParameters") or {}
    size = str(hyper.get("adapterSize") or "")
    error = body.get("error") or {}
    job_error = None
    if error.get("code") or error.get("message"):
        job_error = JobError(
            code=int(error.get("code") or 0),
            message=str(error.get("message") or ""),
            details=list(error.get("details") or []),
        )
    all_stats = body.get("tuningDataStats") or {}
    stats = (
        all_stats.get("supervisedTuningDataStats")
        or all_stats.get("preferenceOptimizationDataStats")
        or {}
    )
    tuned = body.get("tunedModel") or {}
    pre_tuned = body.get("preTunedModel") or {}
    base = body.get("baseModel") or pre_tuned.get("tunedModelName", "")
    completed = (body.get("tuningJobMetadata") or {}).get("completedEpochCount")
    evaluation = {
        "runs": plain(body.get("evaluateDatasetRuns") or []),
        "metrics_uri": str(body.get("gcsMetricsUri") or ""),
    }
    return Job(
        name=str(body.get("name", "")),
        state=str(body.get("state") or "JOB_STATE_UNSPECIFIED"),
        display_name=str(body.get("tunedModelDisplayName", "")),
        base_model=str(base),
        method=method,
        detailed_state=str(body.get("tuningJobState") or ""),
        description=str(body.get("description", "")),
        training_dataset_uri=str(spec.get("trainingDatasetUri", "")),
        validation_dataset_uri=str(spec.get("validationDatasetUri", "")),
        epoch_count=int(hyper["epochCount"]) if hyper.get("epochCount") else None,
        learning_rate_multiplier=float(hyper["learningRateMultiplier"])
        if hyper.get("learningRateMultiplier")
        else None,
        adapter_size=size.removeprefix("ADAPTER_SIZE_")
        if size and size != "ADAPTER_SIZE_UNSPECIFIED"
        else None,
        beta=float(hyper["beta"]) if hyper.get("beta") is not None else None,
        export_last_checkpoint_only=spec.get("exportLastCheckpointOnly"),
        base_checkpoint_id=str(pre_tuned.get("checkpointId") or ""),
        evaluation_config=_evaluation_input(spec.get("evaluationConfig")),
        labels=dict(body.get("labels") or {}),
        service_account=str(body.get("serviceAccount", "")),
        kms_key_name=str((body.get("encryptionSpec") or {}).get("kmsKeyName", "")),
        create_time=str(body.get("createTime", "")),
        start_time=str(body.get("startTime", "")),
        end_time=str(body.get("endTime", "")),
        update_time=str(body.get("updateTime", "")),
        tuned_model=str(tuned.get("model", "")),
        tuned_endpoint=str(tuned.get("endpoint", "")),
        checkpoints=tuple(
            Checkpoint(
                checkpoint_id=str(c.get("checkpointId", "")),
                epoch=int(c["epoch"]) if c.get("epoch") is not None else None,
                step=int(c["step"]) if c.get("step") is not None else None,
                endpoint=str(c.get("endpoint", "")),
            )
            for c in tuned.get("checkpoints") or []
        ),
        experiment=str(body.get("experiment", "")),
        error=job_error,
        data_stats=plain(stats),
        evaluation=evaluation if evaluation["runs"] or evaluation["metrics_uri"] else {},
        completed_epochs=int(completed) if completed else None,
    )


def _evaluation_input(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The evaluation_config input that would have sent `config`."""
    if not config:
        return None
    found: dict[str, Any] = {
        "metrics": list(config.get("metrics") or []),
        "output_uri_prefix": str(
            ((config.get("outputConfig") or {}).get("gcsDestination") or {}).get(
                "outputUriPrefix", ""
            )
        ),
    }
    if config.get("autoraterConfig"):
        found["autorater"] = dict(config["autoraterConfig"])
    return found


def default_checkpoint(model: Mapping[str, Any]) -> str:
    """The checkpoint a registry Model serves (its `defaultCheckpointId`), or ""."""
    return str(model.get("defaultCheckpointId") or "")


def model_update(default_checkpoint_id: str) -> tuple[dict[str, Any], str]:
    """The UpdateModel body and update mask that move the tuned model to a checkpoint."""
    return {"defaultCheckpointId": default_checkpoint_id}, "defaultCheckpointId"


#: The int64 fields (JSON strings on the wire) of the messages read into outputs: tuning data
#: stats, their distributions, checkpoints and hyperparameters (format "int64" in the v1beta1
#: discovery document, revision 20261106).
INT64_FIELDS = frozenset(
    {
        "batchSize",
        "billableSum",
        "count",
        "droppedExampleIndices",
        "epoch",
        "epochCount",
        "step",
        "stepCount",
        "sum",
        "totalBillableCharacterCount",
        "totalBillableTokenCount",
        "totalTruncatedExampleCount",
        "totalTuningCharacterCount",
        "truncatedExampleIndices",
        "tuningDatasetExampleCount",
        "tuningStepCount",
    }
)


def plain(value: Any, key: str = "") -> Any:
    """API JSON as plain output values: snake_case keys, int64 strings as numbers."""
    if isinstance(value, Mapping):
        return {_snake(k): plain(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, key) for v in value]
    if key in INT64_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        return int(value)
    return value


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def endpoint_request(display_name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A CreateEndpoint body."""
    return {"displayName": display_name[:128], "labels": dict(labels)}


def deploy_request(model: str, display_name: str, checkpoint_id: str = "") -> dict[str, Any]:
    """A DeployModel body: the tuned model (at a checkpoint) taking all of the traffic."""
    deployed: dict[str, Any] = {"model": model, "displayName": display_name[:128]}
    if checkpoint_id:
        deployed["checkpointId"] = checkpoint_id
    return {"deployedModel": deployed, "trafficSplit": {"0": 100}}


def operation_result(operation: Mapping[str, Any]) -> dict[str, Any]:
    """A finished operation's response (an Endpoint for CreateEndpoint)."""
    return dict(operation.get("response") or {})


def deployed_endpoints(model: Mapping[str, Any], checkpoint_id: str = "") -> list[str]:
    """The endpoints a registry Model says it is deployed to (those serving `checkpoint_id`,
    when given: each checkpoint has an endpoint of its own)."""
    return [
        str(ref["endpoint"])
        for ref in model.get("deployedModels") or []
        if ref.get("endpoint")
        and (not checkpoint_id or ref.get("checkpointId", checkpoint_id) == checkpoint_id)
    ]


def deployed_model_ids(endpoint: Mapping[str, Any]) -> list[str]:
    """The ids of the models deployed on an Endpoint."""
    return [str(d["id"]) for d in endpoint.get("deployedModels") or [] if d.get("id")]


def text_from_api(response: Mapping[str, Any]) -> str:
    """The first candidate's text (its parts joined); empty when the model gave none."""
    candidates = response.get("candidates") or []
    if not candidates:
        return ""
    parts = (candidates[0].get("content") or {}).get("parts") or []
    return "".join(str(part.get("text", "")) for part in parts)


def operation_error(operation: Mapping[str, Any]) -> tuple[str, str] | None:
    """(status, message) of a finished operation that failed, else None."""
    error = operation.get("error")
    if not error:
        return None
    return code_name(int(error.get("code") or 0)), str(error.get("message") or "")


# --- outputs -----------------------------------------------------------------------------------


def endpoint_uri(base_url: str, endpoint: str, api_version: str = "v1") -> str:
    """The URL downstream callers POST generateContent requests to (the GA v1 path: consumers
    pin it, whatever version the provider manages jobs with)."""
    return f"{base_url}/{api_version}/{endpoint}:generateContent" if endpoint else ""


def stats_summary(stats: Mapping[str, Any]) -> dict[str, Any]:
    """The data stats an output carries: counts, tokens, steps, truncated examples.

    The distributions (histogram buckets, percentiles) would make every diff of a replaced job
    a hundred lines, and the sample conversations quote customer text, which must never reach
    state: `vertex-tuning jobs get` shows all of it.
    """
    return {k: v for k, v in stats.items() if not isinstance(v, Mapping | list)}


def outputs_from_job(job: Job, base_url: str, api_version: str = "v1") -> dict[str, Any]:
    """The TuningJob's outputs; the provider merges the inputs (with project/location) in."""
    stats = stats_summary(job.data_stats)
    return {
        "job_name": job.name,
        "state": job.state,
        "tuned_model_name": job.tuned_model,
        "tuned_model_endpoint": job.tuned_endpoint,
        "tuned_model_endpoint_uri": endpoint_uri(base_url, job.tuned_endpoint, "v1"),
        "tuning_data_stats": stats,
        "experiment": job.experiment,
        "create_time": job.create_time,
        "end_time": job.end_time,
        "detailed_state": job.detailed_state,
        "checkpoints": [
            {
                "checkpoint_id": c.checkpoint_id,
                "epoch": c.epoch,
                "step": c.step,
                "endpoint": c.endpoint,
                "endpoint_uri": endpoint_uri(base_url, c.endpoint, "v1"),
            }
            for c in job.checkpoints
        ],
        "evaluation": job.evaluation,
    }


def inputs_from_job(job: Job, reserved_labels: Iterable[str] = ()) -> dict[str, Any]:
    """The spec inputs that would have created `job`, for import and refresh.

    Project and location are left to the caller: the service names jobs by project number.
    """
    hidden = set(reserved_labels)
    found: dict[str, Any] = {
        "base_model": job.base_model,
        "method": job.method,
        "beta": job.beta,
        "export_last_checkpoint_only": job.export_last_checkpoint_only,
        "base_checkpoint_id": job.base_checkpoint_id or None,
        "evaluation_config": job.evaluation_config,
        "training_dataset_uri": job.training_dataset_uri,
        "validation_dataset_uri": job.validation_dataset_uri or None,
        "tuned_model_display_name": job.display_name,
        "description": job.description or None,
        "epoch_count": job.epoch_count,
        "learning_rate_multiplier": job.learning_rate_multiplier,
        "adapter_size": job.adapter_size,
        "labels": {k: v for k, v in job.labels.items() if k not in hidden},
        "service_account": job.service_account or None,
        "kms_key_name": job.kms_key_name or None,
    }
    return {k: v for k, v in found.items() if v is not None}


# --- errors ------------------------------------------------------------------------------------


def code_name(code: int) -> str:
    """google.rpc.Code's name for a status code: 5 -> NOT_FOUND."""
    return _CODE_NAMES.get(code, f"CODE_{code}")


def describe(exc: BaseException) -> tuple[str, str]:
    """(status, message) of a failed call, e.g. ("INVALID_ARGUMENT", "epochCount must be ...").

    Reads the REST error body (`{"error": {"code", "message", "status", "details"}}`), which
    both Vertex AI and Cloud Storage send, whatever client raised; a call that got no answer
    is UNAVAILABLE with the transport's words.
    """
    from vertex_tuning.retry import http_status

    status_code = http_status(exc)
    if not status_code:
        return "UNAVAILABLE", f"{type(exc).__name__}: {exc}"
    body = error_body(getattr(exc, "response", None))
    status = body.get("status") or _STATUS_BY_HTTP.get(status_code) or f"HTTP_{status_code}"
    message = body.get("message") or getattr(exc, "message", None) or str(exc)
    # api_core prefixes REST errors with the request line; the service's own words follow it.
    message = re.sub(r"^[A-Z]+ https?://\S+: ", "", str(message))
    return str(status), message


def error_body(response: Any) -> dict[str, Any]:
    """The `error` object of a REST error response, or {}."""
    try:
        error = response.json()["error"]
    except Exception:
        return {}
    return error if isinstance(error, dict) else {}


# --- evaluation (the Gen AI evaluation service's evaluateInstances) -----------------------------


@dataclass(frozen=True)
class EvaluationMetric:
    """How one metric travels: its request input, its spec, and where its scores come back.

    `per_instance`: the autorater inputs take one `instance` per call (the computed ones take a
    list of `instances`). `tools`: the metric compares tool calls, not text.
    """

    name: str
    input_field: str
    results_field: str
    values_field: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict)
    per_instance: bool = False
    tools: bool = False
    #: The score's range: 0-1 for the computed metrics, 1-5 for the autorater's.
    scale: tuple[float, float] = (0.0, 1.0)


def _computed(name: str, camel: str, spec: Mapping[str, Any] | None = None) -> EvaluationMetric:
    return EvaluationMetric(
        name,
        f"{camel}Input",
        f"{camel}Results",
        f"{camel}MetricValues",
        dict(spec or {}),
        tools=name.startswith("tool_"),
    )


def _rated(name: str, camel: str) -> EvaluationMetric:
    return EvaluationMetric(
        name, f"{camel}Input", f"{camel}Result", per_instance=True, scale=(1.0, 5.0)
    )


#: The metrics by the names Google's evaluation SDKs give them (vertexai.evaluation).
EVALUATION_METRICS: dict[str, EvaluationMetric] = {
    m.name: m
    for m in (
        _computed("exact_match", "exactMatch"),
        _computed("bleu", "bleu", {"useEffectiveOrder": False}),
        _computed("rouge_1", "rouge", {"rougeType": "rouge1"}),
        _computed("rouge_2", "rouge", {"rougeType": "rouge2"}),
        _computed("rouge_l", "rouge", {"rougeType": "rougeL"}),
        _computed("rouge_l_sum", "rouge", {"rougeType": "rougeLsum"}),
        _computed("tool_call_valid", "toolCallValid"),
        _computed("tool_name_match", "toolNameMatch"),
        _computed("tool_parameter_key_match", "toolParameterKeyMatch"),
        # The JSON name of tool_parameter_kv_match_input has a lower-case "v".
        _computed("tool_parameter_kv_match", "toolParameterKvMatch"),
        _rated("fluency", "fluency"),
        _rated("coherence", "coherence"),
        _rated("safety", "safety"),
        _rated("groundedness", "groundedness"),
        _rated("question_answering_quality", "questionAnsweringQuality"),
        _rated("summarization_quality", "summarizationQuality"),
    )
}
#: Metric spec options (snake_case, as inputs spell them) -> their JSON names.
METRIC_OPTIONS = {
    "use_stemmer": "useStemmer",
    "split_summaries": "splitSummaries",
    "use_effective_order": "useEffectiveOrder",
    "use_strict_string_match": "useStrictStringMatch",
}


@dataclass(frozen=True)
class EvaluationInstance:
    """One answer to score: the prompt, the model's answer and the reference, as text (tool
    metrics get the tool-call JSON the service reads)."""

    prompt: str
    prediction: str
    reference: str
    context: str = ""


def evaluation_request(
    location: str,
    metric: EvaluationMetric,
    instances: Sequence[EvaluationInstance],
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An EvaluateInstancesRequest body: one metric input, its spec and its instances."""
    spec = {**metric.spec, **{METRIC_OPTIONS[k]: v for k, v in (options or {}).items()}}
    if metric.per_instance:
        (one,) = instances
        body: dict[str, Any] = {"metricSpec": spec, "instance": _rated_instance(metric, one)}
    else:
        body = {
            "metricSpec": spec,
            "instances": [
                {"prediction": i.prediction, "reference": i.reference} for i in instances
            ],
        }
    return {"location": location, metric.input_field: body}


def _rated_instance(metric: EvaluationMetric, instance: EvaluationInstance) -> dict[str, Any]:
    if metric.name in ("fluency", "coherence", "safety"):
        return {"prediction": instance.prediction}
    if metric.name == "groundedness":
        return {"prediction": instance.prediction, "context": instance.context or instance.prompt}
    return {
        "prediction": instance.prediction,
        "reference": instance.reference,
        "instruction": instance.prompt,
        "context": instance.context,
    }


def scores_from_evaluation(metric: EvaluationMetric, response: Mapping[str, Any]) -> list[float]:
    """The scores of an EvaluateInstancesResponse, in the request's order."""
    results = response.get(metric.results_field) or {}
    if metric.per_instance:
        return [float(results.get("score") or 0.0)]
    return [float(v.get("score") or 0.0) for v in results.get(metric.values_field) or []]


def answer_request(
    contents: Sequence[Mapping[str, Any]], system_instruction: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A generateContent body that asks an evaluation example's conversation."""
    body: dict[str, Any] = {"contents": [dict(c) for c in contents]}
    if system_instruction:
        body["systemInstruction"] = dict(system_instruction)
    return body


def tool_calls_json(content: Mapping[str, Any] | None) -> str:
    """A model turn's text and function calls as the tool metrics read them:
    `{"content": "...", "tool_calls": [{"name": ..., "arguments": {...}}]}`."""
    parts = (content or {}).get("parts") or []
    calls = [
        {
            "name": str(p["functionCall"].get("name", "")),
            "arguments": p["functionCall"].get("args") or {},
        }
        for p in parts
        if isinstance(p.get("functionCall"), Mapping)
    ]
    text = "".join(str(p.get("text", "")) for p in parts if "text" in p and not p.get("thought"))
    return json.dumps({"content": text, "tool_calls": calls}, sort_keys=True)


def answer_content(response: Mapping[str, Any]) -> dict[str, Any]:
    """The first candidate's content of a GenerateContentResponse ({} when there is none)."""
    candidates = response.get("candidates") or []
    return dict(candidates[0].get("content") or {}) if candidates else {}
