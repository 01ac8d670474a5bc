"""Input rules: every failure names the property and the rule; valid inputs normalise once."""

from __future__ import annotations

from typing import Any

import pytest

from vertex_tuning.resources.base import Failure
from vertex_tuning.resources.tuning_job import TuningJobProvider
from vertex_tuning.resources.tuning_job_inputs import DEFAULT_TIMEOUT_SECONDS, TuningJobInputs


def check_inputs(olds: Any, news: Any, defaults: Any, *, unknown: Any = frozenset()) -> Any:
    return TuningJobProvider().check_inputs(olds, news, defaults, frozenset(unknown))


DEFAULTS = {"project": "my-project", "location": "us-central1"}
VALID: dict[str, Any] = {
    "base_model": "gemini-2.5-flash",
    "training_dataset_uri": "gs://bucket/tuning/train.jsonl",
    "tuned_model_display_name": "support-v1",
    "resource_key": "proj/dev/support",
}


def check(**changes: Any) -> tuple[dict[str, Any], list[Failure]]:
    news = {**VALID, **changes}
    return check_inputs({}, {k: v for k, v in news.items() if v is not ...}, DEFAULTS)


@pytest.mark.parametrize(
    ("changes", "prop", "fragment"),
    [
        ({"base_model": "gemini-2.5-flash-001"}, "base_model", "Did you mean 'gemini-2.5-flash'"),
        ({"base_model": "gpt-4"}, "base_model", "not a Gemini model Vertex AI can tune"),
        ({"base_model": ...}, "base_model", "is required"),
        ({"training_dataset_uri": "s3://bucket/x.jsonl"}, "training_dataset_uri", "gs://"),
        ({"training_dataset_uri": ""}, "training_dataset_uri", "gs://"),
        ({"validation_dataset_uri": "/tmp/x.jsonl"}, "validation_dataset_uri", "gs://"),
        ({"tuned_model_display_name": "x" * 129}, "tuned_model_display_name", "128"),
        ({"epoch_count": 0}, "epoch_count", "greater than or equal to 1"),
        ({"epoch_count": 101}, "epoch_count", "less than or equal to 100"),
        ({"epoch_count": 2.5}, "epoch_count", "integer"),
        ({"epoch_count": "ten"}, "epoch_count", "integer"),
        ({"learning_rate_multiplier": 0.05}, "learning_rate_multiplier", "0.1"),
        ({"learning_rate_multiplier": 2.5}, "learning_rate_multiplier", "2"),
        ({"adapter_size": "HUGE"}, "adapter_size", "'SIXTEEN' or 'THIRTY_TWO'"),
        ({"adapter_size": 3}, "adapter_size", "'ONE'"),
        (
            {"base_model": "gemini-2.5-pro", "adapter_size": 16},
            "adapter_size",
            "not available for gemini-2.5-pro",
        ),
        ({"labels": {"Team": "ml"}}, "labels", "label key 'Team'"),
        ({"labels": {"team": "ML Ops"}}, "labels", "value 'ML Ops'"),
        ({"labels": {"team": "x" * 64}}, "labels", "at most 63"),
        ({"labels": {"1team": "x"}}, "labels", "starting with a lowercase letter"),
        ({"labels": {f"k{i}": "v" for i in range(64)}}, "labels", "at most 62 labels"),
        ({"labels": {"pulumi-vertex-tuning": "x"}}, "labels", "reserved"),
        ({"labels": "team=ml"}, "labels", "dictionary"),
        ({"project": "Bad_Project"}, "project", "not a GCP project ID"),
        ({"location": "moon"}, "location", "Vertex AI region"),
        ({"service_account": "not-an-email"}, "service_account", "service account email"),
        ({"kms_key_name": "my-key"}, "kms_key_name", "keyRings"),
        ({"timeout": "forever"}, "timeout", "not a duration"),
        ({"timeout": 0}, "timeout", "greater than or equal to 1"),
        ({"timeout": "30d"}, "timeout", "less than or equal to"),
        ({"on_delete": "destroy"}, "on_delete", "'keep', 'delete_endpoint' or 'delete_model'"),
        ({"poll_interval": 10, "max_poll_interval": 5}, "max_poll_interval", "at least"),
        ({"epochs": 3}, "epochs", "is not a TuningJob input"),
        # Pydantic reads a boolean as 1: `timeout: true` would be a one-second timeout.
        ({"epoch_count": True}, "epoch_count", "must be a number, not true"),
        ({"learning_rate_multiplier": False}, "learning_rate_multiplier", "not false"),
        ({"timeout": True}, "timeout", "not a duration"),
        ({"poll_interval": True}, "poll_interval", "not a duration"),
        ({"tuned_model_display_name": "   "}, "tuned_model_display_name", "must not be blank"),
    ],
)
def test_invalid_inputs_name_the_property_and_rule(
    changes: dict[str, Any], prop: str, fragment: str
) -> None:
    _, failures = check(**changes)
    assert [f.property for f in failures] == [prop], failures
    assert fragment in failures[0].reason


