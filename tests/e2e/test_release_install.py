"""The release as a user installs it: the wheel `make dist` builds, pinned by the template's
requirements.txt and installed by `pulumi new` itself into the new project's own virtualenv
(outside this repository), our wheel from a directory (PIP_FIND_LINKS) and its dependencies
from the package index; then `pulumi up` of that project against the emulators.

The production install has no emulator dependencies, and `vertex-tuning emulator` says how to
get them; with the `emulator` extra it runs.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.template_project import TemplateProject, create_bucket, emulator_env
from vertex_tuning import __version__

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.long]  # `make test-long`: ~2.5 min, mostly pip

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of `make dist` (the same build command), alone in a directory."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in out.iterdir()] == [f"vertex_tuning-{__version__}-py3-none-any.whl"]
    return out


def run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)


def test_the_wheel_installs_into_a_new_project_and_deploys_the_template(
    wheel_dir: Path,
    pulumi_env: dict[str, str],
    emulator_session: RunningEmulator,
    tmp_path: Path,
) -> None:
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=1, require_token=None)
    env = emulator_env(pulumi_env, emulator_session.url, emulator_session.storage_url)
    env["PIP_FIND_LINKS"] = str(wheel_dir)  # where pip finds vertex-tuning==VERSION
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

    # `pulumi new` without --generate-only: it makes venv/ and pip-installs requirements.txt.
    project = TemplateProject.new(tmp_path / "acme-model", env)
    venv = project.root / "venv"
    python = str(venv / "bin" / "python")
    assert REPO not in project.root.parents
    shown = run([python, "-m", "pip", "show", "vertex-tuning"]).stdout
    assert f"Version: {__version__}" in shown
    assert f"Location: {venv}" in shown

    # A production install: no emulator dependencies, and the command says what to install.
    for module in ("werkzeug", "gcp_storage_emulator", "googleapiclient"):
        assert run([python, "-c", f"import {module}"]).returncode != 0
    missing = run([str(venv / "bin" / "vertex-tuning"), "emulator", "--port", "0"])
    assert missing.returncode == 2
    assert missing.stderr == (
        "error: the emulator needs the `emulator` extra (gcp_storage_emulator is not "
        "installed): pip install 'vertex-tuning[emulator]'\n"
    )

    bucket = f"acme-data-{uuid.uuid4().hex[:8]}"
    create_bucket(emulator_session.storage_url, bucket)
    project.configure("dev", bucket)
    project.pulumi("up", "--yes", "--stack", "dev")
    out = project.outputs("dev")
    assert out["tuned_model_endpoint"].split("/")[-2] == "endpoints"
    assert "30 days" in out["smoke_test_answers"]["refund policy"]
    project.pulumi("preview", "--expect-no-changes", "--stack", "dev")
    project.pulumi("destroy", "--yes", "--stack", "dev")

    # The extra, from the same wheel: the emulator starts and says where it listens.
    installed = run([python, "-m", "pip", "install", "-q", "vertex-tuning[emulator]"], env=env)
    assert installed.returncode == 0, installed.stderr
    emulator = subprocess.Popen(
        [str(venv / "bin" / "vertex-tuning"), "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**env, "STORAGE_EMULATOR_HOST": emulator_session.storage_url},
    )
    try:
        assert emulator.stdout is not None
        assert "Vertex AI emulator listening on http://127.0.0.1:" in emulator.stdout.readline()
    finally:
        emulator.kill()
        emulator.wait()
