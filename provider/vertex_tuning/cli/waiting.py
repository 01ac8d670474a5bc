"""Waiting for a job from the CLI: the one waiter, with progress on stderr (a live line on a
terminal, plain lines in CI logs); a timeout is a Failure with TIMED_OUT."""

from __future__ import annotations

import contextlib
import math
import time
from typing import TYPE_CHECKING

import click

from vertex_tuning import states
from vertex_tuning.cli import render
from vertex_tuning.cli.options import TIMED_OUT, Failure

if TYPE_CHECKING:
    from rich.text import Text

    from vertex_tuning.vertex import Vertex
    from vertex_tuning.wire import Job


def wait_until_done(
    vertex: Vertex, name: str, *, poll_interval: float | None, timeout: float | None
) -> Job:
    """The one waiter with progress on stderr; a timeout is a Failure with TIMED_OUT."""
    from vertex_tuning.errors import JobTimeout
    from vertex_tuning.jobs import wait_for_job
    from vertex_tuning.progress import ProgressLines, format_elapsed
    from vertex_tuning.waiter import PollPolicy

    console = render.stderr()
    if console.is_terminal:

        def emit(line: str) -> None:
            console.print(line, markup=False, highlight=False)

    else:

        def emit(line: str) -> None:
            click.echo(line, err=True)

    lines = ProgressLines("tuning job", emit)
    status = _LiveStatus(name)
    last: list[tuple[Job, float]] = []

    def on_status(job: Job, elapsed: float) -> None:
        last[:] = [(job, elapsed)]
        status.state = states.short(job.state)
        lines(job, elapsed)

    policy = (
        PollPolicy()
        if poll_interval is None
        else PollPolicy(initial=poll_interval, maximum=poll_interval)
    )
    live = console.status(status) if console.is_terminal else contextlib.nullcontext()
    try:
        with live:
            return wait_for_job(
                vertex,
                name,
                timeout=math.inf if timeout is None else timeout,
                policy=policy,
                on_status=on_status,
            )
    except JobTimeout:
        job, elapsed = last[-1]
        raise Failure(
            f"waiting for tuning job ({name}): still {states.short(job.state)} after "
            f"{format_elapsed(elapsed)}; it keeps running. Wait again with "
            f"`vertex-tuning jobs wait {name}`, or stop it with `vertex-tuning jobs cancel {name}`",
            TIMED_OUT,
        ) from None


class _LiveStatus:
    """The spinner's text on a terminal: state and time waited, redrawn as the spinner turns."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.state = "checking"
        self.started = time.monotonic()

    def __rich__(self) -> Text:
        from rich.text import Text

        from vertex_tuning.progress import format_elapsed

        waited = format_elapsed(time.monotonic() - self.started)
        return Text(f"{self.state}, waited {waited}: {self.name}")