def test_an_empty_base_model_gets_no_made_up_suggestion() -> None:
    _, failures = check(base_model="")
    assert [f.property for f in failures] == ["base_model"]
    assert "not a Gemini model" in failures[0].reason and "Did you mean" not in failures[0].reason


def test_missing_project_says_where_it_can_come_from() -> None:
    _, failures = check_inputs({}, VALID, {"project": None, "location": "us-central1"})
    assert failures == [
        Failure(
            property="project",
            reason="is required: set the `project` input, stack config `gcp:project`, "
            "or GOOGLE_CLOUD_PROJECT",
        )
    ]


@pytest.mark.parametrize("size", ["ADAPTER_SIZE_FOUR", "FOUR", "four", 4, 4.0, "4"])
def test_adapter_size_spellings_normalise(size: Any) -> None:
    inputs, failures = check(adapter_size=size)
    assert failures == []
    assert inputs["adapter_size"] == "FOUR"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("90m", 5400), ("1h30m", 5400), ("2d", 172800), (3600, 3600), ("120", 120)],
)
def test_durations_normalise_to_seconds(value: Any, seconds: float) -> None:
    inputs, failures = check(timeout=value)
    assert failures == []
    assert inputs["timeout"] == seconds


def test_defaults_are_applied_and_numbers_from_pulumi_floats_become_ints() -> None:
    inputs, failures = check(epoch_count=10.0)
    assert failures == []
    assert inputs["epoch_count"] == 10
    assert inputs["project"] == "my-project"
    assert inputs["on_delete"] == "delete_endpoint"
    assert inputs["timeout"] == DEFAULT_TIMEOUT_SECONDS


def test_publisher_prefix_and_tuned_models_are_accepted() -> None:
    inputs, _ = check(base_model="publishers/google/models/gemini-2.5-pro")
    assert inputs["base_model"] == "gemini-2.5-pro"
    tuned = "projects/p/locations/us-central1/models/123@1"
    inputs, failures = check(base_model=tuned, adapter_size="SIXTEEN")
    assert failures == [] and inputs["base_model"] == tuned


def test_the_default_name_says_which_spec_it_is() -> None:
    first, _ = check(tuned_model_display_name=..., adapter_size=4)
    spelled, _ = check(tuned_model_display_name=..., adapter_size="ADAPTER_SIZE_FOUR")
    assert spelled["tuned_model_display_name"] == first["tuned_model_display_name"]
    replaced, _ = check_inputs(
        first, {**VALID, "tuned_model_display_name": None, "epoch_count": 7}, DEFAULTS
    )
    # A replacement is a new job: its name differs, so `jobs list` tells the two apart.
    assert replaced["tuned_model_display_name"] != first["tuned_model_display_name"]
    legacy = {**first, "tuned_model_display_name": "support-0123abcd"}  # named before 0.2
    kept, _ = check_inputs(
        legacy, {**VALID, "tuned_model_display_name": None, "adapter_size": 4}, DEFAULTS
    )
    assert kept["tuned_model_display_name"] == "support-0123abcd"


def test_auto_name_is_derived_from_the_resource_and_stable_across_updates() -> None:
    first, _ = check(tuned_model_display_name=...)
    assert first["tuned_model_display_name"].startswith("support-")
    # An interrupted create is retried with no olds: it must get the same name to adopt its job.
    retried, _ = check(tuned_model_display_name=...)
    assert retried["tuned_model_display_name"] == first["tuned_model_display_name"]
    other, _ = check(tuned_model_display_name=..., resource_key="proj/prod/support")
    assert other["tuned_model_display_name"] != first["tuned_model_display_name"]
    again, _ = check_inputs(
        first, {k: v for k, v in VALID.items() if k != "tuned_model_display_name"}, DEFAULTS
    )
    assert again["tuned_model_display_name"] == first["tuned_model_display_name"]


