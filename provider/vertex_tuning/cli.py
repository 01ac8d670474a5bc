"""The `vertex-tuning` command: the seed library's operations for operators and CI.

Google and rich are imported inside the commands that need them, so `--help` stays instant.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from vertex_tuning import settings as settings_mod
from vertex_tuning import states
from vertex_tuning._version import __version__

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from vertex_tuning.dataset import DatasetReport, Purpose
    from vertex_tuning.vertex import Vertex
    from vertex_tuning.wire import Job

# Exit codes. `jobs wait` maps the state a job ended in to one of them.
OK = 0
ERROR = 1
USAGE = 2
FAILED = 3
CANCELLED = 4
EXPIRED = 5
TIMED_OUT = 6
INTERRUPTED = 130

EXIT_BY_STATE = {
    states.SUCCEEDED: OK,
    states.FAILED: FAILED,
    states.PARTIALLY_SUCCEEDED: FAILED,
    states.CANCELLED: CANCELLED,
    states.EXPIRED: EXPIRED,
}

_EXIT_CODES_HELP = f"""\b
Exit codes:
  {OK}    the job succeeded
  {ERROR}    an error: a failed API call, a job that does not exist
  {USAGE}    a usage error, or no project/location to work in
  {FAILED}    the job failed (or only partially succeeded)
  {CANCELLED}    the job was cancelled
  {EXPIRED}    the job expired
  {TIMED_OUT}    --timeout passed first; the job keeps running
  {INTERRUPTED}  interrupted (Ctrl-C); the job keeps running
"""

_JSON_HELP = (
    "Print JSON for scripts: snake_case keys, every key always present (empty string or "
    "null when unset)."
)
_JOB_NAME = re.compile(r"^projects/[^/]+/locations/(?P<location>[^/]+)/tuningJobs/[^/]+$")
_RESOURCE_NAME = re.compile(r"^projects/[^/]+/locations/(?P<location>[^/]+)/.+$")
_BARE_LABEL_VALUE = re.compile(r"^[\w-]+$")
_STATE_STYLES = {
    states.SUCCEEDED: "green",
    states.FAILED: "red",
    states.PARTIALLY_SUCCEEDED: "yellow",
    states.CANCELLED: "yellow",
    states.EXPIRED: "yellow",
}


class Failure(Exception):
    """An outcome to report as one `error: ...` line and an exit code, never a traceback."""

    def __init__(self, message: str, exit_code: int = ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Options:
    """The global options, resolved like the provider does: flag, then environment, then ADC."""

    project: str | None
    location: str | None
    api_endpoint: str | None
    access_token: str | None
    debug: bool

    def require_project(self) -> str:
        if not self.project:
            raise Failure(
                "no project: pass --project or set GOOGLE_CLOUD_PROJECT (or VERTEX_PROJECT_ID)",
                USAGE,
            )
        return self.project

    def require_location(self) -> str:
        if not self.location:
            raise Failure(
                "no location: pass --location or set GOOGLE_CLOUD_LOCATION (or VERTEX_LOCATION)",
                USAGE,
            )
        return self.location

    def parent(self) -> str:
        from vertex_tuning.wire import parent_of

        return parent_of(self.require_project(), self.require_location())

    def vertex(self, location: str) -> Vertex:
        from vertex_tuning.vertex import Vertex

        settings = settings_mod.resolve(
            None, api_endpoint=self.api_endpoint, access_token=self.access_token
        )
        return Vertex(settings, location)


def _no_stack_config(_key: str) -> None:
    """The CLI runs outside any Pulumi stack: settings come from flags and the environment."""
    return None


class _Group(click.Group):
    """Turns every failure into one `error: ...` line and an exit code; --debug re-raises."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Failure as exc:
            _error(str(exc))
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            _error("interrupted")
            ctx.exit(INTERRUPTED)
        except Exception as exc:
            if isinstance(ctx.obj, Options) and ctx.obj.debug:
                raise
            _error(_describe(exc))
            ctx.exit(ERROR)


