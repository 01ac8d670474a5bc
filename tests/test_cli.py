"""The `vertex-tuning` command as users run it: a subprocess against the local emulator.

Jobs are created with Google's own client (the CLI has no create: that is the Pulumi
resource's job) and moved along with the emulator's control API, never with sleeps.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import LOCATION, PROJECT, SUPPORT_EXAMPLES, Datasets, VertexClients, console_job

if TYPE_CHECKING:
    from vertex_tuning.emulator import RunningEmulator

CLI = [sys.executable, "-c", "from vertex_tuning.cli import main; main(prog_name='vertex-tuning')"]
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
SETTINGS_ENV = (
    "GOOGLE_CLOUD_PROJECT",
    "VERTEX_PROJECT_ID",
    "GOOGLE_CLOUD_LOCATION",
    "VERTEX_LOCATION",
    "VERTEX_API_ENDPOINT",
    "VERTEX_ACCESS_TOKEN",
)
#: How long any one CLI run may take before the test fails instead of hanging.
RUN_SECONDS = 60


def cli_env(emulator: RunningEmulator, **overrides: str | None) -> dict[str, str]:
    """The environment a user of the emulator would have; None removes a variable."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(
        VERTEX_API_ENDPOINT=emulator.url,
        GOOGLE_CLOUD_PROJECT=PROJECT,
        GOOGLE_CLOUD_LOCATION=LOCATION,
        COLUMNS="250",  # tables are not folded, so a test can find a whole ID on one line
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(
    emulator: RunningEmulator, *args: str, stdin: str | None = None, **env: str | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(emulator, **env),
        timeout=RUN_SECONDS,
    )


def run_json(emulator: RunningEmulator, *args: str) -> Any:
    result = run(emulator, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def start(emulator: RunningEmulator, *args: str) -> subprocess.Popen[str]:
    """The CLI running in the background, for commands that wait on the job."""
    return subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(emulator),
    )


def read_until(stream: Any, text: str) -> list[str]:
    """Lines read from `stream` up to and including the first one containing `text`."""
    seen = []
    for line in stream:
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never came; got {seen}")


def job_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


@pytest.fixture
def succeeded(emulator: RunningEmulator, vertex: VertexClients, training_uri: str) -> str:
    """A job that ran to success on the support examples: it has data stats and an endpoint."""
    name = console_job(vertex, training_uri)
    emulator.control.finish(name)
    return name


# --- jobs list ------------------------------------------------------------------------------


def test_list_pages_through_more_jobs_than_one_page(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    created = [console_job(vertex, training_uri, f"support-{i}") for i in range(5)]
    newest_first = [job_id(n) for n in reversed(created)]

    seen, token, pages = [], "", 0
    while True:
        args = ["jobs", "list", "--page-size", "2", *(["--page-token", token] if token else [])]
        page = run_json(emulator, *args)
        assert set(page) == {"tuning_jobs", "next_page_token"}
        assert len(page["tuning_jobs"]) <= 2
        seen += [job["id"] for job in page["tuning_jobs"]]
        pages += 1
        token = page["next_page_token"]
        if not token:
            break
    assert seen == newest_first
    assert pages == 3

    before = emulator.control.request_counts().get("ListTuningJobs", 0)
    everything = run_json(emulator, "jobs", "list", "--all", "--page-size", "2")
    assert [job["id"] for job in everything["tuning_jobs"]] == newest_first
    assert everything["next_page_token"] == ""
    assert emulator.control.request_counts()["ListTuningJobs"] - before == 3


def test_list_table_shows_one_page_and_how_to_get_the_next(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    oldest, middle, newest = (console_job(vertex, training_uri, f"support-{i}") for i in range(3))
    emulator.control.finish(newest)

    result = run(emulator, "jobs", "list", "--page-size", "2")

    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()}
    assert job_id(oldest) not in rows
    assert "support-1" in rows[job_id(middle)] and "PENDING" in rows[job_id(middle)]
    endpoint = vertex.tuning.get_tuning_job(name=newest).tuned_model.endpoint
    assert "SUCCEEDED" in rows[job_id(newest)]
    assert job_id(endpoint) in rows[job_id(newest)]
    assert "--page-token" in result.stderr


def test_list_with_the_all_flag_rejects_a_page_token(emulator: RunningEmulator) -> None:
    result = run(emulator, "jobs", "list", "--all", "--page-token", "abc")
    assert result.returncode == 2
    assert "--page-token and --all" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--state", "succeeded"], {"prod-ok", "dev-ok"}),
        (["--state", "JOB_STATE_FAILED"], {"prod-failed"}),
        (["--label", "env=prod"], {"prod-ok", "prod-failed", "prod-running"}),
        (["--state", "SUCCEEDED", "--label", "env=prod"], {"prod-ok"}),
        (["--label", "env=prod", "--label", "team=search"], {"prod-running"}),
        (["--filter", "state=JOB_STATE_RUNNING", "--label", "env=prod"], {"prod-running"}),
        (["--filter", "labels.env=dev", "--state", "FAILED"], set()),
    ],
)
def test_list_filters_combine_with_and(
    emulator: RunningEmulator,
    vertex: VertexClients,
    training_uri: str,
    args: list[str],
    expected: set[str],
) -> None:
    jobs = {
        "prod-ok": ({"env": "prod"}, "finish"),
        "prod-failed": ({"env": "prod"}, "fail"),
        "prod-running": ({"env": "prod", "team": "search"}, "advance"),
        "dev-ok": ({"env": "dev", "team": "search"}, "finish"),
        "dev-running": ({"env": "dev"}, "advance"),
    }
    for display_name, (labels, outcome) in jobs.items():
        name = console_job(vertex, training_uri, display_name, labels)
        if outcome == "finish":
            emulator.control.finish(name)
        elif outcome == "fail":
            emulator.control.finish(name, "JOB_STATE_FAILED", error_code=13, error_message="x")
        else:
            emulator.control.advance(name)  # PENDING -> RUNNING

    found = run_json(emulator, "jobs", "list", *args)["tuning_jobs"]

    assert {job["display_name"] for job in found} == expected


