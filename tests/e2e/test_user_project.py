"""A user's own project, outside this repository, served by our provider host.

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

import pytest

from e2e.harness import VENV, pulumi

pytestmark = pytest.mark.e2e

PROVIDER = '''\
"""The user's dynamic provider: writes the value to a file, as a local endpoint registry might."""

import os
import sys
from pathlib import Path

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class EndpointFileProvider(ResourceProvider):
    def create(self, props):
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
