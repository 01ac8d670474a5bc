"""Google's JSON error shape, so clients raise NotFound, InvalidArgument, ... as against the service."""

from __future__ import annotations

from typing import Any

#: Canonical status -> (HTTP status, gRPC code), as google.rpc.Code and its HTTP mapping.
STATUSES: dict[str, tuple[int, int]] = {
    "CANCELLED": (499, 1),
    "INVALID_ARGUMENT": (400, 3),
    "DEADLINE_EXCEEDED": (504, 4),
    "NOT_FOUND": (404, 5),
    "ALREADY_EXISTS": (409, 6),
    "PERMISSION_DENIED": (403, 7),
    "RESOURCE_EXHAUSTED": (429, 8),
    "FAILED_PRECONDITION": (400, 9),
    "ABORTED": (409, 10),
    "OUT_OF_RANGE": (400, 11),
    "UNIMPLEMENTED": (501, 12),
    "INTERNAL": (500, 13),
    "UNAVAILABLE": (503, 14),
    "UNAUTHENTICATED": (401, 16),
}

BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


class ApiError(Exception):
    """An error the emulated service answers with; rendered as {"error": {...}}."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    @property
    def http_status(self) -> int:
        return STATUSES[self.status][0]

    @property
    def code(self) -> int:
        """The google.rpc.Code, as found in Operation.error and TuningJob.error."""
        return STATUSES[self.status][1]

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.http_status,
            "message": self.message,
            "status": self.status,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid_argument(message: str, field: str | None = None) -> ApiError:
    """400 INVALID_ARGUMENT; `field` (proto path) goes into a BadRequest field violation."""
    details = []
    if field:
        violation = {"field": field, "description": message}
        details.append({"@type": BAD_REQUEST, "fieldViolations": [violation]})
    return ApiError("INVALID_ARGUMENT", message, details=details)


def failed_precondition(message: str) -> ApiError:
    return ApiError("FAILED_PRECONDITION", message)


def not_found(kind: str, name: str) -> ApiError:
    """404 worded like Vertex AI: 'The TuningJob does not exist.' plus the name asked for."""
    return ApiError("NOT_FOUND", f'The {kind} does not exist: "{name}".')


def error_info(reason: str, domain: str, **metadata: str) -> dict[str, Any]:
    """A google.rpc.ErrorInfo detail; api_core exposes it as exc.reason / exc.domain."""
    return {"@type": ERROR_INFO, "reason": reason, "domain": domain, "metadata": metadata}
