"""Cost before you pay, end to end: the real Pulumi engine (Automation API, file backend), the
Vertex AI emulator (its CountTokens and its bill share one tokenizer) and gcp-storage-emulator.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from conftest import LOCATION, PROJECT, Datasets
from vertex_tuning import counting

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

PROJECT_NAME = "cost-e2e"
DEMO_DATA = Path(__file__).resolve().parents[2] / "stacks" / "data" / "support-train.jsonl"
#: Every RPC that touches tuning jobs, models or endpoints: none may run at preview.
TUNING_CALLS = frozenset(
    {"CreateTuningJob", "GetTuningJob", "ListTuningJobs", "CancelTuningJob", "GetModel"}
)


def program(
    bucket: str, *, source: Path | None, job: dict[str, Any], **data: Any
) -> Callable[[], None]:
    """A TrainingDataset (unless `source` is None) feeding a TuningJob its uri and token count."""

    def run() -> None:
        import pulumi

        import vertex_tuning

        args: dict[str, Any] = {
            "base_model": "gemini-2.5-flash",
            "tuned_model_display_name": "cost-e2e",
            "poll_interval": 0.2,
            "max_poll_interval": 0.5,
            "project": PROJECT,
            "location": LOCATION,
            **job,
        }
        if source is not None:
            dataset = vertex_tuning.TrainingDataset(
                "support-data",
                source=str(source),
                bucket=bucket,
                project=PROJECT,
                base_model=args["base_model"],
                epoch_count=args.get("epoch_count"),
                **data,
            )
            args.setdefault("training_dataset_uri", dataset.uri)
            args["training_token_count"] = dataset.token_count
            pulumi.export("data_cost", dataset.estimated_cost_usd)
        tuned = vertex_tuning.TuningJob("model", **args)
        for name in (
            "estimated_billable_tokens",
            "estimated_cost_usd",
            "billed_tokens",
            "cost_usd",
            "estimate_error_percent",
            "job_name",
            "estimate",
        ):
            pulumi.export(name, getattr(tuned, name))

    return run


class Stacks:
    def __init__(
        self,
        env: dict[str, str],
        emulator: RunningEmulator,
        datasets: Datasets,
        workspace: Any,
        cache: Path,
    ) -> None:
        # A cache of this test's own: what another test counted is not this one's to find.
        self.cache = cache
        self.env = {
            **env,
            "VERTEX_API_ENDPOINT": emulator.url,
            "VERTEX_TUNING_CACHE_DIR": str(cache),
        }
        self.emulator = emulator
        self.datasets = datasets
        self.workspace = workspace

    def stack(
        self, name: str = "e2e", *, source: Path | None = DEMO_DATA, job: dict[str, Any]
    ) -> auto.Stack:
        return auto.create_or_select_stack(
            stack_name=name,
            project_name=PROJECT_NAME,
            program=program(self.datasets.bucket.name, source=source, job=job),
            opts=self.workspace(PROJECT_NAME, self.env),
        )

    def counts(self) -> dict[str, int]:
        return self.emulator.control.request_counts()


@pytest.fixture
def stacks(
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    datasets: Datasets,
    tmp_path: Path,
    host_workspace: Callable[..., auto.LocalWorkspaceOptions],
) -> Iterator[Stacks]:
    emulator.control.configure(job_seconds=1.0)
    workspace = functools.partial(host_workspace, tmp_path / "p")
    yield Stacks(pulumi_env, emulator, datasets, workspace, tmp_path / "token-counts")


def said(stack: auto.Stack, run: Callable[..., Any], **kw: Any) -> tuple[Any, str]:
    lines: list[str] = []
    result = run(on_output=lines.append, **kw)
    return result, "\n".join(lines)


def test_preview_shows_the_estimate_on_both_rows_with_no_tuning_call(stacks: Stacks) -> None:
    stack = stacks.stack(job={"epoch_count": 4})
    _, out = said(stack, stack.preview)
    # The demo data: 12,567 tokens per epoch by the emulator's CountTokens, 2 batched calls.
    line = (
        "cost estimate: 12,567 tokens/epoch (countTokens, gemini-2.5-flash) x 4 epochs = "
        "50,268 training tokens x $5.00/1M (UNCONFIRMED, 2026-03-09) = $0.25"
    )
    assert f"training dataset support-data: {line}" in out
    assert f"tuning job cost-e2e: {line}" in out
    assert stacks.counts() == {"CountTokens": 2}
    assert not TUNING_CALLS & set(stacks.counts())

    _, again = said(stack, stack.preview)
    assert "(countTokens, gemini-2.5-flash, cached)" in again
    assert stacks.counts() == {"CountTokens": 2}  # unchanged data: counted nothing again
    # The cache holds counts, never the data's text.
    cached = " ".join(p.read_text() for p in stacks.cache.rglob("*.json"))
    first = json.loads(DEMO_DATA.read_text().splitlines()[0])
    assert cached and first["contents"][0]["parts"][0]["text"] not in cached


def test_over_budget_fails_preview_naming_job_estimate_budget_and_input(stacks: Stacks) -> None:
    stacks.stack(job={"epoch_count": 10, "max_cost_usd": 1.0}).preview()  # fits; counts the data
    counted = stacks.counts()
    stack = stacks.stack(job={"epoch_count": 10, "max_cost_usd": 0.5})
    with pytest.raises(auto.CommandError) as info:
        stack.preview()
    message = " ".join(str(info.value).split())
    assert (
        "property max_cost_usd value {0.5} has a problem: tuning job cost-e2e: estimated $0.63 "
        "(125,670 training tokens = 12,567 x 10 epochs, at $5.00/1M (UNCONFIRMED, 2026-03-09)) "
        "is over max_cost_usd=$0.50; lower epoch_count"
    ) in message
    assert stacks.counts() == counted  # the guard itself calls nothing, counting included
    with pytest.raises(auto.CommandError):
        stack.up()
    assert not TUNING_CALLS & set(stacks.counts())  # nothing submitted


def test_a_finished_job_bills_its_tokens_at_the_price_within_5_percent_of_the_estimate(
    stacks: Stacks,
) -> None:
    stack = stacks.stack(job={"epoch_count": 2, "max_cost_usd": 1.0})
    outputs = {k: v.value for k, v in stack.up().outputs.items()}
    (job,) = stacks.emulator.control.jobs()
    stats = job["tuningDataStats"]["supervisedTuningDataStats"]
    billed = int(stats["totalBillableTokenCount"]) * 2
    assert outputs["billed_tokens"] == billed
    assert outputs["cost_usd"] == pytest.approx(billed * 5.00 / 1e6)
    error = outputs["estimate_error_percent"]
    assert abs(error) <= 5.0, outputs
    assert error == pytest.approx(
        100 * (outputs["estimated_billable_tokens"] - billed) / billed, abs=0.01
    )
    assert outputs["estimate"]["count"]["counted_by"] == "countTokens"
    # characters / 4, the fallback, on the same data: why it is only the fallback.
    lines = DEMO_DATA.read_bytes().splitlines()
    guess = counting.count_lines(lines, method="supervised", counter=None).billable * 2
    assert abs(100 * (guess - billed) / billed) > 5.0


def test_a_plain_gs_uri_is_counted_at_create_then_found_in_the_cache_at_preview(
    stacks: Stacks,
) -> None:
    uri = stacks.datasets.upload("plain.jsonl", DEMO_DATA.read_text())
    stack = stacks.stack(source=None, job={"training_dataset_uri": uri, "epoch_count": 1})
    _, out = said(stack, stack.preview)
    assert "cost estimate at create: the training data's tokens are not known" in out
    assert stacks.counts() == {}
    result, up = said(stack, stack.up)
    assert "cost estimate: 12,567 tokens/epoch (countTokens, gemini-2.5-flash) x 1 epoch" in up
    assert result.outputs["estimated_billable_tokens"].value == 12_567
    assert result.outputs["estimate_error_percent"].value == 0.0

    other = stacks.stack("other", source=None, job={"training_dataset_uri": uri, "epoch_count": 1})
    before = stacks.counts()
    _, out = said(other, other.preview)
    assert "12,567 tokens/epoch (countTokens, gemini-2.5-flash, cached)" in out
    assert stacks.counts() == before
