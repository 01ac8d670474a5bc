"""The wire: one function per RPC, reading and writing the API's JSON through proto-plus types."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from google.cloud.aiplatform_v1 import types
from google.protobuf import json_format
from werkzeug.wrappers import Request, Response

from vertex_tuning.emulator.backend import Backend
from vertex_tuning.emulator.codec import to_dict
from vertex_tuning.emulator.errors import ApiError, invalid_argument


def json_response(
    data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
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
    """One API request, routed: path variables, and whether enums go out as numbers."""

    backend: Backend
    request: Request
    params: Mapping[str, str]

    @property
    def enum_ints(self) -> bool:
        # The GAPIC REST transport always sends `$alt=json;enum-encoding=int`.
        return "enum-encoding=int" in self.request.args.get("$alt", "")

    @property
    def resource(self) -> str:
        """The request path as a resource name: no /v1/ prefix, no :verb suffix."""
        path = self.request.path.split("/", 2)[2]  # drop /v1/ (or /ui/)
        return path.rsplit(":", 1)[0] if ":" in path.rsplit("/", 1)[-1] else path

    def body(self, message_type: Any) -> Any:
        """The JSON body parsed strictly into `message_type`, or the service's 400."""
        raw = self.request.get_data(as_text=True) or "{}"
        try:
            return message_type.from_json(raw)
        except (json_format.ParseError, ValueError) as exc:
            reason = str(exc).splitlines()[0]
            raise invalid_argument(f"Invalid JSON payload received. {reason}") from exc

    def query_int(self, name: str) -> int:
        text = self.request.args.get(name, "0")
        try:
            return int(text)
        except ValueError as exc:
            raise invalid_argument(f'Invalid value for {name}: "{text}".', name) from exc

    def render(self, message: Any) -> Response:
        return json_response(to_dict(message, enum_ints=self.enum_ints))

    @property
    def scope(self) -> tuple[str, str]:
        return self.params["project"], self.params["location"]


Handler = Callable[[Call], Response]


def create_tuning_job(call: Call) -> Response:
    job = call.body(types.TuningJob)
    return call.render(call.backend.create_job(*call.scope, job))


def get_tuning_job(call: Call) -> Response:
    return call.render(call.backend.get_job(*call.scope, call.params["job"]))


def list_tuning_jobs(call: Call) -> Response:
    args = call.request.args
    response = call.backend.list_jobs(
        *call.scope,
        filter_=args.get("filter", ""),
        page_size=call.query_int("pageSize"),
        page_token=args.get("pageToken", ""),
    )
    return call.render(response)


def cancel_tuning_job(call: Call) -> Response:
    call.body(types.CancelTuningJobRequest)
    call.backend.cancel_job(*call.scope, call.params["job"])
    return json_response({})


def get_model(call: Call) -> Response:
    return call.render(call.backend.get_model(*call.scope, call.params["model"]))


def delete_model(call: Call) -> Response:
    return json_response(call.backend.delete_model(*call.scope, call.params["model"]))


def get_endpoint(call: Call) -> Response:
    return call.render(call.backend.get_endpoint(*call.scope, call.params["endpoint"]))


def delete_endpoint(call: Call) -> Response:
    return json_response(call.backend.delete_endpoint(*call.scope, call.params["endpoint"]))


def undeploy_model(call: Call) -> Response:
    request = call.body(types.UndeployModelRequest)
    operation = call.backend.undeploy_model(
        *call.scope, call.params["endpoint"], request.deployed_model_id
    )
    return json_response(operation)


def get_operation(call: Call) -> Response:
    return json_response(call.backend.get_operation(call.resource))


def generate_content(call: Call) -> Response:
    request = call.body(types.GenerateContentRequest)
    return call.render(call.backend.generate_content(call.resource, request))


#: RPC method name -> handler; the names are what /_emulator/requests counts.
HANDLERS: dict[str, Handler] = {
    "CreateTuningJob": create_tuning_job,
    "GetTuningJob": get_tuning_job,
    "ListTuningJobs": list_tuning_jobs,
    "CancelTuningJob": cancel_tuning_job,
    "GetModel": get_model,
    "DeleteModel": delete_model,
    "GetEndpoint": get_endpoint,
    "DeleteEndpoint": delete_endpoint,
    "UndeployModel": undeploy_model,
    "GetOperation": get_operation,
    "GenerateContent": generate_content,
}
