"""Cost before you pay: the emulator's tokenizer, counting (batches, fallback, cache), prices,
the estimate, the budget guards, the bill, and the `cost` and `jobs get` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dill
import pytest
from click.testing import CliRunner
from pulumi.dynamic import Config, ConfigureRequest

from conftest import LOCATION, PROJECT, SUPPORT_EXAMPLES, Datasets
from vertex_tuning import budget, cost, counting, prices
from vertex_tuning.cli import main
from vertex_tuning.emulator import tokens
from vertex_tuning.errors import ApiError
from vertex_tuning.resources.tuning_job import TuningJobProvider
from vertex_tuning.settings import Settings

DEMO_DATA = Path(__file__).resolve().parents[1] / "stacks" / "data" / "support-train.jsonl"


def example(prompt: str, answer: str, system: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "contents": [
            {"role": "user", "parts": [{"text": prompt}]},
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }
    if system is not None:
        found["systemInstruction"] = {"parts": [{"text": system}]}
    return found


def preference(prompt: str, good: str, bad: str, system: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "completions": [
            {"score": 1, "completion": {"role": "model", "parts": [{"text": good}]}},
            {"score": 0, "completion": {"role": "model", "parts": [{"text": bad}]}},
        ],
    }
    if system:
        found["system_instruction"] = {"parts": [{"text": system}]}
    return found


def lines(examples: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(e).encode() for e in examples]


# --- the emulator's tokenizer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 1),
        ("hello world", 2),  # " world" carries its space
        ("internationalization", 2),  # 20 letters: one token per started 10
        ("1-800-555-0142", 14),  # every digit, every dash
        ("Hi!", 2),
        ("a\n\nb", 4),  # a newline each
        ("  x", 2),  # two spaces, then x
        ("日本語", 3),  # one per ideograph
        ("naïve café", 2),
    ],
)
def test_the_emulator_tokenizer_counts_as_its_docstring_says(text: str, expected: int) -> None:
    assert tokens.count(text) == expected


def test_english_prose_comes_out_near_four_characters_a_token() -> None:
    text = " ".join(
        "".join(p["text"] for p in c["parts"])
        for line in DEMO_DATA.read_text().splitlines()
        for c in json.loads(line)["contents"]
    )
    assert 3.8 <= len(text) / tokens.count(text) <= 4.6


def test_count_tokens_answers_by_modality_and_counts_the_system_instruction() -> None:
    answer = tokens.count_tokens(
        {
            "contents": [
                {
                    "role": "user",
                    "parts": [
                        {"text": "Describe"},
                        {"fileData": {"mimeType": "image/png", "fileUri": "gs://b/x.png"}},
                    ],
                }
            ],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
        }
    )
    assert answer["totalTokens"] == 1 + tokens.MEDIA_TOKENS + 3
    assert answer["promptTokensDetails"] == [
        {"modality": "IMAGE", "tokenCount": tokens.MEDIA_TOKENS},
        {"modality": "TEXT", "tokenCount": 4},
    ]
    assert answer["totalBillableCharacters"] == len("Describe") + len("Bebrief.")  # no spaces


# --- what an example bills -------------------------------------------------------------------


def test_supervised_halves_are_system_and_user_turns_then_model_turns() -> None:
    inputs, outputs = counting.halves(example("Q?", "A.", system="S."), "supervised")
    assert [c["parts"][0]["text"] for c in inputs] == ["S.", "Q?"]
    assert [c["parts"][0]["text"] for c in outputs] == ["A."]


def test_preference_halves_are_the_prompt_then_both_completions() -> None:
    inputs, outputs = counting.halves(preference("Q?", "good", "bad", system="S."), "preference")
    assert [c["parts"][0]["text"] for c in inputs] == ["S.", "Q?"]
    assert [c["parts"][0]["text"] for c in outputs] == ["good", "bad"]


class FakeCounter:
    """countTokens by the emulator's tokenizer, recording each batch; fails on call `fail_at`."""

    def __init__(self, fail_at: int | None = None, error: Exception | None = None) -> None:
        self.batches: list[int] = []
        self.fail_at = fail_at
        self.error = error or ApiError("counting tokens", "m", "UNAVAILABLE", "down")

    def __call__(self, contents: list[dict[str, Any]]) -> int:
        self.batches.append(len(contents))
        if self.fail_at is not None and len(self.batches) > self.fail_at:
            raise self.error
        return int(tokens.count_tokens({"contents": contents})["totalTokens"])


