"""The gate's arithmetic: absolute minimums, gains over each comparison, and the best checkpoint.

Pure functions of scores (means over the examples, every metric higher-is-better). Scores and
thresholds are compared at 6 decimals, so a gain of exactly `min_gain` passes whatever the float
error of the subtraction (the service returns float32 scores, about 7 significant digits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PRECISION = 6
#: Scores by candidate (or checkpoint), then by metric.
Scores = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Check:
    """One threshold applied: `min_score` of a metric, or `min_gain` over one comparison."""

    metric: str
    rule: str  # "min_score" or "min_gain"
    required: float
    actual: float  # the score (min_score) or the gain (min_gain)
    against: str = ""  # the comparison a gain is over

    @property
    def passed(self) -> bool:
        return round(self.actual, PRECISION) >= round(self.required, PRECISION)

    def describe(self) -> str:
        """ "rouge_l gain over base +0.0120 < min_gain +0.0500" ("PASS"/"FAIL" is the caller's)."""
        sign = ">=" if self.passed else "<"
        if self.rule == "min_score":
            return f"{self.metric} {self.actual:.4f} {sign} min_score {self.required:.4f}"
        return (
            f"{self.metric} gain over {self.against} {self.actual:+.4f} {sign} "
            f"min_gain {self.required:+.4f}"
        )


def checks(
    scores: Scores,
    candidate: str,
    *,
    min_score: Mapping[str, float],
    min_gain: Mapping[str, Mapping[str, float]],
) -> list[Check]:
    """Every threshold applied to `candidate`: each min_score, and each min_gain over each
    comparison (by name, then metric) that was evaluated; one not in `scores` has no check."""
    mine = scores[candidate]
    found = [Check(m, "min_score", required, mine[m]) for m, required in min_score.items()]
    for other, gains in min_gain.items():
        if other not in scores:
            continue
        for metric, required in gains.items():
            gain = mine[metric] - scores[other][metric]
            found.append(Check(metric, "min_gain", required, gain, other))
    return found


def passed(found: Sequence[Check]) -> bool:
    return all(c.passed for c in found)


@dataclass(frozen=True)
class Choice:
    """The checkpoint to serve, and why."""

    checkpoint_id: str
    score: float
    reason: str


def best_checkpoint(metric: str, scores: Sequence[tuple[str, float]]) -> Choice:
    """The checkpoint with the highest `metric` among (id, score) in training order; a tie goes
    to the earlier checkpoint (less overfitting)."""
    if not scores:
        raise ValueError("no checkpoints to choose from")
    best_id, best = scores[0]
    for checkpoint_id, score in scores[1:]:
        if round(score, PRECISION) > round(best, PRECISION):
            best_id, best = checkpoint_id, score
    tied = [c for c, s in scores if c != best_id and round(s, PRECISION) == round(best, PRECISION)]
    reason = (
        f"checkpoint {best_id} has the highest {metric} ({best:.4f}) of {len(scores)} checkpoints"
    )
    if tied:
        reason += f"; tied with {', '.join(tied)}, the earlier wins (less overfitting)"
    return Choice(best_id, best, reason)
