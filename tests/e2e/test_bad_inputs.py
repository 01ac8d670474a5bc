"""The bad-input matrix: invalid TuningJob, TrainingDataset and ModelSmokeTest inputs are
rejected by `pulumi preview`, each failure naming its property, and the emulator sees no
request at all.

The engine stops a preview at the first resource that fails its check, but reports every
property failure of that resource. So the cases are packed into rounds, one resource per round
with at most one case per property (cases that only fail with everything else valid get a round
of their own), and the rounds' previews run at once, each its own project and stack. Each case
is still its own test, reading its line from its round's preview. The same rules are unit-tested
in tests/test_tuning_job_inputs.py and friends; this proves they reach the user through the real
engine, offline, and the matrix test prints what was tried, rejected, wrong and crashed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from e2e.harness import Project, Result, emulator_env, job_args
from vertex_tuning.resources.smoke_test_inputs import SmokeTestInputs
from vertex_tuning.resources.training_dataset_inputs import TrainingDatasetInputs
from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

TRAINING_URI = "gs://support-data/train.jsonl"  # never read: nothing gets past preview
MISSING = object()  # the input is left out altogether (a raw round: past the class's kwargs)
DATA = Path(__file__).parents[1] / "data" / "good.jsonl"
INPUTS = {
    "TuningJob": TuningJobInputs,
    "TrainingDataset": TrainingDatasetInputs,
    "ModelSmokeTest": SmokeTestInputs,
}


@dataclass(frozen=True)
class Case:
    id: str
    prop: str  # the property the failure must name
    value: Any
    says: str  # a fragment of the rule in the failure
    alone: dict[str, Any] | None = None  # fails only with everything else valid: own round
    kind: str = "TuningJob"

    @property
    def raw(self) -> bool:
        return self.value is MISSING or self.prop not in INPUTS[self.kind].model_fields


CASES = [
    Case("base-model-unknown", "base_model", "gpt-4", "not a Gemini model Vertex AI can tune"),
    Case("base-model-seed-id", "base_model", "gemini-2.5-flash-001", "Did you mean"),
    Case("base-model-empty", "base_model", "", "not a Gemini model"),
    Case("base-model-type", "base_model", 42, "valid string"),
    Case("base-model-missing", "base_model", MISSING, "is required"),
    Case("training-s3", "training_dataset_uri", "s3://bucket/train.jsonl", "gs://"),
    Case("training-no-object", "training_dataset_uri", "gs://bucket", "gs://"),
    Case("training-empty", "training_dataset_uri", "", "Cloud Storage object URI"),
    Case("training-missing", "training_dataset_uri", MISSING, "is required"),
    Case("validation-https", "validation_dataset_uri", "https://example.com/v.jsonl", "gs://"),
    Case("validation-type", "validation_dataset_uri", 7, "valid string"),
    Case("display-name-long", "tuned_model_display_name", "n" * 129, "at most 128"),
    Case("display-name-blank", "tuned_model_display_name", "   ", "must not be blank"),
    Case("display-name-type", "tuned_model_display_name", ["a"], "valid string"),
    Case("description-huge", "description", "d" * 100_000, "at most 2048"),
    Case("description-type", "description", 5, "valid string"),
    Case("epochs-zero", "epoch_count", 0, "greater than or equal to 1"),
    Case("epochs-over", "epoch_count", 101, "less than or equal to 100"),
    Case("epochs-fraction", "epoch_count", 2.5, "integer"),
    Case("epochs-word", "epoch_count", "ten", "integer"),
    Case("epochs-huge", "epoch_count", 10**12, "less than or equal to 100"),
    Case("epochs-bool", "epoch_count", True, "must be a number, not true"),
    Case("lr-low", "learning_rate_multiplier", 0.05, "greater than or equal to 0.1"),
    Case("lr-high", "learning_rate_multiplier", 2.5, "less than or equal to 2"),
    Case("lr-word", "learning_rate_multiplier", "fast", "valid number"),
    Case("lr-bool", "learning_rate_multiplier", False, "not false"),
    Case("adapter-unknown", "adapter_size", "HUGE", "'SIXTEEN' or 'THIRTY_TWO'"),
    Case("adapter-number", "adapter_size", 3, "'SIXTEEN'"),
    Case(
        "adapter-not-for-model",
        "adapter_size",
        "SIXTEEN",
        "not available for gemini-2.5-pro",
        alone={"base_model": "gemini-2.5-pro"},
    ),
    Case("label-key-upper", "labels", {"Team": "ml"}, "label key 'Team'"),
    Case("label-value-space", "labels", {"team": "ML Ops"}, "value 'ML Ops'"),
    Case("label-emoji", "labels", {"team": "\U0001f680"}, "lowercase letters"),
    Case("label-unicode-upper", "labels", {"\u00e9quipe": "Donn\u00e9es"}, "lowercase"),
    Case("label-value-long", "labels", {"team": "x" * 64}, "at most 63"),
    Case("labels-too-many", "labels", {f"k{i}": "v" for i in range(64)}, "at most 62 labels"),
    Case("label-reserved", "labels", {"pulumi-vertex-tuning": "x"}, "reserved"),
    Case("labels-type", "labels", "team=ml", "valid dictionary"),
    Case("project-upper", "project", "Bad_Project", "not a GCP project ID"),
    Case("project-short", "project", "ab", "not a GCP project ID"),
    Case("location-moon", "location", "moon", "not a Vertex AI region"),
    Case("location-upper", "location", "US-CENTRAL1", "not a Vertex AI region"),
    Case("service-account", "service_account", "not-an-email", "service account email"),
    Case("service-account-empty", "service_account", "", "service account email"),
    Case("kms-key", "kms_key_name", "my-key", "keyRings"),
    Case("timeout-word", "timeout", "forever", "not a duration"),
    Case("timeout-zero", "timeout", 0, "greater than or equal to 1"),
    Case("timeout-month", "timeout", "30d", "less than or equal to"),
    Case("timeout-bool", "timeout", True, "not a duration"),
    Case("poll-too-fast", "poll_interval", 0.001, "greater than or equal to 0.05"),
    Case(
        "poll-cap-below-floor",
        "max_poll_interval",
        5,
        "must be at least poll_interval",
        alone={"poll_interval": 10},
    ),
    Case("on-delete-unknown", "on_delete", "archive", "'keep', 'delete_endpoint' or"),
    Case("on-delete-empty", "on_delete", "", "'keep', 'delete_endpoint' or"),
    Case("unknown-key", "epochs", 3, "is not a TuningJob input"),
    Case("unknown-camel-case", "learningRate", 1.0, "is not a TuningJob input"),
    # Full matches: a trailing newline would reach the job's resource name.
    Case("project-newline", "project", "my-project\n", "not a GCP project ID"),
    Case("location-newline", "location", "us-central1\n", "not a Vertex AI region"),
    Case(
        "service-account-newline",
        "service_account",
        "sa@p.iam.gserviceaccount.com\n",
        "service account email",
    ),
    Case(
        "kms-newline",
        "kms_key_name",
        "projects/p/locations/l/keyRings/r/cryptoKeys/k\n",
        "keyRings",
    ),
    Case("training-ip-bucket", "training_dataset_uri", "gs://192.168.1.1/t.jsonl", "IP address"),
    Case("training-goog-bucket", "training_dataset_uri", "gs://goog-data/t.jsonl", "'goog'"),
    Case("training-long-bucket", "training_dataset_uri", f"gs://{'b' * 64}/t.jsonl", "at most 63"),
    Case("training-long-object", "training_dataset_uri", f"gs://bkt/{'o' * 1025}", "1024 bytes"),
    Case("training-folder", "training_dataset_uri", "gs://bkt/dir/", "names a folder"),
    Case("validation-dots", "validation_dataset_uri", "gs://bkt/../v.jsonl", "'..' segments"),
    Case("display-name-nul", "tuned_model_display_name", "a\u0000b", "control character"),
    Case("adapter-superscript", "adapter_size", "\u00b2", "'ONE', 'TWO'"),
    # TrainingDataset
    Case("data-source-type", "source", 5, "valid string", kind="TrainingDataset"),
    Case("data-source-device", "source", "/dev/zero", "not a regular file", kind="TrainingDataset"),
    Case("data-source-dir", "source", "/tmp", "not a regular file", kind="TrainingDataset"),
    Case("data-bucket-ip", "bucket", "10.0.0.1", "IP address", kind="TrainingDataset"),
    Case("data-bucket-goog", "bucket", "google-data", "'goog'", kind="TrainingDataset"),
    Case("data-bucket-long", "bucket", "b" * 64, "at most 63", kind="TrainingDataset"),
    Case("data-prefix-up", "prefix", "../../etc", "'..' segments", kind="TrainingDataset"),
    Case("data-fraction-nan", "validation_fraction", "nan", "finite", kind="TrainingDataset"),
    # ModelSmokeTest: nested failures name their path in the reason, not `value {<nil>}`
    Case("smoke-location-empty", "location", "", "not a Vertex AI region", kind="ModelSmokeTest"),
    Case(
        "smoke-location-moon", "location", "moon", "not a Vertex AI region", kind="ModelSmokeTest"
    ),
    Case("smoke-base-model", "base_model", "gpt-4", "not a Gemini model", kind="ModelSmokeTest"),
    Case(
        "smoke-blank-prompt",
        "cases",
        [{"prompt": "  ", "contains": "x"}],
        "cases[0].prompt: must not be blank",
        kind="ModelSmokeTest",
    ),
    Case(
        "smoke-empty-needle",
        "cases",
        [{"prompt": "Hi", "contains": [""]}],
        "cases[0].contains[0]",
        alone={},
        kind="ModelSmokeTest",
    ),
    Case(
        "smoke-endpoint",
        "endpoint",
        "endpoints/9",
        "projects/P/locations/L/endpoints/ID",
        kind="ModelSmokeTest",
    ),
]


def rounds(cases: list[Case]) -> list[list[Case]]:
    """Pack cases into resources: one case per property each; `alone` cases by themselves."""
    packed: list[list[Case]] = []
    for case in cases:
        if case.alone is not None:
            packed.append([case])
            continue
        for round_ in packed:
            fits = round_[0].alone is None and round_[0].kind == case.kind
            if fits and case.prop not in {c.prop for c in round_}:
                round_.append(case)
                break
        else:
            packed.append([case])
    return packed


def _valid_args(kind: str, name: str) -> dict[str, Any]:
    if kind == "TrainingDataset":
        return {"kind": kind, "source": str(DATA), "bucket": "valid-bucket"}
    if kind == "ModelSmokeTest":
        return {
            "kind": kind,
            "endpoint": "projects/p/locations/us-central1/endpoints/1",
            "cases": [{"prompt": "Hi", "contains": "hello"}],
        }
    return job_args(TRAINING_URI, tuned_model_display_name=name)


def resource_args(round_: list[Case], name: str) -> dict[str, Any]:
    args = _valid_args(round_[0].kind, name)
    for case in round_:
        args.update(case.alone or {})
        if case.value is MISSING:
            args.pop(case.prop)
        else:
            args[case.prop] = case.value
    if any(case.raw for case in round_):
        args["raw"] = True
        if round_[0].kind == "TuningJob":
            args["resource_key"] = f"bad-inputs/dev/{name}"
        if round_[0].kind == "TrainingDataset":
            args.setdefault("name", name)
    return args


ROUNDS = rounds(CASES)
ROUND_OF = {case.id: f"round-{i}" for i, round_ in enumerate(ROUNDS) for case in round_}


@dataclass
class Previews:
    results: dict[str, Result]  # round name -> its preview
    control_preview: Result  # a valid resource, for contrast
    requests: dict[str, int]  # what the emulator received meanwhile


@pytest.fixture(scope="module")
def previews(
    pulumi_bin: str, storage_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Previews]:
    """Every round's preview at once, against an emulator of this module's own: the requests it
    counts are these previews' and nothing another test left running."""
    from vertex_tuning.emulator import serve

    with serve(job_seconds=0, storage_url=storage_url) as emulator:
        yield _previews(emulator, tmp_path_factory)