def test_counting_batches_many_examples_per_call_and_sums_what_the_service_bills(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(counting, "MAX_CONTENTS_PER_CALL", 10)
    data = [example(f"Question {i}?", f"Answer {i}.", system="Be kind.") for i in range(25)]
    counter = FakeCounter()
    found = counting.count_lines(lines(data), method="supervised", counter=counter, model="m")
    # 50 input Contents (system + user) and 25 output Contents, at most 10 a call.
    assert sorted(counter.batches) == sorted([10] * 5 + [10, 10, 5])
    assert found.calls == 8 and found.examples == 25 and found.exact
    per_example = sum(
        tokens.content_tokens(c) for c in [{"parts": [{"text": t}]} for t in ("Be kind.",)]
    )
    assert found.input_tokens == sum(
        per_example + tokens.count(f"Question {i}?") for i in range(25)
    )
    assert found.billable == found.input_tokens + found.output_tokens


def test_preference_bills_the_prompt_twice() -> None:
    found = counting.count_lines(
        lines([preference("Which fruit?", "Apple!", "Pears are fine.")]),
        method="preference",
        counter=FakeCounter(),
        model="m",
    )
    assert (found.input_tokens, found.output_tokens) == (3, 2 + 4)
    assert found.billable == 2 * 3 + 6


def test_a_failing_count_falls_back_to_characters_and_says_why() -> None:
    data = [example("Q" * 40, "A" * 80)] * 3
    found = counting.count_lines(
        lines(data), method="supervised", counter=FakeCounter(fail_at=0), model="m"
    )
    assert not found.exact and found.counted_by == "characters/4"
    assert (found.input_tokens, found.output_tokens) == (30, 60)
    assert found.label() == "characters/4 estimate: countTokens failed: UNAVAILABLE: down"


def test_a_bug_in_the_counter_is_not_hidden_as_a_fallback() -> None:
    with pytest.raises(KeyError):
        counting.count_lines(
            lines([example("Q", "A")]),
            method="supervised",
            counter=FakeCounter(fail_at=0, error=KeyError("bug")),
        )


def test_lines_that_are_not_examples_are_skipped() -> None:
    found = counting.count_lines(
        [b"", b"not json", b"[1]", json.dumps(example("Q", "A")).encode()],
        method="supervised",
        counter=None,
        why="offline",
    )
    assert found.examples == 1 and found.why == "offline"


def test_a_tuned_model_as_base_is_estimated_and_says_why() -> None:
    found = counting.count(
        lambda: lines([example("Q", "A")]),
        key=None,
        method="supervised",
        model="projects/p/locations/us-central1/models/7",
        service=counting.Service(Settings(api_endpoint="http://127.0.0.1:1"), "p", "l"),
    )
    assert found.why.startswith("continuous tuning")


# --- the cache ---------------------------------------------------------------------------------


def test_counts_are_cached_by_content_model_split_and_endpoint(
    emulator: Any, tmp_path: Path
) -> None:
    cache = counting.Cache(tmp_path)
    service = counting.Service(Settings(api_endpoint=emulator.url), PROJECT, LOCATION)
    data = counting.file_lines(DEMO_DATA)

    def count(key: dict[str, Any], model: str = "gemini-2.5-flash") -> counting.TokenCount:
        return counting.count(
            data, key=key, method="supervised", model=model, service=service, cache=cache
        )

    first = count(counting.key_for("a" * 64))
    assert first.exact and not first.cached and first.billable == 12_567
    calls = emulator.control.request_counts()["CountTokens"]
    again = count(counting.key_for("a" * 64))
    assert again.cached and again.billable == first.billable
    assert emulator.control.request_counts()["CountTokens"] == calls  # a hit calls nothing
    count(counting.key_for("a" * 64, 0.1))
    count(counting.key_for("b" * 64))
    count(counting.key_for("a" * 64), model="gemini-2.5-pro")
    assert emulator.control.request_counts()["CountTokens"] == calls + 3 * first.calls


def test_an_unreadable_entry_is_a_miss_and_fallbacks_are_never_cached(tmp_path: Path) -> None:
    cache = counting.Cache(tmp_path)
    guess = counting.count_lines(lines([example("Q", "A")]), method="supervised", counter=None)
    cache.put_uri("gs://b/o.jsonl", "md5", guess, "e")
    assert cache.get_uri("gs://b/o.jsonl", "", "supervised", "e") is None
    (tmp_path / "k.json").write_text("{not json")
    assert cache.get("k") is None
    assert counting.Cache(tmp_path / "no" / "such" / "dir").get("k") is None


def test_the_cache_dir_is_the_env_or_the_users_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_TUNING_CACHE_DIR", "/x/y")
    assert counting.cache_dir() == Path("/x/y")
    monkeypatch.delenv("VERTEX_TUNING_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/c")
    assert counting.cache_dir() == Path("/c/vertex-tuning/token-counts")


# --- prices ------------------------------------------------------------------------------------


def test_every_figure_is_dated_sourced_and_says_whether_it_is_confirmed() -> None:
    for (model, method), found in prices.PRICES.items():
        assert method in ("supervised", "preference"), model
        assert found.source.startswith("https://") and found.as_of
        assert found.confirmed is False and "UNCONFIRMED" in found.label()
    assert (
        prices.price("gemini-2.5-flash", "supervised")
        == prices.PRICES["gemini-2.5-flash", "supervised"]
    )
    assert prices.price("publishers/google/models/gemini-2.5-pro", "supervised") is not None
    assert prices.price("gemini-3.5-flash", "supervised") is None  # no figure anywhere
    assert prices.price("gemini-2.5-pro", "preference") is None  # not tunable so


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        (
            {"gemini-2.5-flash": 4.2},
            {("gemini-2.5-flash", m): 4.2 for m in ("supervised", "preference")},
        ),
        ('{"gemini-2.5-flash": {"preference": "3"}}', {("gemini-2.5-flash", "preference"): 3.0}),
    ],
)
def test_stack_config_prices_override_the_table(raw: Any, expected: dict[Any, float]) -> None:
    assert prices.overrides(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[1", "vertex-tuning:prices is not JSON"),
        ([1], "must map model names"),
        ({"m": -1}, "vertex-tuning:prices.m: -1 must be a non-negative number"),
        ({"m": {"distillation": 1}}, "vertex-tuning:prices.m.distillation: methods are"),
        ({"m": True}, "True is not a number"),
    ],
)
def test_bad_price_config_names_the_key_and_the_rule(raw: Any, message: str) -> None:
    with pytest.raises(prices.PricesInvalid, match=message.replace("(", r"\(")):
        prices.overrides(raw)


