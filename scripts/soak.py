"""The fault suite's long run, outside `make test`: many interrupted applies at random moments,
up/refresh/destroy cycles with 20% of every API call failing, and emulator restarts mid-wait,
all through the real `pulumi` CLI. Prints the figures table of the README's Reliability section
and exits 1 if any trial did not converge or any resource got a second job.

    .venv/bin/python scripts/soak.py --seed 1

The trials are the default suite's (tests/e2e/harness.py), repeated: the default suite runs
each interruption once, this runs --trials of them, kinds and moments drawn from --seed.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from conftest import SUPPORT_EXAMPLES, Datasets  # noqa: E402
from e2e.harness import (  # noqa: E402
    COMPONENTS,
    INTERRUPTIONS,
    SIGINT_ONCE,
    EmulatorProcess,
    Project,
    emulator_env,
    interrupt_and_recover,
    job_args,
    jobs_by_display_name,
    restart_mid_wait,
)
from vertex_tuning.emulator.storage import StorageServer  # noqa: E402

TRANSIENT = ("429", "500", "503", "drop", "lost")
JOB_SECONDS = 3.0


@dataclass
class Phase:
    """One kind of trial, summed."""

    name: str
    trials: int = 0
    converged: int = 0
    resources: int = 0
    jobs: int = 0
    duplicates: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    notes: Counter[str] = field(default_factory=Counter)

    def add(self, *, ok: bool, resources: int, jobs: Counter[str]) -> None:
        self.trials += 1
        self.converged += ok
        self.resources += resources
        self.jobs += sum(jobs.values())
        self.duplicates += sum(n - 1 for n in jobs.values() if n > 1)


def interrupts(
    phase: Phase, emulator: EmulatorProcess, env: dict[str, str], work: Path, uri: str, n: int
) -> None:
    """Interrupt `pulumi up` of two jobs a random moment after the first submission, recover."""
    rng = random.Random(phase.notes["seed"])
    kinds = [*INTERRUPTIONS, SIGINT_ONCE]
    order = [kinds[i % len(kinds)] for i in range(n)]
    rng.shuffle(order)
    for i, kind in enumerate(order):
        emulator.control.reset()
        emulator.control.configure(job_seconds=JOB_SECONDS)
        project = Project(work / f"interrupt-{i}", env, name=f"interrupt-{i}")
        project.program({name: job_args(uri) for name in ("alpha", "beta")})
        project.init()
        delay = rng.uniform(0.0, JOB_SECONDS / 2)
        trial = interrupt_and_recover(project, emulator.control, kind, delay)
        live = {j["name"] for j in emulator.control.jobs() if j["state"] == "JOB_STATE_SUCCEEDED"}
        ok = (
            trial.rerun.returncode == 0
            and trial.refresh.returncode == 0
            and trial.preview.returncode == 0
            and trial.pending_after == 0
            and len(trial.jobs) == 2
            and set(trial.in_state.values()) == live
        )
        phase.add(ok=ok, resources=2, jobs=trial.jobs)
        phase.notes[kind] += 1
        phase.notes["adopted"] += len(trial.adopted)
        phase.notes["resumed"] += len(trial.resumed)
        phase.notes["pending creates cleared"] += trial.pending_creates
        phase.notes["locked"] += trial.locked
        print(
            f"interrupt {i + 1}/{n}: {kind} {delay:.2f}s after the first submission: "
            f"{'converged' if ok else 'NOT CONVERGED'}, {dict(trial.jobs)} jobs, "
            f"{len(trial.resumed)} resumed, {len(trial.adopted)} adopted",
            flush=True,
        )
        if not ok:
            print(trial.rerun.output[-3000:], trial.refresh.output[-2000:], sep="\n")


def api_faults(
    phase: Phase, emulator: EmulatorProcess, env: dict[str, str], work: Path, uri: str, n: int
) -> None:
    """up, refresh, destroy of three jobs while 20% of every method's calls fail."""
    for i in range(n):
        control = emulator.control
        control.reset()
        control.configure(job_seconds=1.5)
        project = Project(work / f"faults-{i}", env, name=f"faults-{i}")
        on_delete = ("keep", "delete_endpoint", "delete_model")
        project.program({f"r{k}": job_args(uri, on_delete=d) for k, d in enumerate(on_delete)})
        project.init()
        control.set_faults(rate=0.2, kinds=TRANSIENT, retry_after=1)
        up = project.up()
        jobs = jobs_by_display_name(control.jobs())
        refresh = project.run("refresh", "--yes", "--expect-no-changes")
        destroy = project.run("destroy", "--yes")
        faults = Counter[str]()
        for kinds in control.fault_counts().values():
            faults.update(kinds)
        phase.faults.update(faults)
        phase.calls += sum(control.request_counts().values())
        control.clear_faults()
        results = (up, refresh, destroy)
        ok = all(r.returncode == 0 for r in results) and len(jobs) == 3
        ok = ok and project.tuning_jobs() == {}
        phase.add(ok=ok, resources=3, jobs=jobs)
        print(
            f"api faults {i + 1}/{n}: up/refresh/destroy "
            f"{'/'.join(str(r.returncode) for r in results)}, {sum(faults.values())} faults "
            f"injected, {dict(jobs)} jobs",
            flush=True,
        )
        if not ok:
            print(*(r.output[-2000:] for r in results), sep="\n")


