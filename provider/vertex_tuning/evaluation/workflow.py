"""One evaluation from start to end: read the examples, ask and score every candidate, choose
the best checkpoint, apply the gate, write (and upload) the report, and only then, if the gate
passed, move the tuned model to the chosen checkpoint. Shared by ModelEvaluation and
`vertex-tuning evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vertex_tuning import names
from vertex_tuning.evaluation import examples as examples_mod
from vertex_tuning.evaluation import gate, report
from vertex_tuning.evaluation.run import Candidate, Metric, Results, evaluate
from vertex_tuning.settings import Settings

Emit = Callable[[str], None]
TUNED, BASE, SERVED = "tuned", "base", "served"


@dataclass(frozen=True)
class Plan:
    """What to evaluate, against what, by which rules (plain values)."""

    label: str  # "model evaluation NAME", the start of every line
    endpoint: str
    data: str
    metrics: Sequence[Metric]
    primary: str
    report_dir: Path
    base_model: str = ""  # a publisher model's full name, or ""
    served_endpoint: str = ""
    #: (checkpoint id, its endpoint) in training order; with `model`, the best one is served.
    checkpoints: Sequence[tuple[str, str]] = ()
    model: str = ""
    min_score: Mapping[str, float] = field(default_factory=dict)
    min_gain: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    concurrency: int = 8
    max_examples: int = 0
    upload_prefix: str = ""  # gs://bucket/prefix/ for the report's copy, or ""

    @property
    def location(self) -> str:
        return names.parent(names.project_of(self.endpoint), names.location_of(self.endpoint))


@dataclass(frozen=True)
class Outcome:
    scores: dict[str, dict[str, float]]
    checkpoint_scores: dict[str, dict[str, float]]
    choice: gate.Choice | None
    checks: list[gate.Check]
    passed: bool
    promoted_endpoint: str
    examples: int
    report_path: str
    report_uri: str
    results_uri: str
    chart_path: str
    message: str  # the verdict and the scores, as printed


def run(plan: Plan, settings: Settings, *, emit: Emit) -> Outcome:
    """Evaluate; the caller decides what a failed gate means (the outcome says)."""
    from vertex_tuning import gcs
    from vertex_tuning.vertex import per_thread

    project, location = names.project_of(plan.endpoint), names.location_of(plan.endpoint)
    client = per_thread(settings, location)

    needs_storage = plan.data.startswith("gs://") or plan.upload_prefix
    storage = gcs.client(settings, project) if needs_storage else None
    data = examples_mod.read(plan.data, storage=storage, max_examples=plan.max_examples)
    if not data.examples:
        raise ValueError(f"{plan.label}: {plan.data} has no example ending in a model turn")
    emit(
        f"{plan.label}: {len(data.examples)} examples from {plan.data}"
        + (f" ({data.skipped} lines without a model answer skipped)" if data.skipped else "")
    )
    candidates = _candidates(plan, emit)
    results = evaluate(
        client,
        plan.location,
        candidates,
        data.examples,
        plan.metrics,
        concurrency=plan.concurrency,
        emit=emit,
        label=plan.label,
    )
    means = results.means()
    checkpoint_scores = {c: means[f"checkpoint {c}"] for c, _ in plan.checkpoints}
    choice = None
    if plan.checkpoints:
        choice = gate.best_checkpoint(
            plan.primary, [(c, s[plan.primary]) for c, s in checkpoint_scores.items()]
        )
        chosen = f"checkpoint {choice.checkpoint_id}"
        means[TUNED] = means[chosen]
        results.scores[TUNED] = results.scores[chosen]
        results.answers[TUNED] = results.answers[chosen]
    checks = gate.checks(means, TUNED, min_score=plan.min_score, min_gain=plan.min_gain)
    passed = gate.passed(checks)
    shown = {k: means[k] for k in (TUNED, BASE, SERVED) if k in means}
    verdict = _verdict(plan, passed, checks, choice)
    summary = report.Summary(
        title=plan.label,
        data=plan.data,
        candidate=TUNED,
        primary=plan.primary,
        scores=shown,
        checkpoint_scores=checkpoint_scores,
        checks=checks,
        choice=choice,
        passed=passed,
        verdict=verdict,
    )
    paths = report.write(plan.report_dir, summary, _shown_results(results, shown))
    report_uri = results_uri = ""
    if plan.upload_prefix and storage is not None:
        prefix = plan.upload_prefix.rstrip("/")
        for path in paths.values():
            gcs.upload(storage, f"{prefix}/{path.name}", filename=str(path))
        report_uri = f"{prefix}/{paths['html'].name}"
        results_uri = f"{prefix}/{paths['results'].name}"
    where = report_uri or str(paths["html"])
    emit(f"{plan.label}: report {paths['html']}" + (f" and {report_uri}" if report_uri else ""))
    message = "\n".join([verdict, table(shown, len(data.examples)), f"report: {where}"])
    promoted = ""
    if passed:
        promoted = plan.endpoint
        if choice is not None:
            promoted = dict(plan.checkpoints)[choice.checkpoint_id] or plan.endpoint
            _serve(client(), plan, choice, emit)
    return Outcome(
        scores={k: {m: round(v, 6) for m, v in by.items()} for k, by in shown.items()},
        checkpoint_scores={
            c: {m: round(v, 6) for m, v in by.items()} for c, by in checkpoint_scores.items()
        },
        choice=choice,
        checks=checks,
        passed=passed,
        promoted_endpoint=promoted,
        examples=len(data.examples),
        report_path=str(paths["html"]),
        report_uri=report_uri,
        results_uri=results_uri or str(paths["results"]),
        chart_path=str(paths["png"]),
        message=message,
    )


def _candidates(plan: Plan, emit: Emit) -> list[Candidate]:
    if plan.checkpoints:
        found = [Candidate(f"checkpoint {c}", endpoint) for c, endpoint in plan.checkpoints]
        serving = {endpoint for _, endpoint in plan.checkpoints} | {plan.endpoint}
    else:
        found = [Candidate(TUNED, plan.endpoint)]
        serving = {plan.endpoint}
    if plan.base_model:
        found.append(Candidate(BASE, plan.base_model))
    if plan.served_endpoint and plan.served_endpoint in serving:
        emit(f"{plan.label}: the served endpoint is this model's own; no comparison with it")
    elif plan.served_endpoint:
        found.append(Candidate(SERVED, plan.served_endpoint))
    return found


def _shown_results(results: Results, shown: Mapping[str, Any]) -> Results:
    """The results of the candidates the report lists (checkpoints are in their own table)."""
    return Results(
        results.examples,
        [c for c in results.candidates if c.key in shown],
        {k: results.answers[k] for k in shown},
        {k: results.scores[k] for k in shown},
        results.seconds,
    )


def _verdict(
    plan: Plan, passed: bool, checks: Sequence[gate.Check], choice: gate.Choice | None
) -> str:
    picked = f"; {choice.reason}" if choice else ""
    if not checks:
        return f"{plan.label}: reported, no thresholds to pass{picked}"
    if passed:
        return f"{plan.label}: PASSED: " + "; ".join(c.describe() for c in checks) + picked
    failed = [c for c in checks if not c.passed]
    return f"{plan.label}: FAILED: " + "; ".join(c.describe() for c in failed) + picked


def table(scores: Mapping[str, Mapping[str, float]], examples: int) -> str:
    """The scores as a small fixed-width table (what the log and the failure show)."""
    metrics = list(next(iter(scores.values()), {}))
    width = max([len("candidate"), *(len(k) for k in scores)])
    lines = [f"scores, mean over {examples} examples:"]
    lines.append("  " + "candidate".ljust(width) + "".join(f"  {m:>12}" for m in metrics))
    for key, by in scores.items():
        lines.append("  " + key.ljust(width) + "".join(f"  {by[m]:>12.4f}" for m in metrics))
    return "\n".join(lines)


def _serve(vertex: Any, plan: Plan, choice: gate.Choice, emit: Emit) -> None:
    """Move the tuned model's default checkpoint to the chosen one (a Model update)."""
    from vertex_tuning import jobs, wire

    if not plan.model:
        return
    serving = wire.default_checkpoint(vertex.get_model(plan.model))
    if serving == choice.checkpoint_id:
        emit(f"{plan.label}: the model keeps serving checkpoint {serving}: {choice.reason}")
        return
    emit(
        f"{plan.label}: serving checkpoint {choice.checkpoint_id} instead of {serving or 'the default'}: {choice.reason}"
    )
    jobs.serve_checkpoint(vertex, plan.model, choice.checkpoint_id, emit=emit)
