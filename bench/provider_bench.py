"""Benchmark the TuningJob provider under the real engine (issue #7), each figure beside its anchor.

Not a test. Run (about ten minutes on 2 CPUs; the engine must be on PATH):
    PATH=$HOME/.pulumi/versions/3.274.1/bin:$PATH .venv/bin/python bench/provider_bench.py

Pulumi runs for real (Automation API, a file backend in a temp dir) against the local Vertex AI
emulator, whose jobs take a fixed --job-seconds. Seven sections, all measured in this one run:
1. wall time of `up` with 1 vs --jobs (64) TuningJobs on our host; the anchors: the stock host
   (4 threads) and ours at the engine's default --parallel, both at --stock-jobs (16), since 64
   jobs on the stock host run in 16 waves; and the most jobs the emulator saw running at once;
2. `preview` of the up-to-date --jobs stack vs the same count of trivial dynamic resources, with
   the Vertex requests it made and the Google client modules the provider host imported
   (observed by tests/e2e/import_probe, the probe the e2e tests use);
3. completion latency and GetTuningJob calls of the real waiter vs fixed 5 s and 60 s polling,
   against the emulator on a virtual clock, so hour-long jobs take seconds;
4. peak memory (VmHWM) of the provider host process while the jobs wait;
5. progress lines per job in `up`'s output, for the real run and for an hour-long job;
6. token counting (bench/token_bench.py) and 7. evaluation (bench/evaluation_bench.py), each
   run as a child process with its own emulator, their tables relayed as they print them
   (--skip-side-benches leaves them out).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from pulumi import automation as auto
from trivial_resource import Echo

from vertex_tuning.waiter import PollPolicy

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PROBE_DIR = REPO / "tests" / "e2e" / "import_probe"
TRAINING_DATA = REPO / "stacks" / "data" / "support-train.jsonl"
PROJECT = "bench-project"
LOCATION = "us-central1"
BASE_MODEL = "gemini-2.5-flash"
TRIVIAL = "the same count of trivial dynamic resources"
#: How each host shows in its process's command line.
HOST_MARKERS = {"ours": "pulumi-resource-pulumi-python", "stock": "-m pulumi.dynamic"}


# --- programs -------------------------------------------------------------------------------


def tuning_jobs(count: int, training_uri: str) -> Callable[[], None]:
    """`count` TuningJobs with default polling, as a user writes them."""

    def program() -> None:
        import vertex_tuning

        for i in range(count):
            vertex_tuning.TuningJob(
                f"model-{i}",
                base_model=BASE_MODEL,
                training_dataset_uri=training_uri,
                tuned_model_display_name=f"bench-{i}",
                project=PROJECT,
                location=LOCATION,
            )

    return program


def echoes(count: int, inputs: dict[str, Any] | None = None) -> Callable[[], None]:
    """`count` trivial resources, with `inputs` besides their name (the TuningJob's, or none)."""

    def program() -> None:
        for i in range(count):
            Echo(f"echo-{i}", inputs or {})

    return program


# --- the provider host process --------------------------------------------------------------


def is_provider_host(proc: psutil.Process) -> bool:
    """The Python process serving dynamic resources: the stock `-m pulumi.dynamic` or ours."""
    cmdline = proc.cmdline()
    return (
        bool(cmdline)
        and Path(cmdline[0]).name.startswith("python")
        and any("pulumi.dynamic" in a or "pulumi-resource-pulumi-python" in a for a in cmdline)
    )


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set of a process (VmHWM): its own since exec, unlike an inherited maxrss."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


@dataclass
class HostWatch:
    """Samples the provider host processes under this one every 0.1 s: peak memory, threads."""

    peak_kib: dict[int, int] = field(default_factory=dict)
    threads: dict[int, int] = field(default_factory=dict)
    cmdlines: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    @contextlib.contextmanager
    def running(self) -> Iterator[HostWatch]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            for proc in me.children(recursive=True):
                with contextlib.suppress(psutil.Error, OSError, StopIteration):
                    if not is_provider_host(proc):
                        continue
                    pid = proc.pid
                    self.cmdlines.setdefault(pid, " ".join(proc.cmdline()))
                    self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), vm_hwm_kib(pid))
                    self.threads[pid] = max(self.threads.get(pid, 0), proc.num_threads())


# --- the bench's world: emulator, backend, workspaces ----------------------------------------


