"""The per-environment stacks as CI and users run them: the `pulumi` CLI as a subprocess, on a
file backend in a temp dir, against the Vertex AI and Cloud Storage emulators.

Each test works on a copy of the repository's project (Pulumi.yaml and stacks/), so stack init
and `pulumi config set` never touch the working tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import Datasets, make_clients

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TRAINING_DATA = REPO / "stacks" / "data" / "support-train.jsonl"
TUNING_JOB = "pulumi-python:dynamic/vertex-tuning:TuningJob"
# The CLI's documented exit code (since 3.226.1) for a preview that proposes changes under
# --expect-no-changes. (A failed resource operation is documented as 4, but 3.274.1 exits 1 when
# a dynamic provider's create raises, so those tests only ask for non-zero.)
EXIT_CHANGES_PROPOSED = 7


class Project:
    """A copy of the project with its own file backend; runs `pulumi` the way CI does."""

    def __init__(self, root: Path, env: dict[str, str], bucket: Any) -> None:
        self.root = root
        self.env = env
        self.bucket = bucket
        self.consumer_dir = root / "stacks" / "consumer"

    def pulumi(
        self, *args: str, cwd: Path | None = None, expect: int | None = 0
    ) -> subprocess.CompletedProcess[str]:
        """Run `pulumi ARGS --non-interactive`; `expect` is the exit code (None: any)."""
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=cwd or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if expect is not None:
            assert done.returncode == expect, (
                f"pulumi {' '.join(args)} exited {done.returncode}, expected {expect}\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done

    def init(self, stack: str) -> None:
        """Create a model stack from its committed config, uploading to the test's bucket."""
        self.pulumi("stack", "init", stack)
        self.config(stack, "vertex-tuning:dataBucket", self.bucket.name)
        # The emulator's jobs take about a second: poll at its pace, not at the cloud's.
        self.config(stack, "vertex-tuning:pollInterval", "0.2")
        self.config(stack, "vertex-tuning:maxPollInterval", "0.5")
        # The emulator's tuned answers search every lesson (~0.1 s each, one at a time): the
        # evaluations sample the held-out split at test pace.
        self.config(stack, "vertex-tuning:evaluation.maxExamples", "8", "--path")

    def config(
        self, stack: str, key: str, value: str, *flags: str, cwd: Path | None = None
    ) -> None:
        self.pulumi("config", "set", key, value, "--stack", stack, *flags, cwd=cwd)

    def up(self, stack: str, *, cwd: Path | None = None, expect: int | None = 0) -> str:
        done = self.pulumi("up", "--yes", "--stack", stack, cwd=cwd, expect=expect)
        return done.stdout + done.stderr

    def preview(self, stack: str, *, cwd: Path | None = None, expect: int | None = 0) -> str:
        done = self.pulumi(
            "preview", "--diff", "--expect-no-changes", "--stack", stack, cwd=cwd, expect=expect
        )
        return done.stdout + done.stderr

    def outputs(self, stack: str, *, cwd: Path | None = None) -> dict[str, Any]:
        done = self.pulumi("stack", "output", "--json", "--stack", stack, cwd=cwd)
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def resources(self, stack: str) -> list[dict[str, Any]]:
        done = self.pulumi("stack", "export", "--stack", stack)
        resources: list[dict[str, Any]] = json.loads(done.stdout)["deployment"]["resources"]
        return resources

    def init_consumer(self, stack: str, model_stack: str, app_config: Path) -> None:
        """The downstream project's stack, reading `model_stack` through a StackReference."""
        self.pulumi("stack", "init", stack, cwd=self.consumer_dir)
        model = f"organization/vertex-tuning/{model_stack}"
        self.config(stack, "modelStack", model, cwd=self.consumer_dir)
        self.config(stack, "configPath", str(app_config), cwd=self.consumer_dir)


