"""ModelEvaluation: prove on data that a tuned model beats what it replaces before it ships.

Asks the tuned endpoint (or each of a job's checkpoints) and the comparisons (the base model, the
endpoint serving today) every example of an evaluation set, scores the answers with Vertex AI's
evaluation service (evaluateInstances), and fails the update when a threshold is missed: an
absolute `min_score` per metric, and `min_gain` over each comparison. With checkpoints, the best
by `metric` becomes the model's default checkpoint (ties go to the earlier one). Outputs the
scores and `promoted_endpoint`, set only when the gate passed: a change of what is evaluated is
a replacement (created before the old one is deleted), so a failed evaluation leaves the last
one, and the endpoint it promoted, in state, and consumers wired to it never see the model
that failed. The report (HTML and PNG) is written to `report_dir` and copied beside the data.

The workflow is evaluation/; this module is the resource's lifecycle.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult

from vertex_tuning import names
from vertex_tuning import settings as settings_mod
from vertex_tuning.errors import ExpectedFailure
from vertex_tuning.resources.base import (
    Draft,
    DynamicResource,
    Failure,
    Outputs,
    TypedProvider,
    resource_props,
    say,
    without_none,
)

if TYPE_CHECKING:
    from vertex_tuning.evaluation.workflow import Outcome, Plan
    from vertex_tuning.resources.model_evaluation_inputs import ModelEvaluationInputs


@dataclass(frozen=True)
class ModelEvaluationOutputs(Outputs):
    """Scores and verdict (no example text: that stays in the report and results files)."""

    #: Mean score by candidate ("tuned", "base", "served"), then by metric.
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Mean score by checkpoint id, then by metric.
    checkpoint_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    best_checkpoint_id: str = ""
    best_checkpoint_reason: str = ""
    passed: bool = False
    #: Each threshold applied, in words ("rouge_l gain over base +0.2100 >= min_gain +0.0500").
    checks: list[str] = field(default_factory=list)
    examples: int = 0
    #: The endpoint that passed the gate; a failed evaluation never changes it.
    promoted_endpoint: str = ""
    promoted_endpoint_uri: str = ""
    report_path: str = ""
    report_uri: str = ""
    chart_path: str = ""
    #: Every example's answers and scores (JSONL): the gs:// copy, or the local file.
    results_uri: str = ""
    #: The gs:// objects this evaluation wrote (deleted with it).
    uploaded: list[str] = field(default_factory=list)


class EvaluationFailed(ExpectedFailure):
    """A threshold was missed; the message is the verdict, the scores and the report's place."""


class ModelEvaluationProvider(TypedProvider["ModelEvaluationInputs"]):
    """Evaluates at create; a change of what is evaluated replaces it (create first)."""

    inputs_model = "vertex_tuning.resources.model_evaluation_inputs:ModelEvaluationInputs"
    outputs = ModelEvaluationOutputs
    kind = "ModelEvaluation"
    stamped = False  # check hashes a local data file, which can change under the same inputs

    def prepare(self, draft: Draft) -> None:
        values = draft.values
        data = values.get("data")
        if "data" in draft.unknown or not isinstance(data, str) or data.startswith("gs://"):
            values["data_hash"] = ""
            return
        from vertex_tuning.dataset.read import open_regular

        try:
            # Only a regular file: a FIFO would hang the preview, /dev/zero fill its memory.
            with open_regular(data) as (handle, _size):
                digest = hashlib.sha256()
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                values["data_hash"] = digest.hexdigest()
        except OSError as exc:
            draft.failures.append(Failure("data", f"reading {data}: {exc.strerror or exc}"))

    # --- create ---
    def create(self, props: dict[str, Any]) -> CreateResult:
        from vertex_tuning.evaluation import workflow

        inputs = self.parsed(props)
        settings = settings_mod.resolve(self.config_get)
        digest = evaluation_digest(props)
        plan = _plan(inputs, digest)
        outcome = workflow.run(plan, settings, emit=say)
        say(outcome.message)
        if not outcome.passed:
            raise EvaluationFailed(
                f"{outcome.message}\npromoted_endpoint stays as it was: this model is not promoted"
            )
        outputs = _outputs(outcome, settings.base_url(names.location_of(inputs.endpoint)))
        return CreateResult(
            f"{inputs.endpoint}/evaluations/{digest}", without_none({**props, **outputs})
        )

    # --- read ---
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)  # an evaluation is a fact about a run: it stands

    # --- diff ---
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As every resource diffs, but the job's endpoint turning into the one this evaluation
        promoted (a refresh after the best checkpoint became the default) is no change, and
        neither is the same local file at another path (a CI runner's fresh checkout)."""
        if _same_local_data(olds, news):
            olds = {**olds, "data": news.get("data")}
        planned = super().diff(id_, olds, news)
        promoted = olds.get("promoted_endpoint")
        if planned.replaces == ["endpoint"] and promoted and news.get("endpoint") == promoted:
            return DiffResult(changes=False, replaces=[], stables=[], delete_before_replace=False)
        return planned

    # --- delete ---
    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Remove the report's gs:// copy and its local directory (this evaluation's own)."""
        report = Path(str(props.get("report_path") or ""))
        if report.name == "report.html" and report.parent.name == evaluation_digest(props):
            shutil.rmtree(report.parent, ignore_errors=True)
        uploaded = [str(u) for u in props.get("uploaded") or []]
        if not uploaded:
            return
        from vertex_tuning import gcs

        settings = settings_mod.resolve(self.config_get)
        storage = gcs.client(settings, names.project_of(str(props.get("endpoint", ""))))
        for uri in uploaded:
            gcs.delete(storage, uri)


def _same_local_data(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Both local files (gs:// objects are named by their URI) with one content hash."""
    old, new = olds.get("data"), news.get("data")
    local = all(isinstance(v, str) and not v.startswith("gs://") for v in (old, new))
    return local and bool(olds.get("data_hash")) and olds.get("data_hash") == news.get("data_hash")


