"""Provider lifecycle without the network: diff, update, pickling, and a cheap preview path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import dill
import pytest

from vertex_tuning.resources import base
from vertex_tuning.resources.tuning_job import TuningJobProvider

CHECKED: dict[str, Any] = TuningJobProvider().check_inputs(
    {},
    {
        "base_model": "gemini-2.5-flash",
        "training_dataset_uri": "gs://bucket/train.jsonl",
        "tuned_model_display_name": "support-v1",
        "resource_key": "proj/dev/support",
        "epoch_count": 3,
    },
    {"project": "my-project", "location": "us-central1"},
)[0]
OUTPUTS = {
    **CHECKED,
    "__provider": "serialized",
    "job_name": "projects/1/locations/us-central1/tuningJobs/42",
    "tuned_model_endpoint": "projects/1/locations/us-central1/endpoints/7",
    "state": "JOB_STATE_SUCCEEDED",
}


def provider() -> TuningJobProvider:
    return dill.loads(dill.dumps(TuningJobProvider()))  # type: ignore[no-any-return]


def test_no_changes_when_inputs_are_the_same() -> None:
    result = provider().diff("id", OUTPUTS, {**CHECKED, "__provider": "serialized"})
    assert result.changes is False and result.replaces == []


def test_spec_change_replaces_create_before_delete() -> None:
    result = provider().diff(
        "id", OUTPUTS, {**CHECKED, "epoch_count": 4, "__provider": "serialized"}
    )
    assert result.changes is True
    assert result.replaces == ["epoch_count"]
    assert result.delete_before_replace is False


def test_behaviour_change_updates_in_place() -> None:
    result = provider().diff("id", OUTPUTS, {**CHECKED, "timeout": 600, "__provider": "serialized"})
    assert result.changes is True and result.replaces == []


def test_provider_code_change_is_an_update_that_keeps_every_output() -> None:
    p = provider()
    news = {**CHECKED, "__provider": "new-code"}
    diff = p.diff("id", OUTPUTS, news)
    assert diff.changes is True and diff.replaces == []
    outs = p.update("id", OUTPUTS, news).outs or {}
    assert outs["job_name"] == OUTPUTS["job_name"]
    assert outs["tuned_model_endpoint"] == OUTPUTS["tuned_model_endpoint"]


def test_unknown_inputs_during_preview_count_as_a_replacing_change() -> None:
    from pulumi.output import Unknown

    unknown = Unknown()
    news = {**CHECKED, "training_dataset_uri": unknown, "__provider": "serialized"}
    assert provider().diff("id", OUTPUTS, news).replaces == ["training_dataset_uri"]
    checked = provider().check({}, news)
    assert checked.failures == []
    assert checked.inputs["training_dataset_uri"] is unknown


def test_pickled_provider_carries_no_config_or_credentials() -> None:
    from pulumi.dynamic import Config, ConfigureRequest

    p = TuningJobProvider()
    p.configure(ConfigureRequest(Config({"vertex-tuning:accessToken": "ya29.SECRET"}, "project")))
    assert b"ya29.SECRET" not in dill.dumps(p)
    assert TuningJobProvider.serialize_as_secret_always is False


def test_check_and_diff_import_no_google_client_library() -> None:
    script = textwrap.dedent(
        """
        import sys
        from vertex_tuning.resources.tuning_job import TuningJobProvider
        p = TuningJobProvider()
        news = {"base_model": "gemini-2.5-flash", "training_dataset_uri": "gs://bkt/t.jsonl",
                "project": "my-project", "location": "us-central1", "__provider": "x"}
        checked = p.check({}, news)
        assert not checked.failures, checked.failures
        p.diff("id", checked.inputs, checked.inputs)
        heavy = [m for m in sys.modules if m.startswith(("google.cloud.aiplatform",
                 "google.cloud.storage", "google.api_core", "google.auth", "requests"))]
        print(heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"  # after the row's cost line


RAW = {
    "base_model": "gemini-2.5-flash",
    "training_dataset_uri": "gs://bkt/t.jsonl",
    "adapter_size": 4,
    "timeout": "2h",
    "resource_key": "proj/dev/support",
    "project": "my-project",
    "location": "us-central1",
    "__provider": "serialized",
}


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = base.TypedProvider.check_inputs

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(base.TypedProvider, "check_inputs", counting)
    return calls


def test_unchanged_inputs_keep_their_checked_form_without_checking_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_checks(monkeypatch)
    first = provider().check({}, RAW)
    assert first.failures == [] and first.inputs["adapter_size"] == "FOUR"
    state = {**first.inputs, "__provider": "serialized"}

    again = provider().check(state, dict(RAW))  # the next preview, in a new provider process

    assert again.inputs == state and again.failures == []
    assert len(calls) == 1
    outputs = {**state, "job_name": "projects/1/locations/us-central1/tuningJobs/42"}
    monkeypatch.setattr(TuningJobProvider, "inputs", None)  # nor does diff need the model
    assert provider().diff("id", outputs, {**again.inputs}).changes is False


@pytest.mark.parametrize(
    "change",
    [
        {"timeout": "3h"},
        {"adapter_size": "EIGHT"},
        {"resource_key": "proj/staging/support"},
        {"tuned_model_display_name": "renamed"},
    ],
)
def test_a_changed_input_is_checked_and_diffed_again(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, Any]
) -> None:
    first = provider().check({}, RAW).inputs
    state = {**first, "__provider": "serialized"}
    calls = _count_checks(monkeypatch)

    again = provider().check(state, {**RAW, **change})

    assert len(calls) == 1 and again.inputs != state
    outputs = {**state, "job_name": "projects/1/locations/us-central1/tuningJobs/42"}
    diff = provider().diff("id", outputs, {**again.inputs, "__provider": "serialized"})
    # resource_key only names the job for adoption: not a change of the job.
    assert diff.changes is (set(change) != {"resource_key"})


def test_a_changed_stack_default_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.dynamic import Config, ConfigureRequest

    raw = {k: v for k, v in RAW.items() if k != "project"}
    p = provider()
    p.configure(ConfigureRequest(Config({"gcp:project": "first-project"}, "project")))
    state = {**p.check({}, raw).inputs, "__provider": "serialized"}
    p.configure(ConfigureRequest(Config({"gcp:project": "second-project"}, "project")))
    calls = _count_checks(monkeypatch)

    again = p.check(state, raw)

    assert len(calls) == 1 and again.inputs["project"] == "second-project"


def test_new_provider_code_is_diffed_in_full() -> None:
    checked = provider().check({}, RAW).inputs
    outputs = {**checked, "__provider": "old-code"}
    diff = provider().diff("id", outputs, {**checked, "__provider": "new-code"})
    assert diff.changes is True and diff.replaces == []


class _RecordingStdout:
    """A stdout that keeps every write apart, as the host's per-thread line buffer sees them."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_each_line_said_is_one_write_with_its_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The host runs creates on many threads: a line written in two pieces (print() writes the
    # newline separately) can get another job's line glued in between.
    from vertex_tuning.resources.base import say

    stdout = _RecordingStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    lines = [f"tuning job job-{i}: line" for i in range(3)]
    for line in lines:
        say(line)

    assert stdout.writes == [f"{line}\n" for line in lines]