def test_a_negotiated_price_is_labelled_as_the_stack_configs() -> None:
    found = prices.price("gemini-2.5-flash", "supervised", {("gemini-2.5-flash", "supervised"): 4})
    assert found is not None and found.label() == "$4.00/1M (vertex-tuning:prices)"


# --- the estimate, the guard, the bill ---------------------------------------------------------

COUNT = counting.TokenCount(1_000, 9_000, 10, "supervised", "countTokens", "gemini-2.5-flash")


def test_the_estimate_is_tokens_times_epochs_times_the_price() -> None:
    found = cost.estimate(COUNT, model="gemini-2.5-flash", epochs=4)
    assert (found.billable_tokens, found.cost_usd) == (40_000, 0.2)
    assert found.line() == (
        "cost estimate: 10,000 tokens/epoch (countTokens, gemini-2.5-flash) x 4 epochs = "
        "40,000 training tokens x $5.00/1M (UNCONFIRMED, 2026-03-09) = $0.20"
    )


def test_an_unset_epoch_count_is_an_assumption_said_as_such() -> None:
    found = cost.estimate(COUNT, model="gemini-2.5-flash", epochs=None)
    assert found.epochs == cost.ASSUMED_EPOCHS and found.epochs_assumed
    assert "(assumed: epoch_count is unset and Google documents no default" in found.line()


def test_an_unknown_price_gives_tokens_and_says_so() -> None:
    found = cost.estimate(COUNT, model="gemini-3.5-flash", epochs=1)
    assert found.cost_usd is None
    assert found.line().endswith(
        "= 10,000 training tokens; price unknown: no figure for gemini-3.5-flash (supervised) "
        "in the price table of 2026-12-01; set vertex-tuning:prices to price it"
    )


