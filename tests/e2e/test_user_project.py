"""A user's own project, outside this repository, served by our provider host, and what the
user sees when something fails.

Each layout Pulumi supports for a Python program (a sibling module and a package of the
program's own, `main:` naming a directory or a file, `stackConfigDir`) has dynamic providers that
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


def _program(*modules: str | None) -> str:
    """The user's __main__: an EndpointFile from each module (None: defined in the program)."""
    lines = ["import pulumi"]
    for i, module in enumerate(modules):
        if module:
            lines.append(f"from {module} import EndpointFile as EndpointFile{i}")
        else:
            lines += [PROVIDER, f"EndpointFile{i} = EndpointFile"]
    lines.append(f'value = pulumi.Config().get("value") or "{DEFAULT_VALUE}"')
    for i in range(len(modules)):
        lines += [
            f'f{i} = EndpointFile{i}("endpoint{i}", value)',
            f'pulumi.export("served_by{i}", f{i}.served_by)',
            f'pulumi.export("cwd{i}", f{i}.cwd)',
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Layout:
    """A project shape: extra Pulumi.yaml lines, its files, and where the program is."""

    settings: str
    files: dict[str, str]
    program_dir: str = "."
    providers: int = 2  # EndpointFiles the program declares, each from its own module
    value: str = DEFAULT_VALUE  # what the program reads from its stack config, if any


def _own_modules(where: str = "") -> dict[str, str]:
    """The program and its provider twice: in a sibling module and in a package of its own."""
    return {
        f"{where}__main__.py": _program("endpoint_file", "mypkg.providers"),
        f"{where}endpoint_file.py": PROVIDER,
        f"{where}mypkg/__init__.py": "",
        f"{where}mypkg/providers.py": PROVIDER,
    }


LAYOUTS: dict[str, Layout] = {
    "project-root": Layout("", _own_modules()),
    "main-directory-and-stack-config-dir": Layout(
        "main: infra/\nstackConfigDir: stacks/\n",
        {
            **_own_modules("infra/"),
            "stacks/Pulumi.dev.yaml": "config:\n  userproj:value: https://from-stack-config\n",
        },
        "infra",
        value="https://from-stack-config",
    ),
    # The language host runs a `main:` file without its directory on sys.path, so a program
    # file cannot import a sibling; its provider lives in it and is pickled by value.
    "main-file": Layout(
        "main: deploy/stack.py\n", {"deploy/stack.py": _program(None)}, "deploy", providers=1
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
    shape = LAYOUTS[layout]
    for i in range(shape.providers):
        assert outputs[f"served_by{i}"] == "pulumi-resource-pulumi-python"  # ours, not stock
        assert Path(outputs[f"cwd{i}"]) == program_dir  # relative paths resolve as under stock
        assert (program_dir / f"endpoint{i}.txt").read_text() == shape.value
    run("destroy", "--yes", "--skip-preview", "--stack", "dev")  # unpickled from state alone
    assert list(program_dir.glob("endpoint*.txt")) == []


# -- failures: expected ones are one message, bugs keep their traceback -----------------------


def test_a_bug_in_the_users_provider_shows_its_traceback(
    tmp_path: Path, pulumi_env: dict[str, str]
) -> None:
    root = tmp_path / "userproj"
    _write_project(root, "project-root")
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