@dataclass
class World:
    root: Path
    env: dict[str, str]
    emulator: Any  # RunningEmulator
    training_uri: str
    import_log: Path

    def stack(self, name: str, host: str, program: Callable[[], None]) -> auto.Stack:
        # An activated virtualenv puts our console script on PATH, and the engine prefers a
        # plugin on PATH to the bundled one: the stock runs must not pick it up from there.
        env = {**self.env, "PULUMI_IGNORE_AMBIENT_PLUGINS": "true"} if host == "stock" else self.env
        return auto.create_or_select_stack(
            stack_name=name,
            project_name="provider-bench",
            program=program,
            opts=auto.LocalWorkspaceOptions(work_dir=str(self._work_dir(host)), env_vars=env),
        )

    def _work_dir(self, host: str) -> Path:
        """A project directory per host: ours is named in Pulumi.yaml, as a user's project does."""
        work_dir = self.root / host
        if not work_dir.exists():
            work_dir.mkdir()
            text = "name: provider-bench\nruntime: python\n"
            if host == "ours":
                text += (
                    "plugins:\n  providers:\n    - name: pulumi-python\n"
                    f"      path: {Path(sys.executable).parent}\n"
                )
            (work_dir / "Pulumi.yaml").write_text(text)
        return work_dir

    def google_imports(self) -> dict[str, set[str]]:
        """Google client modules imported by provider hosts since the log was last cleared."""
        found: dict[str, set[str]] = {}
        if self.import_log.exists():
            for line in self.import_log.read_text().splitlines():
                pid, module, argv = line.split("\t", 2)
                host = "pulumi.dynamic" in argv or "pulumi-resource-pulumi-python" in argv
                if host and module.startswith("google."):
                    found.setdefault(pid, set()).add(module)
        return found

    def clear_import_log(self) -> None:
        self.import_log.write_text("")


@contextlib.contextmanager
def world(job_seconds: float) -> Iterator[World]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.storage import Client

    from vertex_tuning.emulator import serve

    with tempfile.TemporaryDirectory() as tmp, serve(job_seconds=job_seconds) as emulator:
        root = Path(tmp)
        (root / "state").mkdir()
        storage = Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": emulator.storage_url},
        )
        blob = storage.create_bucket("provider-bench").blob("support-train.jsonl")
        blob.upload_from_filename(str(TRAINING_DATA))
        import_log = root / "imports.log"
        env = {
            "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "bench",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            # The stock host runs PULUMI_PYTHON_CMD for an inline program: this interpreter.
            "PULUMI_PYTHON_CMD": sys.executable,
            "VERTEX_API_ENDPOINT": emulator.url,
            "STORAGE_EMULATOR_HOST": emulator.storage_url,
            # The import probe, and trivial_resource.py for the host to unpickle Echo from.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(PROBE_DIR), str(BENCH_DIR), os.environ.get("PYTHONPATH")])
            ),
            "VERTEX_TUNING_IMPORT_LOG": str(import_log),
            # Token counts cached by this run alone (the user's cache stays as it was).
            "VERTEX_TUNING_CACHE_DIR": str(root / "token-counts"),
        }
        yield World(root, env, emulator, "gs://provider-bench/support-train.jsonl", import_log)


