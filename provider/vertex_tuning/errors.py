"""Errors the provider and CLI raise, worded "verb noun (id): cause".

`ApiError` is any Google call that failed for good (Vertex AI or Cloud Storage, after the one
retry policy in retry.py gave up or the failure was permanent); `wire.describe` is where its
status and message come from. The others are outcomes of our own workflows.
"""

from __future__ import annotations

from typing import Any


class ExpectedFailure(Exception):
    """An outcome the user acts on, not a bug: the provider host shows the message alone,
    without a traceback (VERTEX_TUNING_DEBUG=1 or `pulumi up --debug` shows it too)."""


class ApiError(ExpectedFailure):
    """A Google API call failed for good: its canonical status and the service's own words."""

    def __init__(
        self, action: str, subject: str, status: str, message: str, *, http_status: int = 0
    ) -> None:
        hint = _hint(status, subject)
        if hint and not message.rstrip().endswith((".", "!", "?")):
            hint = f".{hint}"
        super().__init__(f"{action} ({subject}): {status}: {message}{hint}")
        self.action = action
        self.subject = subject
        self.status = status
        self.message = message
        self.http_status = http_status


class NotFound(ApiError):
    """The resource does not exist (any more), or so one answer says: confirm before trusting."""


class JobFailed(ExpectedFailure):
    """A tuning job ended in a state other than SUCCEEDED."""


class WaitStopped(ExpectedFailure):
    """We stopped waiting for a job that keeps running: `job` is what was seen last (a wire.Job)."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message)
        self.job = job


class JobTimeout(WaitStopped):
    """The `timeout` passed; the job itself still runs."""


class JobInterrupted(WaitStopped):
    """The engine cancelled the update (Ctrl-C) while we waited; the job itself still runs."""


class DatasetInvalid(ExpectedFailure):
    """A dataset failed the validator; the message carries its report."""


def _hint(status: str, subject: str) -> str:
    """What to do about a refused call: who must be granted what, or which credentials to renew."""
    if status == "PERMISSION_DENIED":
        if subject.startswith("gs://"):
            return (
                " Hint: grant the identity that runs Pulumi, and the Vertex AI service agent, "
                "roles/storage.objectViewer on the bucket"
            )
        return (
            " Hint: grant the identity that runs Pulumi Vertex AI User (roles/aiplatform.user) "
            "on the project: Application Default Credentials, unless VERTEX_ACCESS_TOKEN or "
            "vertex-tuning:accessToken is set"
        )
    if status == "UNAUTHENTICATED":
        return (
            " Hint: the credentials were refused: run `gcloud auth application-default login`, "
            "or set a fresh VERTEX_ACCESS_TOKEN"
        )
    return ""
