"""Vertex AI over REST: one authorized HTTP session per operation, every call through the one
retry policy (retry.py) and the one error mapping (wire.describe).

Why not the GAPIC clients: their types lag the live API (see wire.py), and importing
google.cloud.aiplatform takes seconds. The session comes from google-auth (Application Default
Credentials or an explicit token) and requests; nothing here is imported on the check/diff path.
Bodies and answers are API JSON; only wire.py reads or writes their fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from vertex_tuning import interrupts
from vertex_tuning.errors import ApiError, NotFound
from vertex_tuning.retry import NO_RETRIES, RetryPolicy
from vertex_tuning.settings import Settings

Json = dict[str, Any]
#: Seconds to wait for the service's answer to one call; a hung connection is then retried.
REQUEST_TIMEOUT_SECONDS = 60.0
_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


class Vertex:
    """Calls for one API endpoint and location; make one per operation, never store it."""

    def __init__(
        self,
        settings: Settings,
        location: str,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = interrupts.sleep,
    ) -> None:
        self._settings = settings
        self.location = location
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._session: Any = None

    @property
    def base_url(self) -> str:
        return self._settings.base_url(self.location)

    @property
    def api_version(self) -> str:
        return self._settings.api_version

    # --- tuning jobs ---
    def create_job(self, parent: str, body: Json) -> Json:
        """One submission, never retried here: a retry could pay for a second job."""
        subject = str(body.get("tunedModelDisplayName") or parent)
        return self._call(
            "creating tuning job", subject, "POST", f"{parent}/tuningJobs", body, retry=False
        )

    def get_job(self, name: str) -> Json:
        return self._call("reading tuning job", name, "GET", name)

    def list_jobs_page(
        self, parent: str, *, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> Json:
        params = {"filter": filter, "pageSize": page_size or None, "pageToken": page_token}
        return self._call(
            "listing tuning jobs", parent, "GET", f"{parent}/tuningJobs", params=params
        )

    def list_jobs(self, parent: str, *, filter: str = "", page_size: int = 100) -> Iterator[Json]:
        """Every job matching `filter`, following pages of `page_size`."""
        token = ""
        while True:
            page = self.list_jobs_page(parent, filter=filter, page_size=page_size, page_token=token)
            yield from page.get("tuningJobs") or []
            token = str(page.get("nextPageToken") or "")
            if not token:
                return

    def cancel_job(self, name: str) -> None:
        self._call("cancelling tuning job", name, "POST", f"{name}:cancel", {})

    # --- tuned models and endpoints ---
    def get_model(self, name: str) -> Json:
        return self._call("reading model", name, "GET", name)

    def update_model(self, name: str, body: Json, *, update_mask: str) -> Json:
        return self._call(
            "updating model", name, "PATCH", name, body, params={"updateMask": update_mask}
        )

    def get_endpoint(self, name: str) -> Json:
        return self._call("reading endpoint", name, "GET", name)

    def create_endpoint(self, parent: str, body: Json) -> Json:
        """Starts creating an endpoint; returns the long-running operation."""
        subject = str(body.get("displayName") or parent)
        return self._call("creating endpoint", subject, "POST", f"{parent}/endpoints", body)

    def deploy_model(self, endpoint: str, body: Json) -> Json:
        """Starts deploying a model to an endpoint; returns the long-running operation."""
        return self._call("deploying model", endpoint, "POST", f"{endpoint}:deployModel", body)

    def undeploy_model(self, endpoint: str, deployed_model_id: str) -> Json:
        """Starts the undeploy; returns the long-running operation."""
        return self._call(
            "undeploying model",
            f"{endpoint} {deployed_model_id}",
            "POST",
            f"{endpoint}:undeployModel",
            {"deployedModelId": deployed_model_id},
        )

    def delete_endpoint(self, name: str) -> Json:
        return self._call("deleting endpoint", name, "DELETE", name)

    def delete_model(self, name: str) -> Json:
        return self._call("deleting model", name, "DELETE", name)

    def delete_model_version(self, name: str) -> Json:
        """Deletes one version (`.../models/ID@2`); returns the long-running operation."""
        return self._call("deleting model version", name, "DELETE", f"{name}:deleteVersion")

    def get_operation(self, name: str) -> Json:
        return self._call("reading operation", name, "GET", name)

    # --- using the tuned model ---
    def generate_content(self, model: str, body: Json) -> Json:
        return self._call("generating content", model, "POST", f"{model}:generateContent", body)

    # --- evaluating answers (the Gen AI evaluation service) ---
    def evaluate_instances(self, location: str, body: Json) -> Json:
        """One metric over its instances; `location` is projects/P/locations/L."""
        return self._call(
            "evaluating instances", location, "POST", f"{location}:evaluateInstances", body
        )

    def count_tokens(self, model: str, body: Json) -> Json:
        """CountTokens for a publisher model (or an endpoint): retried, it bills nothing."""
        return self._call("counting tokens", model, "POST", f"{model}:countTokens", body)

    # --- plumbing ---
    def _call(
        self,
        action: str,
        subject: str,
        method: str,
        path: str,
        body: Json | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> Json:
        """One API call: retried when transient (unless `retry` is off), mapped when it fails."""
        from vertex_tuning import wire

        url = f"{self.base_url}/{self.api_version}/{path}"
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}

        def send() -> Json:
            response = self._http().request(
                method, url, json=body, params=query, timeout=REQUEST_TIMEOUT_SECONDS
            )
            response.raise_for_status()
            answer: Json = response.json() if response.content else {}
            return answer

        policy = self.retry if retry else NO_RETRIES
        try:
            return policy.run(send, sleep=self.sleep)
        except Exception as exc:
            from vertex_tuning.retry import http_status, is_transient

            status_code = http_status(exc)
            if not status_code and not is_transient(exc):
                raise  # not a failed call: a bug, or credentials that could not be found
            status, message = wire.describe(exc)
            kind = NotFound if status_code == 404 else ApiError
            raise kind(action, subject, status, message, http_status=status_code) from exc

    def _http(self) -> Any:
        if self._session is None:
            self._session = session(self._settings)
        return self._session


def per_thread(
    settings: Settings, location: str, *, retry: RetryPolicy | None = None
) -> Callable[[], Vertex]:
    """This thread's Vertex for `location`, made on its first call: a requests session is not
    safe to share between threads, and one per call would reconnect each time."""
    import threading

    local = threading.local()

    def vertex() -> Vertex:
        if getattr(local, "vertex", None) is None:
            local.vertex = Vertex(settings, location, retry=retry)
        found: Vertex = local.vertex
        return found

    return vertex


def session(settings: Settings) -> Any:
    """An HTTP session that authorizes every request as `settings` say."""
    if settings.access_token:
        import requests

        plain = requests.Session()
        plain.headers["Authorization"] = f"Bearer {settings.access_token}"
        return plain
    if settings.is_local:
        import requests

        return requests.Session()  # the emulator without --require-token needs no credentials
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=_SCOPES)
    return AuthorizedSession(credentials)  # type: ignore[no-untyped-call]


__all__ = ["Vertex", "per_thread", "session"]
