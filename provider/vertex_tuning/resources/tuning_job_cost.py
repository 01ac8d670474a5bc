"""TuningJob's cost: the estimate and the budget guard at check, the count of a gs:// object at
create (before anything is submitted), and the bill in the outputs once the job has run.

How the estimate reaches `pulumi preview`: the engine previews a create with the outputs of
every resource unknown except what its check returned, so the TrainingDataset's check counts
its data (`token_count`, a checked input) and the TuningJob takes that as its input
`training_token_count`; its own check then prices it and stores the estimate as checked inputs
(`estimate`, `estimated_billable_tokens`, `estimated_cost_usd`). For a plain gs:// URI, check
looks for the object's count in the local cache (counting.Cache, by URI) and otherwise leaves
the count to create, which reads the object before it submits. Neither calls a tuning API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from vertex_tuning import cost, counting, prices
from vertex_tuning.resources.base import Failure, differs, is_unknown, say

if TYPE_CHECKING:
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs
    from vertex_tuning.settings import ConfigGet, Settings

#: Inputs the estimate follows from: while one is unknown, check makes none.
_FROM = ("base_model", "method", "epoch_count", "training_token_count", "max_cost_usd")


def at_check(
    olds: Mapping[str, Any],
    checked: Mapping[str, Any],
    config_get: ConfigGet,
    replaced_by: frozenset[str],
) -> tuple[dict[str, Any], list[Failure]]:
    """(the estimate's inputs, the budget's failure) for checked inputs; said on the row."""
    if any(is_unknown(checked.get(k)) for k in _FROM):
        return {}, []
    label = f"tuning job {_name(checked)}"
    try:
        negotiated = prices.overrides(config_get(prices.PRICES_KEY))
    except prices.PricesInvalid as exc:
        return {}, [Failure("base_model", str(exc))]
    counted = counting.TokenCount.from_json(checked.get("training_token_count"))
    if counted is None:
        counted = _cached(checked, config_get)
    if counted is None:
        # Not "tuning job X: ...": lines so named are the job's progress, said while it runs.
        say(
            "cost estimate at create: the training data's tokens are not known before it is "
            "read (pass training_token_count=<TrainingDataset>.token_count to see them here)"
        )
        return {}, []
    found = _estimate(counted, checked, negotiated)
    say(f"{label}: {found.line()}")
    budget = checked.get("max_cost_usd")
    failures = []
    if budget is not None and _new_job(olds, checked, replaced_by):
        reason = cost.over_budget(found, float(budget), label)
        if reason is not None:
            failures.append(Failure("max_cost_usd", reason))
    return derived(found), failures


def derived(found: cost.Estimate) -> dict[str, Any]:
    """The checked inputs an estimate is stored as."""
    return {
        "estimate": found.to_json(),
        "estimated_billable_tokens": found.billable_tokens,
        "estimated_cost_usd": found.cost_usd,
    }


def _estimate(
    counted: counting.TokenCount, values: Mapping[str, Any], negotiated: prices.Overrides
) -> cost.Estimate:
    epochs = values.get("epoch_count")
    return cost.estimate(
        counted,
        model=str(values["base_model"]),
        epochs=int(epochs) if epochs else None,
        negotiated=negotiated,
    )


def _name(values: Mapping[str, Any]) -> str:
    """The job as its progress lines name it; the resource's name while that is unknown."""
    name = values.get("tuned_model_display_name")
    if isinstance(name, str) and name and not is_unknown(name):
        return name
    key = values.get("resource_key")
    return str(key).rsplit("::", 1)[-1] if isinstance(key, str) and key else "(unnamed)"


def _new_job(olds: Mapping[str, Any], news: Mapping[str, Any], replaced_by: frozenset[str]) -> bool:
    """Whether these inputs submit a job: a create, or a change that replaces one. A job
    already paid for is never held to a budget set later."""
    return not olds or any(differs(olds.get(k), news.get(k)) for k in replaced_by)