def copy_project(dest: Path) -> Path:
    """Pulumi.yaml and stacks/ as in the working tree, minus any demo's encryption salt (it
    belongs to another backend and passphrase), with .venv pointing at this interpreter's."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "Pulumi.yaml", dest / "Pulumi.yaml")
    shutil.copytree(
        REPO / "stacks",
        dest / "stacks",
        symlinks=True,  # stacks/.venv -> ../.venv, as the language host resolves it
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (dest / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    for config in (dest / "stacks").rglob("Pulumi.*.yaml"):
        text = config.read_text()
        config.write_text(re.sub(r"(?m)^encryptionsalt:.*\n?", "", text))
    return dest


@pytest.fixture(scope="module")
def stack_emulator(emulator_session: RunningEmulator) -> RunningEmulator:
    """The session's emulator, emptied, with jobs that succeed after a second."""
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=1, require_token=None)
    return emulator_session


@pytest.fixture(scope="module")
def new_project(
    pulumi_bin: str,
    stack_emulator: RunningEmulator,
    storage_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[], Project]:
    """Makes a fresh copy of the project with its own state directory and an empty bucket for
    its stacks to upload their data to."""

    def make() -> Project:
        base = tmp_path_factory.mktemp("stacks")
        (base / "state").mkdir()
        env = {
            **os.environ,
            "PATH": f"{pulumi_bin}{os.pathsep}{os.environ['PATH']}",
            "PULUMI_BACKEND_URL": f"file://{base / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            "VERTEX_API_ENDPOINT": stack_emulator.url,
            "STORAGE_EMULATOR_HOST": storage_url,
        }
        bucket = Datasets(storage_url).bucket
        return Project(copy_project(base / "project"), env, bucket)

    return make


@pytest.fixture(scope="module")
def deployed(new_project: Callable[[], Project]) -> Project:
    """One project with the dev stack up: the tests that only read it share it."""
    project = new_project()
    project.init("dev")
    project.up("dev")
    return project


def _exists(get: Callable[..., Any], name: str) -> bool:
    from google.api_core.exceptions import NotFound

    try:
        get(name=name)
    except NotFound:
        return False
    return True


def test_dev_up_exports_the_endpoint_and_a_model_named_by_environment_and_version(
    deployed: Project, stack_emulator: RunningEmulator
) -> None:
    out = deployed.outputs("dev")
    endpoint = out["tuned_model_endpoint"]
    assert re.fullmatch(r"projects/[^/]+/locations/us-central1/endpoints/\d+", endpoint)
    assert out["tuned_model_endpoint_uri"] == f"{stack_emulator.url}/v1/{endpoint}:generateContent"

    version = out["model_version"]
    assert re.fullmatch(r"v1-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}", version), version
    assert out["tuned_model_display_name"] == f"support-model-dev-{version}"
    labels = out["tuned_model_labels"]
    assert labels["environment"] == "dev"
    assert labels["version"] == "v1"
    assert labels["team"] == "support"
    assert version == f"v1-{labels['released']}-{labels['spec']}"

    # The registry, not only the stack, shows which stack and data produced the model.
    vertex_api = make_clients(stack_emulator.url)
    model = vertex_api.models.get_model(name=out["tuned_model"])
    assert model.display_name == out["tuned_model_display_name"]
    assert labels.items() <= dict(model.labels).items()
    assert _exists(vertex_api.endpoints.get_endpoint, endpoint)

    # The stack uploaded the data under a name its content decides, the data label's digest.
    data_hash = hashlib.sha256(TRAINING_DATA.read_bytes()).hexdigest()
    assert labels["data"] == data_hash[:8]
    uri = out["training_data_uri"]
    bucket = deployed.bucket
    assert uri == f"gs://{bucket.name}/vertex-tuning/dev/training-data-{data_hash[:16]}.jsonl"
    assert bucket.blob(uri.split("/", 3)[3]).download_as_bytes() == TRAINING_DATA.read_bytes()
    examples = sum(1 for line in TRAINING_DATA.read_text().splitlines() if line.strip())
    assert out["tuning_data_stats"]["tuning_dataset_example_count"] == examples
    answers = out["smoke_test_answers"]
    assert set(answers) == {"refund policy", "order tracking", "international shipping"}
    assert "30 days" in answers["refund policy"]
    # dev only reports: nothing gates it, so what it tuned is what it promotes.
    assert out["promoted_endpoint"] == endpoint
    assert set(out["evaluation_scores"]) == {"tuned", "base"}
    assert Path(out["evaluation_report_path"]).is_file()


