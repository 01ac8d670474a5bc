"""`vertex-tuning validate`: check tuning data the way the service will, local or gs://."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from vertex_tuning.cli.options import ERROR, Failure, Options

if TYPE_CHECKING:
    from vertex_tuning.dataset import DatasetReport, Purpose


@click.command()
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

    try:
        with gcs.open_lines(gcs.client(opts.settings(), opts.project), uri) as lines:
            return dataset.validate_lines(lines, source=uri, purpose=purpose)
    except gcs.ApiError as exc:
        raise Failure(str(exc), ERROR) from None