def test_list_rejects_an_unknown_state_before_calling_the_api(emulator: RunningEmulator) -> None:
    result = run(emulator, "jobs", "list", "--state", "done")
    assert result.returncode == 2
    assert "'done' is not a job state" in result.stderr
    assert emulator.control.request_counts().get("ListTuningJobs", 0) == 0


# --- jobs get -------------------------------------------------------------------------------


def test_get_shows_the_data_stats_of_a_finished_job(
    emulator: RunningEmulator, succeeded: str
) -> None:
    job = run_json(emulator, "jobs", "get", succeeded)
    assert job["name"] == succeeded and job["id"] == job_id(succeeded)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["error"] is None
    stats = job["data_stats"]
    assert stats["tuning_dataset_example_count"] == len(SUPPORT_EXAMPLES)
    assert stats["user_input_token_distribution"]["mean"] > 0

    shown = run(emulator, "jobs", "get", job_id(succeeded))
    assert shown.returncode == 0, shown.stderr
    assert "Data stats" in shown.stdout
    count_line = next(
        line for line in shown.stdout.splitlines() if "Tuning dataset example count" in line
    )
    assert count_line.split()[-1] == str(len(SUPPORT_EXAMPLES))
    assert "User input token distribution" in shown.stdout
    assert job["tuned_endpoint"] in shown.stdout


def test_get_shows_the_error_of_a_failed_job(
    emulator: RunningEmulator, vertex: VertexClients, datasets: Any
) -> None:
    name = console_job(vertex, datasets.missing("gone.jsonl"))
    emulator.control.finish(name)  # starting to run, the service finds no training data

    job = run_json(emulator, "jobs", "get", name)
    assert job["state"] == "JOB_STATE_FAILED"
    assert set(job["error"]) == {"code", "message", "details"}
    assert job["error"]["code"] == 5
    assert "gone.jsonl" in job["error"]["message"]

    shown = run(emulator, "jobs", "get", name)
    assert shown.returncode == 0, shown.stderr
    assert "5 (NOT_FOUND)" in shown.stdout
    assert "gone.jsonl" in shown.stdout
    assert "Hint" in shown.stdout and "gs:// URI" in shown.stdout


def test_a_missing_job_is_one_error_line_and_no_traceback(emulator: RunningEmulator) -> None:
    result = run(emulator, "jobs", "get", "123")

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: reading tuning job ({PARENT}/tuningJobs/123): NOT_FOUND: ")
    assert "http://" not in line  # the service's words, not the transport's
    assert result.stdout == ""


