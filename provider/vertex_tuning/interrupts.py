"""How a long create stops early and is still recorded: the contract between host and providers.

The engine asks the provider host to Cancel at the first Ctrl-C (and at every shutdown); a
create may also carry a deadline. Waiting code sleeps through `sleep()`, which returns early
once `cancel()` was called and raises `Cancelled`. A provider that was waiting on a cloud
resource it already created then raises `PartialCreate` with that resource's id and outputs:
our host answers the engine with Pulumi's partial-create error (ErrorResourceInitFailed), so
the engine records the resource with an initialization error, and the next `pulumi up` calls
Update on it, which resumes waiting instead of creating again (see host.py).

Process-wide on purpose: one provider host serves one deployment, and a Cancel is for all of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

_cancelled = threading.Event()
_reason = ["the update was cancelled"]


class Cancelled(Exception):
    """The engine asked the host to cancel while this thread was waiting."""


class PartialCreate(Exception):
    """A create (or a resuming update) that stopped early with its resource already made.

    `id` and `outputs` are what the engine records; `reason` is the one line it shows. The next
    `pulumi up` updates the resource, and the provider resumes from `outputs`.
    """

    def __init__(self, id: str, outputs: Mapping[str, Any], reason: str) -> None:
        super().__init__(reason)
        self.id = id
        self.outputs = dict(outputs)
        self.reason = reason


def cancel(reason: str = "the update was cancelled") -> None:
    """Stop every wait in this process: each raises Cancelled from its next sleep."""
    _reason[0] = reason
    _cancelled.set()


def is_cancelled() -> bool:
    return _cancelled.is_set()


def reason() -> str:
    return _reason[0]


def reset() -> None:
    """Forget a cancel (tests; a host serves one deployment and then exits)."""
    _cancelled.clear()


def sleep(seconds: float) -> None:
    """Sleep, or raise Cancelled as soon as the host is told to cancel."""
    if _cancelled.wait(max(0.0, seconds)):
        raise Cancelled(_reason[0])


def check() -> None:
    """Raise Cancelled if a cancel came in, without sleeping."""
    if _cancelled.is_set():
        raise Cancelled(_reason[0])


def sleeper(
    deadline: float | None = None, clock: Callable[[], float] = time.monotonic
) -> Callable[[float], None]:
    """`sleep`, also bounded by an absolute `deadline` on `clock` (None: no deadline)."""
    if deadline is None:
        return sleep

    def bounded(seconds: float) -> None:
        sleep(min(seconds, max(0.0, deadline - clock())))

    return bounded
