"""A Pulumi project on disk, driven by the `pulumi` CLI as a subprocess, for the fault suite.

Automation API inline programs run the engine in-process with pytest, so its CLI and provider
cannot be killed on their own; here every command is a real `pulumi` process in its own session
(a terminal's Ctrl-C reaches the whole group), and the provider host is found among its children.
Used by tests/e2e/test_interrupts.py and friends, and by scripts/soak.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psutil

from vertex_tuning.emulator import EmulatorControl

VENV = Path(sys.executable).parent.parent
_ADOPTED = re.compile(r"\badopting (projects/[^/\s]+/locations/[^/\s]+/tuningJobs/\d+)")
_RESUMED = re.compile(r"\bresuming the wait on (projects/[^/\s]+/locations/[^/\s]+/tuningJobs/\d+)")
T = TypeVar("T")

PROGRAM = '''\
"""Resources from program.json: {"resources": {name: args}}; each exported whole.

A resource is a TuningJob unless its args name another `kind` (TrainingDataset,
ModelSmokeTest). An `import_` arg becomes the resource option of that name, `custom_timeouts`
(a dict of create/update/delete durations) the CustomTimeouts option. With `"raw": true` the
args go to the provider exactly as given, past the class's keyword arguments, as a YAML
program or a generated SDK would send them: unknown keys and missing inputs reach `check`.
"""

import json
from pathlib import Path

import pulumi
from pulumi.dynamic import Resource

import vertex_tuning
from vertex_tuning.resources.smoke_test import SmokeTestProvider
from vertex_tuning.resources.training_dataset import TrainingDatasetProvider
from vertex_tuning.resources.tuning_job import TuningJobProvider

KINDS = {
    "TuningJob": (vertex_tuning.TuningJob, TuningJobProvider),
    "TrainingDataset": (vertex_tuning.TrainingDataset, TrainingDatasetProvider),
    "ModelSmokeTest": (vertex_tuning.ModelSmokeTest, SmokeTestProvider),
}

spec = json.loads((Path(__file__).parent / "program.json").read_text())
for name, args in spec["resources"].items():
    cls, provider = KINDS[args.pop("kind", "TuningJob")]
    timeouts = args.pop("custom_timeouts", None)
    opts = pulumi.ResourceOptions(
        import_=args.pop("import_", None),
        custom_timeouts=pulumi.CustomTimeouts(**timeouts) if timeouts else None,
    )
    if args.pop("raw", False):
        resource = cls.__new__(cls)
        Resource.__init__(resource, provider(), name, args, opts)
    else:
        resource = cls(name, opts=opts, **args)
    pulumi.export(name, resource)
'''

#: Components named in program.json, each with a child TuningJob "job" (write it over
#: __main__.py): same-named children of different parents, as platform repos nest them.
COMPONENTS = '''\
"""Components named in program.json, each with a child TuningJob named "job"."""

import json
from pathlib import Path

import pulumi

import vertex_tuning

spec = json.loads((Path(__file__).parent / "program.json").read_text())


class Model(pulumi.ComponentResource):
    def __init__(self, kind: str, name: str, args: dict) -> None:
        super().__init__(f"team:{kind}:Model", name)
        job = vertex_tuning.TuningJob("job", opts=pulumi.ResourceOptions(parent=self), **args)
        pulumi.export(f"{kind}_endpoint", job.tuned_model_endpoint)
        self.register_outputs({})


for kind in spec["components"]:
    Model(kind, "model", spec["args"])
'''

#: The ways a user's `pulumi up` ends early: Ctrl-C twice (the second one terminates at once),
#: SIGKILL of the CLI (OOM killer, closed CI runner), SIGKILL of the provider host.
INTERRUPTIONS = ("sigint-twice", "kill-cli", "kill-provider")
#: One Ctrl-C: the engine cancels and waits for the creates under way (the soak runs it too);
#: SIGTERM (a CI runner cancelling a job) is the engine's Ctrl-C too.
SIGINT_ONCE = "sigint-once"
SIGTERM = "sigterm"

#: Child processes that serve dynamic resources: the stock host (`python -m pulumi.dynamic`) or
#: vertex-tuning's console script of the same plugin name.
_HOST_MARKERS = ("pulumi.dynamic", "pulumi-resource-pulumi-python", "vertex_tuning.host")


def job_args(training_uri: str, **extra: Any) -> dict[str, Any]:
    """TuningJob args for a short emulated job in the test project, polled often."""
    return {
        "base_model": "gemini-2.5-flash",
        "training_dataset_uri": training_uri,
        "project": "test-project",
        "location": "us-central1",
        "poll_interval": 0.2,
        "max_poll_interval": 0.5,
        **extra,
    }


def emulator_env(pulumi_env: dict[str, str], vertex_url: str, storage_url: str) -> dict[str, str]:
    """The CLI's environment: the provider reaches the emulators, nothing else changes."""
    return {**pulumi_env, "VERTEX_API_ENDPOINT": vertex_url, "STORAGE_EMULATOR_HOST": storage_url}