def _describe(exc: Exception) -> str:
    from vertex_tuning.errors import VertexError

    if isinstance(exc, VertexError):
        return str(exc)  # "reading tuning job (NAME): NOT_FOUND: ...", already complete
    if type(exc).__name__ == "DefaultCredentialsError":
        return (
            "no Google credentials: run `gcloud auth application-default login`, "
            "or pass --access-token / set VERTEX_ACCESS_TOKEN"
        )
    return f"{type(exc).__name__}: {exc} (--debug shows the traceback)"


def _error(message: str) -> None:
    click.echo(f"error: {' '.join(message.split())}", err=True)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=f"Exit codes: {OK} done, {ERROR} error, {USAGE} usage; "
    "`jobs wait --help` lists how a job's end maps to its own codes.",
)
@click.version_option(__version__, prog_name="vertex-tuning")
@click.option(
    "--project",
    metavar="PROJECT",
    help="Google Cloud project. [env: GOOGLE_CLOUD_PROJECT, VERTEX_PROJECT_ID]",
)
@click.option(
    "--location",
    metavar="LOCATION",
    help="Vertex AI region, e.g. us-central1. [env: GOOGLE_CLOUD_LOCATION, VERTEX_LOCATION]",
)
@click.option(
    "--api-endpoint",
    metavar="URL",
    help="Another Vertex AI endpoint, e.g. the local emulator's http://127.0.0.1:PORT. "
    "[env: VERTEX_API_ENDPOINT]",
)
@click.option(
    "--access-token",
    metavar="TOKEN",
    help="OAuth access token instead of Application Default Credentials; prefer the "
    "environment, flags show up in process lists. [env: VERTEX_ACCESS_TOKEN]",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(
    ctx: click.Context,
    project: str | None,
    location: str | None,
    api_endpoint: str | None,
    access_token: str | None,
    debug: bool,
) -> None:
    """Gemini supervised tuning on Vertex AI: jobs, data validation, the local emulator.

    Jobs are created by the Pulumi TuningJob resource; this command lists, inspects, waits
    for and cancels them, and asks tuned models. JOB may be a full resource name
    (projects/P/locations/L/tuningJobs/ID) or a bare job ID in --project and --location.
    """
    ctx.obj = Options(
        project=project or settings_mod.default_project(_no_stack_config),
        location=location or settings_mod.default_location(_no_stack_config),
        api_endpoint=api_endpoint,
        access_token=access_token,
        debug=debug,
    )


# --- jobs ---------------------------------------------------------------------------------


@main.group()
def jobs() -> None:
    """List, inspect, wait for and cancel tuning jobs."""


def _state_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    full = value.strip().upper()
    full = full if full.startswith("JOB_STATE_") else f"JOB_STATE_{full}"
    if full not in states.ALL:
        names = ", ".join(states.short(s) for s in states.ALL)
        raise click.BadParameter(f"{value!r} is not a job state; use one of {names}")
    return full


def _label_option(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, label = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE")
        pairs.append((key.strip(), label))
    return pairs


def list_filter(raw: str | None, state: str | None, labels: list[tuple[str, str]]) -> str:
    """One API filter from --filter, --state and --label: terms joined with AND, as the API does."""
    terms = [raw.strip()] if raw and raw.strip() else []
    if state:
        terms.append(f"state={state}")
    for key, value in labels:
        quoted = value if _BARE_LABEL_VALUE.match(value) else json.dumps(value)
        terms.append(f"labels.{key}={quoted}")
    return " AND ".join(terms)


@jobs.command("list")
@click.option(
    "--filter",
    "raw_filter",
    metavar="EXPR",
    help="An API filter, e.g. 'state=JOB_STATE_SUCCEEDED' or 'labels.env=prod'.",
)
@click.option(
    "--state",
    callback=_state_option,
    metavar="STATE",
    help="Only jobs in STATE: RUNNING, SUCCEEDED, FAILED, ... (or the full JOB_STATE_ name). "
    "The API has no OR, so one state at a time.",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    callback=_label_option,
    metavar="KEY=VALUE",
    help="Only jobs with this label; repeat for several (all must match).",
)
@click.option(
    "--page-size",
    type=click.IntRange(min=1),
    metavar="N",
    help="Jobs per page (the service's default when unset).",
)
@click.option(
    "--page-token", metavar="TOKEN", default="", help="The page after a previous list's end."
)
@click.option("--all", "all_pages", is_flag=True, help="Follow every page to the end.")
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@click.pass_obj
def list_jobs(
    opts: Options,
    raw_filter: str | None,
    state: str | None,
    labels: list[tuple[str, str]],
    page_size: int | None,
    page_token: str,
    all_pages: bool,
    as_json: bool,
) -> None:
    """List tuning jobs, newest first; --filter, --state and --label combine with AND.

    \b
    JSON: {"tuning_jobs": [JOB, ...], "next_page_token": ""}; each JOB has the keys
    of `jobs get --json`. With --all the token is always "".
    """
    from vertex_tuning import wire

    if all_pages and page_token:
        raise click.UsageError("--page-token and --all exclude each other")
    parent = opts.parent()
    location = opts.require_location()
    expr = list_filter(raw_filter, state, labels)
    vertex = opts.vertex(location)
    if all_pages:
        api_jobs = list(vertex.list_jobs(parent, filter=expr, page_size=page_size or 100))
        next_token = ""
    else:
        page = vertex.list_jobs_page(
            parent, filter=expr, page_size=page_size or 0, page_token=page_token
        )
        api_jobs, next_token = list(page.tuning_jobs), page.next_page_token
    found = [wire.job_from_api(job) for job in api_jobs]
    if as_json:
        _print_json(
            {"tuning_jobs": [job_json(job) for job in found], "next_page_token": next_token}
        )
        return
    if not found:
        matching = f" matching {expr}" if expr else ""
        click.echo(f"no tuning jobs in {parent}{matching}", err=True)
    else:
        _stdout().print(_jobs_table(found, parent))
    if next_token:
        click.echo(
            f"more jobs: repeat with --page-token {next_token} (or list them all with --all)",
            err=True,
        )


@jobs.command("get")
@click.argument("name", metavar="JOB")
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@click.pass_obj
def get_job(opts: Options, name: str, as_json: bool) -> None:
    """Show a tuning job: spec, times, tuned model and endpoint, data stats, error details."""
    from vertex_tuning import wire

    full, location = job_ref(opts, name)
    job = wire.job_from_api(opts.vertex(location).get_job(full))
    if as_json:
        _print_json(job_json(job))
    else:
        _show_job(_stdout(), job)


@jobs.command("cancel")
@click.argument("name", metavar="JOB")
@click.option("--wait", "wait_", is_flag=True, help="Wait until the job has stopped.")
@click.option("--poll-interval", type=click.FloatRange(min=0, min_open=True), metavar="S")
@click.option("--timeout", type=click.FloatRange(min=0), metavar="S")
@click.pass_obj
def cancel_job(
    opts: Options, name: str, wait_: bool, poll_interval: float | None, timeout: float | None
) -> None:
    """Ask Vertex AI to stop a pending or running job (billing stops once it is CANCELLED).

    \b
    Exit codes: 0 the cancel was accepted (with --wait: the job ended CANCELLED),
    1 an error, or with --wait the job finished some other way first,
    6 with --wait, --timeout passed first.
    """
    from vertex_tuning import wire
    from vertex_tuning.errors import VertexError

    full, location = job_ref(opts, name)
    vertex = opts.vertex(location)
    try:
        vertex.cancel_job(full)
    except VertexError as exc:
        if exc.status != "FAILED_PRECONDITION":
            raise
        # Cancelling twice is done, not an error; cancelling a finished job is.
        job = wire.job_from_api(vertex.get_job(full))
        if job.state not in (states.CANCELLING, states.CANCELLED):
            raise
        click.echo(f"tuning job {full} is already {states.short(job.state)}")
    else:
        click.echo(f"requested cancellation of tuning job {full}")
    if not wait_:
        return
    job = wait_until_done(vertex, full, poll_interval=poll_interval, timeout=timeout)
    if job.state != states.CANCELLED:
        raise Failure(
            f"cancelling tuning job ({full}): it ended {states.short(job.state)} "
            "before the cancel took effect"
        )
    click.echo(f"tuning job {full} is CANCELLED")


@jobs.command("wait", epilog=_EXIT_CODES_HELP)
@click.argument("name", metavar="JOB")
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    metavar="S",
    help="Check every S seconds. Default: every 2 s at first, growing to 30 s for long jobs.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    metavar="S",
    help="Stop waiting after S seconds (the job keeps running). Default: no limit.",
)
@click.option("--json", "as_json", is_flag=True, help=f"Print the final job. {_JSON_HELP}")
@click.pass_obj
def wait_job(
    opts: Options, name: str, poll_interval: float | None, timeout: float | None, as_json: bool
) -> None:
    """Wait until a tuning job ends; the exit code says how it ended.

    Progress goes to stderr: a live line on a terminal, plain lines on state changes
    (and now and then) otherwise, as in CI logs.
    """
    from vertex_tuning import jobs as jobs_mod

    full, location = job_ref(opts, name)
    job = wait_until_done(opts.vertex(location), full, poll_interval=poll_interval, timeout=timeout)
    if as_json:
        _print_json(job_json(job))
    code = EXIT_BY_STATE.get(job.state, ERROR)
    if job.state == states.SUCCEEDED:
        if not as_json:
            click.echo(
                f"tuning job {full} SUCCEEDED after {_duration(job)}: "
                f"tuned model {job.tuned_model}, endpoint {job.tuned_endpoint}"
            )
        return
    if job.state in (states.FAILED, states.PARTIALLY_SUCCEEDED):
        raise Failure(jobs_mod.failure_message(job), code)
    cause = f": {job.error.message}" if job.error else ""
    raise Failure(f"tuning job ({full}) ended {states.short(job.state)}{cause}", code)


def wait_until_done(
    vertex: Vertex, name: str, *, poll_interval: float | None, timeout: float | None
) -> Job:
    """The one waiter with progress on stderr; a timeout is a Failure with TIMED_OUT."""
    from vertex_tuning.errors import JobTimeout
    from vertex_tuning.jobs import wait_for_job
    from vertex_tuning.progress import ProgressLines, format_elapsed
    from vertex_tuning.waiter import PollPolicy

    console = _stderr()
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


def job_ref(opts: Options, value: str) -> tuple[str, str]:
    """(full job name, its location) from JOB: a resource name, or an ID in --project/--location."""
    match = _JOB_NAME.match(value)
    if match:
        return value, match["location"]
    if "/" in value or not value:
        raise click.BadParameter(
            f"{value!r} is neither projects/P/locations/L/tuningJobs/ID nor a job ID",
            param_hint="JOB",
        )
    return f"{opts.parent()}/tuningJobs/{value}", opts.require_location()


def job_json(job: Job) -> dict[str, Any]:
    """A job for --json: the Job fields in declaration order, with `id` after `name`."""
    fields = dataclasses.asdict(job)
    return {"name": fields.pop("name"), "id": job.id, **fields}


# --- generate ------------------------------------------------------------------------------


@main.command()
@click.argument("endpoint")
@click.argument("prompt")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the whole GenerateContentResponse (candidates, usage metadata) as JSON.",
)
@click.pass_obj
def generate(opts: Options, endpoint: str, prompt: str, as_json: bool) -> None:
    """Ask a tuned model: send PROMPT ("-" reads stdin) to ENDPOINT and print the answer.

    ENDPOINT is the tuned model's endpoint (projects/P/locations/L/endpoints/ID, or a bare
    ID in --project and --location), as `jobs get` shows it; any other model resource name
    in projects/P/locations/L/ works too.
    """
    from vertex_tuning import wire

    if prompt == "-":
        prompt = sys.stdin.read()
    model, location = endpoint_ref(opts, endpoint)
    response = opts.vertex(location).generate_content(model, prompt)
    if as_json:
        _print_json(wire.generation_from_api(response))
        return
    text = wire.text_from_api(response)
    if not text:
        raise Failure(f"generating content ({model}): the model returned no text")
    click.echo(text)