def restarts(
    phase: Phase, emulator: EmulatorProcess, env: dict[str, str], work: Path, uri: str, n: int
) -> None:
    """SIGKILL and restart the emulator (state file kept) while `pulumi up` waits for a job."""
    for i in range(n):
        emulator.control.reset()
        emulator.control.configure(job_seconds=JOB_SECONDS)
        project = Project(work / f"restart-{i}", env, name=f"restart-{i}")
        project.program({"alpha": job_args(uri)})
        project.init()
        trial = restart_mid_wait(project, emulator)
        phase.add(ok=trial.resumed, resources=1, jobs=jobs_by_display_name(emulator.control.jobs()))
        print(
            f"restart {i + 1}/{n}: {'resumed' if trial.resumed else 'DID NOT RESUME'}", flush=True
        )
        if not trial.resumed:
            print(trial.result.output[-3000:])


def twins(
    phase: Phase, emulator: EmulatorProcess, env: dict[str, str], work: Path, uri: str, n: int
) -> None:
    """Two backends holding a project and stack of the same names, each with same-named
    children of two components; one `up` of each cut short by a SIGKILL and recovered; then
    one backend destroyed. Every resource must own one job, and nothing of the other backend
    may be deleted."""
    import json

    from conftest import exists, make_clients

    rng = random.Random(phase.notes["seed"])
    vertex = make_clients(emulator.url)
    for i in range(n):
        control = emulator.control
        control.reset()
        control.configure(job_seconds=JOB_SECONDS)
        projects = []
        for side in ("a", "b"):
            state = work / f"twins-{i}-state-{side}"
            state.mkdir()
            project = Project(
                work / f"twins-{i}-{side}", {**env, "PULUMI_BACKEND_URL": f"file://{state}"}
            )
            (project.root / "__main__.py").write_text(COMPONENTS)
            args = job_args(uri, on_delete="delete_model")
            spec = {"components": ["a", "b"], "args": args}
            (project.root / "program.json").write_text(json.dumps(spec))
            project.init()
            interrupt_and_recover(project, control, "kill-cli", rng.uniform(0, JOB_SECONDS / 2))
            projects.append(project)
        jobs = control.jobs()
        owners = Counter(j["labels"].get("pulumi-vertex-tuning-owner", "") for j in jobs)
        other = {t["tuned_model_endpoint"] for t in projects[1].tuning_jobs().values()}
        projects[0].run("destroy", "--yes").check()
        lost = sum(not exists(vertex.endpoints.get_endpoint, e) for e in other if e)
        phase.notes["cross-deletions"] += lost
        per_resource = Counter({f"{k}": v for k, v in owners.items()})
        ok = len(jobs) == 4 and len(owners) == 4 and lost == 0
        phase.add(ok=ok, resources=4, jobs=per_resource)
        print(
            f"twins {i + 1}/{n}: {len(jobs)} jobs for 4 resources on 2 backends, "
            f"{len(owners)} owners, {lost} of the other backend's endpoints deleted: "
            f"{'converged' if ok else 'NOT CONVERGED'}",
            flush=True,
        )


