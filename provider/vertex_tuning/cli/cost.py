"""`vertex-tuning cost`: what tuning on some data would cost, before any stack exists; and the
cost rows of `jobs get` (the bill, and how far the cached estimate was from it)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import click

from vertex_tuning.cli.options import ERROR, Failure, Options

if TYPE_CHECKING:
    from vertex_tuning import counting
    from vertex_tuning.cost import Bill, Estimate
    from vertex_tuning.wire import Job


@click.command()
@click.argument("source", metavar="FILE|gs://URI")
@click.option("--model", "model", required=True, metavar="MODEL", help="The base model to tune.")
@click.option(
    "--epochs",
    type=click.IntRange(1, 100),
    help="Epochs to price (default: an assumption, said as such; Google documents none).",
)
@click.option(
    "--method",
    type=click.Choice(["supervised", "preference"]),
    default="supervised",
    show_default=True,
    help="What the data is for: preference tuning bills the prompt twice.",
)
@click.option(
    "--price",
    "usd_per_million",
    type=click.FloatRange(min=0),
    metavar="USD",
    help="Your rate per 1M training tokens instead of the built-in table (negotiated prices).",
)
@click.option("--json", "as_json", is_flag=True, help="The estimate as JSON, for scripts.")
@click.pass_obj
def cost(
    opts: Options,
    source: str,
    model: str,
    epochs: int | None,
    method: str,
    usd_per_million: float | None,
    as_json: bool,
) -> None:
    """Estimate what tuning MODEL on this data costs: billable tokens x epochs x price.

    Tokens are counted by Vertex AI's countTokens for MODEL (in --project and --location,
    batched, cached by the data's SHA-256), or estimated as characters / 4 when it cannot be
    reached (said as such). A local file is validated first. Prices are dated, sourced, and
    marked UNCONFIRMED where they are (vertex_tuning/prices.py).
    """
    from vertex_tuning import catalog, cost

    how: counting.Method = "preference" if method == "preference" else "supervised"
    try:
        model = catalog.normalize_base_model(model)
    except ValueError as exc:
        raise Failure(f"--model: {exc}", ERROR) from None
    service, why = _service(opts)
    counted = (
        _count_gcs(opts, source, model, how, service, why)
        if source.startswith("gs://")
        else _count_file(source, model, how, service, why)
    )
    found = cost.estimate(counted, model=model, epochs=epochs)
    if usd_per_million is not None:
        found = _with_price(found, usd_per_million)
    if as_json:
        click.echo(json.dumps({"source": source, "model": model, **found.to_json()}, indent=2))
        return
    click.echo(_report(source, found))


def _with_price(found: Estimate, usd: float) -> Estimate:
    import dataclasses

    from vertex_tuning.prices import Price

    return dataclasses.replace(found, price=Price(usd, "--price", "given", confirmed=True))


def _service(opts: Options) -> tuple[counting.Service | None, str]:
    from vertex_tuning import counting

    if not opts.project:
        return None, "no project (pass --project or set GOOGLE_CLOUD_PROJECT)"
    return counting.Service(opts.settings(), opts.project, opts.location or "us-central1"), ""


def _count_file(
    path: str, model: str, method: counting.Method, service: Any, why: str
) -> counting.TokenCount:
    from vertex_tuning import counting, dataset

    digest = hashlib.sha256()
    try:
        report = dataset.validate_file(path, method=method, on_chunk=digest.update, max_issues=20)
    except OSError as exc:
        raise Failure(f"reading {path}: {exc.strerror or exc}", ERROR) from None
    if not report.ok:
        click.echo(dataset.format_report(report), err=True)
        raise Failure(f"pricing {path}: the data is INVALID; fix it first", ERROR)
    return counting.count(
        counting.file_lines(path),
        key=counting.key_for(digest.hexdigest()),
        method=method,
        model=model,
        service=service,
        why=why,
    )


def _count_gcs(
    opts: Options, uri: str, model: str, method: counting.Method, service: Any, why: str
) -> counting.TokenCount:
    from vertex_tuning import counting, gcs

    storage = gcs.client(opts.settings(), opts.project)
    try:
        md5 = gcs.checksum(storage, uri)
        if md5 is None:
            raise Failure(f"reading {uri}: no such object", ERROR)
        cache = counting.Cache()
        if service is not None:
            found = cache.get_uri(uri, model, method, service.endpoint)
            if found is not None and found[0] == md5:
                return found[1]
        with gcs.open_lines(storage, uri) as lines:
            counted = counting.count_lines(
                lines,
                method=method,
                counter=service.counter(model) if service is not None else None,
                model=model,
                why=why,
            )
    except gcs.ApiError as exc:
        raise Failure(str(exc), ERROR) from None
    if service is not None:
        cache.put_uri(uri, md5, counted, service.endpoint)
    return counted


def _report(source: str, found: Estimate) -> str:
    from vertex_tuning import cost

    count = found.count
    price = found.price
    assumption = cost.ASSUMPTION.replace("epoch_count is unset", "no --epochs").replace(
        "set it", "pass --epochs"
    )
    epochs = f"{found.epochs}" + (f" ({assumption})" if found.epochs_assumed else "")
    lines = [
        f"{source}: {count.examples:,} examples, {count.method} tuning of {found.model}",
        f"  tokens     {count.billable:,} per epoch ({count.input_tokens:,} input, "
        f"{count.output_tokens:,} output{', prompts twice' if count.method == 'preference' else ''}; "
        f"{count.label()})",
        f"  epochs     {epochs}",
        f"  training   {found.billable_tokens:,} tokens",
    ]
    if price is None:
        lines.append(f"  price      unknown for {found.model} ({count.method}); pass --price")
    else:
        where = "" if price.source in ("--price",) else f"; {price.source}"
        lines.append(f"  price      {price.label()}{where}")
        lines.append(f"  cost       {cost.usd(found.cost_usd or 0.0)}")
    return "\n".join(lines)


# --- `jobs get` ---------------------------------------------------------------------------------


def job_bill(opts: Options, job: Job) -> tuple[Bill | None, counting.TokenCount | None]:
    """A finished job's bill (its billable tokens x epochs x the table's price), and the
    estimate of its training data this machine counted (cached by URI), if any."""
    from vertex_tuning import cost, counting, names, prices

    bill = cost.bill(
        job.data_stats,
        job.epoch_count or job.completed_epochs,
        prices.price(job.base_model, job.method),
    )
    model, why = counting.countable_model(job.base_model)
    method: counting.Method = "preference" if job.method == "preference" else "supervised"
    cached = None
    if not why and job.training_dataset_uri:
        endpoint = opts.settings().base_url(names.location_of(job.name))
        found = counting.Cache().get_uri(job.training_dataset_uri, model, method, endpoint)
        cached = found[1] if found else None
    return bill, cached


def bill_rows(bill: Bill | None, estimate: counting.TokenCount | None) -> list[tuple[str, Any]]:
    """The Cost rows of `jobs get`."""
    from vertex_tuning.cost import usd

    if bill is None:
        return []
    rows: list[tuple[str, Any]] = [
        (
            "Billed tokens",
            f"{bill.billable_tokens:,} ({bill.tokens_per_epoch:,} per epoch x {bill.epochs})",
        ),
        ("Price", bill.price.label() if bill.price else "unknown (no figure in the table)"),
        ("Cost", usd(bill.cost_usd) if bill.cost_usd is not None else ""),
    ]
    if estimate is not None:
        error = bill.error_percent(estimate.billable * bill.epochs)
        rows.append(
            (
                "Estimate",
                f"{estimate.billable:,} per epoch ({estimate.label()}): {error:+.2f}%",
            )
        )
    return rows


def bill_json(bill: Bill | None, estimate: counting.TokenCount | None) -> dict[str, Any]:
    """The `cost` key of `jobs get --json` (every key present, null when unknown)."""
    error = bill.error_percent(estimate.billable * bill.epochs) if bill and estimate else None
    return {
        "billed_tokens": bill.billable_tokens if bill else None,
        "epochs": bill.epochs if bill else None,
        "price": bill.price.to_json() if bill and bill.price else None,
        "cost_usd": bill.cost_usd if bill else None,
        "estimated_tokens_per_epoch": estimate.billable if estimate else None,
        "estimate_error_percent": error,
    }
