"""The wire: one function per RPC, parsing the request body against the discovery schema of the
version asked for and rendering the answer for that version (schema.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from vertex_tuning.emulator import evaluate_instances, operations, prediction, schema, tokens
from vertex_tuning.emulator.backend import Backend
from vertex_tuning.emulator.errors import ApiError, invalid_argument

Json = dict[str, Any]


def json_response(
    data: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON with the content type Google's frontends use."""
    return Response(
        json.dumps(data, indent=2),
        status=status,
        headers=headers,
        content_type="application/json; charset=UTF-8",
    )


def error_response(error: ApiError) -> Response:
    return json_response(error.body(), error.http_status, error.headers)


@dataclass(frozen=True)
class Call:
    """One API request, routed: path variables, API version, and the enum encoding asked for."""

    backend: Backend
    request: Request
    params: Mapping[str, str]

    @property
    def version(self) -> str:
        return self.params.get("version", "v1")

    @property
    def enum_ints(self) -> bool:
        # The GAPIC REST transport always sends `$alt=json;enum-encoding=int`.
        return "enum-encoding=int" in self.request.args.get("$alt", "")

    @property
    def resource(self) -> str:
        """The request path as a resource name: no /v1/ prefix, no :verb suffix."""
        path = self.request.path.split("/", 2)[2]  # drop /v1/ (or /v1beta1/, /ui/)
        return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path

    @property
    def scope(self) -> tuple[str, str]:
        return self.params["projectsId"], self.params["locationsId"]

    def body(self, schema_name: str, field: str = "") -> Json:
        """The JSON body checked strictly against `schema_name`, or the service's 400."""
        raw = self.request.get_data()
        value = schema.loads(raw) if raw.strip() else {}
        return schema.parse(self.version, schema_name, value, field=field)

    def query_int(self, name: str) -> int:
        text = self.request.args.get(name, "0")
        try:
            return int(text)
        except ValueError as exc:
            raise invalid_argument(f'Invalid value for {name}: "{text}".', name) from exc

    def render(self, schema_name: str, value: Mapping[str, Any]) -> Response:
        return json_response(
            schema.render(self.version, schema_name, value, enum_ints=self.enum_ints)
        )

    def operation(self, record: Json) -> Response:
        return json_response(operations.render(record, self.version, enum_ints=self.enum_ints))


Handler = Callable[[Call], Response]


def create_tuning_job(call: Call) -> Response:
    job = call.body("TuningJob", "tuning_job")
    return call.render("TuningJob", call.backend.create_job(*call.scope, job))


def get_tuning_job(call: Call) -> Response:
    return call.render("TuningJob", call.backend.get_job(*call.scope, call.params["tuningJobsId"]))


def list_tuning_jobs(call: Call) -> Response:
    args = call.request.args
    response = call.backend.list_jobs(
        *call.scope,
        filter_=args.get("filter", ""),
        page_size=call.query_int("pageSize"),
        page_token=args.get("pageToken", ""),
    )
    return call.render("ListTuningJobsResponse", response)


def cancel_tuning_job(call: Call) -> Response:
    call.body("CancelTuningJobRequest")
    call.backend.cancel_job(*call.scope, call.params["tuningJobsId"])
    return json_response({})


def rebase_tuned_model(call: Call) -> Response:
    request = call.body("RebaseTunedModelRequest")
    return call.operation(call.backend.rebase_tuned_model(*call.scope, request))


def get_model(call: Call) -> Response:
    return call.render("Model", call.backend.get_model(*call.scope, call.params["modelsId"]))


def update_model(call: Call) -> Response:
    body = call.body("Model", "model")
    mask_text = call.request.args.get("updateMask", "") or call.request.args.get("update_mask", "")
    mask = [_json_name(call.version, part.strip()) for part in mask_text.split(",") if part.strip()]
    model = call.backend.update_model(*call.scope, call.params["modelsId"], body, mask or None)
    return call.render("Model", model)


def _json_name(version: str, path: str) -> str:
    name = schema.api(version).canonical("Model", path)
    if name is None:
        raise invalid_argument(f'updateMask names an unknown Model field "{path}".', "update_mask")
    return name


def delete_model(call: Call) -> Response:
    return call.operation(call.backend.delete_model(*call.scope, call.params["modelsId"]))


def delete_model_version(call: Call) -> Response:
    return call.operation(call.backend.delete_model_version(*call.scope, call.params["modelsId"]))


def list_model_version_checkpoints(call: Call) -> Response:
    response = call.backend.list_checkpoints(
        *call.scope,
        call.params["modelsId"],
        page_size=call.query_int("pageSize"),
        page_token=call.request.args.get("pageToken", ""),
    )
    return call.render("ListModelVersionCheckpointsResponse", response)


def get_endpoint(call: Call) -> Response:
    return call.render(
        "Endpoint", call.backend.get_endpoint(*call.scope, call.params["endpointsId"])
    )


def create_endpoint(call: Call) -> Response:
    body = call.body("Endpoint", "endpoint")
    return call.operation(call.backend.create_endpoint(*call.scope, body))


def deploy_model(call: Call) -> Response:
    request = call.body("DeployModelRequest")
    return call.operation(
        call.backend.deploy_model(*call.scope, call.params["endpointsId"], request)
    )


def delete_endpoint(call: Call) -> Response:
    return call.operation(call.backend.delete_endpoint(*call.scope, call.params["endpointsId"]))


def undeploy_model(call: Call) -> Response:
    request = call.body("UndeployModelRequest")
    operation = call.backend.undeploy_model(
        *call.scope, call.params["endpointsId"], str(request.get("deployedModelId", ""))
    )
    return call.operation(operation)


def get_operation(call: Call) -> Response:
    return call.operation(call.backend.get_operation(call.resource))


def generate_content(call: Call) -> Response:
    request = call.body("GenerateContentRequest")
    response = call.backend.generate_content(call.resource, request)
    return call.render("GenerateContentResponse", response)


def count_tokens(call: Call) -> Response:
    """CountTokens by the emulator's tokenizer (tokens.py), which also bills its jobs."""
    request = call.body("CountTokensRequest")
    if "/endpoints/" not in f"/{call.resource}":
        prediction.publisher_model(call.resource)  # a model the emulator does not serve: 404
    if not request.get("contents") and not request.get("instances"):
        raise invalid_argument("contents must not be empty.", "contents")
    return call.render("CountTokensResponse", tokens.count_tokens(request))


#: RPC method name -> handler; the names are what /_emulator/requests counts.
HANDLERS: dict[str, Handler] = {
    "CreateTuningJob": create_tuning_job,
    "GetTuningJob": get_tuning_job,
    "ListTuningJobs": list_tuning_jobs,
    "CancelTuningJob": cancel_tuning_job,
    "RebaseTunedModel": rebase_tuned_model,
    "GetModel": get_model,
    "UpdateModel": update_model,
    "DeleteModel": delete_model,
    "DeleteModelVersion": delete_model_version,
    "ListModelVersionCheckpoints": list_model_version_checkpoints,
    "GetEndpoint": get_endpoint,
    "CreateEndpoint": create_endpoint,
    "DeployModel": deploy_model,
    "DeleteEndpoint": delete_endpoint,
    "UndeployModel": undeploy_model,
    "GetOperation": get_operation,
    "GenerateContent": generate_content,
    "EvaluateInstances": evaluate_instances.handle,
    "CountTokens": count_tokens,
}