def endpoint_ref(opts: Options, value: str) -> tuple[str, str]:
    """(model resource name, its location) from ENDPOINT: a resource name or an endpoint ID."""
    match = _RESOURCE_NAME.match(value)
    if match:
        return value, match["location"]
    if "/" in value or not value:
        raise click.BadParameter(
            f"{value!r} is neither projects/P/locations/L/endpoints/ID nor an endpoint ID",
            param_hint="ENDPOINT",
        )
    return f"{opts.parent()}/endpoints/{value}", opts.require_location()


# --- output --------------------------------------------------------------------------------


def _stdout() -> Console:
    from rich.console import Console

    return Console()


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def _state_text(state: str) -> Text:
    from rich.text import Text

    return Text(states.short(state), style=_STATE_STYLES.get(state, "cyan"))


def _when(timestamp: str) -> str:
    """`2025-01-02T03:04:05.678Z` -> `2025-01-02 03:04:05` (UTC)."""
    if not timestamp:
        return ""
    moment = datetime.fromisoformat(timestamp).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration(job: Job) -> str:
    """Created to ended; to now while the job is still active."""
    from vertex_tuning.progress import format_elapsed

    if not job.create_time:
        return ""
    start = datetime.fromisoformat(job.create_time)
    if job.end_time:
        end = datetime.fromisoformat(job.end_time)
    elif states.is_active(job.state):
        end = datetime.now(UTC)
    else:
        return ""
    return format_elapsed(max(0.0, (end - start).total_seconds()))