def test_debug_shows_the_traceback(emulator: RunningEmulator) -> None:
    result = run(emulator, "--debug", "jobs", "get", "123")

    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "NOT_FOUND" in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["jobs", "get", "1"], {"GOOGLE_CLOUD_PROJECT": None}, "error: no project: pass --project"),
        (["jobs", "list"], {"GOOGLE_CLOUD_LOCATION": None}, "error: no location: pass --location"),
        (["jobs", "get", "projects/p/jobs/1"], {}, "is neither projects/P/locations/L/tuningJobs"),
    ],
)
def test_usage_problems_exit_2_without_calling_the_api(
    emulator: RunningEmulator, args: list[str], env: dict[str, str | None], message: str
) -> None:
    result = run(emulator, *args, **env)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.control.request_counts() == {}


# --- settings: flags, then the environment ------------------------------------------------


def test_flags_override_the_environment(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)
    result = run(
        emulator,
        "--project",
        PROJECT,
        "--location",
        LOCATION,
        "--api-endpoint",
        emulator.url,
        "jobs",
        "get",
        job_id(name),
        "--json",
        GOOGLE_CLOUD_PROJECT="someone-elses-project",
        GOOGLE_CLOUD_LOCATION="europe-west4",
        VERTEX_API_ENDPOINT="http://127.0.0.1:1",  # nothing listens there
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == name


def test_the_seed_guides_variables_and_access_token_work(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)
    emulator.control.configure(require_token="s3cret")
    seed_env: dict[str, str | None] = {
        "GOOGLE_CLOUD_PROJECT": None,
        "GOOGLE_CLOUD_LOCATION": None,
        "VERTEX_PROJECT_ID": PROJECT,
        "VERTEX_LOCATION": LOCATION,
    }

    allowed = run(emulator, "jobs", "get", job_id(name), VERTEX_ACCESS_TOKEN="s3cret", **seed_env)
    refused = run(emulator, "--access-token", "wrong", "jobs", "get", job_id(name), **seed_env)

    assert allowed.returncode == 0, allowed.stderr
    assert refused.returncode == 1
    status = one_error_line(refused.stderr).split("): ", 1)[1].split(":", 1)[0]
    assert status in ("UNAUTHENTICATED", "PERMISSION_DENIED")


# --- jobs cancel ----------------------------------------------------------------------------


def test_cancel_stops_a_running_job_and_again_is_done(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)
    emulator.control.advance(name)  # RUNNING

    first = run(emulator, "jobs", "cancel", job_id(name))
    assert first.returncode == 0, first.stderr
    assert "requested cancellation" in first.stdout
    assert vertex.tuning.get_tuning_job(name=name).state.name == "JOB_STATE_CANCELLING"

    emulator.control.advance(name)  # CANCELLING -> CANCELLED
    again = run(emulator, "jobs", "cancel", name)
    assert again.returncode == 0, again.stderr
    assert "already CANCELLED" in again.stdout


def test_cancel_of_a_finished_job_is_an_error(emulator: RunningEmulator, succeeded: str) -> None:
    result = run(emulator, "jobs", "cancel", succeeded)

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: cancelling tuning job ({succeeded}): FAILED_PRECONDITION: ")
    assert "JOB_STATE_SUCCEEDED" in line


@pytest.mark.timeout(RUN_SECONDS)
def test_cancel_wait_returns_once_the_job_is_cancelled(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)
    process = start(emulator, "jobs", "cancel", name, "--wait", "--poll-interval", "0.05")
    assert process.stdout is not None
    read_until(process.stdout, "requested cancellation")
    assert process.poll() is None  # still waiting: the job is CANCELLING

    emulator.control.advance(name)  # CANCELLING -> CANCELLED
    out, err = process.communicate(timeout=RUN_SECONDS)

    assert process.returncode == 0, err
    assert f"tuning job {name} is CANCELLED" in out


@pytest.mark.timeout(RUN_SECONDS)
def test_cancel_wait_fails_when_the_job_finished_first(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)
    process = start(emulator, "jobs", "cancel", name, "--wait", "--poll-interval", "0.05")
    assert process.stdout is not None
    read_until(process.stdout, "requested cancellation")

    emulator.control.finish(name, "JOB_STATE_SUCCEEDED")  # it won the race
    _, err = process.communicate(timeout=RUN_SECONDS)

    assert process.returncode == 1
    assert "it ended SUCCEEDED before the cancel took effect" in err


# --- jobs wait ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "code", "words"),
    [
        ("JOB_STATE_SUCCEEDED", 0, "SUCCEEDED"),
        ("JOB_STATE_FAILED", 3, "ended FAILED: INTERNAL (13): the accelerator caught fire"),
        ("JOB_STATE_CANCELLED", 4, "ended CANCELLED"),
        ("JOB_STATE_EXPIRED", 5, "ended EXPIRED"),
    ],
)
def test_wait_exit_code_says_how_the_job_ended(
    emulator: RunningEmulator,
    vertex: VertexClients,
    training_uri: str,
    state: str,
    code: int,
    words: str,
) -> None:
    name = console_job(vertex, training_uri)
    error = {"error_code": 13, "error_message": "the accelerator caught fire"}
    emulator.control.finish(name, state, **(error if state == "JOB_STATE_FAILED" else {}))

    result = run(emulator, "jobs", "wait", job_id(name))

    assert result.returncode == code, result.stderr
    assert words in (result.stdout if code == 0 else result.stderr)


