"""What the CLI prints: job tables and detail grids (rich), JSON for scripts, times and
durations. Commands decide what to show; this module decides how it looks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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


def job_json(job: Job) -> dict[str, Any]:
    """A job for --json: the Job fields in declaration order, with `id` after `name`."""
    fields = dataclasses.asdict(job)
    return {"name": fields.pop("name"), "id": job.id, **fields}


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


def jobs_table(found: list[Job], parent: str) -> Any:
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
            state_text(job.state),
            Text(job.base_model),
            Text(_when(job.create_time)),
            Text(duration(job)),
            Text(job.tuned_endpoint.rsplit("/", 1)[-1]),
        )
    return table


def show_job(console: Console, job: Job, cost_rows: list[tuple[str, Any]] | None = None) -> None:
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
        ("Tuned model", job.tuned_model),
        ("Endpoint", job.tuned_endpoint),
        ("Experiment", job.experiment),
        ("Console", names.console_url(job.name)),
    ]
    console.print(_grid(rows))
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
