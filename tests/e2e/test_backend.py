"""A team backend: state in a Cloud Storage bucket (`pulumi login gs://BUCKET`) on the
gcp-storage-emulator, a model stack from the template and a consumer stack reading its endpoint
through a StackReference, and a teammate who logs in to the same bucket and sees both.

The engine's GCS driver (gocloud) honours STORAGE_EMULATOR_HOST, as host:port without a scheme
(it prefixes http:// itself), and Pulumi's own credential lookup runs before it, so some
credential must be set: GOOGLE_OAUTH_ACCESS_TOKEN=dummy (gocloud then never sends it).
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.template_project import (
    TemplateProject,
    create_bucket,
    emulator_env,
    sh,
    without,
)

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def team_env(
    pulumi_env: dict[str, str], emulator_session: RunningEmulator, tmp_path: Path
) -> dict[str, str]:
    """A shell logged in to nothing yet, pointed at the emulators the way the README says."""
    emulator_session.control.reset()
    emulator_session.control.configure(job_seconds=1, require_token=None)
    host = emulator_session.storage_url.removeprefix("http://")
    env = emulator_env(without(pulumi_env, "PULUMI_BACKEND_URL"), emulator_session.url, host)
    env["GOOGLE_OAUTH_ACCESS_TOKEN"] = "dummy"
    env["PULUMI_HOME"] = str(tmp_path / "home-me")  # `pulumi login` writes credentials here
    return env


def consumer_project(root: Path, env: dict[str, str]) -> TemplateProject:
    """stacks/consumer (the repository's StackReference example), as its own project."""
    root.mkdir()
    shutil.copy2(REPO / "stacks" / "consumer" / "__main__.py", root / "__main__.py")
    (root / "Pulumi.yaml").write_text(
        "name: tuned-model-consumer\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        f"    virtualenv: {Path(sys.prefix)}\n"
    )
    return TemplateProject(root, env)


@pytest.mark.long  # `make test-long`: about 40 s
def test_two_stacks_share_state_and_an_endpoint_in_a_gcs_bucket(
    team_env: dict[str, str], tmp_path: Path
) -> None:
    host = team_env["STORAGE_EMULATOR_HOST"]
    state = f"team-state-{uuid.uuid4().hex[:8]}"
    data = f"team-data-{uuid.uuid4().hex[:8]}"
    create_bucket(host, state)
    create_bucket(host, data)

    model = TemplateProject.new(
        tmp_path / "acme-model", team_env, venv=Path(sys.prefix), init=False
    )
    login = model.pulumi("login", f"gs://{state}").output
    assert f"(gs://{state})" in login
    model.pulumi("stack", "init", "dev")
    model.configure("dev", data)
    model.pulumi("up", "--yes", "--stack", "dev")
    endpoint = model.outputs("dev")["tuned_model_endpoint"]

    consumer = consumer_project(tmp_path / "consumer", team_env)
    consumer.pulumi("stack", "init", "dev")
    for key, value in {
        "modelStack": "organization/acme-model/dev",
        "configPath": str(tmp_path / "app-config.json"),
    }.items():
        consumer.pulumi("config", "set", key, value, "--stack", "dev")
    consumer.pulumi("up", "--yes", "--stack", "dev")
    assert consumer.outputs("dev")["app_endpoint"] == endpoint
    app_config = json.loads((tmp_path / "app-config.json").read_text())
    assert app_config["model_endpoint"] == endpoint

    # Both stacks live in the bucket, as the engine's diy layout names them.
    listing = json.loads(sh(f"curl -sSf 'http://{host}/storage/v1/b/{state}/o'"))
    names = {item["name"] for item in listing.get("items", [])}
    assert ".pulumi/stacks/acme-model/dev.json" in names
    assert ".pulumi/stacks/tuned-model-consumer/dev.json" in names

    # A teammate: another machine's login to the same bucket sees the same stacks and outputs.
    teammate = {**team_env, "PULUMI_HOME": str(tmp_path / "home-teammate")}
    mate = TemplateProject(model.root, teammate)
    mate.pulumi("login", f"gs://{state}")
    stacks = mate.pulumi("stack", "ls", "--all", "--json").output
    # (--all names the current project's stacks short.)
    assert {s["name"] for s in json.loads(stacks)} == {
        "dev",
        "organization/tuned-model-consumer/dev",
    }
    assert mate.outputs("dev")["tuned_model_endpoint"] == endpoint
    mate.pulumi("preview", "--expect-no-changes", "--stack", "dev")


def test_why_login_needs_a_credential_and_a_host_without_scheme(
    team_env: dict[str, str],
) -> None:
    """The two ways `pulumi login gs://` against the emulator fails, as the README explains."""
    host = team_env["STORAGE_EMULATOR_HOST"]
    state = f"team-state-{uuid.uuid4().hex[:8]}"
    create_bucket(host, state)
    cwd = TemplateProject(Path(team_env["PULUMI_HOME"]).parent, team_env)

    no_credential = TemplateProject(cwd.root, without(team_env, "GOOGLE_OAUTH_ACCESS_TOKEN"))
    failed = no_credential.pulumi("login", f"gs://{state}", expect=None)
    assert failed.returncode != 0
    assert "missing google credentials" in failed.output

    with_scheme = TemplateProject(cwd.root, {**team_env, "STORAGE_EMULATOR_HOST": f"http://{host}"})
    failed = with_scheme.pulumi("login", f"gs://{state}", expect=None)
    assert failed.returncode != 0, failed.output
    assert '"http://http/' in failed.output  # gocloud prefixed http:// to a URL
