"""What the CLI prints: job tables and detail grids (rich), JSON for scripts, times and
durations. Commands decide what to show; this module decides how it looks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from vertex_tuning import names, states

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from vertex_tuning.wire import Job

_STATE_STYLES = {
    states.SUCCEEDED: "green",
    states.FAILED: "red",
    states.PARTIALLY_SUCCEEDED: "yellow",
    states.CANCELLED: "yellow",
    states.EXPIRED: "yellow",
}
JSON_HELP = (
    "Print JSON for scripts: snake_case keys, every key always present (empty string or "
    "null when unset)."
)


FORMATS = ("table", "json", "yaml")
F = TypeVar("F", bound=Callable[..., Any])


def output_options(command: F) -> F:
    """`-o/--output table|json|yaml` (as kubectl and gcloud take it) and `--json` for `-o json`."""
    command = click.option("--json", "as_json", is_flag=True, help=f"{JSON_HELP} Same as -o json.")(
        command
    )
    return click.option(
        "-o",
        "--output",
        type=click.Choice(FORMATS),
        default=None,
        help="How to print: a table for people (the default), json or yaml for scripts.",
    )(command)


def output_format(output: str | None, as_json: bool) -> str:
    if as_json and output not in (None, "json"):
        raise click.UsageError(f"--json and -o {output} exclude each other")
    return "json" if as_json else output or "table"


def print_data(value: Any, fmt: str) -> None:
    """JSON or YAML of plain values (the keys of `jobs get --json`)."""
    if fmt == "yaml":
        import yaml  # PyYAML: the YAML that kubectl and gcloud users read

        click.echo(yaml.safe_dump(value, sort_keys=False, allow_unicode=True), nl=False)
    else:
        print_json(value)


def job_json(job: Job, endpoint_state: str = "") -> dict[str, Any]:
    """A job for --json: the Job fields in declaration order, with `id` after `name`, and
    whether its endpoint is "live" or "gone" when that was looked up."""
    fields = dataclasses.asdict(job)
    found = {"name": fields.pop("name"), "id": job.id, **fields}
    if endpoint_state:
        found["endpoint_state"] = endpoint_state
    return found


def stdout() -> Console:
    from rich.console import Console

    return Console()


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def state_text(state: str) -> Text:
    from rich.text import Text

    return Text(states.short(state), style=_STATE_STYLES.get(state, "cyan"))


def _when(timestamp: str) -> str:
    """`2025-01-02T03:04:05.678Z` -> `2025-01-02 03:04:05` (UTC)."""
    if not timestamp:
        return ""
    moment = datetime.fromisoformat(timestamp).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def duration(job: Job) -> str:
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


def jobs_table(
    found: list[Job],
    parent: str,
    endpoints: Mapping[str, str],
    *,
    width: int,
    wide: bool = False,
) -> Any:
    """The jobs, one row each: ids are never broken across lines (a narrow terminal drops the
    display name's tail instead); --wide adds the base model, times and duration."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = []
    for job in found:
        cells = [Text(job.id), Text(job.display_name), state_text(job.state)]
        if wide:
            cells += [Text(job.base_model), Text(_when(job.create_time)), Text(duration(job))]
        cells.append(endpoint_text(job.tuned_endpoint, endpoints.get(job.tuned_endpoint, "")))
        rows.append(cells)
    headers = ["ID", "Display name", "State"]
    headers += ["Base model", "Created (UTC)", "Duration"] if wide else []
    headers.append("Endpoint ID")
    widths = [max([len(h), *(row[i].cell_len for row in rows)]) for i, h in enumerate(headers)]
    # Every column but the display name is as wide as its widest cell, so no ID is ever cut
    # or folded; the display name takes what is left (each column pads 1 on either side, and
    # the table 1 at each edge).
    name_width = max(8, width - sum(widths) + widths[1] - 2 * len(headers) - 2)
    table = Table(box=box.SIMPLE_HEAD, caption=f"{len(found)} in {parent}", caption_justify="left")
    for header, widest in zip(headers, widths, strict=True):
        if header == "Display name":
            table.add_column(header, no_wrap=True, overflow="ellipsis", max_width=name_width)
        else:
            table.add_column(header, no_wrap=True, min_width=widest)
    for cells in rows:
        table.add_row(*cells)
    return table


def endpoint_text(endpoint: str, state: str) -> Text:
    """An endpoint's ID, or "gone (ID)" for one deleted since the job made it."""
    from rich.text import Text

    endpoint_id = endpoint.rsplit("/", 1)[-1]
    if state == "gone":
        return Text(f"gone ({endpoint_id})", style="red")
    return Text(endpoint_id)


def show_job(
    console: Console,
    job: Job,
    endpoint_state: str = "",
    cost_rows: list[tuple[str, Any]] | None = None,
) -> None:
    from rich.text import Text

    from vertex_tuning import jobs, wire

    labels = ", ".join(f"{k}={v}" for k, v in sorted(job.labels.items()))
    rows: list[tuple[str, Any]] = [
        ("Name", job.name),
        ("Display name", job.display_name),
        ("State", state_text(job.state)),
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
        ("Duration", duration(job)),
        ("Detailed state", job.detailed_state.removeprefix("TUNING_JOB_STATE_")),
        ("Tuned model", job.tuned_model),
        (
            "Endpoint",
            endpoint_text(job.tuned_endpoint, endpoint_state)
            if endpoint_state == "gone"
            else job.tuned_endpoint,
        ),
        ("Experiment", job.experiment),
        ("Console", names.console_url(job.name)),
    ]
    console.print(_grid(rows))
    if job.checkpoints:
        console.print(Text("\nCheckpoints", style="bold"))
        console.print(_checkpoints_table(job))
    if job.data_stats:
        console.print(Text("\nData stats", style="bold"))
        console.print(_grid(_stats_rows(job.data_stats)))
        distributions = {k: v for k, v in job.data_stats.items() if isinstance(v, Mapping)}
        if distributions:
            console.print(_distributions_table(distributions))
    if cost_rows:
        console.print(Text("\nCost", style="bold"))
        console.print(_grid(cost_rows))
    if job.error is not None:
        error_rows: list[tuple[str, Any]] = [
            ("Code", f"{job.error.code} ({wire.code_name(job.error.code)})"),
            ("Message", job.error.message),
        ]
        error_rows += [("Detail", json.dumps(detail)) for detail in job.error.details]
        if job.state == states.FAILED:
            error_rows.append(("Hint", jobs.failure_hint(job)))
        console.print(Text("\nError", style="bold red"))
        console.print(_grid(error_rows))


def _checkpoints_table(job: Job) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    for header in ("Checkpoint", "Epoch", "Step"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Endpoint", no_wrap=True)
    for checkpoint in job.checkpoints:
        default = " (serving)" if checkpoint.endpoint == job.tuned_endpoint else ""
        table.add_row(
            checkpoint.checkpoint_id,
            _number(checkpoint.epoch) if checkpoint.epoch is not None else "",
            _number(checkpoint.step) if checkpoint.step is not None else "",
            f"{checkpoint.endpoint}{default}",
        )
    return table


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