def evaluation_digest(props: Mapping[str, Any]) -> str:
    """What the evaluation follows from (every replacing input), as 12 hex digits."""
    from vertex_tuning.resources.model_evaluation_inputs import ModelEvaluationInputs

    keys = sorted(ModelEvaluationInputs.replace_on_change())
    payload = json.dumps({k: props.get(k) for k in keys}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _plan(inputs: ModelEvaluationInputs, digest: str) -> Plan:
    from vertex_tuning.evaluation.run import Metric
    from vertex_tuning.evaluation.workflow import Plan

    project, location = names.project_of(inputs.endpoint), names.location_of(inputs.endpoint)
    beside_data = inputs.data.rsplit("/", 1)[0] + "/evaluations/"
    prefix = inputs.report_uri_prefix or (beside_data if inputs.data.startswith("gs://") else "")
    upload = f"{prefix.rstrip('/')}/{inputs.resource_name}-{digest}/" if prefix else ""

    return Plan(
        label=f"model evaluation {inputs.resource_name}",
        endpoint=inputs.endpoint,
        data=inputs.data,
        metrics=[Metric(m.name, m.options) for m in inputs.metrics],
        primary=inputs.primary,
        # One directory per evaluation: a failed one never overwrites the report in state.
        report_dir=Path(inputs.report_dir) / digest,
        base_model=names.publisher_model(project, location, inputs.base_model)
        if inputs.base_model
        else "",
        served_endpoint=inputs.served_endpoint or "",
        checkpoints=[(c.checkpoint_id, c.endpoint) for c in inputs.checkpoints],
        model=inputs.model or "",
        min_score=dict(inputs.min_score),
        min_gain={k: dict(v) for k, v in inputs.min_gain.items()},
        concurrency=inputs.concurrency,
        max_examples=inputs.max_examples,
        upload_prefix=upload,
    )


def _outputs(outcome: Outcome, base_url: str) -> dict[str, Any]:
    from vertex_tuning import wire

    uploaded = [u for u in (outcome.report_uri, outcome.results_uri) if u.startswith("gs://")]
    if outcome.report_uri:
        uploaded.append(outcome.report_uri.rsplit("/", 1)[0] + "/" + Path(outcome.chart_path).name)
    return {
        "scores": outcome.scores,
        "checkpoint_scores": outcome.checkpoint_scores,
        "best_checkpoint_id": outcome.choice.checkpoint_id if outcome.choice else "",
        "best_checkpoint_reason": outcome.choice.reason if outcome.choice else "",
        "passed": outcome.passed,
        "checks": [c.describe() for c in outcome.checks],
        "examples": outcome.examples,
        "promoted_endpoint": outcome.promoted_endpoint,
        "promoted_endpoint_uri": wire.endpoint_uri(base_url, outcome.promoted_endpoint),
        "report_path": outcome.report_path,
        "report_uri": outcome.report_uri,
        "chart_path": outcome.chart_path,
        "results_uri": outcome.results_uri,
        "uploaded": uploaded,
    }


def _beside(uri: str) -> str | None:
    """gs://b/dir/train.jsonl -> gs://b/dir/evaluations/ (None for a Vertex AI dataset)."""
    return f"{uri.rsplit('/', 1)[0]}/evaluations/" if uri.startswith("gs://") else None


class ModelEvaluation(DynamicResource, module="vertex-tuning", name="ModelEvaluation"):
    """Fails `pulumi up` unless the tuned model meets its thresholds on the evaluation set;
    `promoted_endpoint` is set only by an evaluation that passed.

    Give `tuning_job` (its endpoint, model, checkpoints and base model are used) or `endpoint`.
    `min_score` / `min_gain` map metric names to thresholds (a number means the primary
    `metric`); with none, the evaluation only reports. `served_endpoint` is the endpoint serving
    today (e.g. a StackReference output): the model must also beat it by `min_gain`.
    """

    scores: pulumi.Output[dict[str, dict[str, float]]]
    checkpoint_scores: pulumi.Output[dict[str, dict[str, float]]]
    best_checkpoint_id: pulumi.Output[str]
    passed: pulumi.Output[bool]
    checks: pulumi.Output[list[str]]
    promoted_endpoint: pulumi.Output[str]
    promoted_endpoint_uri: pulumi.Output[str]
    report_path: pulumi.Output[str]
    report_uri: pulumi.Output[str]
    chart_path: pulumi.Output[str]
    results_uri: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        data: pulumi.Input[str],
        tuning_job: Any = None,
        endpoint: pulumi.Input[str] | None = None,
        model: pulumi.Input[str] | None = None,
        checkpoints: pulumi.Input[list[Any]] | None = None,
        select_checkpoint: bool = True,
        base_model: pulumi.Input[str] | None = None,
        compare_base: bool = True,
        served_endpoint: pulumi.Input[str] | None = None,
        metrics: pulumi.Input[list[Any]] | None = None,
        metric: pulumi.Input[str] | None = None,
        min_score: pulumi.Input[Any] | None = None,
        min_gain: pulumi.Input[Any] | None = None,
        max_examples: pulumi.Input[int] | None = None,
        concurrency: pulumi.Input[int] | None = None,
        report_dir: str | os.PathLike[str] | None = None,
        report_uri_prefix: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings_mod.refuse_plaintext_token()
        if tuning_job is not None:
            endpoint = endpoint or tuning_job.tuned_model_endpoint
            model = model or tuning_job.tuned_model_name
            if select_checkpoint and checkpoints is None:
                checkpoints = tuning_job.checkpoints
            if compare_base and base_model is None:
                base_model = tuning_job.base_model
            location = location or tuning_job.location
            local = not (isinstance(data, str) and data.startswith("gs://"))
            if local and isinstance(data, str | os.PathLike) and report_uri_prefix is None:
                # Local evaluation data: the report's copy goes beside the training data.
                report_uri_prefix = tuning_job.training_dataset_uri.apply(_beside)
        if not compare_base:
            base_model = None
        if endpoint is None:
            raise TypeError("ModelEvaluation needs `tuning_job` or `endpoint`")
        # The program's directory: the provider process may run elsewhere.
        where = Path(report_dir) if report_dir else Path("evaluation-reports") / resource_name
        inputs = {
            "endpoint": endpoint,
            "model": model if checkpoints else None,
            "checkpoints": checkpoints if select_checkpoint else None,
            "data": str(Path(data).resolve())
            if isinstance(data, str | os.PathLike) and not str(data).startswith("gs://")
            else data,
            "metrics": metrics,
            "metric": metric,
            "min_score": min_score,
            "min_gain": min_gain,
            "base_model": base_model,
            "served_endpoint": served_endpoint,
            "max_examples": max_examples,
            "concurrency": concurrency,
            "report_dir": str(where.resolve()),
            "report_uri_prefix": report_uri_prefix,
            "location": location,
            "resource_name": resource_name,
        }
        super().__init__(
            ModelEvaluationProvider(),
            resource_name,
            resource_props(inputs, ModelEvaluationOutputs),
            opts,
        )