def test_wait_json_prints_the_final_job(emulator: RunningEmulator, succeeded: str) -> None:
    job = run_json(emulator, "jobs", "wait", succeeded)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["tuned_endpoint"].startswith("projects/")


def test_wait_timeout_leaves_the_job_running(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)

    result = run(emulator, "jobs", "wait", name, "--timeout", "0")

    assert result.returncode == 6
    assert f"error: waiting for tuning job ({name}): still PENDING" in result.stderr
    assert "it keeps running" in result.stderr
    assert vertex.tuning.get_tuning_job(name=name).state.name == "JOB_STATE_PENDING"


@pytest.mark.timeout(RUN_SECONDS)
def test_wait_reports_each_state_as_plain_lines_when_not_a_terminal(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    name = console_job(vertex, training_uri)
    process = start(emulator, "jobs", "wait", name, "--poll-interval", "0.05")
    assert process.stderr is not None

    read_until(process.stderr, "tuning job: PENDING ")
    emulator.control.advance(name)
    read_until(process.stderr, "tuning job: RUNNING ")
    emulator.control.finish(name)
    out, err = process.communicate(timeout=RUN_SECONDS)

    assert process.returncode == 0, err
    assert "tuning job: SUCCEEDED " in err
    assert "\x1b[" not in err  # no terminal control codes in CI logs
    assert f"tuning job {name} SUCCEEDED" in out


def test_wait_on_a_terminal_shows_live_progress(emulator: RunningEmulator, succeeded: str) -> None:
    output, code = run_in_terminal(emulator, "jobs", "wait", succeeded)

    assert code == 0, output
    assert "\x1b[?25l" in output  # rich's live status took over the line (cursor hidden)
    assert f"tuning job {succeeded} SUCCEEDED" in output
    assert "tuning job: SUCCEEDED " in output


def run_in_terminal(emulator: RunningEmulator, *args: str) -> tuple[str, int]:
    """Run the CLI with a pseudo-terminal as stdout and stderr; (output, exit code)."""
    controller, terminal = pty.openpty()
    env = cli_env(emulator, TERM="xterm")
    process = subprocess.Popen([*CLI, *args], stdout=terminal, stderr=terminal, env=env)
    os.close(terminal)
    chunks = []
    try:
        for chunk in _read_all(controller):
            chunks.append(chunk)
    finally:
        os.close(controller)
    return b"".join(chunks).decode(errors="replace"), process.wait(timeout=RUN_SECONDS)


def _read_all(fd: int) -> Iterator[bytes]:
    while True:
        ready, _, _ = select.select([fd], [], [], RUN_SECONDS)
        if not ready:
            raise AssertionError("the CLI wrote nothing for a minute")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        yield chunk


# --- generate -------------------------------------------------------------------------------


def test_generate_asks_the_tuned_model(
    emulator: RunningEmulator, vertex: VertexClients, succeeded: str
) -> None:
    endpoint = vertex.tuning.get_tuning_job(name=succeeded).tuned_model.endpoint
    prompt = SUPPORT_EXAMPLES[0]["contents"][0]["parts"][0]["text"]
    answer = SUPPORT_EXAMPLES[0]["contents"][1]["parts"][0]["text"]

    by_name = run(emulator, "generate", endpoint, prompt)
    by_id = run(emulator, "generate", job_id(endpoint), "-", stdin=prompt)
    full = run_json(emulator, "generate", endpoint, prompt)

    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout == f"{answer}\n"
    assert by_id.stdout == f"{answer}\n"
    assert full["candidates"][0]["content"]["parts"][0]["text"] == answer
    assert full["usage_metadata"]["total_token_count"] > 0


def test_generate_on_a_missing_endpoint_is_one_error_line(emulator: RunningEmulator) -> None:
    result = run(emulator, "generate", "42", "hello")

    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: generating content ({PARENT}/endpoints/42): NOT_FOUND: ")


# --- validate ---

DATA = Path(__file__).parent / "data"


def test_validate_passes_a_good_file_and_exits_0(emulator: RunningEmulator) -> None:
    result = run(emulator, "validate", str(DATA / "good.jsonl"))
    assert result.returncode == 0, result.stdout
    assert "good.jsonl: OK (0 errors, 1 warning)" in result.stdout
    assert "at least 100 are recommended" in result.stdout  # the seed's guidance, a warning


def test_validate_reports_each_error_with_its_line_and_exits_1(emulator: RunningEmulator) -> None:
    result = run(emulator, "validate", str(DATA / "good.jsonl"), str(DATA / "ends_with_user.jsonl"))
    assert result.returncode == 1
    assert "ends_with_user.jsonl: INVALID" in result.stdout
    assert "line 3:" in result.stdout and "contents[2].role" in result.stdout


def test_validate_json_is_one_report_per_source(emulator: RunningEmulator) -> None:
    result = run(emulator, "validate", str(DATA / "bad_role.jsonl"), "--json")
    assert result.returncode == 1
    (report,) = json.loads(result.stdout)
    assert report["ok"] is False and report["error_count"] >= 1


def test_validate_streams_gs_objects_from_cloud_storage(
    emulator: RunningEmulator, datasets: Datasets, storage_url: str
) -> None:
    good = datasets.upload("good.jsonl", (DATA / "good.jsonl").read_text())
    bad = datasets.upload("bad.jsonl", (DATA / "ends_with_user.jsonl").read_text())
    host = {"STORAGE_EMULATOR_HOST": storage_url}
    assert run(emulator, "validate", good, **host).returncode == 0
    result = run(emulator, "validate", bad, **host)
    assert result.returncode == 1 and "line 3:" in result.stdout
    missing = run(emulator, "validate", datasets.missing("nowhere.jsonl"), **host)
    assert missing.returncode == 1
    assert "nowhere.jsonl" in missing.stderr and "NOT_FOUND" in missing.stderr


def test_a_list_at_80_columns_never_breaks_an_id_and_shows_a_gone_endpoint_as_gone(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    made = console_job(vertex, training_uri, "a-display-name-long-enough-to-crowd-the-table-out")
    emulator.control.finish(made)
    endpoint = vertex.tuning.get_tuning_job(name=made).tuned_model.endpoint
    for deployed in vertex.endpoints.get_endpoint(name=endpoint).deployed_models:
        vertex.endpoints.undeploy_model(endpoint=endpoint, deployed_model_id=deployed.id).result()
    vertex.endpoints.delete_endpoint(name=endpoint).result()

    narrow = run(emulator, "jobs", "list", COLUMNS="80")
    assert narrow.returncode == 0, narrow.stderr
    assert all(len(line) <= 80 for line in narrow.stdout.splitlines()), narrow.stdout
    row = next(line for line in narrow.stdout.splitlines() if job_id(made) in line)
    assert f"gone ({job_id(endpoint)})" in row  # each ID whole, on the job's own row

    wide = run(emulator, "jobs", "list", "--wide")
    assert "Base model" in wide.stdout and "gemini-2.5-flash" in wide.stdout
    got = run_json(emulator, "jobs", "get", made)
    assert got["endpoint_state"] == "gone"


def test_output_yaml_is_the_json_as_yaml(
    emulator: RunningEmulator, vertex: VertexClients, training_uri: str
) -> None:
    import yaml

    made = console_job(vertex, training_uri, "support")
    as_yaml = run(emulator, "jobs", "get", made, "-o", "yaml")
    assert as_yaml.returncode == 0, as_yaml.stderr
    assert yaml.safe_load(as_yaml.stdout) == run_json(emulator, "jobs", "get", made)
    listed = run(emulator, "jobs", "list", "--output", "yaml")
    assert yaml.safe_load(listed.stdout)["tuning_jobs"][0]["name"] == made
    clash = run(emulator, "jobs", "get", made, "--json", "-o", "yaml")
    assert clash.returncode == 2 and "exclude each other" in clash.stderr
