"""The emulator's control path as an attacker on the same machine and an unlucky operator meet it:
who may use it, and what it accepts. Through EmulatorControl and raw HTTP."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import click
import pytest

from vertex_tuning.emulator import ControlError, EmulatorControl, serve
from vertex_tuning.emulator.command import main as emulator_command

PARENT = "/v1/projects/p/locations/us-central1"


def raw(
    url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """One request with or without a bearer token: (HTTP status, JSON body)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def new_job(uri: str = "gs://b/train.jsonl") -> dict[str, Any]:
    return {"baseModel": "gemini-2.5-flash", "supervisedTuningSpec": {"trainingDatasetUri": uri}}


# -- who may use it --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/_emulator/config", None),
        ("POST", "/_emulator/config", {"requireToken": None}),
        ("POST", "/_emulator/reset", {}),
        ("GET", "/_emulator/jobs", None),
        ("POST", "/_emulator/faults", {"rate": 1.0}),
        ("GET", "/_emulator/requests", None),
        ("POST", "/_emulator/jobs/1:finish", {}),
    ],
)
def test_a_token_started_emulator_guards_its_control_path(
    storage_url: str, method: str, path: str, body: Any
) -> None:
    with serve(require_token="s3cret", job_seconds=0, storage_url=storage_url) as running:
        status, answer = raw(running.url, "POST", f"{PARENT}/tuningJobs", new_job(), "s3cret")
        assert status == 200, answer

        status, answer = raw(running.url, method, path, body)
        assert (status, answer["error"]["status"]) == (401, "UNAUTHENTICATED")
        assert "s3cret" not in json.dumps(answer)
        status, answer = raw(running.url, method, path, body, token="guess")
        assert (status, answer["error"]["status"]) == (403, "PERMISSION_DENIED")

        # Nothing changed: the token is still required, the job is still there and unfinished.
        assert running.control.config()["requireToken"] == "s3cret"
        (job,) = running.control.jobs()
        assert job["state"] == "JOB_STATE_PENDING"
        assert running.control.fault_counts() == {}
        # Health says nothing but "ok", so anyone may ask.
        assert raw(running.url, "GET", "/_emulator/health") == (200, {"status": "ok"})


def test_the_control_token_is_its_own(storage_url: str) -> None:
    with serve(require_token="api", control_token="ctl", storage_url=storage_url) as running:
        assert raw(running.url, "GET", "/_emulator/config", token="api")[0] == 403
        assert raw(running.url, "GET", f"{PARENT}/tuningJobs", token="ctl")[0] == 403
        assert EmulatorControl(running.url, token="ctl").config()["requireToken"] == "api"
        with pytest.raises(ControlError) as refused:
            EmulatorControl(running.url).reset()
        assert refused.value.status == 401
        # The client serve() hands out carries the control token.
        assert running.control.token == "ctl"


def test_the_api_token_can_change_while_the_control_token_stays(storage_url: str) -> None:
    with serve(require_token="first", storage_url=storage_url) as running:
        running.control.configure(require_token="second")
        assert raw(running.url, "GET", f"{PARENT}/tuningJobs", token="second")[0] == 200
        running.control.configure(require_token=None)
        assert raw(running.url, "GET", f"{PARENT}/tuningJobs")[0] == 200
        # Auth off for the API, not for the control path.
        assert raw(running.url, "GET", "/_emulator/config")[0] == 401
        assert raw(running.url, "GET", "/_emulator/config", token="first")[0] == 200


def test_an_open_control_path_cannot_hand_out_a_token(storage_url: str) -> None:
    with serve(control_token="", storage_url=storage_url) as running:
        assert raw(running.url, "GET", "/_emulator/config") == (
            200,
            {"jobSeconds": 5.0, "requireToken": None, "operationPolls": 1},
        )
        with pytest.raises(ControlError, match="control token") as refused:
            running.control.configure(require_token="readable-by-anyone")
        assert refused.value.body["error"]["status"] == "FAILED_PRECONDITION"
        assert running.control.config()["requireToken"] is None