def _jobs_table(found: list[Job], parent: str) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, caption=f"{len(found)} in {parent}", caption_justify="left")
    for header in ("ID", "Display name", "State", "Base model", "Created (UTC)", "Duration"):
        table.add_column(header, overflow="fold")
    table.add_column("Endpoint ID", overflow="fold")
    for job in found:
        table.add_row(
            Text(job.id),
            Text(job.display_name),
            _state_text(job.state),
            Text(job.base_model),
            Text(_when(job.create_time)),
            Text(_duration(job)),
            Text(job.tuned_endpoint.rsplit("/", 1)[-1]),
        )
    return table


def _show_job(console: Console, job: Job) -> None:
    from rich.text import Text

    from vertex_tuning import wire

    labels = ", ".join(f"{k}={v}" for k, v in sorted(job.labels.items()))
    rows: list[tuple[str, Any]] = [
        ("Name", job.name),
        ("Display name", job.display_name),
        ("State", _state_text(job.state)),
        ("Base model", job.base_model),
        ("Description", job.description),
        ("Training data", job.training_dataset_uri),
        ("Validation data", job.validation_dataset_uri),
        ("Epochs", job.epoch_count),
        ("Learning rate multiplier", job.learning_rate_multiplier),
        ("Adapter size", job.adapter_size),
        ("Labels", labels),
        ("Service account", job.service_account),
        ("KMS key", job.kms_key_name),
        ("Created (UTC)", _when(job.create_time)),
        ("Started (UTC)", _when(job.start_time)),
        ("Ended (UTC)", _when(job.end_time)),
        ("Duration", _duration(job)),
        ("Tuned model", job.tuned_model),
        ("Endpoint", job.tuned_endpoint),
        ("Experiment", job.experiment),
        ("Console", settings_mod.console_url(job.name)),
    ]
    console.print(_grid(rows))
    if job.data_stats:
        console.print(Text("\nData stats", style="bold"))
        console.print(_grid(_stats_rows(job.data_stats)))
        distributions = {k: v for k, v in job.data_stats.items() if isinstance(v, Mapping)}
        if distributions:
            console.print(_distributions_table(distributions))
    if job.error is not None:
        error_rows: list[tuple[str, Any]] = [
            ("Code", f"{job.error.code} ({wire.code_name(job.error.code)})"),
            ("Message", job.error.message),
        ]
        error_rows += [("Detail", json.dumps(detail)) for detail in job.error.details]
        if job.state == states.FAILED:
            error_rows.append(("Hint", wire.failure_hint(job)))
        console.print(Text("\nError", style="bold red"))
        console.print(_grid(error_rows))


