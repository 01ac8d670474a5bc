"""A project made from templates/vertex-tuning-python by `pulumi new`, outside this repository,
driven by the `pulumi` CLI; and the README's emulator recipes (a bucket, a failed or slow job)
as the shell commands it prints. Used by test_template, test_backend, test_ci and
test_release_install.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "templates" / "vertex-tuning-python"
GCP_PROJECT = "test-project"


def sh(command: str, env: dict[str, str] | None = None) -> str:
    """Run a README command line in bash; its stdout (fails on a non-zero exit)."""
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; {command}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def create_bucket(storage_host: str, bucket: str) -> None:
    """The README's bucket for your own project, against the Cloud Storage emulator."""
    url = storage_host if "://" in storage_host else f"http://{storage_host}"
    sh(
        f"curl -sSf -X POST '{url}/storage/v1/b?project={GCP_PROJECT}' "
        "-H 'Content-Type: application/json' "
        f"-d {shlex.quote(json.dumps({'name': bucket}))}"
    )


@dataclass
class Done:
    returncode: int
    output: str


@dataclass
class TemplateProject:
    """`pulumi new ./templates/vertex-tuning-python` in `root`, and the CLI run there."""

    root: Path
    env: dict[str, str]

    @classmethod
    def new(
        cls,
        root: Path,
        env: dict[str, str],
        *,
        name: str = "acme-model",
        venv: Path | None = None,
        init: bool = True,
    ) -> TemplateProject:
        """`pulumi new TEMPLATE --yes --dir ROOT --name NAME --stack dev`.

        With `venv` (a virtualenv with vertex-tuning installed) the project's venv/ is linked to
        it and `--generate-only` skips the install, so a test need not build one (`init`: then
        init the dev stack); without it `pulumi new` installs requirements.txt (the pinned
        wheel, from PIP_FIND_LINKS) and makes the stack itself.
        """
        argv = ["pulumi", "new", str(TEMPLATE), "--yes", "--dir", str(root), "--name", name]
        argv += ["--stack", "dev", "--non-interactive"]
        if venv is not None:
            argv.append("--generate-only")
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        project = cls(root, env)
        if venv is not None:
            (root / "venv").symlink_to(venv, target_is_directory=True)
            if init:
                project.pulumi("stack", "init", "dev")
        return project

    def pulumi(self, *args: str, expect: int | None = 0, timeout: float = 300) -> Done:
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = Done(done.returncode, done.stdout + done.stderr)
        if expect is not None:
            assert result.returncode == expect, f"pulumi {' '.join(args)}:\n{result.output}"
        return result

    def configure(self, stack: str, bucket: str, **extra: str) -> None:
        """Settings a user gives their stack: project, bucket; here also fast polling."""
        values = {
            "gcp:project": GCP_PROJECT,
            "vertex-tuning:dataBucket": bucket,
            # The emulator's jobs take about a second: poll at its pace, not at the cloud's.
            "vertex-tuning:pollInterval": "0.2",
            "vertex-tuning:maxPollInterval": "0.5",
            **extra,
        }
        for key, value in values.items():
            self.pulumi("config", "set", key, value, "--stack", stack)

    def outputs(self, stack: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(
            self.pulumi("stack", "output", "--json", "--stack", stack).output
        )
        return result


def emulator_env(base: dict[str, str], vertex_url: str, storage_host: str) -> dict[str, str]:
    """A user's shell pointed at the emulators: only the endpoints change."""
    env = {**base, "VERTEX_API_ENDPOINT": vertex_url, "STORAGE_EMULATOR_HOST": storage_host}
    env.pop("PULUMI_PYTHON_CMD", None)  # a project of its own runs its own venv's python
    return env


def without(env: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in keys}