def test_the_guard_names_job_estimate_budget_and_what_to_change() -> None:
    found = cost.estimate(COUNT, model="gemini-2.5-flash", epochs=10)
    assert cost.over_budget(found, 0.5, "tuning job j") is None
    assert cost.over_budget(found, 0.49, "tuning job j") == (
        "tuning job j: estimated $0.50 (100,000 training tokens = 10,000 x 10 epochs, at "
        "$5.00/1M (UNCONFIRMED, 2026-03-09)) is over max_cost_usd=$0.49; lower epoch_count, "
        "train on less data or a cheaper base_model, or raise max_cost_usd"
    )
    unpriced = cost.estimate(COUNT, model="gemini-3.5-flash", epochs=1)
    assert "has no known price" in str(cost.over_budget(unpriced, 100, "tuning job j"))


def test_the_bill_is_the_jobs_billable_tokens_times_epochs_and_the_error_is_signed() -> None:
    price = prices.price("gemini-2.5-flash", "supervised")
    found = cost.bill({"total_billable_token_count": 10_000}, 3, price)
    assert found is not None and (found.billable_tokens, found.cost_usd) == (30_000, 0.15)
    assert found.error_percent(31_500) == 5.0 and found.error_percent(27_000) == -10.0
    assert (
        cost.bill({}, 3, price) is None
        and cost.bill({"total_billable_token_count": 1}, None, price) is None
    )


def test_a_stack_budget_names_each_jobs_share() -> None:
    assert budget.over(1.0, {"a": 0.4, "b": 0.5}, "vertex-tuning:budgetUsd") is None
    assert budget.over(0.8, {"a": 0.4, "b": 0.5}, "vertex-tuning:budgetUsd") == (
        "stack budget vertex-tuning:budgetUsd=$0.80 is lower than the estimated $0.90 of its "
        "tuning jobs (b $0.50, a $0.40); raise vertex-tuning:budgetUsd, or lower their epochs or "
        "data"
    )
    assert "no price for b" in str(budget.over(5, {"a": 0.4, "b": None}, "k"))


# --- TuningJob's check -------------------------------------------------------------------------

NEWS = {
    "base_model": "gemini-2.5-flash",
    "training_dataset_uri": "gs://bucket/train.jsonl",
    "tuned_model_display_name": "support-v1",
    "project": "my-project",
    "location": "us-central1",
    "epoch_count": 10,
    "training_token_count": COUNT.to_json(),
    "resource_key": "urn:pulumi:dev::p::t::support",
    "__provider": "x",
}


def job_provider(config: dict[str, Any] | None = None) -> TuningJobProvider:
    p: TuningJobProvider = dill.loads(dill.dumps(TuningJobProvider()))
    p.configure(ConfigureRequest(Config(config or {}, "project")))
    return p


def test_check_stores_the_estimate_and_says_it_on_the_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = job_provider().check({}, NEWS)
    assert result.failures == []
    assert result.inputs["estimated_billable_tokens"] == 100_000
    assert result.inputs["estimated_cost_usd"] == 0.5
    assert result.inputs["estimate"]["price"]["confirmed"] is False
    assert capsys.readouterr().out.startswith("tuning job support-v1: cost estimate: 10,000 tokens")
    assert job_provider().check(result.inputs, NEWS).inputs is result.inputs  # stamped


def test_check_fails_a_new_job_over_max_cost_usd(capsys: pytest.CaptureFixture[str]) -> None:
    result = job_provider().check({}, {**NEWS, "max_cost_usd": 0.25})
    [failure] = result.failures
    assert failure.property == "max_cost_usd"
    assert failure.reason.startswith("tuning job support-v1: estimated $0.50 (100,000 training")


def test_a_budget_set_after_the_job_ran_holds_no_job_back() -> None:
    created = job_provider().check({}, NEWS).inputs
    lowered = job_provider().check(created, {**NEWS, "max_cost_usd": 0.25})
    assert lowered.failures == []  # the same spec: already paid for, nothing new submitted
    replaced = job_provider().check(created, {**NEWS, "max_cost_usd": 0.25, "epoch_count": 12})
    assert [f.property for f in replaced.failures] == ["max_cost_usd"]


