"""Creates that wait for a slot: measured from inside the provider, said once per deployment.

Why: every TuningJob create blocks for the whole tuning run. The engine runs at most
`--parallel` steps at once (4 per CPU by default) and the stock dynamic-provider host serves 4
requests at once, so past either limit jobs tune in waves, silently: sixteen jobs take four
runs' time. One provider process serves one deployment, and the engine sends every create it
can at once; so a create that starts after another create of this process has already
finished waited for a slot (a job continuing another's model waits for it by design, and is not
counted; nor is a create that ended within DISPATCH_SECONDS, like the adoption of a job that
had already succeeded, which can end before the engine's burst of creates has all arrived).
Then this says so, once, with the fix.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOCK_HOST_SLOTS = 4
#: Longer than the engine takes to send one burst of creates.
DISPATCH_SECONDS = 1.0

_lock = threading.Lock()
_running = 0
_peak = 0
_finished = 0
_said = False


@contextmanager
def create_slot(
    *,
    waits_by_design: bool,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold one of the deployment's create slots while a create runs."""
    global _running, _peak, _finished, _said
    started = clock()
    with _lock:
        queued = _finished > 0 and not waits_by_design and not _said
        _said = _said or queued
        _running += 1
        _peak = max(_peak, _running)
        peak = _peak
    if queued:
        say(f"warning: {advice(peak)}")
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            _finished += clock() - started >= DISPATCH_SECONDS


def advice(peak: int, ours: bool | None = None) -> str:
    """What limited the deployment to `peak` creates at once, and how to lift it; `ours`:
    served by vertex-tuning's host (which sets progress.ON_OWN_ROW), else the stock one."""
    from vertex_tuning import progress

    ours = progress.ON_OWN_ROW if ours is None else ours
    cause = (
        "the engine's --parallel limit (4 per CPU by default)"
        if ours or peak != STOCK_HOST_SLOTS
        else "the stock dynamic-provider host, which serves 4 requests at once"
    )
    fix = (
        "pass `pulumi up --parallel N` or set PULUMI_PARALLEL=N (N = the number of tuning jobs)"
        if ours
        else "name vertex-tuning's host in Pulumi.yaml (`plugins: providers: - name: "
        "pulumi-python, path: <venv>/bin`) and pass `pulumi up --parallel N` or set "
        "PULUMI_PARALLEL=N"
    )
    return (
        f"tuning jobs are running in waves of {peak}: creates wait for a slot, held by "
        f"{cause}; to tune them all at once, {fix}"
    )


def reset() -> None:
    """Forget what was counted (tests; a host serves one deployment, then exits)."""
    global _running, _peak, _finished, _said
    with _lock:
        _running = _peak = _finished = 0
        _said = False
