"""What a person sees of a tuning job's progress (issue 18, item 2), through the real `pulumi`:
in a terminal of 100 and 140 columns (tmux, the screen as drawn) the job's row shows its state
and age, not a prefix that repeats the row; in a CI log each job's console link appears once,
no progress line twice, and sixteen jobs stay a few lines each. Job states move only when this
test moves them, through the emulator's control API.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from e2e.harness import Project, emulator_env, job_args, until

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def project(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> Project:
    emulator.control.configure(job_seconds=0)  # states move only when the test says so
    project = Project(
        tmp_path / "project", emulator_env(pulumi_env, emulator.url, emulator.storage_url)
    )
    project.program({"support": job_args(training_uri, tuned_model_display_name="acme-flash")})
    project.init()
    return project


def _screen(session: str) -> str:
    captured = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    )
    return captured.stdout


def _finish_all(control: Any) -> None:
    for job in control.jobs():
        if job["state"] in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING"):
            control.finish(job["name"])


@pytest.mark.parametrize("columns", [100, 140])
def test_in_a_terminal_the_jobs_row_shows_its_state_and_age(
    project: Project, emulator: RunningEmulator, columns: int, tmp_path: Path
) -> None:
    assert shutil.which("tmux"), "tmux is needed to see the screen as a person does (.ci/run)"
    session = f"progress-{columns}-{tmp_path.name}"[-40:]
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in project.env.items() if k.isidentifier())
    # The session outlives the command, so its last screen can still be read.
    command = (
        f"cd {shlex.quote(str(project.root))} && env {env} pulumi up --yes --skip-preview "
        "--stack dev; sleep 600"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(columns), "-y", "30", command],
        check=True,
    )
    try:
        (job,) = until(emulator.control.jobs, timeout=120, what="the submitted job")
        emulator.control.advance(job["name"])  # RUNNING
        row = until(
            lambda: next(
                (
                    line
                    for line in _screen(session).splitlines()
                    if "TuningJob" in line and re.search(r"RUNNING \d", line)
                ),
                None,
            ),
            timeout=60,
            what="the job's row showing RUNNING and its age",
        )
        assert len(row.rstrip()) <= columns
        assert "tuning job acme-flash" not in row  # the row names the job already
        if columns >= 140:  # room for all of it: state, age, detail
            assert re.search(r"RUNNING \d+s · [a-z]", row), row
        _finish_all(emulator.control)
        until(lambda: "Resources:" in _screen(session), timeout=60, what="the update's end")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def test_in_a_ci_log_the_link_shows_once_and_no_line_twice(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: RunningEmulator, training_uri: str
) -> None:
    emulator.control.configure(job_seconds=0)
    project = Project(
        tmp_path / "many", emulator_env(pulumi_env, emulator.url, emulator.storage_url)
    )
    project.program(
        {
            f"model-{i}": job_args(training_uri, tuned_model_display_name=f"job-{i}")
            for i in range(16)
        }
    )
    project.init()
    running = project.start("up", "--yes", "--skip-preview", "--parallel", "32")
    until(lambda: len(emulator.control.jobs()) == 16, timeout=180, what="16 submitted jobs")
    for job in emulator.control.jobs():
        emulator.control.advance(job["name"])
    log = running.log
    until(lambda: log.read_text().count("RUNNING ") >= 16, timeout=120, what="every job RUNNING")
    _finish_all(emulator.control)
    result = running.wait(timeout=180)
    assert result.returncode == 0, result.output

    jobs = emulator.control.jobs()
    for job in jobs:
        job_id = job["name"].rsplit("/", 1)[-1]
        assert result.output.count(f"tuningJob/{job_id}?") == 1  # the console link, once
    progress = [
        line.strip()
        for line in result.output.splitlines()
        if re.search(r"TuningJob model-\d+ .*(PENDING|RUNNING) \d", line)
    ]
    repeated = {line: n for line, n in Counter(progress).items() if n > 1}
    assert not repeated, repeated
    per_job = Counter(re.search(r"model-\d+", line)[0] for line in progress)  # type: ignore[index]
    assert max(per_job.values()) <= 4, per_job  # a few lines each: 16 jobs stay readable


def test_a_replace_preview_diff_shows_the_change_not_the_statistics(
    project: Project, emulator: RunningEmulator, training_uri: str
) -> None:
    """Issue 18, item 4: changing `epoch_count` alone is a short `preview --diff`; the job's
    full statistics stay out of outputs (`vertex-tuning jobs get` shows them)."""
    running = project.start("up", "--yes", "--skip-preview")
    until(emulator.control.jobs, what="the job to be submitted")
    _finish_all(emulator.control)
    running.wait().check()
    changed = job_args(training_uri, tuned_model_display_name="acme-flash", epoch_count=5)
    project.program({"support": changed})
    preview = project.preview("--diff").check()
    assert "+ epoch_count" in preview.output and "(replace)" in preview.output, preview.output
    assert "bucket" not in preview.output.lower(), preview.output  # no histogram buckets
    lines = preview.output.splitlines()
    start = next(i for i, line in enumerate(lines) if "tuning_data_stats" in line)
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == "}")
    assert end - start <= 6, "\n".join(lines[start : end + 1])  # five counts, not histograms