def test_negotiated_prices_come_from_stack_config_and_bad_ones_fail_check() -> None:
    p = job_provider({"vertex-tuning:prices": '{"gemini-2.5-flash": 1}'})
    assert p.check({}, NEWS).inputs["estimated_cost_usd"] == 0.1
    bad = job_provider({"vertex-tuning:prices": '{"gemini-2.5-flash": "free"}'}).check({}, NEWS)
    assert [(f.property, f.reason) for f in bad.failures] == [
        (
            "base_model",
            "vertex-tuning:prices.gemini-2.5-flash: 'free' is not a number of US dollars per 1M "
            "tokens",
        )
    ]


def test_a_plain_uri_without_a_cached_count_is_left_to_create(
    capsys: pytest.CaptureFixture[str],
) -> None:
    news = {k: v for k, v in NEWS.items() if k != "training_token_count"}
    result = job_provider().check({}, {**news, "max_cost_usd": 0.01})
    assert result.failures == [] and "estimate" not in result.inputs
    assert capsys.readouterr().out.startswith("cost estimate at create: ")


def test_the_bill_in_the_outputs_uses_the_estimates_price() -> None:
    from vertex_tuning import wire
    from vertex_tuning.resources import tuning_job_cost

    checked = job_provider({"vertex-tuning:prices": '{"gemini-2.5-flash": 2}'}).check({}, NEWS)
    job = wire.job_from_api(
        {
            "name": "projects/1/locations/l/tuningJobs/2",
            "state": "JOB_STATE_SUCCEEDED",
            "baseModel": "gemini-2.5-flash",
            "supervisedTuningSpec": {"hyperParameters": {"epochCount": "10"}},
            "tuningDataStats": {"supervisedTuningDataStats": {"totalBillableTokenCount": "10500"}},
        }
    )
    assert tuning_job_cost.bill(checked.inputs, job) == {
        "billed_tokens": 105_000,
        "cost_usd": 0.21,
        "estimate_error_percent": -4.76,
    }


# --- the commands ------------------------------------------------------------------------------


def test_cost_prints_tokens_epochs_price_and_total(emulator: Any, tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in SUPPORT_EXAMPLES))
    args = ["--project", PROJECT, "--api-endpoint", emulator.url, "cost", str(path)]
    done = CliRunner().invoke(main, [*args, "--model", "gemini-2.5-flash-lite", "--epochs", "2"])
    assert done.exit_code == 0, done.output
    assert "supervised tuning of gemini-2.5-flash-lite" in done.output
    assert "; countTokens, gemini-2.5-flash-lite" in done.output
    assert "cost       $0.000153" in done.output  # 102 tokens: cents would say $0.00
    assert "price      $1.50/1M (UNCONFIRMED, 2026-03-09)" in done.output
    priced = CliRunner().invoke(main, [*args, "--model", "gemini-3.5-flash", "--price", "2"])
    assert "(assumed: no --epochs and Google documents no default" in priced.output
    assert "price      $2.00/1M" in priced.output and "cost       $" in priced.output
    offline = CliRunner().invoke(main, ["cost", str(path), "--model", "gemini-2.5-flash"])
    assert "characters/4 estimate: no project" in offline.output


def test_cost_refuses_invalid_data(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"contents": []}\n')
    done = CliRunner().invoke(main, ["cost", str(path), "--model", "gemini-2.5-flash"])
    assert done.exit_code == 1 and "the data is INVALID" in done.output


