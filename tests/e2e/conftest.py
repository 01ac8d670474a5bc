"""Fixtures for tests that drive the real Pulumi CLI against a local file backend."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pulumi_bin() -> str:
    """The engine's bin dir, installed (or found in the cache) by the project's own script.

    Never skipped: a missing engine is a failure, because these tests are the proof it works.
    """
    out = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi.sh")],
        check=True,
        capture_output=True,
        text=True,
    )
    bin_dir = out.stdout.strip().splitlines()[-1]
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    assert shutil.which("pulumi") == str(Path(bin_dir) / "pulumi")
    return bin_dir


@pytest.fixture
def pulumi_env(pulumi_bin: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for one test's stacks: a file:// backend in a temp dir, no prompts, no updates."""
    state = tmp_path / "state"
    state.mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        # Inline programs have no Pulumi.yaml virtualenv: the dynamic-provider launcher then
        # runs PULUMI_PYTHON_CMD, which must be this interpreter (it has the package).
        "PULUMI_PYTHON_CMD": sys.executable,
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield {**os.environ, **env}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


HostWorkspace = Callable[[Path, str, dict[str, str]], auto.LocalWorkspaceOptions]


@pytest.fixture
def host_workspace() -> HostWorkspace:
    """Makes workspace options for inline programs whose dynamic resources our host serves.

    Automation API's ProjectSettings has no `plugins`, so the host is named in a Pulumi.yaml in
    the workspace directory, as a user's project names it (see vertex_tuning/host.py).
    """

    def make(work_dir: Path, project_name: str, env: dict[str, str]) -> auto.LocalWorkspaceOptions:
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "Pulumi.yaml").write_text(
            f"name: {project_name}\n"
            "runtime: python\n"
            "plugins:\n"
            "  providers:\n"
            "    - name: pulumi-python\n"
            f"      path: {Path(sys.executable).parent}\n"
        )
        return auto.LocalWorkspaceOptions(work_dir=str(work_dir), env_vars=env)

    return make


@pytest.fixture(scope="session")
def policy_pack() -> str:
    """policies/, with its own virtualenv installed (or found) by the project's own script."""
    out = subprocess.run(
        [str(REPO / "scripts" / "install-policy-pack.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.stdout.strip().splitlines()[-1]
