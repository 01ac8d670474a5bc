"""Never touch what is not ours: jobs, models and endpoints belong to one resource of one stack.

Through the real `pulumi` CLI against the emulator. Before owners were labelled, the adoption
key was "<project>/<stack>/<resource name>": two unrelated backends with alike names, or two
same-named children of different components, shared one job, and one's destroy deleted the
endpoint the other still exported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import exists, make_clients
from e2e.harness import COMPONENTS, Project, emulator_env, job_args

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e


def _backend(pulumi_env: dict[str, str], state: Path, emulator: RunningEmulator) -> dict[str, str]:
    state.mkdir(parents=True)
    env = {**pulumi_env, "PULUMI_BACKEND_URL": f"file://{state}"}
    return emulator_env(env, emulator.url, emulator.storage_url)


def _endpoint(project: Project, resource: str = "model") -> str:
    outputs: dict[str, Any] = json.loads(project.run("stack", "output", "--json").check().output)
    return str(outputs[resource]["tuned_model_endpoint"])


def test_two_backends_with_alike_names_never_share_a_job(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> None:
    emulator.control.configure(job_seconds=1.0)
    endpoints = make_clients(emulator.url).endpoints
    projects = []
    for backend in ("a", "b"):  # the same project, stack and resource names on each
        env = _backend(pulumi_env, tmp_path / f"state-{backend}", emulator)
        project = Project(tmp_path / backend, env)
        project.program({"model": job_args(training_uri)})
        project.init()
        project.up().check()
        projects.append(project)
    first, second = projects

    jobs = emulator.control.jobs()
    assert len(jobs) == 2, "the second backend adopted the first one's job"
    ours, theirs = _endpoint(second), _endpoint(first)
    assert ours != theirs
    second.run("destroy", "--yes").check()
    assert not exists(endpoints.get_endpoint, ours)
    assert exists(endpoints.get_endpoint, theirs)  # the other backend's, untouched


def test_same_named_children_of_different_components_own_a_job_each(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> None:
    emulator.control.configure(job_seconds=1.0)
    project = Project(
        tmp_path / "project", _backend(pulumi_env, tmp_path / "components-state", emulator)
    )
    (project.root / "__main__.py").write_text(COMPONENTS)
    args = job_args(training_uri)
    (project.root / "program.json").write_text(json.dumps({"components": ["a", "b"], "args": args}))
    project.init()
    # One create at a time: the second finds the first's job, which it adopted before owners.
    project.run("up", "--yes", "--skip-preview", "--parallel", "1").check()
    outputs = json.loads(project.run("stack", "output", "--json").check().output)
    assert len(emulator.control.jobs()) == 2
    assert outputs["a_endpoint"] != outputs["b_endpoint"]

    (project.root / "program.json").write_text(json.dumps({"components": ["a"], "args": args}))
    project.up().check()  # deletes b's job, model endpoint

    endpoints = make_clients(emulator.url).endpoints
    assert exists(endpoints.get_endpoint, outputs["a_endpoint"])
    assert not exists(endpoints.get_endpoint, outputs["b_endpoint"])