def _cached(values: Mapping[str, Any], config_get: ConfigGet) -> counting.TokenCount | None:
    """A gs:// training object's count from the local cache (no call of any kind)."""
    from vertex_tuning import settings as settings_mod

    uri = values.get("training_dataset_uri")
    model, why = counting.countable_model(str(values.get("base_model") or ""))
    if not isinstance(uri, str) or not uri.startswith("gs://") or why:
        return None
    endpoint = settings_mod.resolve(config_get).base_url(str(values.get("location") or ""))
    method: counting.Method = "preference" if values.get("method") == "preference" else "supervised"
    found = counting.Cache().get_uri(uri, model, method, endpoint)
    return found[1] if found is not None else None


class OverBudget(Exception):
    """The estimate at create is over max_cost_usd: nothing was submitted."""


def before_submit(
    settings: Settings, inputs: TuningJobInputs, config_get: ConfigGet, found: dict[str, Any]
) -> Callable[[], None]:
    """The check create runs before it submits: count a gs:// object the preview could not,
    and hold the estimate to max_cost_usd. Fills `found` with the estimate's inputs."""

    def check() -> None:
        label = f"tuning job {inputs.tuned_model_display_name}"
        estimate = cost_estimate(inputs)
        if estimate is None and (inputs.validate_data or inputs.max_cost_usd is not None):
            # The data is read anyway (validate_data), or the budget needs it read.
            counted = _count_object(settings, inputs)
            if counted is None:
                return
            estimate = _estimate(
                counted,
                inputs.model_dump(mode="json"),
                prices.overrides(config_get(prices.PRICES_KEY)),
            )
            say(f"{label}: {estimate.line()}")
            found.update(derived(estimate))
        if inputs.max_cost_usd is not None and estimate is not None:
            reason = cost.over_budget(estimate, inputs.max_cost_usd, label)
            if reason is not None:
                raise OverBudget(f"{reason}; no tuning job was submitted")

    return check


def cost_estimate(inputs: TuningJobInputs) -> cost.Estimate | None:
    """The estimate check stored, rebuilt (None when there was none)."""
    stored = inputs.estimate or {}
    counted = counting.TokenCount.from_json(stored.get("count"))
    if counted is None:
        return None
    return cost.Estimate(
        counted,
        int(stored["epochs"]),
        bool(stored["epochs_assumed"]),
        inputs.base_model,
        cost.price_from_json(stored.get("price")),
    )


def _count_object(settings: Settings, inputs: TuningJobInputs) -> counting.TokenCount | None:
    """Count the training object (countTokens, cached by URI and MD5), or None for a Vertex
    AI dataset, which only the service reads."""
    from vertex_tuning import gcs

    uri = inputs.training_dataset_uri
    if not uri.startswith("gs://"):
        return None
    service = counting.Service(settings, inputs.project, inputs.location)
    model, why = counting.countable_model(inputs.base_model)
    storage = gcs.client(settings, inputs.project)
    md5 = gcs.checksum(storage, uri) or ""
    cache = counting.Cache()
    cached = cache.get_uri(uri, model, inputs.method, service.endpoint) if model else None
    if cached is not None and cached[0] == md5:
        return cached[1]
    with gcs.open_lines(storage, uri) as lines:
        counted = counting.count_lines(
            lines,
            method=inputs.method,
            counter=service.counter(model) if model else None,
            model=model,
            why=why,
        )
    cache.put_uri(uri, md5, counted, service.endpoint)
    return counted


def bill(props: Mapping[str, Any], job: Any) -> dict[str, Any]:
    """`billed_tokens`, `cost_usd` and `estimate_error_percent` of a job that has run, from
    its `totalBillableTokenCount`, the epochs it ran and the estimate's price ({} before)."""
    stored = props.get("estimate") if isinstance(props.get("estimate"), dict) else {}
    price = cost.price_from_json((stored or {}).get("price"))
    if price is None:
        price = prices.price(job.base_model, job.method)
    found = cost.bill(job.data_stats, job.epoch_count or job.completed_epochs, price)
    if found is None:
        return {}
    estimated = props.get("estimated_billable_tokens")
    return {
        "billed_tokens": found.billable_tokens,
        "cost_usd": found.cost_usd,
        "estimate_error_percent": found.error_percent(
            int(estimated) if isinstance(estimated, int | float) else None
        ),
    }
