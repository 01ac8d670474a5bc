"""Errors the provider and CLI raise, worded "verb noun (id): cause".

`ApiError` is any Google call that failed for good (Vertex AI or Cloud Storage, after the one
retry policy in retry.py gave up or the failure was permanent); `wire.describe` is where its
status and message come from. The others are outcomes of our own workflows.
"""

from __future__ import annotations

from typing import Any


class Reported(Exception):
    """An outcome whose message says all there is (a failed gate): shown without a traceback."""


class ApiError(Exception):
    """A Google API call failed for good: its canonical status and the service's own words."""

    def __init__(
        self, action: str, subject: str, status: str, message: str, *, http_status: int = 0
    ) -> None:
        super().__init__(f"{action} ({subject}): {status}: {message}")
        self.action = action
        self.subject = subject
        self.status = status
        self.message = message
        self.http_status = http_status


class NotFound(ApiError):
    """The resource does not exist (any more), or so one answer says: confirm before trusting."""


class JobFailed(Exception):
    """A tuning job ended in a state other than SUCCEEDED."""


class WaitStopped(Exception):
    """We stopped waiting for a job that keeps running: `job` is what was seen last (a wire.Job)."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message)
        self.job = job


class JobTimeout(WaitStopped):
    """The `timeout` passed; the job itself still runs."""


class JobInterrupted(WaitStopped):
    """The engine cancelled the update (Ctrl-C) while we waited; the job itself still runs."""


class DatasetInvalid(Exception):
    """A dataset failed the validator; the message carries its report."""
