"""A user's own project, outside this repository, served by our provider host, and what the
user sees when something fails.

Each layout Pulumi supports for a Python program (a sibling module, `main:` naming a directory
or a file, a package of the program's own, `stackConfigDir`) has its own dynamic provider that
the stock host can unpickle; the README tells users to name our host in Pulumi.yaml, so it has
to unpickle them too. The provider writes a file relative to its working directory and reports
which process served it, so each run shows where it ran and that it was our host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e.harness import VENV, Project, emulator_env, job_args, pulumi

if TYPE_CHECKING:
    from conftest import Datasets
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

PROVIDER = '''\
"""The user's dynamic provider: writes the value to a file, as a local endpoint registry might."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class EndpointFileProvider(ResourceProvider):
    def create(self, props):
        if props["value"] == "divide by zero":
            return 1 / 0  # a bug
        Path(props["path"]).write_text(props["value"])
        served_by = Path(sys.argv[0]).name
        return CreateResult(props["path"], {**props, "served_by": served_by, "cwd": os.getcwd()})

    def delete(self, id_, props):
        Path(id_).unlink(missing_ok=True)


class EndpointFile(Resource):
    def __init__(self, name, value, opts=None):
        props = {"path": f"{name}.txt", "value": value, "served_by": None, "cwd": None}
        super().__init__(EndpointFileProvider(), name, props, opts)
'''

DEFAULT_VALUE = "https://example.invalid/v1"


def _program(module: str | None) -> str:
    """The user's __main__: imports EndpointFile from `module` (None: defines it itself)."""
    return (
        "import pulumi\n" + (f"from {module} import EndpointFile\n" if module else PROVIDER) + "\n"
        f'value = pulumi.Config().get("value") or "{DEFAULT_VALUE}"\n'
        'f = EndpointFile("endpoint", value)\n'
        'pulumi.export("served_by", f.served_by)\n'
        'pulumi.export("cwd", f.cwd)\n'
    )


@dataclass(frozen=True)
class Layout:
    """A project shape: extra Pulumi.yaml lines, its files, and where the program is."""

    settings: str
    files: dict[str, str]
    program_dir: str = "."
    value: str = DEFAULT_VALUE  # what the program reads from its stack config, if any


LAYOUTS: dict[str, Layout] = {
    "sibling-module": Layout(
        "", {"__main__.py": _program("endpoint_file"), "endpoint_file.py": PROVIDER}
    ),
    "main-directory": Layout(
        "main: infra/\n",
        {"infra/__main__.py": _program("endpoint_file"), "infra/endpoint_file.py": PROVIDER},
        "infra",
    ),
    # The language host runs a `main:` file without its directory on sys.path, so a program
    # file cannot import a sibling; its provider lives in it and is pickled by value.
    "main-file": Layout("main: deploy/stack.py\n", {"deploy/stack.py": _program(None)}, "deploy"),
    "package": Layout(
        "",
        {
            "__main__.py": _program("mypkg.providers"),
            "mypkg/__init__.py": "",
            "mypkg/providers.py": PROVIDER,
        },
    ),
    "stack-config-dir": Layout(
        "main: src/\nstackConfigDir: stacks/\n",
        {
            "src/__main__.py": _program("mypkg.providers"),
            "src/mypkg/__init__.py": "",
            "src/mypkg/providers.py": PROVIDER,
            "stacks/Pulumi.dev.yaml": "config:\n  userproj:value: https://from-stack-config\n",
        },
        "src",
        value="https://from-stack-config",
    ),
}


def _write_project(root: Path, layout: str) -> Path:
    shape = LAYOUTS[layout]
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(
        "name: userproj\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        f"    virtualenv: {VENV}\n"
        f"{shape.settings}"
        # The README's entry: vertex-tuning's host serves every dynamic resource, the user's too.
        "plugins:\n"
        "  providers:\n"
        "    - name: pulumi-python\n"
        f"      path: {VENV / 'bin'}\n"
    )
    for name, text in shape.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return (root / shape.program_dir).resolve()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_our_host_serves_the_users_own_dynamic_provider(
    tmp_path: Path, pulumi_env: dict[str, str], layout: str
) -> None:
    root = tmp_path / "userproj"
    program_dir = _write_project(root, layout)

    def run(*args: str) -> str:
        result = pulumi(root, pulumi_env, *args, "--non-interactive")
        assert result.returncode == 0, f"pulumi {' '.join(args)} ({layout}):\n{result.output}"
        return result.output

    run("stack", "init", "dev")
    run("up", "--yes", "--stack", "dev")  # preview, then update: check, diff and create
    outputs = json.loads(run("stack", "output", "--json", "--stack", "dev"))
    assert outputs["served_by"] == "pulumi-resource-pulumi-python"  # ours, not the stock one
    assert Path(outputs["cwd"]) == program_dir  # relative paths resolve as under the stock host
    assert (program_dir / "endpoint.txt").read_text() == LAYOUTS[layout].value
    run("destroy", "--yes", "--skip-preview", "--stack", "dev")  # unpickled from state alone
    assert not (program_dir / "endpoint.txt").exists()


# -- failures: expected ones are one message, bugs keep their traceback -----------------------


def test_a_bug_in_the_users_provider_shows_its_traceback(
    tmp_path: Path, pulumi_env: dict[str, str]
) -> None:
    root = tmp_path / "userproj"
    _write_project(root, "sibling-module")
    pulumi(root, pulumi_env, "stack", "init", "dev", "--non-interactive")
    pulumi(root, pulumi_env, "config", "set", "value", "divide by zero", "--stack", "dev")
    failed = pulumi(root, pulumi_env, "up", "--yes", "--skip-preview", "--non-interactive")
    assert failed.returncode != 0
    assert "Traceback" in failed.output and "ZeroDivisionError" in failed.output, failed.output


def test_missing_data_and_a_refused_call_are_one_message_each_with_the_hint(
    tmp_path: Path,
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    datasets: Datasets,
    training_uri: str,
) -> None:
    project = Project(
        tmp_path / "project",
        emulator_env(pulumi_env, emulator.url, emulator.storage_url),
    )
    project.init()
    missing = datasets.missing()
    project.program(
        {
            "missing": job_args(missing, tuned_model_display_name="missing"),
            "denied": job_args(training_uri, tuned_model_display_name="denied"),
        }
    )
    emulator.control.set_faults(rate=1.0, kinds=["403"], methods=["CreateTuningJob"])

    failed = project.up()
    assert failed.returncode != 0
    assert f"error: checking training data ({missing}): NOT_FOUND: the object" in failed.output
    assert "error: creating tuning job (denied): PERMISSION_DENIED: " in failed.output
    assert "Hint: grant the identity that runs Pulumi Vertex AI User" in failed.output
    assert "Traceback" not in failed.output, failed.output

    # Asked for (`pulumi up --debug`), the traceback is on the resource's debug log.
    debug = project.run("up", "--yes", "--skip-preview", "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.output
    assert "vertex_tuning.errors.NotFound: checking training data" in debug.output
