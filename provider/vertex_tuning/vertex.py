"""The Google clients, built lazily, with the one retry policy and the one error mapping.

Importing google.cloud.aiplatform_v1 takes seconds, so nothing here is imported on the
check/diff path: the provider builds a `Vertex` only in create, read, update and delete.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from vertex_tuning.errors import NotFound, VertexError
from vertex_tuning.settings import Settings

if TYPE_CHECKING:
    from google.cloud import aiplatform_v1

T = TypeVar("T")

_TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, how often, and how long to back off (with full jitter)."""

    attempts: int = 8
    initial: float = 1.0
    maximum: float = 30.0
    multiplier: float = 2.0

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        ceiling = min(self.maximum, self.initial * self.multiplier**attempt)
        delay = random.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)


def is_transient(exc: BaseException) -> bool:
    """429, 5xx and dropped connections are worth another try; 4xx are not."""
    from google.api_core import exceptions as gexc
    from requests import exceptions as rexc

    if isinstance(exc, gexc.GoogleAPICallError):
        return exc.code in _TRANSIENT_HTTP
    return isinstance(exc, rexc.ConnectionError | rexc.Timeout | rexc.ChunkedEncodingError)


def retry_after(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header, when the service sent one."""
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return min(float(value), 300.0) if value is not None else None
    except ValueError:
        return None


def describe(exc: BaseException) -> tuple[str, str]:
    """(status, message) of a failed call, e.g. ("INVALID_ARGUMENT", "epochCount must be ...")."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.GoogleAPICallError):
        # Over REST, api_core keeps only the HTTP code (400 is FAILED_PRECONDITION or
        # INVALID_ARGUMENT alike) and prefixes "METHOD URL: "; the JSON body has both plainly.
        body = _error_body(exc)
        status = body.get("status") or getattr(exc.grpc_status_code, "name", None) or str(exc.code)
        return str(status), str(body.get("message") or exc.message)
    return "UNAVAILABLE", f"{type(exc).__name__}: {exc}"


def _error_body(exc: BaseException) -> dict[str, Any]:
    """The `error` object of a REST error response, or {}."""
    try:
        error = getattr(exc, "response", None).json()["error"]  # type: ignore[union-attr]
    except Exception:
        return {}
    return error if isinstance(error, dict) else {}


class Vertex:
    """Clients for one API endpoint and location; make one per operation, never store it."""

    def __init__(
        self,
        settings: Settings,
        location: str,
        *,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._location = location
        self.retry = retry
        self.sleep = sleep
        self._clients: dict[str, Any] = {}

    # --- tuning jobs ---
    def create_job(self, parent: str, job: aiplatform_v1.TuningJob) -> aiplatform_v1.TuningJob:
        """One submission, never retried here: a retry could pay for a second job."""
        return cast(
            "aiplatform_v1.TuningJob",
            self._call(
                "creating tuning job",
                job.tuned_model_display_name,
                lambda: self._client("tuning").create_tuning_job(parent=parent, tuning_job=job),
                retries=False,
            ),
        )

    def get_job(self, name: str) -> aiplatform_v1.TuningJob:
        return cast(
            "aiplatform_v1.TuningJob",
            self._call(
                "reading tuning job", name, lambda: self._client("tuning").get_tuning_job(name=name)
            ),
        )

    def list_jobs_page(
        self, parent: str, *, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> aiplatform_v1.ListTuningJobsResponse:
        from google.cloud import aiplatform_v1

        request = aiplatform_v1.ListTuningJobsRequest(
            parent=parent, filter=filter, page_size=page_size, page_token=page_token
        )
        # The pager delegates attribute access to the page it fetched: one request, one page.
        pager = self._call(
            "listing tuning jobs",
            parent,
            lambda: self._client("tuning").list_tuning_jobs(request=request),
        )
        return aiplatform_v1.ListTuningJobsResponse(
            tuning_jobs=list(pager.tuning_jobs), next_page_token=pager.next_page_token
        )

    def list_jobs(
        self, parent: str, *, filter: str = "", page_size: int = 100
    ) -> Iterator[aiplatform_v1.TuningJob]:
        """Every job matching `filter`, following pages of `page_size`."""
        token = ""
        while True:
            page = self.list_jobs_page(parent, filter=filter, page_size=page_size, page_token=token)
            yield from page.tuning_jobs
            token = page.next_page_token
            if not token:
                return

    def cancel_job(self, name: str) -> None:
        self._call(
            "cancelling tuning job",
            name,
            lambda: self._client("tuning").cancel_tuning_job(name=name),
        )

    # --- tuned model cleanup ---
    def get_endpoint(self, name: str) -> aiplatform_v1.Endpoint:
        return cast(
            "aiplatform_v1.Endpoint",
            self._call(
                "reading endpoint", name, lambda: self._client("endpoints").get_endpoint(name=name)
            ),
        )

    def undeploy_model(self, endpoint: str, deployed_model_id: str) -> Any:
        """Starts the undeploy; returns the long-running operation."""
        return self._call(
            "undeploying model",
            f"{endpoint} {deployed_model_id}",
            lambda: self._client("endpoints").undeploy_model(
                endpoint=endpoint, deployed_model_id=deployed_model_id
            ),
        )

    def delete_endpoint(self, name: str) -> Any:
        return self._call(
            "deleting endpoint", name, lambda: self._client("endpoints").delete_endpoint(name=name)
        )

    def delete_model(self, name: str) -> Any:
        return self._call(
            "deleting model", name, lambda: self._client("models").delete_model(name=name)
        )

    # --- using the tuned model ---
    def generate_content(self, model: str, prompt: str) -> aiplatform_v1.GenerateContentResponse:
        from google.cloud import aiplatform_v1

        request = aiplatform_v1.GenerateContentRequest(
            model=model,
            contents=[aiplatform_v1.Content(role="user", parts=[aiplatform_v1.Part(text=prompt)])],
        )
        return cast(
            "aiplatform_v1.GenerateContentResponse",
            self._call(
                "generating content",
                model,
                lambda: self._client("prediction").generate_content(request=request),
            ),
        )

    # --- plumbing ---
    def _call(self, action: str, subject: str, fn: Callable[[], T], *, retries: bool = True) -> T:
        from google.api_core import exceptions as gexc

        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if not isinstance(exc, gexc.GoogleAPICallError) and not is_transient(exc):
                    raise
                if retries and is_transient(exc) and attempt + 1 < self.retry.attempts:
                    self.sleep(self.retry.backoff(attempt, retry_after(exc)))
                    attempt += 1
                    continue
                status, message = describe(exc)
                error = NotFound if isinstance(exc, gexc.NotFound) else VertexError
                raise error(action, subject, status, message) from exc

    def _client(self, kind: str) -> Any:
        if kind not in self._clients:
            self._clients[kind] = self._build(kind)
        return self._clients[kind]

    def _build(self, kind: str) -> Any:
        from google.api_core.client_options import ClientOptions
        from google.cloud import aiplatform_v1

        classes = {
            "tuning": aiplatform_v1.GenAiTuningServiceClient,
            "models": aiplatform_v1.ModelServiceClient,
            "endpoints": aiplatform_v1.EndpointServiceClient,
            "prediction": aiplatform_v1.PredictionServiceClient,
        }
        options = ClientOptions(api_endpoint=self._settings.base_url(self._location))
        return classes[kind](
            credentials=self._credentials(), client_options=options, transport="rest"
        )

    def _credentials(self) -> Any:
        if self._settings.access_token:
            from google.oauth2.credentials import Credentials

            return Credentials(token=self._settings.access_token)  # type: ignore[no-untyped-call]
        if self._settings.is_local:
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()  # type: ignore[no-untyped-call]
        import google.auth

        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        return credentials
