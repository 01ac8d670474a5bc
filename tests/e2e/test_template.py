"""`pulumi new ./templates/vertex-tuning-python` makes a project outside this repository that
deploys against the emulators, passes the policy pack in dev and prod, and fails a job the way
the README tells you to make the emulator fail one.

These use `--generate-only` and link the project's venv/ to this virtualenv, so no install is
paid per test; tests/e2e/test_release_install.py runs the whole `pulumi new` with the wheel.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.template_project import TEMPLATE, TemplateProject, create_bucket, emulator_env, sh
from vertex_tuning import __version__

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def quick_emulator(emulator_session: RunningEmulator) -> RunningEmulator:
    """The session's emulator, emptied, with jobs that succeed after a second."""
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=1, require_token=None)
    return emulator_session


@pytest.fixture
def project(
    pulumi_env: dict[str, str], quick_emulator: RunningEmulator, tmp_path: Path
) -> TemplateProject:
    """The template's project in a temp dir (not under this repository), dev stack configured,
    its bucket made with the README's command."""
    env = emulator_env(pulumi_env, quick_emulator.url, quick_emulator.storage_url)
    made = TemplateProject.new(tmp_path / "acme-model", env, venv=Path(sys.prefix))
    bucket = f"acme-data-{uuid.uuid4().hex[:8]}"
    create_bucket(quick_emulator.storage_url, bucket)
    made.configure("dev", bucket)
    return made


def test_pulumi_new_makes_a_project_named_and_pinned_as_asked(project: TemplateProject) -> None:
    assert REPO not in project.root.parents
    pulumi_yaml = (project.root / "Pulumi.yaml").read_text()
    assert pulumi_yaml.startswith("name: acme-model\n")
    assert "    - name: pulumi-python\n      path: bin\n" in pulumi_yaml
    assert "\ntemplate:" not in pulumi_yaml  # the template section is gone
    assert (project.root / "requirements.txt").read_text() == f"vertex-tuning=={__version__}\n"
    assert (project.root / "README.md").read_text().startswith("# acme-model\n")
    assert (project.root / "bin" / "pulumi-resource-pulumi-python").stat().st_mode & 0o111
    assert {p.name for p in project.root.glob("Pulumi.*.yaml")} == {
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
    }


def test_the_template_deploys_dev_and_smoke_tests_the_endpoint(
    project: TemplateProject, quick_emulator: RunningEmulator
) -> None:
    # The engine runs bin/pulumi-resource-pulumi-python (Pulumi.yaml), which runs venv/'s host.
    project.pulumi("up", "--yes", "--stack", "dev")
    out = project.outputs("dev")
    assert re.fullmatch(
        r"projects/\d+/locations/us-central1/endpoints/\d+", out["tuned_model_endpoint"]
    )
    assert "30 days" in out["smoke_test_answers"]["refund policy"]
    assert out["training_data_uri"].startswith(f"gs://{out['training_data_uri'].split('/')[2]}/")
    (job,) = quick_emulator.control.jobs()
    assert job["labels"]["team"] == "ml-platform"
    assert job["labels"]["environment"] == "dev"
    assert job["baseModel"] == "gemini-2.5-flash-lite"
    project.pulumi("preview", "--diff", "--expect-no-changes", "--stack", "dev")


def test_dev_and_prod_pass_the_policy_pack(
    project: TemplateProject, policy_pack: str, quick_emulator: RunningEmulator
) -> None:
    project.pulumi("stack", "init", "prod")
    project.configure("prod", "acme-prod-data")
    for stack in ("dev", "prod"):
        result = project.pulumi("preview", "--stack", stack, "--policy-pack", policy_pack)
        assert "vertex-tuning-guardrails" in result.output
        assert "[mandatory]" not in result.output, result.output
    # Without its smoke tests, prod fails the gate rule.
    project.pulumi("config", "rm", "vertex-tuning:smokeTests", "--stack", "prod")
    result = project.pulumi("preview", "--stack", "prod", "--policy-pack", policy_pack, expect=None)
    assert result.returncode != 0
    assert "vertex-prod-endpoint-gate" in result.output


def test_the_readme_recipes_slow_a_job_then_fail_it(
    project: TemplateProject, quick_emulator: RunningEmulator
) -> None:
    """README "Make the emulator fail or slow a job": the control path, with curl."""
    e = quick_emulator.url
    # `vertex-tuning emulator` leaves its control path open, as the README's commands expect;
    # the test's in-process emulator guards it with a token, which curl here carries.
    curl = f"curl -sSf -H 'Authorization: Bearer {quick_emulator.control.token}'"
    sh(f"{curl} -X POST {e}/_emulator/config -d '{{\"jobSeconds\": 3600}}'")
    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--stack", "dev", "--non-interactive"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not json.loads(sh(f"{curl} {e}/_emulator/jobs"))["tuningJobs"]:
            assert time.monotonic() < deadline and up.poll() is None, "no job was submitted"
            time.sleep(0.2)
        (job,) = json.loads(sh(f"{curl} {e}/_emulator/jobs"))["tuningJobs"]
        assert job["state"] in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")  # an hour to go
        job_id = job["name"].rsplit("/", 1)[-1]
        body = {"state": "JOB_STATE_FAILED", "error": {"code": 8, "message": "Quota exceeded"}}
        sh(f"{curl} -X POST {e}/_emulator/jobs/{job_id}:finish -d '{json.dumps(body)}'")
        output, _ = up.communicate(timeout=120)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode != 0
    assert "Quota exceeded" in output, output
    assert "FAILED" in output


def test_the_template_is_a_template() -> None:
    """What `pulumi new` reads: ${PROJECT} only where the engine substitutes it safely."""
    pulumi_yaml = (TEMPLATE / "Pulumi.yaml").read_text()
    assert pulumi_yaml.startswith("name: ${PROJECT}\n")
    # 3.274 substitutes ${PROJECT} in *.yaml as a YAML document ("acme\n"): fine at the end of
    # `name:`, broken inside a config key, so the stack configs use the vertex-tuning: namespace.
    for config in TEMPLATE.glob("Pulumi.*.yaml"):
        assert "${PROJECT}" not in config.read_text()