def test_the_process_says_how_to_reach_its_control_path(storage_url: str) -> None:
    env = {**os.environ, "STORAGE_EMULATOR_HOST": storage_url}
    env.pop("VERTEX_EMULATOR_CONTROL_TOKEN", None)
    argv = [sys.executable, "-m", "vertex_tuning.emulator", "--port", "0", "--require-token", "t"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        ready = re.match(r"^Vertex AI emulator listening on (\S+) ", process.stdout.readline())
        assert ready
        control_line = process.stdout.readline()
        assert "/_emulator/" in control_line
        assert "--require-token" in control_line
        assert "t" not in control_line.split()  # the token itself is not printed
        url = ready[1]
        assert EmulatorControl(url, token="t").config()["requireToken"] == "t"
        with pytest.raises(ControlError) as refused:
            EmulatorControl(url).config()
        assert refused.value.status == 401
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_control_client_takes_its_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VERTEX_EMULATOR_CONTROL_TOKEN", "from-env")
    assert EmulatorControl("http://127.0.0.1:1").token == "from-env"
    assert EmulatorControl("http://127.0.0.1:1", token="given").token == "given"


# -- what it accepts ---------------------------------------------------------------------------

NONSENSE_CONFIG = [
    ("job_seconds", math.nan),
    ("job_seconds", math.inf),
    ("job_seconds", -math.inf),
    ("job_seconds", 1e300),
    ("job_seconds", "5"),
    ("job_seconds", True),
    ("job_seconds", None),
    ("operation_polls", -1),
    ("operation_polls", 2.5),
    ("operation_polls", "3"),
    ("operation_polls", True),
    ("operation_polls", 10**9),
    ("require_token", 5),
    ("require_token", True),
    ("require_token", {"a": "b"}),
    ("require_token", "has space"),
    ("require_token", "line\nbreak"),
    ("require_token", "ünïcode"),
    ("require_token", "x" * 5000),
]


@pytest.mark.parametrize(("setting", "value"), NONSENSE_CONFIG)
def test_nonsense_config_is_refused_and_changes_nothing(
    emulator: Any, setting: str, value: Any
) -> None:
    before = emulator.control.config()
    status, answer = raw(emulator.url, "POST", f"{PARENT}/tuningJobs", new_job())
    assert status == 200, answer

    with pytest.raises(ControlError) as refused:
        emulator.control.configure(**{setting: value})
    assert refused.value.status == 400
    error = refused.value.body["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    name = {"job_seconds": "jobSeconds", "operation_polls": "operationPolls"}.get(
        setting, "requireToken"
    )
    assert name in error["message"]
    assert error["details"][0]["fieldViolations"][0]["field"] == name

    assert emulator.control.config() == before
    # The service goes on answering (a NaN jobSeconds used to make every Get a 500).
    assert raw(emulator.url, "GET", "/v1/" + answer["name"])[0] == 200


NONSENSE_FAULTS = [
    {"rate": "0.5"},
    {"rate": True},
    {"rate": math.nan},
    {"kinds": "500"},
    {"sequence": "503"},
    {"methods": "GetTuningJob"},
    {"methods": ["NoSuchMethod"]},
    {"retryAfter": -1},
    {"retryAfter": 2.5},
    {"retryAfter": "7"},
    {"retryAfter": 10**9},
    {"rate": 0.5, "sequence": ["500"] * 100_001},
]


@pytest.mark.parametrize("body", NONSENSE_FAULTS, ids=lambda b: str(b)[:40])
def test_a_nonsense_fault_plan_is_refused(emulator: Any, body: dict[str, Any]) -> None:
    emulator.control.set_faults(sequence=["503"])
    status, answer = raw(emulator.url, "POST", "/_emulator/faults", body, emulator.control.token)
    assert (status, answer["error"]["status"]) == (400, "INVALID_ARGUMENT"), answer
    assert emulator.control.fault_counts() == {}
    assert raw(emulator.url, "GET", "/_emulator/faults", token=emulator.control.token)[1][
        "sequence"
    ] == ["503"]


@pytest.mark.parametrize(
    "body",
    [
        {"state": 5},
        {"state": "JOB_STATE_FAILED", "error": "boom"},
        {"state": "JOB_STATE_FAILED", "error": {"code": "x"}},
        {"state": "JOB_STATE_FAILED", "error": {"code": 99}},
        {"state": "JOB_STATE_FAILED", "error": {"message": 5}},
        {"state": "JOB_STATE_FAILED", "eror": {"code": 3}},
    ],
    ids=str,
)
def test_a_nonsense_finish_is_refused(emulator: Any, body: dict[str, Any]) -> None:
    status, job = raw(emulator.url, "POST", f"{PARENT}/tuningJobs", new_job())
    assert status == 200, job
    path = f"/_emulator/jobs/{job['name'].rsplit('/', 1)[-1]}:finish"
    status, answer = raw(emulator.url, "POST", path, body, emulator.control.token)
    assert (status, answer["error"]["status"]) == (400, "INVALID_ARGUMENT"), answer
    assert emulator.control.jobs()[0]["state"] == "JOB_STATE_PENDING"


@pytest.mark.parametrize(
    "argv",
    [
        ["--job-seconds", "nan"],
        ["--job-seconds", "inf"],
        ["--job-seconds", "1e300"],
        ["--operation-polls", "1000000000"],
        ["--retry-after", "-1"],
        ["--require-token", "has space"],
        ["--control-token", "line\nbreak"],
        ["--idle-timeout", "0"],
        ["--idle-timeout", "nan"],
        ["--fault-methods", "NoSuchMethod"],
    ],
    ids=" ".join,
)
def test_the_command_refuses_the_same_nonsense(argv: list[str]) -> None:
    # Parsing only: a flag that got through would start a server.
    with pytest.raises(click.BadParameter):
        emulator_command.make_context("emulator", argv)


def test_serve_refuses_the_same_nonsense() -> None:
    with pytest.raises(ValueError, match="jobSeconds"), serve(job_seconds=math.nan):
        pass