def _previews(emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory) -> Previews:
    root = tmp_path_factory.mktemp("bad-inputs")
    state = root / "state"
    state.mkdir()
    base = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
    }
    env = emulator_env(base, emulator.url, emulator.storage_url)

    def preview(name: str, resources: dict[str, dict[str, Any]]) -> Result:
        project = Project(root / name, env, name=name)
        project.program(resources)
        project.init()
        return project.preview()

    jobs = {
        f"round-{i}": {f"round-{i}": resource_args(r, f"round-{i}")} for i, r in enumerate(ROUNDS)
    }
    jobs["valid"] = {"valid": job_args(TRAINING_URI)}
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(preview, name, resources) for name, resources in jobs.items()}
        results = {name: future.result() for name, future in futures.items()}
    return Previews(
        results={k: v for k, v in results.items() if k != "valid"},
        control_preview=results["valid"],
        requests=emulator.control.request_counts(),
    )


def test_the_matrix_is_at_least_thirty_cases_in_a_handful_of_previews() -> None:
    assert len(CASES) >= 30
    assert len(ROUNDS) <= 20


def verdict(previews: Previews, case: Case) -> str:
    """rejected (at preview, naming the property and the rule), wrong (failed otherwise, or
    passed), or crashed (a traceback reached the user)."""
    result = previews.results[ROUND_OF[case.id]]
    if "Traceback" in result.output:
        return "crashed"
    if result.returncode != 0 and any(case.says in said for said in failures(result, case)):
        return "rejected"
    return "wrong"