def _grid(rows: list[tuple[str, Any]]) -> Any:
    """Label/value rows, leaving out what is unset."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        if value is None or value == "":
            continue
        grid.add_row(label, value if isinstance(value, Text) else Text(_number(value)))
    return grid


def _stats_rows(stats: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Scalar stats by name; lists (sample examples) by their length, the rest is in --json."""
    rows: list[tuple[str, Any]] = []
    for key, value in stats.items():
        label = _humanize(key)
        if isinstance(value, list):
            rows.append((label, f"{len(value)} (see --json)" if value else ""))
        elif not isinstance(value, Mapping):
            rows.append((label, value))
    return rows


_DISTRIBUTION_COLUMNS = ("min", "p5", "median", "mean", "p95", "max", "sum")


def _distributions_table(distributions: Mapping[str, Mapping[str, Any]]) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Distribution")
    for column in _DISTRIBUTION_COLUMNS:
        table.add_column(column, justify="right")
    for key, dist in distributions.items():
        values = [dist.get(c, "") for c in _DISTRIBUTION_COLUMNS]
        table.add_row(_humanize(key), *(_number(v) for v in values))
    return table


def _humanize(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


# --- validate ------------------------------------------------------------------------------


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="FILE|gs://URI...")
@click.option(
    "--purpose",
    type=click.Choice(["training", "validation"]),
    default="training",
    show_default=True,
    help="Which limits apply: validation sets have their own maximum and no minimum warning.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON report per source, as a list.")
