"""The CI workflow (ci/github/vertex-tuning.yml): actionlint accepts it, it authenticates with
Workload Identity Federation only, and every command it runs is a ci/ script, run here as the
workflow runs them: on a checkout of this repository, the state in a gs:// bucket (the storage
emulator), against the Vertex AI emulator.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from e2e.template_project import create_bucket, emulator_env, without

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "ci" / "github" / "vertex-tuning.yml"


@pytest.fixture(scope="session")
def actionlint() -> str:
    """actionlint, built from the Go module proxy by the project's own script."""
    done = subprocess.run(
        [str(REPO / "scripts" / "install-actionlint.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout.strip().splitlines()[-1]


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps(job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow()["jobs"][job]["steps"]
    return found


def test_actionlint_accepts_the_workflow(actionlint: str, tmp_path: Path) -> None:
    done = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # ... and it is a real check: a job that needs one that does not exist is refused.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs: deploy-staging", "needs: deploy-qa"))
    done = subprocess.run([actionlint, str(broken)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "deploy-qa" in done.stdout


def test_every_command_the_workflow_runs_is_a_ci_script() -> None:
    for name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            if "run" in step:
                script = step["run"].split()[0]
                assert script.startswith("ci/") and script.endswith(".sh"), (name, step)
                assert os.access(REPO / script, os.X_OK), script


def test_the_scripts_run_every_tuning_job_at_once_unless_told_otherwise(tmp_path: Path) -> None:
    """The engine's default --parallel is 4 per CPU; past it, jobs tune in waves."""
    for name in ("up.sh", "preview.sh"):
        prologue = [
            line
            for line in (REPO / "ci" / name).read_text().splitlines()
            if line.startswith("export PULUMI_PARALLEL=")
        ]
        probe = tmp_path / "probe.sh"
        probe.write_text("\n".join([*prologue, 'echo "$PULUMI_PARALLEL"']))
        said = [
            subprocess.run(
                ["bash", str(probe)], env=env, capture_output=True, text=True, check=True
            ).stdout.strip()
            for env in (without(dict(os.environ), "PULUMI_PARALLEL"), {"PULUMI_PARALLEL": "3"})
        ]
        assert said == ["64", "3"], name


def test_keyless_auth_and_an_approval_for_prod() -> None:
    flow = workflow()
    assert flow["permissions"] == {"contents": "read"}
    for name, job in flow["jobs"].items():
        assert job["permissions"]["id-token"] == "write", name
        (auth,) = [s for s in job["steps"] if s.get("uses", "").startswith("google-github-")]
        assert auth["uses"] == "google-github-actions/auth@v2"
        assert set(auth["with"]) == {"workload_identity_provider", "service_account"}, name
        assert any(s.get("uses", "").startswith("pulumi/actions@") for s in job["steps"]), name
    assert "credentials_json" not in WORKFLOW.read_text()
    jobs = flow["jobs"]
    assert jobs["preview"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["preview"]["permissions"]["pull-requests"] == "write"
    comment = steps("preview")[-1]
    assert comment["if"] == "always()"
    assert comment["with"]["path"] == "preview-${{ matrix.stack }}.md"
    assert [jobs[j].get("needs") for j in ("deploy-dev", "deploy-staging", "deploy-prod")] == [
        None,
        "deploy-dev",
        "deploy-staging",
    ]
    assert [jobs[j]["environment"] for j in ("deploy-dev", "deploy-staging", "deploy-prod")] == [
        "dev",
        "staging",
        "prod",
    ]
    assert flow["env"]["PULUMI_BACKEND_URL"].startswith("gs://")


def checkout(dest: Path, bucket: str) -> Path:
    """This repository as CI checks it out (the project, ci/, scripts/), with the stack configs
    pointing at the test's data bucket and polling at the emulator's pace. The virtualenvs are
    this one and the policy pack's (so ci/setup.sh finds them installed)."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "Pulumi.yaml", dest)
    for tree in ("stacks", "ci", "scripts"):
        shutil.copytree(
            REPO / tree, dest / tree, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    (dest / "policies").symlink_to(REPO / "policies", target_is_directory=True)
    (dest / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    for config in (dest / "stacks").glob("Pulumi.*.yaml"):
        text = config.read_text().replace(
            "vertex-tuning:dataBucket: vertex-tuning-demo", f"vertex-tuning:dataBucket: {bucket}"
        )
        config.write_text(
            text.replace(
                "config:\n",
                'config:\n  vertex-tuning:pollInterval: "0.2"\n'
                '  vertex-tuning:maxPollInterval: "0.5"\n',
                1,
            )
        )
    return dest


def script(root: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(root / argv[0]), *argv[1:]],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.long  # `make test-long`: about a minute
def test_the_ci_scripts_preview_comment_and_deploy(
    pulumi_env: dict[str, str],
    emulator_session: RunningEmulator,
    policy_pack: str,
    tmp_path: Path,
) -> None:
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=1, require_token=None)
    host = emulator_session.storage_url.removeprefix("http://")
    state, data = (f"ci-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("state", "data"))
    create_bucket(host, state)
    create_bucket(host, data)
    # The workflow's environment: a gs:// backend, a passphrase, no salt in git.
    env = emulator_env(without(pulumi_env, "PULUMI_BACKEND_URL"), emulator_session.url, host)
    env |= {
        "PULUMI_BACKEND_URL": f"gs://{state}",
        "GOOGLE_OAUTH_ACCESS_TOKEN": "dummy",  # the emulator's stand-in for the auth action
        "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER": "true",
    }

    repo = checkout(tmp_path / "checkout", data)
    setup = script(repo, env, "ci/setup.sh")
    assert setup.returncode == 0, setup.stderr
    assert "ci/setup: v3.274.1 with vertex-tuning, version" in setup.stdout

    # The pull request: a preview and its comment.
    preview = script(repo, env, "ci/preview.sh", "dev")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    comment = (repo / "preview-dev.md").read_text()
    assert comment.startswith("### Pulumi preview of `dev`: passed\n")
    assert "**Changes:** create " in comment
    # The dataset counts its tokens at preview, so the job's estimate is in the plan.
    estimate = re.search(r"\*\*Cost estimate:\*\* (\d+\.\d\d) USD \((.*)\)", comment)
    assert estimate is not None, comment
    assert "tuned-model " in estimate.group(2), comment
    assert "vertex-tuning-guardrails" in comment
    assert "<details><summary>Diff</summary>" in comment
    assert "+ pulumi-python:dynamic/vertex-tuning:TuningJob: (create)" in comment
    assert "**Policies:** no violations" in comment  # the job has its estimate: no advisory

    # The merge: `up`, then the check that the stack matches its code.
    up = script(repo, env, "ci/up.sh", "dev")
    assert up.returncode == 0, up.stdout + up.stderr

    # The next pull request, on another runner's fresh checkout: no changes, same secrets.
    again = checkout(tmp_path / "checkout-2", data)
    preview = script(again, env, "ci/preview.sh", "dev")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "**Changes:** none" in (again / "preview-dev.md").read_text()

    # A pull request that unprotects prod fails its check, and the comment says why.
    prod = again / "stacks" / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace('protect: "true"', 'protect: "false"'))
    preview = script(again, env, "ci/preview.sh", "prod")
    assert preview.returncode != 0
    comment = (again / "preview-prod.md").read_text()
    assert comment.startswith("### Pulumi preview of `prod`: failed (exit ")
    policies = comment.split("**Policies:**", 1)[1].split("<details>", 1)[0]
    assert "[mandatory]  vertex-prod-protected" in policies
    assert "TuningJob 'tuned-model' is not protected in a prod stack" in policies
