"""`python -m vertex_tuning.emulator` / `vertex-tuning emulator`: flags, each with an env var.

Only click is imported here, so `vertex-tuning --help` stays fast; the server loads on run.
The bind address is VERTEX_EMULATOR_BIND_HOST, not ..._HOST: by the Google emulator convention
(STORAGE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST) a *_EMULATOR_HOST variable tells clients where to
connect, and a client setting must never change where the server binds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

ENV_PREFIX = "VERTEX_EMULATOR_"


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _checked(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback holding a flag to the rule config.py has for the same setting."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None or value == "":
            return value
        from vertex_tuning.emulator import config
        from vertex_tuning.emulator.errors import ApiError

        try:
            if name == "faultMethods":
                from vertex_tuning.emulator import routes

                config.fault_plan({"methods": _names(value)}, routes.METHODS)
                return value
            if name == "retryAfter":
                return config.fault_plan({"retryAfter": value}, ()).retry_after
            checks: dict[str, Callable[[Any], Any]] = {
                "jobSeconds": config.job_seconds,
                "operationPolls": config.operation_polls,
                "requireToken": config.token,
                "controlToken": lambda v: config.token(v, "controlToken"),
                "idleTimeout": config.idle_seconds,
            }
            return checks[name](value)
        except ApiError as exc:
            raise click.BadParameter(exc.message) from exc

    return callback


@click.command(
    "emulator",
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.option(
    "--host",
    default="127.0.0.1",
    envvar=f"{ENV_PREFIX}BIND_HOST",
    show_envvar=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    default=8080,
    type=int,
    envvar=f"{ENV_PREFIX}PORT",
    show_envvar=True,
    help="Port to listen on; 0 picks a free one (printed in the ready line).",
)
@click.option(
    "--job-seconds",
    default=5.0,
    type=float,
    callback=_checked("jobSeconds"),
    envvar=f"{ENV_PREFIX}JOB_SECONDS",
    show_envvar=True,
    help="How long a tuning job runs; 0 or less: jobs only move through the control API.",
)
@click.option(
    "--operation-polls",
    default=1,
    type=int,
    callback=_checked("operationPolls"),
    envvar=f"{ENV_PREFIX}OPERATION_POLLS",
    show_envvar=True,
    help="GetOperation calls until a long-running operation is done; 0: done at once.",
)
@click.option(
    "--require-token",
    default=None,
    callback=_checked("requireToken"),
    envvar=f"{ENV_PREFIX}REQUIRE_TOKEN",
    show_envvar=True,
    help="Bearer token every API call must carry (401 without one, 403 if wrong); the control "
    "path takes it too unless --control-token is given.",
)
@click.option(
    "--control-token",
    default=None,
    callback=_checked("controlToken"),
    envvar=f"{ENV_PREFIX}CONTROL_TOKEN",
    show_envvar=True,
    help="Bearer token the /_emulator/ control path requires (default: --require-token's; "
    "without either the control path is open to anyone who can reach the port).",
)
@click.option(
    "--idle-timeout",
    default=60.0,
    type=float,
    callback=_checked("idleTimeout"),
    envvar=f"{ENV_PREFIX}IDLE_TIMEOUT",
    show_envvar=True,
    help="Seconds a connection may send nothing before it is closed.",
)
@click.option(
    "--fault-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    envvar=f"{ENV_PREFIX}FAULT_RATE",
    show_envvar=True,
    help="Share of API calls that get a fault of --fault-kinds.",
)
@click.option(
    "--fault-kinds",
    default="429,500,503,drop",
    envvar=f"{ENV_PREFIX}FAULT_KINDS",
    show_envvar=True,
    help="Faults --fault-rate picks from: 429, 500, 503, drop, lost (served, answer dropped), "
    "and the permanent 400, 403, 404.",
)
@click.option(
    "--fault-sequence",
    default="",
    envvar=f"{ENV_PREFIX}FAULT_SEQUENCE",
    show_envvar=True,
    help="Faults for the next calls in order, e.g. 503,drop,ok,429 (before the rate).",
)
@click.option(
    "--fault-methods",
    default="",
    callback=_checked("faultMethods"),
    envvar=f"{ENV_PREFIX}FAULT_METHODS",
    show_envvar=True,
    help="Only fault these RPC methods, e.g. GetTuningJob (all if empty).",
)
@click.option(
    "--retry-after",
    default=1,
    type=int,
    callback=_checked("retryAfter"),
    envvar=f"{ENV_PREFIX}RETRY_AFTER",
    show_envvar=True,
    help="Retry-After seconds on injected 429s.",
)
@click.option(
    "--state-file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=f"{ENV_PREFIX}STATE_FILE",
    show_envvar=True,
    help="Persist all state here as JSON after every change; reloaded on start.",
)
@click.option(
    "--seed",
    default=None,
    type=int,
    envvar=f"{ENV_PREFIX}SEED",
    show_envvar=True,
    help="Seed ids and random faults, for reproducible runs.",
)
@click.option(
    "--log-requests",
    is_flag=True,
    envvar=f"{ENV_PREFIX}LOG_REQUESTS",
    show_envvar=True,
    help="Log every request to stderr.",
)
def main(
    host: str,
    port: int,
    job_seconds: float,
    operation_polls: int,
    require_token: str | None,
    control_token: str | None,
    idle_timeout: float,
    fault_rate: float,
    fault_kinds: str,
    fault_sequence: str,
    fault_methods: str,
    retry_after: int,
    state_file: Path | None,
    seed: int | None,
    log_requests: bool,
) -> None:
    """Run a local Vertex AI (v1 and v1beta1 REST) for Gemini tuning: jobs, models,
    checkpoints, endpoints, prediction.

    Prints one line, `Vertex AI emulator listening on URL (storage: URL)`, once ready (and a
    second, on reaching the control path, when it takes a token); stops on SIGTERM or SIGINT. Datasets are read from STORAGE_EMULATOR_HOST, or from a
    gcp-storage-emulator started in-process when that is unset.
    """
    from vertex_tuning.emulator import config, routes
    from vertex_tuning.emulator.errors import ApiError
    from vertex_tuning.emulator.server import run

    try:
        faults = config.fault_plan(
            {
                "rate": fault_rate,
                "kinds": _names(fault_kinds),
                "sequence": _names(fault_sequence),
                "methods": _names(fault_methods),
                "retryAfter": retry_after,
            },
            routes.METHODS,
        )
    except ApiError as exc:
        raise click.BadParameter(exc.message) from exc
    run(
        sys.stdout,
        control_from="--control-token" if control_token else "--require-token",
        host=host,
        port=port,
        job_seconds=job_seconds,
        operation_polls=operation_polls,
        require_token=require_token or None,
        # The control path is open only when nothing is secret (see --control-token).
        control_token=control_token or require_token or "",
        idle_timeout=idle_timeout,
        faults=faults,
        state_file=state_file,
        seed=seed,
        log_requests=log_requests,
    )