def test_jobs_get_shows_the_bill_beside_the_cached_estimate(
    emulator: Any, datasets: Datasets
) -> None:
    uri = datasets.upload("train.jsonl", SUPPORT_EXAMPLES)
    base = ["--project", PROJECT, "--location", LOCATION, "--api-endpoint", emulator.url]
    counted = CliRunner().invoke(main, [*base, "cost", uri, "--model", "gemini-2.5-flash"])
    assert counted.exit_code == 0, counted.output
    import requests

    job = requests.post(
        f"{emulator.url}/v1beta1/projects/{PROJECT}/locations/{LOCATION}/tuningJobs",
        json={
            "baseModel": "gemini-2.5-flash",
            "supervisedTuningSpec": {
                "trainingDatasetUri": uri,
                "hyperParameters": {"epochCount": "2"},
            },
        },
        timeout=10,
    ).json()
    emulator.control.finish(job["name"], "JOB_STATE_SUCCEEDED")
    shown = CliRunner().invoke(main, [*base, "jobs", "get", job["name"]])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "Cost Billed tokens" in text and "per epoch x 2)" in text
    assert "Price $5.00/1M (UNCONFIRMED, 2026-03-09)" in text
    assert "(countTokens, gemini-2.5-flash, cached): +0.00%" in text
    as_json = json.loads(
        CliRunner().invoke(main, [*base, "jobs", "get", job["name"], "--json"]).output
    )
    assert as_json["cost"]["estimate_error_percent"] == 0.0
    assert as_json["cost"]["cost_usd"] == pytest.approx(as_json["cost"]["billed_tokens"] * 5e-6)


# --- the client's count against the emulator's bill ---------------------------------------------


def billed(emulator: Any, body: dict[str, Any], spec_key: str) -> int:
    """Run a job on the emulator; its data stats' totalBillableTokenCount."""
    import requests

    job = requests.post(
        f"{emulator.url}/v1beta1/projects/{PROJECT}/locations/{LOCATION}/tuningJobs",
        json=body,
        timeout=10,
    ).json()
    done = emulator.control.finish(job["name"], "JOB_STATE_SUCCEEDED")
    stats = done["tuningDataStats"][spec_key]
    return int(stats["totalBillableTokenCount"])


@pytest.mark.parametrize("method", ["supervised", "preference"])
def test_the_count_is_what_the_emulator_bills_system_instructions_and_all(
    emulator: Any, datasets: Datasets, method: str
) -> None:
    if method == "preference":
        data = [
            preference(f"Which fruit for {i}?", f"Apple {i}!", "Pears.", system="Be glad.")
            for i in range(12)
        ]
        spec = "preferenceOptimizationSpec"
        stats = "preferenceOptimizationDataStats"
    else:
        data = [example(f"Q{i}: where?", f"Here, {i} times.", system="Be kind.") for i in range(12)]
        spec, stats = "supervisedTuningSpec", "supervisedTuningDataStats"
    uri = datasets.upload(f"{method}.jsonl", data)
    service = counting.Service(Settings(api_endpoint=emulator.url), PROJECT, LOCATION)
    found = counting.count_lines(
        lines(data), method=method, counter=service.counter("gemini-2.5-flash"), model="m"
    )
    body = {"baseModel": "gemini-2.5-flash", spec: {"trainingDatasetUri": uri}}
    assert found.exact and found.billable == billed(emulator, body, stats)


def test_a_dataset_with_a_hold_out_counts_its_training_share_only(
    emulator: Any, datasets: Datasets
) -> None:
    from vertex_tuning.resources.training_dataset import TrainingDatasetProvider

    p: TrainingDatasetProvider = dill.loads(dill.dumps(TrainingDatasetProvider()))
    p.configure(
        ConfigureRequest(
            Config({"vertex-tuning:apiEndpoint": emulator.url, "gcp:project": PROJECT}, "p")
        )
    )
    news = {
        "name": "support",
        "source": str(DEMO_DATA),
        "bucket": datasets.bucket.name,
        "validation_fraction": 0.1,
        "base_model": "gemini-2.5-flash",
        "epoch_count": 10,
    }
    checked = p.check({}, news)
    assert checked.failures == []
    created = p.create(checked.inputs).outs
    count = checked.inputs["token_count"]
    body = {
        "baseModel": "gemini-2.5-flash",
        "supervisedTuningSpec": {"trainingDatasetUri": created["uri"]},
    }
    assert count["tokens"] == billed(emulator, body, "supervisedTuningDataStats") < 12_567
    assert count["examples"] == created["training_examples"] == 268
    assert checked.inputs["estimated_billable_tokens"] == 10 * count["tokens"]
    # The uploaded object's count is kept by URI: a TuningJob previewed on it finds it.
    found = counting.Cache().get_uri(created["uri"], "gemini-2.5-flash", "supervised", emulator.url)
    assert found is not None and found[1].billable == count["tokens"]
