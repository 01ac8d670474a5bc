"""Who may call: the bearer token the API requires (with Google's 401 and 403 wording) and the
one that guards the control path. Tokens are compared in constant time."""

from __future__ import annotations

import hmac

from werkzeug.wrappers import Request

from vertex_tuning.emulator.errors import ApiError, error_info

CONTROL_PERMISSION = "emulator.control"


def presented(request: Request) -> str | None:
    """The bearer token of the Authorization header, or None without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def matches(token: str | None, expected: str) -> bool:
    return token is not None and hmac.compare_digest(token.encode(), expected.encode())


def missing(method: str) -> ApiError:
    """401 as Google's front end answers a call without credentials."""
    return ApiError(
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 "
        "access token, login cookie or other valid authentication credential.",
        details=[error_info("CREDENTIALS_MISSING", "googleapis.com", method=method)],
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def denied(permission: str, resource: str) -> ApiError:
    """403 as IAM answers a caller without `permission` on `resource`."""
    return ApiError(
        "PERMISSION_DENIED",
        f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
        details=[
            error_info(
                "IAM_PERMISSION_DENIED",
                "aiplatform.googleapis.com",
                permission=permission,
                resource=resource,
            )
        ],
    )


def check_control(request: Request, expected: str | None) -> None:
    """The control path takes its own token when it has one; None leaves it open."""
    if expected is None:
        return
    token = presented(request)
    if token is None:
        raise missing(f"emulator{request.path}")
    if not matches(token, expected):
        raise denied(CONTROL_PERMISSION, f"//emulator{request.path}")
