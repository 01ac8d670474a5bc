"""Provider speed end to end (issue #7): creates that overlap, previews that cost nothing, and
progress lines, with the real engine (Automation API, file backend) and the emulator.

The figures (wall times, ratios, memory) live in bench/provider_bench.py; these tests assert
behaviour only: which jobs existed together, which requests and imports happened, which lines.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest
from pulumi import automation as auto

from conftest import LOCATION, PROJECT
from e2e.conftest import HostWorkspace

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e

PROBE_DIR = Path(__file__).parent / "import_probe"
JOBS = 8
#: How each host shows in its process's command line.
HOST_MARKERS = {"ours": "pulumi-resource-pulumi-python", "stock": "-m pulumi.dynamic"}


def tuning_jobs(count: int, training_uri: str) -> Callable[[], None]:
    def program() -> None:
        import vertex_tuning

        for i in range(count):
            vertex_tuning.TuningJob(
                f"model-{i}",
                base_model="gemini-2.5-flash",
                training_dataset_uri=training_uri,
                tuned_model_display_name=f"perf-{i}",
                poll_interval=0.2,
                max_poll_interval=0.5,
                project=PROJECT,
                location=LOCATION,
            )

    return program


@dataclass
class Perf:
    env: dict[str, str]
    emulator: RunningEmulator
    training_uri: str
    host_workspace: HostWorkspace
    tmp_path: Path

    def stack(self, host: str, count: int, **env: str) -> auto.Stack:
        """A stack of `count` TuningJobs served by our host or by the stock one."""
        env = {**self.env, **env}
        work_dir = self.tmp_path / host
        if host == "ours":
            opts = self.host_workspace(work_dir, "perf-e2e", env)
        else:
            # No `plugins` in Pulumi.yaml, and none from PATH (an activated virtualenv has ours).
            work_dir.mkdir()
            (work_dir / "Pulumi.yaml").write_text("name: perf-e2e\nruntime: python\n")
            env["PULUMI_IGNORE_AMBIENT_PLUGINS"] = "true"
            opts = auto.LocalWorkspaceOptions(work_dir=str(work_dir), env_vars=env)
        return auto.create_or_select_stack(
            stack_name="perf",
            project_name="perf-e2e",
            program=tuning_jobs(count, self.training_uri),
            opts=opts,
        )


@pytest.fixture
def perf(
    pulumi_env: dict[str, str],
    emulator: RunningEmulator,
    training_uri: str,
    host_workspace: HostWorkspace,
    tmp_path: Path,
) -> Perf:
    env = {**pulumi_env, "VERTEX_API_ENDPOINT": emulator.url}
    return Perf(env, emulator, training_uri, host_workspace, tmp_path)


def test_every_job_is_submitted_before_any_finishes(perf: Perf) -> None:
    """Our host takes every create at once. (The stock host's four-at-a-time is measured side
    by side in bench/provider_bench.py: proving here that a fifth create never comes would take
    a timeout, and a test decided by a timeout is one that waits, not one that knows.)"""
    control = perf.emulator.control
    control.configure(job_seconds=0)  # jobs end only when this test says so
    stack = perf.stack("ours", JOBS)
    up = Background(lambda: stack.up(parallel=JOBS))  # the engine's default is 4 x GOMAXPROCS

    submitted, hosts = _wait_for_submissions(control, JOBS, up)
    _finish_jobs_until(up.done, control)
    result = up.result()

    assert hosts and all(HOST_MARKERS["ours"] in cmdline for cmdline in hosts), hosts
    assert result.summary.resource_changes == {"create": JOBS + 2}  # the stack, its identity
    jobs = control.jobs()
    assert sorted(j["tunedModelDisplayName"] for j in jobs) == sorted(
        f"perf-{i}" for i in range(JOBS)
    )
    assert submitted == JOBS
    # The emulator's own record: every job was created before the first one ended.
    assert max(j["createTime"] for j in jobs) < min(j["endTime"] for j in jobs)


def test_preview_of_an_up_to_date_stack_calls_no_api_and_loads_no_google_client_or_validator(
    perf: Perf, tmp_path: Path
) -> None:
    perf.emulator.control.configure(job_seconds=0.5)
    log = tmp_path / "imports.log"
    path = os.pathsep.join(filter(None, [str(PROBE_DIR), os.environ.get("PYTHONPATH")]))
    stack = perf.stack("ours", 3, PYTHONPATH=path, VERTEX_TUNING_IMPORT_LOG=str(log))
    stack.up(parallel=3)
    created = _host_imports(log)
    # The control: the probe sees the host import the API client to create the jobs.
    assert "vertex_tuning.vertex" in created, created
    log.write_text("")

    before = perf.emulator.control.request_counts()
    preview = stack.preview()

    assert {k: v for k, v in preview.change_summary.items() if k != "same"} == {}
    assert perf.emulator.control.request_counts() == before
    previewed = _host_imports(log)
    assert "vertex_tuning.resources.tuning_job" in previewed  # the host ran check and diff
    assert not {m for m in previewed if m.startswith("google.")}, previewed
    # Unchanged inputs keep their checked form: the validator (pydantic) is not even loaded.
    inputs = "vertex_tuning.resources.tuning_job_inputs"
    assert inputs in created and inputs not in previewed, previewed
    assert "vertex_tuning.vertex" not in previewed, previewed
    assert not {m for m in previewed if m.startswith("pydantic")}, previewed


class Background:
    """Runs a call on a thread and hands back its result or exception."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call = call
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:
            self._error = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _wait_for_submissions(
    control: Any, count: int, up: Background, limit: float = 180.0
) -> tuple[int, set[str]]:
    """Jobs submitted while none has ended (none ends until told), and the command lines of
    the hosts seen meanwhile: done when `count` exist or the update is over."""
    deadline = time.monotonic() + limit
    hosts: set[str] = set()
    while True:
        hosts |= _host_cmdlines()
        submitted = len(control.jobs())
        if submitted >= count or up.done():
            return submitted, hosts
        assert time.monotonic() < deadline, f"only {submitted} of {count} jobs were submitted"
        time.sleep(0.1)


