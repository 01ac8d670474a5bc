"""How a long create stops early and is still recorded: the contract between host and providers.

The engine asks the provider host to Cancel at the first Ctrl-C (and at every shutdown); a
request may also carry a deadline (the resource's `customTimeouts`), which the host sets for
the thread serving it with `deadline()`. Waiting code sleeps through `sleep()`, which raises
`Cancelled` once `cancel()` was called or this thread's deadline passed. A provider that was
waiting on a cloud resource it already created then raises `PartialCreate` with that
resource's id and outputs:
our host answers the engine with Pulumi's partial-create error (ErrorResourceInitFailed), so
the engine records the resource with an initialization error, and the next `pulumi up` calls
Update on it, which resumes waiting instead of creating again (see host.py).

A cancel is process-wide on purpose: one provider host serves one deployment, and a Cancel is
for all of it. A deadline is per thread: each request has its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

_cancelled = threading.Event()
_reason = ["the update was cancelled"]
_local = threading.local()  # .deadline: (at, reason, clock) for the request this thread serves


class Cancelled(Exception):
    """The engine asked the host to cancel, or this request's deadline passed, while waiting."""


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
    """Why waits stop: this thread's deadline once it passed, else the cancel's reason."""
    bound = _deadline()
    if bound is not None and not _cancelled.is_set():
        at, why, clock = bound
        if clock() >= at:
            return why
    return _reason[0]


def reset() -> None:
    """Forget a cancel (tests; a host serves one deployment and then exits)."""
    _cancelled.clear()


@contextlib.contextmanager
def deadline(
    seconds: float | None, why: str, clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """Within this block, this thread's waits stop (Cancelled: `why`) `seconds` from now.

    None or 0 sets none (the engine sends 0 for a resource without customTimeouts).
    """
    previous = _deadline()
    if seconds:
        _local.deadline = (clock() + seconds, why, clock)
    try:
        yield
    finally:
        _local.deadline = previous


def sleep(seconds: float) -> None:
    """Sleep, or raise Cancelled as soon as the host is told to cancel or the deadline passes."""
    bound = _deadline()
    if bound is not None:
        at, why, clock = bound
        left = at - clock()
        if left <= 0:
            raise Cancelled(why)
        if seconds >= left:
            if _cancelled.wait(left):
                raise Cancelled(_reason[0])
            raise Cancelled(why)
    if _cancelled.wait(max(0.0, seconds)):
        raise Cancelled(_reason[0])


def check() -> None:
    """Raise Cancelled if a cancel came in or the deadline passed, without sleeping."""
    if _cancelled.is_set():
        raise Cancelled(_reason[0])
    bound = _deadline()
    if bound is not None and bound[2]() >= bound[0]:
        raise Cancelled(bound[1])


def sleeper(
    deadline: float | None = None, clock: Callable[[], float] = time.monotonic
) -> Callable[[float], None]:
    """`sleep`, also bounded by an absolute `deadline` on `clock` (None: no deadline)."""
    if deadline is None:
        return sleep

    def bounded(seconds: float) -> None:
        sleep(min(seconds, max(0.0, deadline - clock())))

    return bounded


def _deadline() -> tuple[float, str, Callable[[], float]] | None:
    bound: tuple[float, str, Callable[[], float]] | None = getattr(_local, "deadline", None)
    return bound