def table(phases: list[Phase], seed: int, elapsed: float) -> str:
    rows = [
        "| trial | runs | converged | faults injected | jobs per resource | duplicates |",
        "|---|---|---|---|---|---|",
    ]
    for p in phases:
        faults = sum(p.faults.values())
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(p.faults.items()))
        per = f"{p.jobs / p.resources:.2f}" if p.resources else "-"
        injected = f"{faults} of {p.calls} calls ({detail})" if faults else "0"
        rows.append(
            f"| {p.name} | {p.trials} | {p.converged} | {injected} | {per} | {p.duplicates} |"
        )
    total = sum(p.trials for p in phases)
    ok = sum(p.converged for p in phases)
    faults = sum(sum(p.faults.values()) for p in phases)
    dups = sum(p.duplicates for p in phases)
    rows.append(f"| **total** | {total} | {ok} | {faults} | | {dups} |")
    crossed = sum(p.notes["cross-deletions"] for p in phases)
    first = phases[0]
    kinds = ", ".join(f"{k} {first.notes[k]}" for k in (*INTERRUPTIONS, SIGINT_ONCE))
    rows += [
        "",
        f"Interruptions: {kinds}; the rerun resumed {first.notes['resumed']} jobs the "
        f"interrupted run had recorded and adopted {first.notes['adopted']}, "
        f"{first.notes['locked']} locks cleared with `pulumi cancel`, "
        f"{first.notes['pending creates cleared']} pending creates cleared by "
        "`pulumi refresh --clear-pending-creates`.",
        f"Cross-deletions (another backend's endpoint deleted by a destroy): {crossed}.",
        f"Seed {seed}, {elapsed / 60:.1f} min.",
    ]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None, help="kinds and moments (random)")
    parser.add_argument("--trials", type=int, default=10, help="interrupted applies")
    parser.add_argument("--fault-cycles", type=int, default=5, help="up/refresh/destroy runs")
    parser.add_argument("--restarts", type=int, default=3, help="emulator restarts mid-wait")
    parser.add_argument("--twins", type=int, default=2, help="two-backend trials")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    started = time.monotonic()
    engine = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi.sh")], capture_output=True, text=True, check=True
    )
    os.environ["PATH"] = f"{engine.stdout.strip().splitlines()[-1]}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory(prefix="vertex-soak-") as tmp:
        work = Path(tmp)
        storage = StorageServer()
        storage_url = storage.start()
        os.environ["STORAGE_EMULATOR_HOST"] = storage_url
        emulator = EmulatorProcess(work / "vertex-state.json", storage_url, JOB_SECONDS)
        try:
            emulator.start()
            uri = Datasets(storage_url).upload("train.jsonl", SUPPORT_EXAMPLES)
            state = work / "state"
            state.mkdir()
            base = {
                **os.environ,
                "PULUMI_BACKEND_URL": f"file://{state}",
                "PULUMI_CONFIG_PASSPHRASE": "soak",
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            }
            env = emulator_env(base, emulator.url, storage_url)
            phases = [
                Phase("interrupted `pulumi up`"),
                Phase("20% API faults: up, refresh, destroy"),
                Phase("emulator restart mid-wait"),
                Phase("two backends, same-named children, a SIGKILL each"),
            ]
            phases[0].notes["seed"] = seed
            interrupts(phases[0], emulator, env, work, uri, args.trials)
            api_faults(phases[1], emulator, env, work, uri, args.fault_cycles)
            restarts(phases[2], emulator, env, work, uri, args.restarts)
            phases[3].notes["seed"] = seed
            twins(phases[3], emulator, env, work, uri, args.twins)
        finally:
            emulator.kill()
            storage.stop()
    print()
    print(table(phases, seed, time.monotonic() - started))
    failed = any(
        p.converged < p.trials or p.duplicates or p.notes["cross-deletions"] for p in phases
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