def failures(result: Result, case: Case) -> list[str]:
    """What the preview said of the case's property: from its name to the end of the reason
    (a value with a newline in it spans lines)."""
    marker = f"resource '{ROUND_OF[case.id]}': property {case.prop} value {{"
    found = []
    start = result.output.find(marker)
    while start >= 0:
        end = result.output.find("\n", result.output.find("has a problem:", start))
        found.append(result.output[start : end if end >= 0 else None])
        start = result.output.find(marker, start + 1)
    return found


def test_every_case_is_rejected_at_preview_and_none_crashes(previews: Previews) -> None:
    verdicts = {case.id: verdict(previews, case) for case in CASES}
    counts = {
        v: sum(1 for x in verdicts.values() if x == v) for v in ("rejected", "wrong", "crashed")
    }
    print(
        f"bad-input matrix: tried {len(CASES)} / rejected at preview {counts['rejected']} / "
        f"wrong {counts['wrong']} / crashed {counts['crashed']}; API calls {sum(previews.requests.values())}"
    )
    assert counts["rejected"] == len(CASES), {k: v for k, v in verdicts.items() if v != "rejected"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_preview_rejects_it_naming_the_property(previews: Previews, case: Case) -> None:
    result = previews.results[ROUND_OF[case.id]]
    assert result.returncode != 0
    said = failures(result, case)
    assert said, f"no failure names {case.prop}:\n{result.output[-4000:]}"
    assert any(case.says in reason for reason in said), said
    if case.value is not MISSING:  # a value that is there is shown, wherever the rule is nested
        assert not any("value {<nil>}" in reason for reason in said), said


def test_no_request_reaches_the_service_and_a_valid_input_previews_clean(
    previews: Previews,
) -> None:
    assert previews.requests == {}
    assert previews.control_preview.returncode == 0, previews.control_preview.output
    assert "+ 3 to create" in previews.control_preview.output  # the stack, identity, job