def engine_default_parallel() -> int:
    """What the engine uses without --parallel or PULUMI_PARALLEL, as `pulumi up --help` says."""
    text = subprocess.run(
        ["pulumi", "up", "--help"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"--parallel int32 .*\(default (\d+)\)", text)
    if match is None:
        sys.exit("cannot read the engine's default --parallel from `pulumi up --help`")
    return int(match.group(1))


# --- 1, 4, 5: parallel creates, memory, progress lines --------------------------------------


@dataclass
class UpRun:
    host: str
    parallel: int | None
    jobs: int
    seconds: float
    most_at_once: int
    job_names: list[str]
    watch: HostWatch
    output: list[str]


def run_up(world_: World, name: str, host: str, jobs: int, parallel: int | None) -> UpRun:
    stack = world_.stack(name, host, tuning_jobs(jobs, world_.training_uri))
    before = {j["name"] for j in world_.emulator.control.jobs()}
    output: list[str] = []
    with HostWatch().running() as watch:
        start = time.perf_counter()
        result = stack.up(parallel=parallel, on_output=output.append)
        seconds = time.perf_counter() - start
    # The jobs, the stack and its StackIdentity (the token the jobs' ownership labels carry).
    if result.summary.resource_changes.get("create") != jobs + 2:
        sys.exit(f"{name}: unexpected changes {result.summary.resource_changes}")
    served_by = {HOST_MARKERS[host] in cmdline for cmdline in watch.cmdlines.values()}
    if served_by != {True}:
        sys.exit(f"{name}: expected the {host} host, saw {list(watch.cmdlines.values())}")
    new = [j for j in world_.emulator.control.jobs() if j["name"] not in before]
    if len(new) != jobs or any(j["state"] != "JOB_STATE_SUCCEEDED" for j in new):
        sys.exit(f"{name}: expected {jobs} succeeded jobs, got {[j['state'] for j in new]}")
    return UpRun(
        host, parallel, jobs, seconds, most_at_once(new), [j["name"] for j in new], watch, output
    )


def tuning_job_inputs(stack: auto.Stack) -> dict[str, Any]:
    """One TuningJob's inputs as the state holds them, for a trivial resource to carry."""
    resources = stack.export_stack().deployment["resources"]
    inputs = next(r["inputs"] for r in resources if r["type"].endswith("TuningJob"))
    return {k: v for k, v in inputs.items() if k != "__provider"}


def most_at_once(jobs: list[dict[str, Any]]) -> int:
    """The most jobs that were between create and end at the same moment."""
    edges = sorted(
        [(_time(j["createTime"]), 1) for j in jobs] + [(_time(j["endTime"]), -1) for j in jobs]
    )
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def report_parallel(
    runs: dict[str, UpRun], job_seconds: float, default_parallel: int, jobs: int, stock_jobs: int
) -> None:
    print(
        f"\n1. Parallel tuning: `up` of N TuningJobs of {job_seconds:g} s each (target: {jobs} on"
        " our host <= 1.15x 1 job)"
    )
    from vertex_tuning.host import DEFAULT_THREADS, THREADS_ENV

    print(
        f"   engine --parallel default here: {default_parallel} (4 x GOMAXPROCS, "
        f"{os.cpu_count()} CPUs); --parallel or PULUMI_PARALLEL raises it.\n"
        f"   vertex-tuning host: {DEFAULT_THREADS} requests at once ({THREADS_ENV})."
        " 'at once': most jobs the emulator had running together."
    )
    print(
        f"   {'host':<30} {'--parallel':>10} {'jobs':>5} {'wall s':>7} {'vs 1 job':>9} {'at once':>8}"
    )
    for key, run in runs.items():
        base = runs[f"{run.host}-1"]
        host = "vertex-tuning host" if run.host == "ours" else "stock host (4 gRPC threads)"
        parallel = str(run.parallel) if run.parallel else f"{default_parallel} (dflt)"
        print(
            f"   {host:<30} {parallel:>10} {run.jobs:>5} {run.seconds:>7.1f} "
            f"{run.seconds / base.seconds:>8.2f}x {run.most_at_once:>8}"
            + ("" if key != f"{run.host}-1" else "  <- baseline")
        )
    if stock_jobs != jobs:
        print(
            f"   The anchors run {stock_jobs} jobs, not {jobs}: the stock host's 4 threads would take"
            f" {-(-jobs // 4)} waves of {job_seconds:g} s for {jobs} (--stock-jobs sets it)."
        )


def report_memory(runs: dict[str, UpRun], jobs: int, stock_jobs: int) -> None:
    print(
        f"\n4. Provider host peak memory (VmHWM) during `up` of {jobs} TuningJobs on our host,"
        f" {stock_jobs} on the stock\n   one (the anchor; it has 4 creates under way at any"
        " time whatever the count) (target: < 300 MiB)"
    )
    for run in runs.values():
        if run.parallel is None or run.jobs != (jobs if run.host == "ours" else stock_jobs):
            continue
        for pid, kib in run.watch.peak_kib.items():
            print(
                f"   {run.host:<6} pid {pid:<8} peak {kib / 1024:6.1f} MiB ({kib * 1024 / 1e6:5.1f} MB)"
                f", {run.watch.threads[pid]:>3} threads at most: {run.watch.cmdlines[pid]}"
            )
        if not run.watch.peak_kib:
            print(f"   {run.host}: no provider host process seen")


_LINE = re.compile(r"tuning job (bench-\d+): ")


def report_progress(run: UpRun, job_seconds: float, hour_lines: float) -> None:
    live = run.output[: next((i for i, o in enumerate(run.output) if "Diagnostics:" in o), None)]
    per_job: dict[str, list[str]] = {}
    for chunk in live:
        for line in chunk.splitlines():
            match = _LINE.search(line)
            # Each line shows on the job's "creating" row; the "created" row repeats the last.
            if match and " creating (" in line[: match.start()]:
                per_job.setdefault(match.group(1), []).append(line[match.start() :])
    counts = sorted(len(lines) for lines in per_job.values())
    print(f"\n5. Progress lines in `up` output (on_output) per job of {job_seconds:g} s")
    if not counts:
        print("   none seen")
        return
    print(
        f"   {len(per_job)} jobs, {counts[0]}-{counts[-1]} lines each in the live log (the engine"
        " repeats them once in its Diagnostics summary)"
    )
    print(f"   an hour-long job (virtual clock, section 3): {hour_lines:.0f} lines")
    print("   sample (bench-0):")
    for line in per_job.get("bench-0", []):
        print(f"     {line}")


# --- 2: preview ----------------------------------------------------------------------------


def report_preview(world_: World, stacks: dict[str, auto.Stack], repeats: int) -> None:
    """Previews the up-to-date stacks in turn, `repeats` rounds, so noise hits them alike."""
    counts_before = world_.emulator.control.request_counts()
    world_.clear_import_log()
    times: dict[str, list[float]] = {label: [] for label in stacks}
    for _ in range(repeats):
        for label, stack in stacks.items():
            start = time.perf_counter()
            result = stack.preview()
            times[label].append(time.perf_counter() - start)
            changed = {k: v for k, v in result.change_summary.items() if k != "same"}
            if changed:
                sys.exit(f"preview of up-to-date {label} shows changes: {changed}")
    counts_after = world_.emulator.control.request_counts()
    calls = {k: v - counts_before.get(k, 0) for k, v in counts_after.items()}
    calls = {k: v for k, v in calls.items() if v}
    imported = world_.google_imports()
    medians = {label: statistics.median(t) for label, t in times.items()}
    bests = {label: min(t) for label, t in times.items()}
    print(
        f"\n2. Preview of an up-to-date stack, {repeats} rounds (target: <= 1.10x the trivial"
        " stack, 0 Vertex calls,\n   no Google client imports)"
    )
    print(f"   {'stack':<50} {'median s':>8} {'ratio':>6} {'best s':>7} {'ratio':>6}")
    for label in stacks:
        print(
            f"   {label:<50} {medians[label]:>8.2f} {medians[label] / medians[TRIVIAL]:>5.2f}x"
            f" {bests[label]:>7.2f} {bests[label] / bests[TRIVIAL]:>5.2f}x"
        )
    total = sum(calls.values())
    print(f"   Vertex API requests during the previews: {total} {calls or ''}")
    modules = sorted(set().union(*imported.values())) if imported else []
    print(
        f"   Google client modules imported by provider hosts during previews: {len(modules)}"
        + (f" {modules[:5]}" if modules else "")
    )


# --- 3: completion latency vs polling cost, on a virtual clock -----------------------------


class VirtualTime:
    """One clock for the emulator and the waiter; only the waiter's sleeps move it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._epoch = datetime(2026, 1, 1, tzinfo=UTC)

    def utc(self) -> datetime:
        return self._epoch + timedelta(seconds=self.seconds)

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class WaitRun:
    latency: float
    calls: int
    lines: int


def latency_bound(run_seconds: float) -> float:
    """The issue's bound: max(2 s, 5% of the job's run time), capped at 30 s."""
    return min(30.0, max(2.0, 0.05 * run_seconds))


def fewest_polls(run_seconds: float) -> int:
    """GetTuningJob calls of the sparsest schedule that meets latency_bound for any ending.

    A job may end just after a look at t, so the next must follow within bound(t); waiting
    exactly that long at every step is the sparsest schedule. The create's response is the look
    at 0; the calls are the looks after it, through the first at or after the end.
    """
    t, polls = 0.0, 0
    while t < run_seconds:
        t += latency_bound(t)
        polls += 1
    return polls


def wait_runs(storage_url: str, policy: PollPolicy, run_seconds: list[float]) -> list[WaitRun]:
    """Submit one job per length and wait for it as jobs.tune does, over the real client."""
    from vertex_tuning import jobs, names, ownership, wire
    from vertex_tuning.emulator import serve
    from vertex_tuning.progress import ProgressLines
    from vertex_tuning.resources.tuning_job_inputs import (
        DEFAULT_TIMEOUT_SECONDS,
        TuningJobInputs,
    )
    from vertex_tuning.settings import Settings
    from vertex_tuning.vertex import Vertex

    clock = VirtualTime()
    runs = []
    with serve(clock=clock.utc, storage_url=storage_url) as emulator:
        vertex = Vertex(Settings(api_endpoint=emulator.url), LOCATION, sleep=clock.sleep)
        for i, seconds in enumerate(run_seconds):
            emulator.control.configure(job_seconds=seconds)
            inputs = TuningJobInputs(
                base_model=BASE_MODEL,
                training_dataset_uri="gs://provider-bench/support-train.jsonl",
                tuned_model_display_name=f"waiter-{i}",
                project=PROJECT,
                location=LOCATION,
            )
            body = wire.job_request(inputs, ownership.labels(inputs, ownership.fingerprint(inputs)))
            created = wire.job_from_api(vertex.create_job(names.parent(PROJECT, LOCATION), body))
            before = emulator.control.request_counts().get("GetTuningJob", 0)
            lines: list[str] = []
            job = jobs.wait_for_job(
                vertex,
                created.name,
                timeout=DEFAULT_TIMEOUT_SECONDS,
                policy=policy,
                on_status=ProgressLines(f"tuning job waiter-{i}", lines.append),
                current=created,
                clock=clock.monotonic,
            )
            latency = (clock.utc() - _time(job.end_time)).total_seconds()
            calls = emulator.control.request_counts().get("GetTuningJob", 0) - before
            runs.append(WaitRun(latency, calls, len(lines)))
    return runs


def report_waiting(storage_url: str, phases: int) -> float:
    """Prints section 3; returns the progress lines of our waiter for an hour-long job."""
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

    defaults = TuningJobInputs.model_fields
    ours = PollPolicy(  # what jobs.tune() builds from a job's default inputs
        initial=defaults["poll_interval"].default, maximum=defaults["max_poll_interval"].default
    )
    policies = {
        "ours: 5% of elapsed, 2-30 s": ours,
        "fixed 5 s (seed library)": PollPolicy(initial=5, maximum=5),
        "fixed 60 s (Google samples)": PollPolicy(initial=60, maximum=60),
        # What ~150 calls per hour would take: each breaks the bound somewhere.
        "max_poll_interval=40s (input)": PollPolicy(maximum=40),
        "ours with 10% of elapsed": PollPolicy(fraction=0.1),
    }
    print(
        "\n3. Completion latency and polling cost: the real waiter and client against the"
        f" emulator on a\n   virtual clock. Each row is {phases} jobs whose lengths step"
        " through one polling interval, so the\n   end falls at every point between two polls"
        " (target: latency <= max(2 s, 5% of the run),\n   cap 30 s; ~150 GetTuningJob calls"
        " per hour)"
    )
    print(
        f"   {'policy':<29} {'job':>6} {'worst s':>8} {'/bound':>7} {'mean s':>7} "
        f"{'worst %':>8} {'Get calls':>9} {'fewest':>7}"
    )
    hour_lines = 0.0
    for label, policy in policies.items():
        for length in (60.0, 600.0, 3600.0):
            step = policy.interval(length) / phases
            lengths = [length + k * step for k in range(phases)]
            runs = wait_runs(storage_url, policy, lengths)
            pairs = list(zip(runs, lengths, strict=True))
            print(
                f"   {label:<29} {_duration(length):>6} "
                f"{max(r.latency for r in runs):>8.1f} "
                f"{max(r.latency / latency_bound(n) for r, n in pairs):>6.2f}x "
                f"{statistics.mean(r.latency for r in runs):>7.1f} "
                f"{max(100 * r.latency / n for r, n in pairs):>7.2f}% "
                f"{statistics.mean(r.calls for r in runs):>9.0f} {fewest_polls(length):>7}"
            )
            if policy is ours and length == 3600.0:
                hour_lines = statistics.mean(r.lines for r in runs)
    print(
        "   '/bound': worst latency over the job's own bound. 'fewest': polls of the sparsest"
        "\n   schedule keeping any possible end within the bound (the next poll within bound(t)"
        "\n   of each poll at t): no policy that meets the bound polls less, so ~150 calls per"
        "\n   hour cannot be had without loosening the bound (the last two rows)."
    )
    return hour_lines


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


# --- 6, 7: token counting and evaluation, as their own benches print them --------------------


def report_side_bench(title: str, script: str, *args: str) -> None:
    """Run another bench in a child process (it starts its own emulator) and relay its table."""
    print(f"\n{title}: `{script} {' '.join(args)}`", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        print(f"   failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return
    for line in done.stdout.splitlines():
        if not line.startswith("{"):  # evaluation_bench's last line: the same figures as JSON
            print(f"   {line}")
    print(f"   ({time.perf_counter() - started:.0f} s)")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=64, help="TuningJobs in the big stack")
    parser.add_argument(
        "--stock-jobs",
        type=int,
        default=16,
        help="TuningJobs of the anchors: the stock host's big stack, ours at the default --parallel",
    )
    parser.add_argument("--job-seconds", type=float, default=20.0, help="emulated job length T")
    parser.add_argument("--previews", type=int, default=9, help="previews per stack")
    parser.add_argument("--phases", type=int, default=8, help="jobs per row in section 3")
    parser.add_argument("--token-rounds", type=int, default=1, help="token_bench.py --rounds")
    parser.add_argument("--eval-repeats", type=int, default=1, help="evaluation_bench --repeats")
    parser.add_argument("--skip-side-benches", action="store_true", help="no sections 6 and 7")
    args = parser.parse_args()

    default_parallel = engine_default_parallel()
    started, load = time.perf_counter(), os.getloadavg()
    with world(args.job_seconds) as world_:
        n, s = args.jobs, args.stock_jobs
        plan = [  # key, host, jobs, --parallel (None: the engine's default)
            ("ours-1", "ours", 1, n),
            (f"ours-{n}", "ours", n, n),
            (f"ours-{s}-default-parallel", "ours", s, None),
            ("stock-1", "stock", 1, s),
            (f"stock-{s}", "stock", s, s),
        ]
        # The trivial stack first: it is the preview anchor, and it warms the engine's caches.
        trivial = world_.stack("trivial", "ours", echoes(n))
        trivial.up()
        # And a short job first, so no measured `up` pays for the first create's one-time work
        # (counting the training data's tokens, which the rest find cached).
        world_.emulator.control.configure(job_seconds=1)
        run_up(world_, "warm-up", "ours", 1, None)
        world_.emulator.control.configure(job_seconds=args.job_seconds)
        runs: dict[str, UpRun] = {}
        for key, host, jobs, parallel in plan:
            print(f"up {key} ...", file=sys.stderr, flush=True)
            runs[key] = run_up(world_, key, host, jobs, parallel)
        control_imports = world_.google_imports()

        print("preview ...", file=sys.stderr, flush=True)
        tuning = world_.stack(f"ours-{n}", "ours", tuning_jobs(n, world_.training_uri))
        wide = world_.stack("trivial-wide", "ours", echoes(n, tuning_job_inputs(tuning)))
        wide.up()
        report_parallel(runs, args.job_seconds, default_parallel, n, s)
        report_preview(
            world_,
            {
                f"{n} TuningJobs": tuning,
                TRIVIAL: trivial,
                f"{n} trivial resources with a TuningJob's inputs": wide,
            },
            args.previews,
        )
        print(
            "   (control: the same probe saw provider hosts import "
            f"{max((len(m) for m in control_imports.values()), default=0)} Google client modules"
            " during `up`)"
        )
        print("waiter ...", file=sys.stderr, flush=True)
        hour_lines = report_waiting(world_.emulator.storage_url, args.phases)
        report_memory(runs, n, s)
        report_progress(runs[f"ours-{n}"], args.job_seconds, hour_lines)
    print(
        f"\n{time.perf_counter() - started:.0f} s so far; load average (1 min) at the start"
        f" {load[0]:.1f}, now {os.getloadavg()[0]:.1f}, on {os.cpu_count()} CPUs"
    )
    if not args.skip_side_benches:
        print("token and evaluation benches ...", file=sys.stderr, flush=True)
        report_side_bench("6. Token counting", "token_bench.py", "--rounds", str(args.token_rounds))
        report_side_bench(
            "7. Evaluation", "evaluation_bench.py", "--repeats", str(args.eval_repeats)
        )


if __name__ == "__main__":
    main()