@click.pass_obj
def validate(opts: Options, sources: tuple[str, ...], purpose: str, as_json: bool) -> None:
    """Check Gemini tuning JSONL the way the service will, before a job fails late on it.

    Reports every problem with its line and field path, plus stats. Exits 1 when any source has
    errors (warnings alone exit 0). gs:// objects are streamed with google-cloud-storage.
    """
    from vertex_tuning import dataset

    kind: dataset.Purpose = "validation" if purpose == "validation" else "training"
    reports = []
    for source in sources:
        if source.startswith("gs://"):
            reports.append(_validate_gcs(opts, source, kind))
        else:
            try:
                reports.append(dataset.validate_file(source, purpose=kind))
            except OSError as exc:
                raise Failure(f"reading {source}: {exc.strerror or exc}", ERROR) from None
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reports], indent=2))
    else:
        click.echo("\n\n".join(dataset.format_report(r) for r in reports))
    if not all(r.ok for r in reports):
        raise click.exceptions.Exit(ERROR)


def _validate_gcs(opts: Options, uri: str, purpose: Purpose) -> DatasetReport:
    """Stream a gs:// object through the validator (STORAGE_EMULATOR_HOST reaches the emulator)."""
    from vertex_tuning import dataset, gcs

    settings = settings_mod.resolve(None, access_token=opts.access_token)
    try:
        with gcs.open_lines(gcs.client(settings, opts.project), uri) as lines:
            return dataset.validate_lines(lines, source=uri, purpose=purpose)
    except gcs.StorageError as exc:
        raise Failure(str(exc), ERROR) from None


@main.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def emulator(ctx: click.Context) -> None:
    """Run the local Vertex AI emulator (`emulator --help` for its flags)."""
    from vertex_tuning.emulator.command import main as emulator_main

    emulator_main.main(args=ctx.args, prog_name="vertex-tuning emulator")