def _until_said(output: list[str], fragment: str, times: int, limit: float = 60.0) -> None:
    """Until `times` lines of the update's output hold `fragment`: the jobs reported a state."""
    deadline = time.monotonic() + limit
    while sum(fragment in line for line in list(output)) < times:
        assert time.monotonic() < deadline, f"never said {fragment!r} {times} times"
        time.sleep(0.05)


def _until_polled(control: Any, times: int, limit: float = 60.0) -> None:
    """Until the provider has asked for its jobs `times` more times."""
    target = control.request_counts().get("GetTuningJob", 0) + times
    deadline = time.monotonic() + limit
    while control.request_counts().get("GetTuningJob", 0) < target:
        assert time.monotonic() < deadline, "the provider stopped polling"
        time.sleep(0.05)


def _finish_jobs_until(done: Callable[[], bool], control: Any, limit: float = 180.0) -> None:
    """End every running job, and any submitted later, until the update is over."""
    deadline = time.monotonic() + limit
    while not done():
        for job in control.jobs():
            if job["state"] in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING"):
                control.finish(job["name"])
        assert time.monotonic() < deadline, "the update never finished"
        time.sleep(0.1)


def _host_cmdlines() -> set[str]:
    """Command lines of the dynamic-provider hosts under this process."""
    found = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            argv = proc.cmdline()
        except psutil.Error:
            continue
        cmdline = " ".join(argv)
        # Python itself, not the stock launcher's shell script of the same plugin name.
        python = bool(argv) and Path(argv[0]).name.startswith("python")
        if python and any(marker in cmdline for marker in HOST_MARKERS.values()):
            found.add(cmdline)
    return found


def _host_imports(log: Path) -> set[str]:
    """Modules the probe saw provider hosts import (see import_probe/sitecustomize.py)."""
    return {
        module
        for pid, module, argv in (line.split("\t", 2) for line in log.read_text().splitlines())
        if any(marker in argv for marker in ("pulumi-resource-pulumi-python", "pulumi.dynamic"))
    }


def test_creates_queued_behind_the_engines_parallelism_are_said_once_with_the_fix(
    perf: Perf,
) -> None:
    control = perf.emulator.control
    control.configure(job_seconds=0)  # jobs end only when this test says so
    output: list[str] = []
    stack = perf.stack("ours", 3)
    up = Background(lambda: stack.up(on_output=output.append, parallel=2))
    assert _wait_for_submissions(control, 2, up)[0] == 2
    _until_polled(control, times=12)  # the first wave has run a while before it ends
    _finish_jobs_until(up.done, control)
    up.result()

    said = "tuning jobs are running in waves of 2"
    warnings = {line[line.index(said) :] for line in output if said in line}
    assert len(warnings) == 1, output  # once (the engine repeats it in its summary)
    (warning,) = warnings
    assert "pulumi up --parallel N" in warning and "PULUMI_PARALLEL=N" in warning
