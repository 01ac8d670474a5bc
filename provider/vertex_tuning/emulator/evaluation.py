"""Integrated evaluation (`evaluationConfig` of a tuning spec): one evaluation run per checkpoint.

The values are emulated, deterministically: every checkpoint answers each validation prompt (the
training data when there is none) by the answer rule of checkpoints.py, and each answer scores
its similarity to the reference answer (answers.similarity, 0..1). Pointwise (autorater)
metrics report that as 1 + 4 x similarity (the autorater's 1-5 scale); exact match 1 or 0;
BLEU, ROUGE and other computed metrics the similarity itself. Each metric is aggregated as its
`aggregationMetrics` ask (AVERAGE and STANDARD_DEVIATION when none are given). So a later
checkpoint never scores worse, and the final checkpoint scores best. The gs:// URIs are where
the service would write; the emulator writes nothing there.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vertex_tuning.emulator.answers import similarity

Json = dict[str, Any]
#: Answers `prompt` as the checkpoint with this share of training would.
Answerer = Callable[[str, float], str]

DEFAULT_AGGREGATIONS = ("AVERAGE", "STANDARD_DEVIATION")
_VALUE_FIELDS = {
    "pointwiseMetricSpec": "pointwiseMetricResult",
    "llmBasedMetricSpec": "pointwiseMetricResult",
    "predefinedMetricSpec": "pointwiseMetricResult",
    "exactMatchSpec": "exactMatchMetricValue",
    "bleuSpec": "bleuMetricValue",
    "rougeSpec": "rougeMetricValue",
    "customCodeExecutionSpec": "customCodeExecutionResult",
}


def output_prefix(config: Mapping[str, Any]) -> str:
    return str(
        ((config.get("outputConfig") or {}).get("gcsDestination") or {}).get("outputUriPrefix", "")
    )


def metrics_uri(config: Mapping[str, Any], job_id: str) -> str:
    """The TuningJob's gcsMetricsUri for an evaluated job."""
    return f"{output_prefix(config).rstrip('/')}/tuning_job_{job_id}/metrics"


def runs(
    config: Mapping[str, Any],
    checkpoints: Sequence[Mapping[str, Any]],
    references: Sequence[Sequence[str]],
    answer: Answerer,
    *,
    parent: str,
    job_id: str,
    new_id: Callable[[], str],
) -> list[Json]:
    """EvaluateDatasetRun JSON per checkpoint, in checkpoint order."""
    prefix = output_prefix(config).rstrip("/")
    results = []
    for checkpoint in checkpoints:
        share = float(checkpoint["share"])
        similarities = [
            similarity(answer(prompt, share), reference) for prompt, reference in references
        ]
        exact = [float(answer(p, share).strip() == r.strip()) for p, r in references]
        aggregation_results = []
        for metric in config.get("metrics") or []:
            aggregation_results += _aggregate(metric, similarities, exact)
        checkpoint_id = str(checkpoint["checkpointId"])
        results.append(
            {
                "checkpointId": checkpoint_id,
                "evaluationRun": f"{parent}/evaluationRuns/{new_id()}",
                "evaluateDatasetResponse": {
                    "aggregationOutput": {"aggregationResults": aggregation_results},
                    "outputInfo": {
                        "gcsOutputDirectory": f"{prefix}/tuning_job_{job_id}/checkpoint_{checkpoint_id}"
                    },
                },
            }
        )
    return results


def _aggregate(
    metric: Mapping[str, Any], similarities: list[float], exact: list[float]
) -> list[Json]:
    spec = next((key for key in _VALUE_FIELDS if key in metric), "")
    value_field = _VALUE_FIELDS.get(spec, "pointwiseMetricResult")
    if spec == "exactMatchSpec":
        scores = exact
    elif value_field == "pointwiseMetricResult":
        scores = [1 + 4 * s for s in similarities]
    else:
        scores = similarities
    aggregations = metric.get("aggregationMetrics") or DEFAULT_AGGREGATIONS
    return [
        {"aggregationMetric": name, value_field: {"score": round(_statistic(name, scores), 6)}}
        for name in aggregations
    ]


_STATISTICS: dict[str, Callable[[Sequence[float]], float]] = {
    "AVERAGE": statistics.fmean,
    "MODE": statistics.mode,
    "STANDARD_DEVIATION": statistics.pstdev,
    "VARIANCE": statistics.pvariance,
    "MINIMUM": min,
    "MAXIMUM": max,
    "MEDIAN": statistics.median,
}
_PERCENTILES = {"PERCENTILE_P90": 90, "PERCENTILE_P95": 95, "PERCENTILE_P99": 99}


def _statistic(name: str, scores: Sequence[float]) -> float:
    if not scores:
        return 0.0
    ordered = sorted(scores)
    if name in _PERCENTILES:
        rank = math.ceil(_PERCENTILES[name] / 100 * len(ordered))
        return ordered[min(len(ordered), max(rank, 1)) - 1]
    return float(_STATISTICS.get(name, statistics.fmean)(ordered))