def test_unknown_values_are_not_judged_during_preview() -> None:
    inputs, failures = check_inputs(
        {},
        {**VALID, "training_dataset_uri": "<unknown>"},
        DEFAULTS,
        unknown={"training_dataset_uri"},
    )
    assert failures == []
    assert "training_dataset_uri" not in inputs


def test_replacement_table_covers_the_spec_but_not_behaviour() -> None:
    assert {
        "base_model",
        "training_dataset_uri",
        "epoch_count",
        "labels",
    } <= TuningJobInputs.replace_on_change()
    assert (
        not {"timeout", "poll_interval", "max_poll_interval", "on_delete"}
        & TuningJobInputs.replace_on_change()
    )


def test_todays_models_tune_and_an_unknown_gemini_name_passes_with_a_dated_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from vertex_tuning import catalog

    for model in ("gemini-3.5-flash", "gemini-3.1-flash-lite", "gemini-2.5-pro"):
        inputs, failures = check(base_model=model)
        assert failures == [] and inputs["base_model"] == model
    inputs, failures = check(base_model="gemini-3.6-flash-preview")
    assert failures == [] and inputs["base_model"] == "gemini-3.6-flash-preview"
    result = TuningJobProvider().check({}, {**VALID, **DEFAULTS, "base_model": "gemini-4-pro"})
    assert result.failures == []
    said = capsys.readouterr().out
    assert "warning: 'gemini-4-pro' is not in vertex-tuning's model catalog" in said
    assert catalog.CATALOG_DATE in said and "the service decides" in said


@pytest.mark.parametrize(
    ("changes", "prop", "fragment"),
    [
        ({"method": "preference", "base_model": "gemini-2.5-pro"}, "method", "not available"),
        ({"method": "distillation"}, "method", "'supervised' or 'preference'"),
        ({"beta": 0.1}, "beta", 'set method="preference"'),
        ({"method": "preference", "beta": 0}, "beta", "greater than 0"),
        ({"adapter_size": "THIRTY_TWO"}, "adapter_size", "not available for gemini-2.5-flash"),
        ({"base_checkpoint_id": "2"}, "base_checkpoint_id", "only for continuous tuning"),
        (
            {
                "method": "preference",
                "evaluation_config": {"metrics": [{}], "output_uri_prefix": "gs://bkt/eval/"},
            },
            "evaluation_config",
            "supervised tuning only",
        ),
        (
            {"evaluation_config": {"metrics": [], "output_uri_prefix": "gs://bkt/eval/"}},
            "evaluation_config",
            "at least 1",
        ),
        (
            {"evaluation_config": {"metrics": [{}], "output_uri_prefix": "/tmp"}},
            "evaluation_config",
            "gs://bucket/results/",
        ),
        ({"default_checkpoint_id": ""}, "default_checkpoint_id", "at least 1"),
        (
            {"training_dataset_uri": "projects/p/locations/l/models/1"},
            "training_dataset_uri",
            "gs://",
        ),
    ],
)
def test_todays_tuning_surface_is_checked_at_preview(
    changes: dict[str, Any], prop: str, fragment: str
) -> None:
    _, failures = check(**changes)
    assert [f.property for f in failures] == [prop], failures
    assert fragment in failures[0].reason


def test_preference_tuning_continuous_tuning_and_a_vertex_dataset_are_inputs() -> None:
    inputs, failures = check(method="preference", beta=0.1, base_model="gemini-3.5-flash")
    assert failures == [] and inputs["method"] == "preference" and inputs["beta"] == 0.1
    tuned = "projects/p/locations/us-central1/models/7@1"
    inputs, failures = check(base_model=tuned, base_checkpoint_id="2")
    assert failures == [] and inputs["base_checkpoint_id"] == "2"
    dataset = "projects/p/locations/us-central1/datasets/789"
    inputs, failures = check(training_dataset_uri=dataset)
    assert failures == [] and inputs["training_dataset_uri"] == dataset
    assert {"method", "beta", "base_checkpoint_id", "evaluation_config"} <= (
        TuningJobInputs.replace_on_change()
    )
    assert "default_checkpoint_id" not in TuningJobInputs.replace_on_change()  # a Model update
