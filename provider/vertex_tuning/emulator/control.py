"""EmulatorControl: a typed client for the emulator's `/_emulator/` control path (stdlib only)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any


class ControlError(Exception):
    """The control API refused a call; `status` is the HTTP status, `body` its JSON."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        message = body.get("error", {}).get("message", str(body))
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body


#: Where the client finds the control token when it is given none (the command's env var too).
TOKEN_ENV = "VERTEX_EMULATOR_CONTROL_TOKEN"


class EmulatorControl:
    """Drive a running emulator: counts, reset, faults, config and job progression.

    `token` is the control path's bearer token: None takes VERTEX_EMULATOR_CONTROL_TOKEN (if
    set), "" sends none. The client `serve()` hands out carries its emulator's token.
    """

    def __init__(self, url: str, timeout: float = 10.0, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token = (os.environ.get(TOKEN_ENV) if token is None else token) or None

    def health(self) -> bool:
        """True once the emulator answers."""
        try:
            return self._call("GET", "health").get("status") == "ok"
        except (OSError, ControlError):
            return False

    def request_counts(self) -> dict[str, int]:
        """API calls received per RPC method name (CreateTuningJob, ...), faulted ones too."""
        counts: dict[str, int] = self._call("GET", "requests")["counts"]
        return counts

    def fault_counts(self) -> dict[str, dict[str, int]]:
        """Faults injected per RPC method name and kind (429, 500, 503, drop, lost)."""
        faults: dict[str, dict[str, int]] = self._call("GET", "requests")["faults"]
        return faults

    def reset(self) -> None:
        """Forget all resources, request counts and faults."""
        self._call("POST", "reset", {})

    def set_faults(
        self,
        *,
        rate: float = 0.0,
        kinds: Iterable[str] = ("429", "500", "503", "drop"),
        sequence: Iterable[str] = (),
        methods: Iterable[str] = (),
        retry_after: int = 1,
    ) -> dict[str, Any]:
        """Inject faults: `sequence` first (entries 429/500/503/400/403/404/drop/lost/ok), then
        `rate` of `kinds`; only into `methods` when given. "lost" serves, then drops the answer."""
        body = {
            "rate": rate,
            "kinds": list(kinds),
            "sequence": list(sequence),
            "methods": list(methods),
            "retryAfter": retry_after,
        }
        return self._call("POST", "faults", body)

    def clear_faults(self) -> None:
        self._call("POST", "faults", {})

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings at run time: job_seconds=..., require_token=... (None: no auth),
        operation_polls=... (GetOperation calls until an operation is done; 0: at once)."""
        names = {
            "job_seconds": "jobSeconds",
            "require_token": "requireToken",
            "operation_polls": "operationPolls",
        }
        unknown = set(settings) - set(names)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return self._call("POST", "config", {names[k]: v for k, v in settings.items()})

    def config(self) -> dict[str, Any]:
        return self._call("GET", "config")

    def jobs(self) -> list[dict[str, Any]]:
        """Every tuning job of every project, newest first, as API JSON."""
        jobs: list[dict[str, Any]] = self._call("GET", "jobs")["tuningJobs"]
        return jobs

    def advance(self, job: str) -> dict[str, Any]:
        """Move a job (id or resource name) to its next state now; returns the job JSON."""
        return self._call("POST", f"jobs/{_job_id(job)}:advance", {})

    def step(self, job: str) -> dict[str, Any]:
        """Move a job one detailed state on (tuningJobState: waiting for quota, processing
        dataset, waiting for capacity, tuning, post-processing, then done); returns its JSON."""
        return self._call("POST", f"jobs/{_job_id(job)}:step", {})

    def finish(
        self,
        job: str,
        state: str | None = None,
        *,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> dict[str, Any]:
        """End a job now: its natural outcome, or `state` (JOB_STATE_FAILED, ...) and error."""
        body: dict[str, Any] = {}
        if state is not None:
            body["state"] = state
        error = {"code": error_code, "message": error_message}
        if any(v is not None for v in error.values()):
            body["error"] = {k: v for k, v in error.items() if v is not None}
        return self._call("POST", f"jobs/{_job_id(job)}:finish", body)

    def register_dataset(self, name: str, gcs_uri: str) -> None:
        """Let the Vertex dataset `projects/P/locations/L/datasets/ID` stand for a gs:// JSONL,
        so tuning jobs can name it as training or validation data."""
        self._call("POST", "datasets", {"name": name, "uri": gcs_uri})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            raise ControlError(exc.code, json.loads(exc.read() or b"{}")) from exc


def _job_id(job: str) -> str:
    return job.rsplit("/", 1)[-1]
