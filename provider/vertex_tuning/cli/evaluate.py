"""`vertex-tuning evaluate ENDPOINT DATA`: what ModelEvaluation does, outside a stack.

Asks the endpoint (or every checkpoint of a tuning job) and the comparisons each example, scores
the answers with Vertex AI's evaluation service, writes the report, and exits 1 when a threshold
is missed. Moves nothing unless --serve-best says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from vertex_tuning import names
from vertex_tuning.cli.options import Failure, Options, endpoint_ref

DEFAULT_METRICS = ("rouge_l", "bleu", "exact_match")


def _threshold(value: str, *, gain: bool) -> tuple[str, str, float]:
    """`rouge_l=0.3` -> ("", "rouge_l", 0.3); `base:rouge_l=0.05` -> ("base", "rouge_l", 0.05)."""
    where, _, rest = value.rpartition(":") if gain else ("", "", value)
    metric, sign, number = rest.partition("=")
    try:
        if not sign or not metric:
            raise ValueError
        return where, metric.strip(), float(number)
    except ValueError:
        shape = "[base:|served:]METRIC=GAIN" if gain else "METRIC=SCORE"
        raise click.BadParameter(f"{value!r} is not {shape}") from None


@click.command()
@click.argument("endpoint")
@click.argument("data", metavar="DATA")
@click.option("--base-model", help="Compare with this Gemini base model (a job's own by default).")
@click.option(
    "--served",
    "served_endpoint",
    metavar="ENDPOINT",
    help="Compare with the endpoint serving today.",
)
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help=f"A metric (repeatable; default {', '.join(DEFAULT_METRICS)}); the first chooses the best checkpoint.",
)
@click.option("--min-score", multiple=True, metavar="METRIC=SCORE", help="An absolute minimum.")
@click.option(
    "--min-gain",
    multiple=True,
    metavar="[base:|served:]METRIC=GAIN",
    help="A minimum gain over each comparison (or the one named).",
)
@click.option("--max-examples", type=click.IntRange(min=0), default=0, help="Only the first N.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("evaluation-report"),
    show_default=True,
)
@click.option("--upload", metavar="gs://BUCKET/PREFIX/", help="Copy the report there too.")
@click.option(
    "--serve-best",
    is_flag=True,
    help="With a tuning job: make the best checkpoint the model's default if the gate passes.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def evaluate(
    opts: Options,
    endpoint: str,
    data: str,
    base_model: str | None,
    served_endpoint: str | None,
    metrics: tuple[str, ...],
    min_score: tuple[str, ...],
    min_gain: tuple[str, ...],
    max_examples: int,
    concurrency: int,
    report_dir: Path,
    upload: str | None,
    serve_best: bool,
    as_json: bool,
) -> None:
    """Evaluate ENDPOINT on DATA (Gemini tuning JSONL, local or gs://) and write a report.

    ENDPOINT is an endpoint (projects/P/locations/L/endpoints/ID, or an ID) or a tuning job
    (projects/P/locations/L/tuningJobs/ID): then each of its checkpoints is evaluated and the
    best one by the first metric is reported (ties go to the earlier). Exits 1 when a
    --min-score or --min-gain is missed.
    """
    from vertex_tuning import catalog, wire
    from vertex_tuning.evaluation import workflow
    from vertex_tuning.evaluation.run import Metric

    chosen = list(metrics or DEFAULT_METRICS)
    unknown = [m for m in chosen if m not in wire.EVALUATION_METRICS]
    if unknown:
        known = ", ".join(wire.EVALUATION_METRICS)
        raise click.BadParameter(
            f"unknown metric {unknown[0]!r} (known: {known})", param_hint="--metric"
        )
    checkpoints: list[tuple[str, str]] = []
    model = ""
    if names.parse(endpoint, names.TUNING_JOBS) is not None:
        job = wire.job_from_api(opts.vertex(names.location_of(endpoint)).get_job(endpoint))
        if not job.tuned_endpoint:
            raise Failure(
                f"evaluating tuning job ({endpoint}): it has no tuned endpoint ({job.state})"
            )
        target = job.tuned_endpoint
        checkpoints = [(c.checkpoint_id, c.endpoint) for c in job.checkpoints if c.endpoint]
        model = job.tuned_model if serve_best else ""
        base_model = base_model or (job.base_model if "/" not in job.base_model else None)
    else:
        target, _ = endpoint_ref(opts, endpoint)
    project, location = names.project_of(target), names.location_of(target)
    scores = {m: v for _, m, v in (_threshold(t, gain=False) for t in min_score)}
    gains: dict[str, dict[str, float]] = {}
    for where, metric, value in (_threshold(t, gain=True) for t in min_gain):
        for comparison in [where] if where else ["base", "served"]:
            gains.setdefault(comparison, {})[metric] = value
    for metric in [*scores, *(m for g in gains.values() for m in g)]:
        if metric not in chosen:
            raise click.BadParameter(f"{metric!r} is not one of the metrics ({', '.join(chosen)})")
    plan = workflow.Plan(
        label=f"evaluation of {names.last(target)}",
        endpoint=target,
        data=data,
        metrics=[Metric(m) for m in chosen],
        primary=chosen[0],
        report_dir=report_dir,
        base_model=names.publisher_model(
            project, location, catalog.normalize_base_model(base_model)
        )
        if base_model
        else "",
        served_endpoint=served_endpoint or "",
        checkpoints=checkpoints,
        model=model,
        min_score=scores,
        min_gain=gains,
        concurrency=concurrency,
        max_examples=max_examples,
        upload_prefix=upload or "",
    )
    outcome = workflow.run(plan, opts.settings(), emit=lambda line: click.echo(line, err=True))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "passed": outcome.passed,
                    "scores": outcome.scores,
                    "checkpoint_scores": outcome.checkpoint_scores,
                    "best_checkpoint_id": outcome.choice.checkpoint_id if outcome.choice else "",
                    "checks": [c.describe() for c in outcome.checks],
                    "report_path": outcome.report_path,
                    "report_uri": outcome.report_uri,
                    "results_uri": outcome.results_uri,
                },
                indent=2,
            )
        )
    else:
        click.echo(outcome.message)
    if not outcome.passed:
        raise Failure(outcome.message.splitlines()[0])
