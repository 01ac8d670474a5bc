"""Secrets: with the emulator requiring a token, a full up/refresh/destroy through the real CLI
leaves the token nowhere in plain text: not in state (any file of the backend), the serialized
provider, the outputs, the project's files, nor the engine's most verbose logs.

The token arrives from VERTEX_ACCESS_TOKEN or from stack config as a secret; a plain-text config
token is refused before anything runs. The training data the service quotes back (sample
conversations in the data stats) stays out of outputs too.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import SUPPORT_EXAMPLES
from e2e.harness import Project, emulator_env, job_args

if TYPE_CHECKING:
    from collections.abc import Iterator

    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

TOKEN = "ya29.fault-suite-secret-token"
KEY = "vertex-tuning:accessToken"
#: The engine's most verbose logs, plugins' included: where a leaked value would surface first.
VERBOSE = ("-v=9", "--logtostderr", "--logflow")
#: A sentence only the training data contains.
TRAINING_TEXT = SUPPORT_EXAMPLES[0]["contents"][1]["parts"][0]["text"]


@pytest.fixture
def secured(emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """The emulator, refusing every call without the token (401) or with another (403)."""
    emulator.control.configure(job_seconds=1, require_token=TOKEN)
    yield emulator
    emulator.control.configure(require_token=None)


def make_project(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> Project:
    env = emulator_env(pulumi_env, emulator.url, emulator.storage_url)
    env.pop("VERTEX_ACCESS_TOKEN", None)
    project = Project(tmp_path / "project", env)
    project.program({"alpha": job_args(training_uri)})
    project.init()
    return project


def full_cycle(project: Project) -> dict[str, str]:
    """up, refresh and destroy with verbose logs; returns every place a secret could leak."""
    logs = [project.run("up", "--yes", "--skip-preview", *VERBOSE).check().output]
    places = {
        "outputs": project.run("stack", "output", "--json", "--show-secrets").check().output,
        "state": project.run("stack", "export").check().output,
        "serialized provider": "".join(
            base64.b64decode(outs["__provider"]).decode("latin-1")
            for outs in project.tuning_jobs().values()
        ),
    }
    logs.append(project.run("refresh", "--yes", "--skip-preview", *VERBOSE).check().output)
    logs.append(project.run("destroy", "--yes", "--skip-preview", *VERBOSE).check().output)
    places["logs"] = "\n".join(logs)
    backend = Path(project.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for root in (backend, project.root):
        for path in root.rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_bytes().decode("latin-1")
    return places


def test_a_token_from_the_environment_is_nowhere_and_neither_is_the_training_text(
    tmp_path: Path, pulumi_env: dict[str, str], secured: RunningEmulator, training_uri: str
) -> None:
    project = make_project(tmp_path, pulumi_env, secured, training_uri)
    project.env["VERTEX_ACCESS_TOKEN"] = TOKEN
    places = full_cycle(project)
    assert [where for where, text in places.items() if TOKEN in text] == []
    assert [where for where, text in places.items() if TRAINING_TEXT in text] == []
    # Decrypted, the state still holds no token: an environment token never reaches the engine.
    assert TOKEN not in json.dumps(project.export())


def test_a_token_from_stack_config_is_used_kept_secret_and_never_written_in_plain_text(
    tmp_path: Path, pulumi_env: dict[str, str], secured: RunningEmulator, training_uri: str
) -> None:
    project = make_project(tmp_path, pulumi_env, secured, training_uri)
    project.run("config", "set", "--secret", KEY, TOKEN).check()
    places = full_cycle(project)  # succeeds: the provider authenticated with the config token
    assert [where for where, text in places.items() if TOKEN in text] == []
    # The engine keeps stack config as the dynamic provider's inputs: encrypted, as a secret.
    assert "secure:" in (project.root / "Pulumi.dev.yaml").read_text()
    project.up().check()
    decrypted = project.export()
    holders = [r["urn"] for r in decrypted["resources"] if TOKEN in json.dumps(r)]
    assert holders == ["urn:pulumi:dev::faults::pulumi:providers:pulumi-python::default"], (
        "only the provider's own config may hold it"
    )
    (provider,) = (r for r in decrypted["resources"] if r["urn"] in holders)
    assert provider["inputs"][KEY]["plaintext"] == json.dumps(TOKEN)  # a secret envelope
    assert TOKEN not in json.dumps(project.run("stack", "export").check().output)


def test_a_plain_text_token_in_stack_config_is_refused_before_any_call(
    tmp_path: Path, pulumi_env: dict[str, str], secured: RunningEmulator, training_uri: str
) -> None:
    project = make_project(tmp_path, pulumi_env, secured, training_uri)
    project.run("config", "set", "--plaintext", KEY, TOKEN).check()
    refused = project.preview()
    assert refused.returncode != 0
    assert f"stack config {KEY} is in plain text" in refused.output
    assert f"pulumi config set --secret {KEY}" in refused.output
    assert secured.control.request_counts() == {}
    backend = Path(project.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    assert not [p for p in backend.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
