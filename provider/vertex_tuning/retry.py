"""The one retry policy for every Google call: Vertex AI REST, Cloud Storage, long-running
operations. Which failures are worth another try, how many tries, and how long to back off.

429, 5xx and dropped connections are transient; every 4xx else is permanent. Backoff is
exponential with full jitter and honours Retry-After. The randomness and the sleep are
injectable, so tests decide every delay. Creates are never retried here (a retry could pay
for a second tuning job): jobs.adopt_or_submit looks the job up before it submits again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})
#: Retry-After beyond this is treated as this: a `pulumi up` should not sleep for an hour.
MAX_RETRY_AFTER_SECONDS = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long to wait between tries (full jitter, capped)."""

    attempts: int = 8
    initial: float = 1.0
    maximum: float = 30.0
    multiplier: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try `attempt + 1`: at least what Retry-After asked for."""
        ceiling = min(self.maximum, self.initial * self.multiplier**attempt)
        delay = self.rng.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)

    def run(
        self,
        call: Callable[[], T],
        *,
        sleep: Callable[[float], None] = time.sleep,
        retryable: Callable[[BaseException], bool] | None = None,
    ) -> T:
        """`call()` until it succeeds or fails for good; the last failure is raised as is."""
        worth_retrying = retryable or is_transient
        attempt = 0
        while True:
            try:
                return call()
            except Exception as exc:
                if not worth_retrying(exc) or attempt + 1 >= self.attempts:
                    raise
                sleep(self.backoff(attempt, retry_after(exc)))
                attempt += 1


NO_RETRIES = RetryPolicy(attempts=1)


def http_status(exc: BaseException) -> int:
    """The HTTP status of a failed call (requests or google-api-core), or 0 if there was none."""
    code = getattr(exc, "code", None)  # google.api_core.exceptions.GoogleAPICallError
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else 0


def is_transient(exc: BaseException) -> bool:
    """429, 5xx and dropped connections are worth another try; 4xx are not."""
    from requests import exceptions as rexc

    if isinstance(exc, rexc.ConnectionError | rexc.Timeout | rexc.ChunkedEncodingError):
        return True
    status = http_status(exc)
    if status:
        return status in TRANSIENT_HTTP
    # google-resumable-media and urllib3 raise their own connection errors under storage calls.
    return type(exc).__name__ in {"ConnectionError", "ProtocolError", "RemoteDisconnected"}


def retry_after(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header, when the service sent one."""
    response: Any = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return min(float(value), MAX_RETRY_AFTER_SECONDS) if value is not None else None
    except (TypeError, ValueError):
        return None
