"""`vertex-tuning validate` and `convert`: check tuning data the way the service will, local or
gs://, and rewrite chat-format JSONL as Gemini tuning JSONL."""

from __future__ import annotations

import io
import json
import os
import sys
from typing import TYPE_CHECKING

import click

from vertex_tuning.cli.options import ERROR, USAGE, Failure, Options

if TYPE_CHECKING:
    from vertex_tuning.dataset import DatasetReport, Method, Purpose
    from vertex_tuning.dataset.formats import ChatFormat


def _safe_output() -> None:
    """Reports quote the data, whatever it holds: never fail to print them."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _reading(source: str, exc: OSError) -> Failure:
    from vertex_tuning.dataset.report import printable

    return Failure(f"reading {printable(source)}: {exc.strerror or exc}", ERROR)


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="FILE|gs://URI...")
@click.option(
    "--purpose",
    type=click.Choice(["training", "validation"]),
    default="training",
    show_default=True,
    help="Which limits apply: validation sets have their own maximum and no minimum warning.",
)
@click.option(
    "--method",
    type=click.Choice(["supervised", "preference"]),
    default="supervised",
    show_default=True,
    help="The tuning method the data is for: supervised examples, or preference pairs "
    "(contents ending with a user turn, two completions scored 1 and 0).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON report per source, as a list.")
@click.pass_obj
def validate(
    opts: Options, sources: tuple[str, ...], purpose: str, method: str, as_json: bool
) -> None:
    """Check Gemini tuning JSONL the way the service will, before a job fails late on it.

    Reports every problem with its line and field path, plus stats. Exits 1 when any source has
    errors (warnings alone exit 0). Only regular files are read; gs:// objects are streamed
    with google-cloud-storage. Token counts are estimates (characters / 4).
    """
    from vertex_tuning import dataset

    _safe_output()
    kind: dataset.Purpose = "validation" if purpose == "validation" else "training"
    how: dataset.Method = "preference" if method == "preference" else "supervised"
    reports = []
    for source in sources:
        if source.startswith("gs://"):
            reports.append(_validate_gcs(opts, source, kind, how))
        else:
            try:
                reports.append(dataset.validate_file(source, purpose=kind, method=how))
            except OSError as exc:
                raise _reading(source, exc) from None
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reports], indent=2))
    else:
        click.echo("\n\n".join(dataset.format_report(r) for r in reports))
    if not all(r.ok for r in reports):
        raise click.exceptions.Exit(ERROR)


def _validate_gcs(opts: Options, uri: str, purpose: Purpose, method: Method) -> DatasetReport:
    """Stream a gs:// object through the validator (STORAGE_EMULATOR_HOST reaches the emulator)."""
    from vertex_tuning import dataset, gcs

    try:
        with gcs.open_lines(gcs.client(opts.settings(), opts.project), uri) as lines:
            return dataset.validate_lines(lines, source=uri, purpose=purpose, method=method)
    except gcs.ApiError as exc:
        raise Failure(str(exc), ERROR) from None


@click.command()
@click.argument("source", metavar="IN")
@click.argument("target", metavar="OUT")
@click.option(
    "--from",
    "source_format",
    type=click.Choice(["openai", "gemini-1.0"]),
    help="The input's format; by default each line's roles tell (assistant: OpenAI chat, "
    "model: Gemini 1.0 messages).",
)
def convert(source: str, target: str, source_format: str | None) -> None:
    """Rewrite OpenAI chat or Gemini 1.0 "messages" JSONL as Gemini tuning JSONL.

    system -> systemInstruction, assistant -> role "model", content -> parts[].text. Streams
    line by line; a line that cannot convert is reported with its number, and then OUT is not
    written. Validate the result with `vertex-tuning validate OUT`.
    """
    from vertex_tuning.dataset import convert as convert_mod
    from vertex_tuning.dataset.formats import FORMAT_NAMES
    from vertex_tuning.dataset.report import printable

    _safe_output()
    chosen: ChatFormat | None = None
    if source_format == "openai":
        chosen = "openai"
    elif source_format == "gemini-1.0":
        chosen = "gemini-1.0"
    try:
        if os.path.exists(target) and os.path.samefile(source, target):
            raise Failure("converting: IN and OUT are the same file; write to a new file", USAGE)
        result = convert_mod.convert_file(source, target, chosen)
    except OSError as exc:
        raise _reading(exc.filename or source, exc) from None
    for line, message in result.errors:
        click.echo(printable(f"line {line}: {message}"), err=True)
    if result.error_count > len(result.errors):
        click.echo(f"... and {result.error_count - len(result.errors):,} more errors", err=True)
    if not result.ok:
        raise Failure(
            f"converting {printable(source)}: {result.error_count:,} of "
            f"{result.examples + result.error_count:,} examples cannot be converted; "
            f"{printable(target)} was not written",
            ERROR,
        )
    names = " and ".join(sorted(FORMAT_NAMES[f] for f in result.formats)) or "chat format"
    skipped = f", {result.blank_lines:,} blank lines skipped" if result.blank_lines else ""
    click.echo(
        printable(
            f"converted {result.examples:,} examples from {names} to {target}{skipped}; "
            f"check it with `vertex-tuning validate {target}`"
        )
    )
