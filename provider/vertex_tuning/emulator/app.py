"""The WSGI application: the API routes (routes.py, v1 and v1beta1) and the reserved
`/_emulator/` control path.

Every body is read first, bounded (limits.py). API calls are counted, then may get an injected
fault, then are authorized, then served (and a "lost" fault drops the connection after serving).
Injected faults are counted per method and kind. The control path is never counted or faulted
(like moto's /moto-api/); it takes its own bearer token when the emulator has one (access.py),
and every setting it changes is checked (config.py).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from vertex_tuning.emulator import access, config, handlers, limits, memory, routes, schema
from vertex_tuning.emulator.backend import Backend
from vertex_tuning.emulator.errors import ApiError, failed_precondition, invalid_argument
from vertex_tuning.emulator.faults import LOST, FaultPlan, Faults
from vertex_tuning.emulator.handlers import Call, error_response, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"


def _control_rules() -> list[Rule]:
    return [
        Rule("/_emulator/health", methods=["GET"], endpoint="health"),
        Rule("/_emulator/requests", methods=["GET"], endpoint="requests"),
        Rule("/_emulator/reset", methods=["POST"], endpoint="reset"),
        Rule("/_emulator/faults", methods=["GET"], endpoint="faults.get"),
        Rule("/_emulator/faults", methods=["POST"], endpoint="faults.set"),
        Rule("/_emulator/config", methods=["GET"], endpoint="config.get"),
        Rule("/_emulator/config", methods=["POST"], endpoint="config.set"),
        Rule("/_emulator/jobs", methods=["GET"], endpoint="jobs"),
        Rule("/_emulator/jobs/<seg:job>:advance", methods=["POST"], endpoint="advance"),
        Rule("/_emulator/jobs/<seg:job>:step", methods=["POST"], endpoint="step"),
        Rule("/_emulator/jobs/<seg:job>:finish", methods=["POST"], endpoint="finish"),
        Rule("/_emulator/datasets", methods=["POST"], endpoint="datasets"),
    ]


_FAULTS = {
    "429": ApiError(
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for aiplatform.googleapis.com. Please retry after some time.",
    ),
    "500": ApiError("INTERNAL", "Internal error encountered."),
    "503": ApiError("UNAVAILABLE", "The service is currently unavailable."),
    "400": ApiError("INVALID_ARGUMENT", "Request contains an invalid argument."),
    "403": ApiError("PERMISSION_DENIED", "The caller does not have permission."),
    "404": ApiError("NOT_FOUND", "The requested resource was not found."),
}


class Dropped(ConnectionAbortedError):
    """Raised after closing the socket: werkzeug treats it as a connection the peer dropped."""


class EmulatorApp:
    """The WSGI application: one per emulator, wrapping its backend, faults and counters.

    `require_token` is what API calls must carry (None: nothing); `control_token` what the
    control path must carry (None: open, and then no API token can be set through it, since
    anyone could read it back).
    """

    def __init__(
        self,
        backend: Backend,
        faults: Faults,
        require_token: str | None = None,
        control_token: str | None = None,
    ) -> None:
        self.backend = backend
        self.faults = faults
        self.require_token = config.token(require_token)
        self.control_token = config.token(control_token, "controlToken")
        if self.require_token and not self.control_token:
            raise ValueError("an emulator that requires a token needs a control token too")
        self._counts: Counter[str] = Counter()
        self._injected: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._api = routes.api_map().bind("emulator")
        self._control = Map(_control_rules(), converters={"seg": routes.Segment}).bind("emulator")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        control = request.path.startswith(CONTROL_PREFIX)
        try:
            limits.read_body(request, limits.CONTROL_BYTES if control else limits.PAYLOAD_BYTES)
        except ApiError as error:
            return error_response(error)(environ, start_response)
        response = self._serve_control(request) if control else self._serve_api(request, environ)
        return response(environ, start_response)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def injected(self) -> dict[str, dict[str, int]]:
        """Faults injected so far: method -> kind -> count."""
        by_method: dict[str, dict[str, int]] = {}
        with self._lock:
            for (method, kind), count in self._injected.items():
                by_method.setdefault(method, {})[kind] = count
        return by_method

    def reset(self) -> None:
        """Clear state, counts and faults (configuration stays), and give the memory back."""
        self.backend.reset()
        self.faults.set(FaultPlan())
        with self._lock:
            self._counts.clear()
            self._injected.clear()
        memory.release()

    # -- the API -------------------------------------------------------------------------------

    def _serve_api(self, request: Request, environ: WSGIEnvironment) -> Response:
        try:
            (method, version), params = self._api.match(request.path, method=request.method)
        except HTTPException:
            message = f"The requested URL {request.path} was not found on this server."
            return error_response(ApiError("NOT_FOUND", message))
        kind = self.faults.pick(method)
        with self._lock:
            self._counts[method] += 1
            if kind is not None:
                self._injected[method, kind] += 1
        try:
            if kind is not None and kind != LOST:
                self._inject_fault(method, kind, environ)
            self._authorize(request, method)
            call = limits.LimitedCall(self.backend, request, {**params, "version": version})
            response = handlers.HANDLERS[method](call)
        except ApiError as error:
            response = error_response(error)
        except Dropped:
            raise
        except Exception as exc:
            log.exception("%s failed", method)
            response = error_response(ApiError("INTERNAL", f"Internal error encountered: {exc}"))
        if kind == LOST:
            _drop(method, environ)
        return response

    def _inject_fault(self, method: str, kind: str, environ: WSGIEnvironment) -> None:
        if kind == "drop":
            _drop(method, environ)
        error = _FAULTS[kind]
        if kind == "429":
            retry_after = str(self.faults.plan.retry_after)
            raise ApiError(error.status, error.message, headers={"Retry-After": retry_after})
        raise error

    def _authorize(self, request: Request, method: str) -> None:
        if not self.require_token:
            return
        token = access.presented(request)
        if token is None:
            raise access.missing(method)
        if not access.matches(token, self.require_token):
            resource = "//aiplatform.googleapis.com/" + Call(self.backend, request, {}).resource
            raise access.denied(routes.PERMISSIONS[method], resource)

    # -- the control path ----------------------------------------------------------------------

    def _serve_control(self, request: Request) -> Response:
        try:
            route, params = self._control.match(request.path, method=request.method)
        except HTTPException:
            message = f"No control endpoint {request.method} {request.path}."
            return error_response(ApiError("NOT_FOUND", message))
        try:
            if route != "health":
                access.check_control(request, self.control_token)
            body = json.loads(request.get_data(as_text=True) or "{}")
            if not isinstance(body, dict):
                raise invalid_argument("The control API takes a JSON object.")
            return json_response(self._control_call(str(route), body, params.get("job", "")))
        except ApiError as error:
            return error_response(error)
        except (ValueError, TypeError) as exc:
            return error_response(invalid_argument(str(exc)))

    def _control_call(self, route: str, body: dict[str, Any], job: str) -> dict[str, Any]:
        backend = self.backend
        match route:
            case "health":
                return {"status": "ok"}
            case "requests":
                return {"counts": self.counts(), "faults": self.injected()}
            case "reset":
                self.reset()
                return {}
            case "faults.set":
                self.faults.set(config.fault_plan(body, routes.METHODS))
                return self.faults.plan.to_json()
            case "faults.get":
                return self.faults.plan.to_json()
            case "config.set":
                return self._configure(body)
            case "config.get":
                return self._configure({})
            case "jobs":
                return {"tuningJobs": [_job(j) for j in backend.all_jobs()]}
            case "advance":
                return _job(backend.advance(job))
            case "step":
                return _job(backend.step(job))
            case "finish":
                return _job(backend.finish(job, *config.finish(body)))
            case "datasets":
                backend.register_dataset(*config.dataset(body))
                return {}
        raise AssertionError(f"unrouted control endpoint {route}")

    def _configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check every field given, then change them all (or none)."""
        unknown = set(body) - set(config.CONFIG_FIELDS)
        if unknown:
            raise invalid_argument(
                f"unknown config fields: {', '.join(sorted(unknown))} (known: "
                f"{', '.join(config.CONFIG_FIELDS)}).",
                sorted(unknown)[0],
            )
        seconds = config.job_seconds(body["jobSeconds"]) if "jobSeconds" in body else None
        polls = config.operation_polls(body["operationPolls"]) if "operationPolls" in body else None
        token = config.token(body["requireToken"]) if "requireToken" in body else None
        if token is not None and self.control_token is None:
            raise failed_precondition(
                "requireToken cannot be set through an open control path, where anyone could "
                "read it back: start the emulator with a control token (--control-token, or "
                "--require-token, which the control path then takes too)."
            )
        if seconds is not None:
            self.backend.job_seconds = seconds
        if polls is not None:
            self.backend.operation_polls = polls
        if "requireToken" in body:
            self.require_token = token
        return {
            "jobSeconds": self.backend.job_seconds,
            "requireToken": self.require_token,
            "operationPolls": self.backend.operation_polls,
        }


def _job(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the control API shows it: v1beta1 JSON (every field, `tuningJobState` too)."""
    return schema.render("v1beta1", "TuningJob", job)


def _drop(method: str, environ: WSGIEnvironment) -> None:
    """Close the client's connection without an answer."""
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        connection.shutdown(socket.SHUT_RDWR)
    raise Dropped(f"fault injection dropped {method}")
