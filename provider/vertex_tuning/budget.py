"""A budget for a whole stack: the sum of its TuningJobs' estimates, held at `pulumi preview`.

Each job's estimate is a checked input (see resources/tuning_job_cost.py), so the engine hands
it to the program at preview, before anything runs: the sum is known, and a program error then
fails the preview, naming every job's share. Hold each job to the budget as well
(`max_cost_usd`): a job whose tokens are only counted at create (a gs:// object nobody counted
yet) is then still stopped before it is submitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi


def over(
    limit_usd: float,
    costs: Mapping[str, float | None],
    setting: str,
    lower: str = "their epochs or data",
) -> str | None:
    """Why these jobs' estimates break a stack budget of `limit_usd` (None: they fit);
    `setting` names the budget's config key, `lower` what else to change."""
    unpriced = sorted(name for name, usd in costs.items() if usd is None)
    total = sum(usd for usd in costs.values() if usd is not None)
    shares = ", ".join(
        f"{name} ${usd:,.2f}" if usd is not None else f"{name} (price unknown)"
        for name, usd in sorted(costs.items(), key=lambda item: -(item[1] or 0))
    )
    if unpriced:
        return (
            f"stack budget {setting}=${limit_usd:,.2f} cannot be held: no price for "
            f"{', '.join(unpriced)} ({shares}); set vertex-tuning:prices for its model"
        )
    if total <= limit_usd:
        return None
    return (
        f"stack budget {setting}=${limit_usd:,.2f} is lower than the estimated ${total:,.2f} "
        f"of its tuning jobs ({shares}); raise {setting}, or lower {lower}"
    )


def hold_budget(
    limit_usd: float,
    jobs: Mapping[str, Any],
    setting: str,
    lower: str = "their epochs or data",
) -> pulumi.Output[float]:
    """The stack's estimated total; fails the preview when over `limit_usd`.

    `jobs` maps a name to a TuningJob (anything with an `estimated_cost_usd` output). While an
    estimate is unknown (its data counted only at create), the sum waits for it.
    """
    names = list(jobs)

    def check(costs: list[Any]) -> float:
        by_name = {
            name: float(usd) if isinstance(usd, int | float) else None
            for name, usd in zip(names, costs, strict=True)
        }
        reason = over(limit_usd, by_name, setting, lower)
        if reason is not None:
            raise pulumi.RunError(reason)
        return sum(usd for usd in by_name.values() if usd is not None)

    return pulumi.Output.all(*(jobs[n].estimated_cost_usd for n in names)).apply(check)
