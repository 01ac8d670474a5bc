"""The emulator as a process or a context manager: werkzeug's threaded server on a real port,
with the real gcp-storage-emulator beside it when STORAGE_EMULATOR_HOST is not set.

Each connection gets a thread and is closed after one answer (werkzeug's choice) or after
`idle_timeout` seconds without a byte from the client, so an idle socket cannot hold a thread.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from werkzeug.serving import WSGIRequestHandler, make_server

from vertex_tuning.emulator import config, limits, memory
from vertex_tuning.emulator.app import EmulatorApp
from vertex_tuning.emulator.backend import Backend
from vertex_tuning.emulator.control import EmulatorControl
from vertex_tuning.emulator.errors import ApiError
from vertex_tuning.emulator.faults import FaultPlan, Faults
from vertex_tuning.emulator.progression import Clock, system_clock
from vertex_tuning.emulator.storage import ENV as STORAGE_ENV
from vertex_tuning.emulator.storage import GcsReader, StorageServer


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: its base URL, the storage it reads, and handles to drive it."""

    url: str
    storage_url: str
    control: EmulatorControl
    app: EmulatorApp

    @property
    def backend(self) -> Backend:
        return self.app.backend


@contextmanager
def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    job_seconds: float = 5.0,
    operation_polls: int = 1,
    require_token: str | None = None,
    control_token: str | None = None,
    idle_timeout: float = limits.IDLE_SECONDS,
    faults: FaultPlan | None = None,
    state_file: Path | str | None = None,
    storage_url: str | None = None,
    clock: Clock = system_clock,
    seed: int | None = None,
    log_requests: bool = False,
) -> Iterator[RunningEmulator]:
    """Run an emulator on a thread until the block exits; port 0 picks a free port.

    Storage: `storage_url`, else STORAGE_EMULATOR_HOST, else a gcp-storage-emulator started
    (and stopped) here. The environment is left untouched. Long-running operations are done at
    the `operation_polls`-th GetOperation (0: at once).

    The control path takes `control_token` as a bearer token; None: `require_token`, else a
    random one (the yielded `control` carries it either way); "": none, anyone may use it. A
    connection idle for `idle_timeout` seconds is closed. Bad settings raise ValueError.
    """
    try:
        job_seconds = config.job_seconds(job_seconds)
        operation_polls = config.operation_polls(operation_polls)
        require_token = config.token(require_token)
        if control_token is None:
            control_token = require_token or secrets.token_urlsafe(32)
        control_token = config.token(control_token, "controlToken")
        idle_timeout = config.idle_seconds(idle_timeout)
    except ApiError as exc:
        raise ValueError(exc.message) from exc
    if not log_requests and logging.getLogger("werkzeug").level == logging.NOTSET:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    storage_server = None
    storage_url = storage_url or os.environ.get(STORAGE_ENV)
    if not storage_url:
        storage_server = StorageServer(host)
        storage_url = storage_server.start()
    elif "://" not in storage_url:
        storage_url = f"http://{storage_url}"
    try:
        rng = random.Random(seed)
        backend = Backend(
            GcsReader(storage_url),
            job_seconds=job_seconds,
            operation_polls=operation_polls,
            clock=clock,
            state_file=Path(state_file) if state_file is not None else None,
            rng=rng,
        )
        app = EmulatorApp(backend, Faults(faults, rng), require_token, control_token)
        handler = type("Handler", (_Handler,), {"timeout": idle_timeout})
        server = make_server(host, port, app, threaded=True, request_handler=handler)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long shutdown() may wait
            name="vertex-emulator",
            daemon=True,
        )
        thread.start()
        try:
            url = f"http://{_bracket(host)}:{server.port}"
            control = EmulatorControl(url, token=control_token or "")
            yield RunningEmulator(url, storage_url, control, app)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    finally:
        if storage_server is not None:
            storage_server.stop()


def run(out: TextIO, *, control_from: str = "--control-token", **options: Any) -> None:
    """Serve until SIGTERM or SIGINT, after printing the ready line to `out` (and, when the
    control path takes a token, a line saying so; `control_from` names where it came from)."""
    memory.use_one_arena()  # before any thread allocates
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with serve(**options) as emulator:
        # Children of this process (e.g. a Pulumi program) find the same storage.
        os.environ[STORAGE_ENV] = emulator.storage_url
        print(
            f"Vertex AI emulator listening on {emulator.url} (storage: {emulator.storage_url})",
            file=out,
            flush=True,
        )
        if emulator.app.control_token:
            print(
                f"Control path {emulator.url}/_emulator/ takes the {control_from} token as "
                "'Authorization: Bearer' (EmulatorControl(url, token=...), or "
                "VERTEX_EMULATOR_CONTROL_TOKEN for the client)",
                file=out,
                flush=True,
            )
        while not stop.wait(0.2):
            pass


class _Handler(WSGIRequestHandler):
    """werkzeug's handler; serve() subclasses it with `timeout`, which socketserver applies to
    every read of the connection."""

    def log_error(self, format: str, *args: Any) -> None:
        if format.startswith("Request timed out"):  # an idle client, closed on purpose
            self.log("info", format, *args)
        else:
            super().log_error(format, *args)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
