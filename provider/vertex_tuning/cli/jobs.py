"""`vertex-tuning jobs`: list, get, cancel and wait for tuning jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from vertex_tuning import states
from vertex_tuning.cli import render
from vertex_tuning.cli.options import (
    CANCELLED,
    ERROR,
    EXIT_BY_STATE,
    EXPIRED,
    FAILED,
    INTERRUPTED,
    OK,
    TIMED_OUT,
    USAGE,
    Failure,
    Options,
    job_ref,
)
from vertex_tuning.cli.waiting import wait_until_done

if TYPE_CHECKING:
    from vertex_tuning.vertex import Vertex

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


@click.group()
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
@click.option("--wide", is_flag=True, help="More columns: base model, created, duration.")
@render.output_options
@click.pass_obj
def list_jobs(
    opts: Options,
    raw_filter: str | None,
    state: str | None,
    labels: list[tuple[str, str]],
    page_size: int | None,
    page_token: str,
    all_pages: bool,
    wide: bool,
    output: str | None,
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
    expr = wire.list_filter(raw_filter, state, labels)
    vertex = opts.vertex(location)
    if all_pages:
        api_jobs = list(vertex.list_jobs(parent, filter=expr, page_size=page_size or 100))
        next_token = ""
    else:
        page = vertex.list_jobs_page(
            parent, filter=expr, page_size=page_size or 0, page_token=page_token
        )
        api_jobs = list(page.get("tuningJobs") or [])
        next_token = str(page.get("nextPageToken") or "")
    fmt = render.output_format(output, as_json)
    found = [wire.job_from_api(job) for job in api_jobs]
    endpoints = endpoint_states(vertex, [job.tuned_endpoint for job in found])
    if fmt != "table":
        listed = [render.job_json(job, endpoints.get(job.tuned_endpoint, "")) for job in found]
        render.print_data({"tuning_jobs": listed, "next_page_token": next_token}, fmt)
        return
    if not found:
        matching = f" matching {expr}" if expr else ""
        click.echo(f"no tuning jobs in {parent}{matching}", err=True)
    else:
        console = render.stdout()
        table = render.jobs_table(found, parent, endpoints, width=console.width, wide=wide)
        console.print(table)
    if next_token:
        click.echo(
            f"more jobs: repeat with --page-token {next_token} (or list them all with --all)",
            err=True,
        )


@jobs.command("get")
@click.argument("name", metavar="JOB")
@render.output_options
@click.pass_obj
def get_job(opts: Options, name: str, output: str | None, as_json: bool) -> None:
    """Show a tuning job: spec, times, detailed state, tuned model and endpoint (or that it is
    gone), checkpoints, the full data stats, error details, and its cost: billed tokens x the
    price, beside this machine's cached estimate of its data."""
    from vertex_tuning import wire
    from vertex_tuning.cli import cost

    fmt = render.output_format(output, as_json)
    full, location = job_ref(opts, name)
    vertex = opts.vertex(location)
    job = wire.job_from_api(vertex.get_job(full))
    state = endpoint_states(vertex, [job.tuned_endpoint]).get(job.tuned_endpoint, "")
    bill, estimate = cost.job_bill(opts, job)
    if fmt != "table":
        found = {**render.job_json(job, state), "cost": cost.bill_json(bill, estimate)}
        render.print_data(found, fmt)
    else:
        render.show_job(render.stdout(), job, state, cost.bill_rows(bill, estimate))


def endpoint_states(vertex: Vertex, endpoints: list[str]) -> dict[str, str]:
    """Each endpoint's state, "live" or "gone", looked up at once (a list of 50 jobs is 50
    reads): a job's endpoint may have been deleted since it made it."""
    from concurrent.futures import ThreadPoolExecutor

    from vertex_tuning.errors import NotFound

    def state(endpoint: str) -> str:
        try:
            vertex.get_endpoint(endpoint)
        except NotFound:
            return "gone"
        return "live"

    wanted = [e for e in dict.fromkeys(endpoints) if e]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(wanted, pool.map(state, wanted), strict=True))


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
    from vertex_tuning.errors import ApiError

    full, location = job_ref(opts, name)
    vertex = opts.vertex(location)
    try:
        vertex.cancel_job(full)
    except ApiError as exc:
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
@click.option("--json", "as_json", is_flag=True, help=f"Print the final job. {render.JSON_HELP}")
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
        render.print_json(render.job_json(job))
    code = EXIT_BY_STATE.get(job.state, ERROR)
    if job.state == states.SUCCEEDED:
        if not as_json:
            click.echo(
                f"tuning job {full} SUCCEEDED after {render.duration(job)}: "
                f"tuned model {job.tuned_model}, endpoint {job.tuned_endpoint}"
            )
        return
    if job.state in (states.FAILED, states.PARTIALLY_SUCCEEDED):
        raise Failure(jobs_mod.failure_message(job), code)
    cause = f": {job.error.message}" if job.error else ""
    raise Failure(f"tuning job ({full}) ended {states.short(job.state)}{cause}", code)