def test_preview_after_up_expects_no_changes_and_calls_no_api(
    deployed: Project, stack_emulator: RunningEmulator
) -> None:
    calls = stack_emulator.control.request_counts()
    deployed.preview("dev", expect=0)
    assert stack_emulator.control.request_counts() == calls


def test_a_second_environment_gets_its_own_model_and_labels(
    deployed: Project, stack_emulator: RunningEmulator
) -> None:
    deployed.init("staging")
    deployed.up("staging")
    dev, staging = deployed.outputs("dev"), deployed.outputs("staging")

    assert staging["tuned_model_endpoint"] != dev["tuned_model_endpoint"]
    assert staging["tuned_model_display_name"].startswith("support-model-staging-v1-")
    assert staging["tuned_model_labels"]["environment"] == "staging"
    # Same data, another recipe (base model, epochs, learning rate): another spec version.
    assert staging["tuned_model_labels"]["data"] == dev["tuned_model_labels"]["data"]
    assert staging["tuned_model_labels"]["spec"] != dev["tuned_model_labels"]["spec"]
    # staging holds 10% out for validation; dev trains on everything.
    assert dev["validation_data_uri"] == ""  # TrainingDataset's "no split"
    assert staging["validation_data_uri"].endswith("-validation.jsonl")
    assert "/vertex-tuning/staging/" in staging["training_data_uri"]
    model = make_clients(stack_emulator.url).models.get_model(name=staging["tuned_model"])
    assert model.labels["environment"] == "staging"
    assert model.display_name == staging["tuned_model_display_name"]
    # staging gates on its held-out split and serves its best checkpoint.
    assert staging["evaluation_scores"]["tuned"]["rouge_l"] >= 0.12
    assert staging["best_checkpoint"] in {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
    assert staging["promoted_endpoint"].startswith("projects/")
    deployed.preview("staging", expect=0)
    deployed.preview("dev", expect=0)


def test_the_consumer_reads_the_endpoint_through_a_stack_reference(
    deployed: Project, tmp_path: Path
) -> None:
    app_config = tmp_path / "app.json"
    deployed.init_consumer("dev", "dev", app_config)
    deployed.up("dev", cwd=deployed.consumer_dir)

    model = deployed.outputs("dev")
    consumer = deployed.outputs("dev", cwd=deployed.consumer_dir)
    assert consumer["app_endpoint"] == model["tuned_model_endpoint"]
    assert consumer["app_endpoint_uri"] == model["tuned_model_endpoint_uri"]
    assert json.loads(app_config.read_text()) == {
        "model_endpoint": model["tuned_model_endpoint"],
        "generate_url": model["tuned_model_endpoint_uri"],
    }
    deployed.preview("dev", cwd=deployed.consumer_dir, expect=0)


def test_a_spec_change_previews_as_a_replacement_and_the_consumer_follows(
    new_project: Callable[[], Project], stack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    project = new_project()
    project.init("dev")
    project.up("dev")
    app_config = tmp_path / "app.json"
    project.init_consumer("dev", "dev", app_config)
    project.up("dev", cwd=project.consumer_dir)
    before = project.outputs("dev")

    project.config("dev", "vertex-tuning:epochCount", "3")
    diff = project.preview("dev", expect=EXIT_CHANGES_PROPOSED)
    assert f"+-{TUNING_JOB}: (replace)" in diff
    assert re.search(r"~ epoch_count\s*: 2 => 3", diff), diff

    project.up("dev")
    after = project.outputs("dev")
    assert after["tuned_model_endpoint"] != before["tuned_model_endpoint"]
    assert after["tuned_model_labels"]["spec"] != before["tuned_model_labels"]["spec"]
    assert after["tuned_model_labels"]["version"] == "v1"
    assert after["tuned_model_display_name"] != before["tuned_model_display_name"]
    project.preview("dev", expect=0)
    # dev's on_delete is delete_model: the replaced model's endpoint is gone.
    endpoints = make_clients(stack_emulator.url).endpoints
    assert not _exists(endpoints.get_endpoint, before["tuned_model_endpoint"])

    project.preview("dev", cwd=project.consumer_dir, expect=EXIT_CHANGES_PROPOSED)
    project.up("dev", cwd=project.consumer_dir)
    assert json.loads(app_config.read_text())["model_endpoint"] == after["tuned_model_endpoint"]
    project.preview("dev", cwd=project.consumer_dir, expect=0)


def test_new_training_data_is_a_new_model_version(new_project: Callable[[], Project]) -> None:
    project = new_project()
    project.init("dev")
    project.up("dev")
    before = project.outputs("dev")

    data = project.root / "stacks" / "data" / "support-train.jsonl"
    example = {
        "contents": [
            {"role": "user", "parts": [{"text": "Do you sell gift cards?"}]},
            {"role": "model", "parts": [{"text": "Yes, from $10 to $500 at example.com/gift."}]},
        ]
    }
    data.write_text(data.read_text() + json.dumps(example) + "\n")
    diff = project.preview("dev", expect=EXIT_CHANGES_PROPOSED)
    assert "+-pulumi-python:dynamic/vertex-tuning:TrainingDataset: (replace)" in diff
    assert f"+-{TUNING_JOB}: (replace)" in diff

    project.up("dev")
    after = project.outputs("dev")
    assert after["tuned_model_labels"]["data"] == hashlib.sha256(data.read_bytes()).hexdigest()[:8]
    assert after["tuned_model_labels"]["data"] != before["tuned_model_labels"]["data"]
    assert after["training_data_uri"] != before["training_data_uri"]
    assert after["tuning_data_stats"]["tuning_dataset_example_count"] == (
        before["tuning_data_stats"]["tuning_dataset_example_count"] + 1
    )
    # dev deletes the replaced data (prod keeps it, with its model), and the replaced
    # evaluation's report: what is left is the new data and the new report beside it.
    uris = {f"gs://{project.bucket.name}/{blob.name}" for blob in project.bucket.list_blobs()}
    report = after["evaluation_report"].rsplit("/", 1)[0]
    reports = {f"{report}/{name}" for name in ("report.html", "scores.png", "results.jsonl")}
    assert before["evaluation_report"] != after["evaluation_report"]
    assert uris == {after["training_data_uri"], *reports}
    project.preview("dev", expect=0)


def test_a_failing_smoke_case_fails_up_with_the_report_and_reruns_when_fixed(
    new_project: Callable[[], Project], stack_emulator: RunningEmulator
) -> None:
    project = new_project()
    project.init("dev")
    case = "vertex-tuning:smokeTests[3]"
    project.config("dev", f"{case}.name", "seashells", "--path")
    project.config("dev", f"{case}.prompt", "Can I pay with seashells?", "--path")
    project.config("dev", f"{case}.contains[0]", "seashells welcome", "--path")

    failed = project.pulumi("up", "--yes", "--stack", "dev", expect=None)
    assert failed.returncode != 0
    log = failed.stdout + failed.stderr
    assert "[FAIL] seashells: 'Can I pay with seashells?'" in log
    assert "- answer does not contain 'seashells welcome'" in log
    assert "[PASS] refund policy" in log
    assert "3/4 smoke cases passed" in log
    # The model was tuned; only the check failed, and the failed check is not in the state.
    types = [r["type"] for r in project.resources("dev")]
    assert TUNING_JOB in types
    assert not [t for t in types if t.endswith("ModelSmokeTest")]

    creates = stack_emulator.control.request_counts().get("CreateTuningJob", 0)
    project.pulumi("config", "rm", case, "--path", "--stack", "dev")
    log = project.up("dev")
    assert "3/3 smoke cases passed" in log
    assert stack_emulator.control.request_counts().get("CreateTuningJob", 0) == creates
    project.preview("dev", expect=0)


def test_prod_protects_the_tuned_model_from_destroy_and_replacement(
    deployed: Project, stack_emulator: RunningEmulator
) -> None:
    deployed.init("prod")
    deployed.up("prod")
    out = deployed.outputs("prod")
    (job,) = [r for r in deployed.resources("prod") if r["type"] == TUNING_JOB]
    assert job.get("protect") is True

    resources = deployed.resources("prod")
    done = deployed.pulumi("destroy", "--yes", "--stack", "prod", expect=None)
    assert done.returncode != 0
    assert re.search(r"cannot be deleted\s+because it is protected", done.stdout), done.stdout
    assert deployed.resources("prod") == resources  # refused before deleting anything
    vertex_api = make_clients(stack_emulator.url)
    assert _exists(vertex_api.endpoints.get_endpoint, out["tuned_model_endpoint"])
    assert _exists(vertex_api.models.get_model, out["tuned_model"])

    # A new prod version is deliberate: protect refuses the replacement too, until the same
    # update lifts it; the old model stays in the registry (onDelete: keep).
    deployed.config("prod", "vertex-tuning:learningRateMultiplier", "0.4")
    refused = deployed.pulumi("preview", "--stack", "prod", expect=None)
    assert refused.returncode != 0
    assert re.search(
        r"unable to replace resource \S+TuningJob::tuned-model\"\s+as it is currently marked "
        "for protection",
        refused.stdout,
    ), refused.stdout
    deployed.config("prod", "vertex-tuning:protect", "false")
    deployed.up("prod")
    new = deployed.outputs("prod")
    assert new["tuned_model_endpoint"] != out["tuned_model_endpoint"]
    # The new version was measured against the one prod served (its own promoted_endpoint).
    assert "served" not in out["evaluation_scores"]
    assert new["evaluation_scores"]["served"] == out["evaluation_scores"]["tuned"]
    assert new["promoted_endpoint"] != out["promoted_endpoint"]
    assert _exists(vertex_api.models.get_model, out["tuned_model"])


def test_bad_stack_config_fails_preview_naming_each_key_and_rule(
    new_project: Callable[[], Project], stack_emulator: RunningEmulator
) -> None:
    project = new_project()
    project.init("dev")
    project.config("dev", "vertex-tuning:epochcount", "3")  # a typo of epochCount
    project.config("dev", "vertex-tuning:protect", "maybe")
    project.config("dev", "vertex-tuning:smokeTests[0].regex", "([", "--path")
    project.pulumi("config", "rm", "vertex-tuning:team", "--stack", "dev")
    calls = stack_emulator.control.request_counts()

    done = project.pulumi("preview", "--stack", "dev", expect=None)
    assert done.returncode != 0
    log = done.stdout + done.stderr
    assert "vertex-tuning:epochcount: is not a setting of this program (known: " in log
    assert "vertex-tuning:protect: Input should be a valid boolean" in log
    assert "vertex-tuning:smokeTests[0].regex: regex '([' does not compile" in log
    assert "vertex-tuning:team: is required: pulumi config set vertex-tuning:team VALUE" in log
    assert stack_emulator.control.request_counts() == calls


def test_prod_over_its_budget_fails_preview_naming_the_job_estimate_budget_and_key(
    new_project: Callable[[], Project], stack_emulator: RunningEmulator
) -> None:
    project = new_project()
    project.init("prod")
    project.config("prod", "vertex-tuning:budgetUsd", "0.25")  # committed: 5, the jobs: $0.57
    calls = stack_emulator.control.request_counts()

    done = project.pulumi("preview", "--stack", "prod", expect=None)
    assert done.returncode != 0
    log = " ".join((done.stdout + done.stderr).split())
    assert (
        "stack budget vertex-tuning:budgetUsd=$0.25 is lower than the estimated $0.57 of its "
        "tuning jobs (tuned-model $0.57); raise vertex-tuning:budgetUsd, or lower "
        "vertex-tuning:epochCount or the training data"
    ) in log
    assert (
        "tuning job tuned-model: cost estimate: 11,333 tokens/epoch (countTokens, "
        "gemini-2.5-flash" in log
    )
    made = {k: v - calls.get(k, 0) for k, v in stack_emulator.control.request_counts().items()}
    assert {k for k, v in made.items() if v} <= {"CountTokens"}  # no tuning call
