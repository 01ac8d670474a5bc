"""Errors the provider and CLI raise, worded "verb noun (id): cause"."""

from __future__ import annotations


class VertexError(Exception):
    """A Vertex AI call failed for good (after retries, or not retryable)."""

    def __init__(self, action: str, subject: str, status: str, message: str) -> None:
        super().__init__(f"{action} ({subject}): {status}: {message}")
        self.action = action
        self.subject = subject
        self.status = status
        self.message = message


class NotFound(VertexError):
    """The resource does not exist (any more): a value at the edges, not a failure."""


class JobFailed(Exception):
    """A tuning job ended in a state other than SUCCEEDED."""


class JobTimeout(Exception):
    """The provider stopped waiting; the job itself still runs."""