def pulumi(cwd: Path, env: dict[str, str], *args: str, timeout: float = 300) -> Result:
    """Run `pulumi ARGS` in `cwd` to the end, with its combined output."""
    done = subprocess.run(
        ["pulumi", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    return Result(list(args), done.returncode, done.stdout)


@dataclass
class Result:
    """One finished CLI command."""

    args: list[str]
    returncode: int
    output: str
    #: Processes the command started that were still alive once it ended (command lines).
    left_running: list[str] = field(default_factory=list)

    def check(self) -> Result:
        assert self.returncode == 0, f"pulumi {' '.join(self.args)} failed:\n{self.output}"
        return self


@dataclass
class Project:
    """A Python Pulumi project in `root` whose program is TuningJobs listed in program.json."""

    root: Path
    env: dict[str, str]
    stack: str = "dev"
    name: str = "faults"

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "Pulumi.yaml").write_text(
            f"name: {self.name}\n"
            "runtime:\n"
            "  name: python\n"
            "  options:\n"
            "    toolchain: pip\n"
            f"    virtualenv: {VENV}\n"
            # As the README tells users: vertex-tuning's provider host serves dynamic resources.
            "plugins:\n"
            "  providers:\n"
            "    - name: pulumi-python\n"
            f"      path: {VENV / 'bin'}\n"
        )
        (self.root / "__main__.py").write_text(PROGRAM)

    def program(self, resources: dict[str, dict[str, Any]]) -> None:
        """Set the TuningJobs (name -> args) the next command deploys."""
        (self.root / "program.json").write_text(json.dumps({"resources": resources}))

    def init(self) -> None:
        self.run("stack", "init", self.stack, stack=False).check()

    def run(self, *args: str, stack: bool = True, timeout: float = 300) -> Result:
        """Run `pulumi ARGS` to the end, with its combined output."""
        return pulumi(self.root, self.env, *self._argv(args, stack)[1:], timeout=timeout)

    def start(self, *args: str) -> Running:
        """Start `pulumi ARGS` in a session of its own, as a terminal runs it."""
        log = self.root / f"run-{len(list(self.root.glob('run-*.log')))}.log"
        argv = self._argv(args, True)
        with log.open("w") as out:
            process = subprocess.Popen(
                argv,
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Running(self, list(args), process, log)

    def up(self) -> Result:
        return self.run("up", "--yes", "--skip-preview")

    def preview(self, *extra: str) -> Result:
        return self.run("preview", *extra)

    def export(self) -> dict[str, Any]:
        """The stack's state, secrets decrypted (`pulumi stack export --show-secrets`)."""
        result = self.run("stack", "export", "--show-secrets").check()
        deployment: dict[str, Any] = json.loads(result.output)["deployment"]
        return deployment

    def tuning_jobs(self) -> dict[str, dict[str, Any]]:
        """TuningJob resources in state by name: their outputs."""
        return {
            r["urn"].rsplit("::", 1)[-1]: r.get("outputs", {})
            for r in self.export().get("resources", [])
            if r["type"].endswith("TuningJob")
        }

    def pending_operations(self) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = self.export().get("pending_operations") or []
        return ops

    def _argv(self, args: tuple[str, ...], stack: bool) -> list[str]:
        where = ["--stack", self.stack] if stack else []
        return ["pulumi", *args, *where, "--non-interactive"]


@dataclass
class Running:
    """A `pulumi` command still running; remembers every process it started."""

    project: Project
    args: list[str]
    process: subprocess.Popen[bytes]
    log: Path
    seen: dict[int, psutil.Process] = field(default_factory=dict)

    def descendants(self) -> list[psutil.Process]:
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            found = []
        self.seen.update((p.pid, p) for p in found)
        return found

    def provider_host(self) -> psutil.Process | None:
        """The Python process serving the dynamic resources (not the /bin/sh launcher).

        By its interpreter, not its name: a script started through its shebang is named after
        the script (`pulumi-resource-…`), like the stock launcher that is a shell script.
        """
        for proc in self.descendants():
            try:
                cmdline = " ".join(proc.cmdline())
                if any(m in cmdline for m in _HOST_MARKERS) and "python" in Path(proc.exe()).name:
                    return proc
            except psutil.NoSuchProcess:
                continue
        return None

    def interrupt(self, kind: str) -> None:
        """End the command early the way `kind` (one of INTERRUPTIONS) says."""
        self.descendants()
        if kind == SIGINT_ONCE:
            os.killpg(self.process.pid, signal.SIGINT)
        elif kind == SIGTERM:
            self.process.terminate()
        elif kind == "sigint-twice":
            os.killpg(self.process.pid, signal.SIGINT)
            time.sleep(0.3)
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGINT)
        elif kind == "kill-cli":
            self.process.kill()
        elif kind == "kill-provider":
            host = until(self.provider_host, timeout=30, what="the provider host")
            host.kill()
        else:
            raise ValueError(f"unknown interruption {kind!r}; use {SIGINT_ONCE} or {INTERRUPTIONS}")

    def wait(self, timeout: float = 120) -> Result:
        """Wait for the CLI, then end what it left behind (a SIGKILLed CLI orphans its plugins)."""
        try:
            self.process.wait(timeout=timeout)
            left = self.alive()
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.reap()
        return Result(self.args, self.process.returncode, self.log.read_text(), left)

    def alive(self) -> list[str]:
        """Command lines of the processes this command started that still run (not zombies)."""
        running = []
        for proc in self.seen.values():
            try:
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    running.append(" ".join(proc.cmdline()))
            except psutil.NoSuchProcess:
                continue
        return running

    def reap(self) -> None:
        """Kill the processes this command started that are still alive, by pid."""
        self.descendants()
        for proc in self.seen.values():
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                continue
        psutil.wait_procs(list(self.seen.values()), timeout=10)


def until(probe: Callable[[], T | None], *, timeout: float = 60, what: str = "it") -> T:
    """Poll `probe` until it returns something truthy (a readiness wait, not a speed target)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def jobs_by_display_name(jobs: list[dict[str, Any]]) -> Counter[str]:
    """How many emulator jobs carry each tuned model display name (one per resource is right)."""
    return Counter(j.get("tunedModelDisplayName", "") for j in jobs)


@dataclass
class Trial:
    """One interrupted `pulumi up` and the documented recovery, as observed."""

    kind: str
    delay: float
    interrupted: Result  # the `pulumi up` that was cut short
    submitted: set[str]  # jobs the interrupted up had submitted by the time it ended
    pending_creates: int  # "interrupted while creating" records it left in state
    locked: bool  # the rerun found the stack locked (a SIGKILLed CLI): `pulumi cancel` first
    rerun: Result  # the `pulumi up` that converges
    refresh: Result  # `pulumi refresh --clear-pending-creates --expect-no-changes`
    preview: Result  # `pulumi preview --expect-no-changes`
    jobs: Counter[str]  # emulator jobs per tuned model display name
    in_state: dict[str, str]  # TuningJob resource -> job_name, after recovery
    pending_after: int

    @property
    def adopted(self) -> set[str]:
        """Jobs the rerun adopted (the CLI repeats a line in its summary: a set, not a count)."""
        return set(_ADOPTED.findall(self.rerun.output))

    @property
    def resumed(self) -> set[str]:
        """Jobs the interrupted run recorded (a partial create) and the rerun waited on again."""
        return set(_RESUMED.findall(self.rerun.output))

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.jobs.values() if n > 1)


def interrupt_and_recover(project: Project, control: Any, kind: str, delay: float) -> Trial:
    """Cut `pulumi up` short `delay` s after its first job is submitted, then recover as the
    README says: `pulumi cancel --yes` if the stack is locked, `pulumi up`, then
    `pulumi refresh --clear-pending-creates --yes`."""
    running = project.start("up", "--yes", "--skip-preview")
    until(control.jobs, timeout=120, what="the first submitted job")
    time.sleep(delay)
    running.interrupt(kind)
    interrupted = running.wait()
    submitted = {j["name"] for j in control.jobs()}
    pending = [op for op in project.pending_operations() if op["type"] == "creating"]
    rerun = project.up()
    locked = "the stack is currently locked" in rerun.output
    if locked:
        project.run("cancel", "--yes").check()
        rerun = project.up()
    refresh = project.run("refresh", "--yes", "--clear-pending-creates", "--expect-no-changes")
    preview = project.preview("--expect-no-changes")
    return Trial(
        kind=kind,
        delay=delay,
        interrupted=interrupted,
        submitted=submitted,
        pending_creates=len(pending),
        locked=locked,
        rerun=rerun,
        refresh=refresh,
        preview=preview,
        jobs=jobs_by_display_name(control.jobs()),
        in_state={name: outs.get("job_name", "") for name, outs in project.tuning_jobs().items()},
        pending_after=len(project.pending_operations()),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class EmulatorProcess:
    """`python -m vertex_tuning.emulator` with a state file, restartable on the same port."""

    def __init__(self, state_file: Path, storage_url: str, job_seconds: float) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.control = EmulatorControl(self.url)
        self._argv = [
            sys.executable,
            *("-m", "vertex_tuning.emulator", "--port", str(self.port)),
            *("--state-file", str(state_file), "--job-seconds", str(job_seconds)),
        ]
        self._env = {**os.environ, "STORAGE_EMULATOR_HOST": storage_url}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self._argv, env=self._env, stdout=subprocess.DEVNULL)
        until(self.control.health, timeout=30, what="the emulator to answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@dataclass
class RestartTrial:
    """One `pulumi up` whose emulator was SIGKILLed and restarted while the job ran."""

    submitted: dict[str, Any]  # the job as it was before the restart
    result: Result  # the `pulumi up` that waited across the restart
    jobs: list[dict[str, Any]]  # every job afterwards
    in_state: dict[str, str]  # TuningJob resource -> job_name

    @property
    def resumed(self) -> bool:
        """The same wait finished the same job: no second submission, no adoption."""
        return (
            self.result.returncode == 0
            and "adopting" not in self.result.output
            and [j["name"] for j in self.jobs] == [self.submitted["name"]]
            and self.jobs[0]["state"] == "JOB_STATE_SUCCEEDED"
            and list(self.in_state.values()) == [self.submitted["name"]]
        )


def restart_mid_wait(project: Project, emulator: EmulatorProcess) -> RestartTrial:
    """Run `pulumi up` of one job; once it runs, SIGKILL the emulator and start it again on the
    same port and state file (the job's clock keeps going), then let the update finish."""
    running = project.start("up", "--yes", "--skip-preview")
    (job,) = until(emulator.control.jobs, timeout=120, what="the job")
    until(
        lambda: emulator.control.jobs()[0]["state"] == "JOB_STATE_RUNNING",
        what="the job to run",
    )
    emulator.kill()  # SIGKILL: only the state file survives
    emulator.start()
    result = running.wait(timeout=180)
    return RestartTrial(
        submitted=job,
        result=result,
        jobs=emulator.control.jobs(),
        in_state={n: outs.get("job_name", "") for n, outs in project.tuning_jobs().items()},
    )
