"""The emulator's limits: field sizes as the service enforces them, bounded request bodies, idle
connections closed, and memory given back after a reset. Raw HTTP over sockets whose timeouts
the tests set; the memory test measures a real emulator process."""

from __future__ import annotations

import json
import os
import platform
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from vertex_tuning.emulator import EmulatorControl, serve

PARENT = "/v1/projects/p/locations/us-central1"
PAYLOAD_LIMIT = 10 * 1024 * 1024
CONTROL_LIMIT = 1024 * 1024
#: Generous for an answer on localhost; it only bounds how long a broken server can hang a test.
SOCKET_TIMEOUT = 10.0


def call(
    url: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=SOCKET_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def new_job(uri: str, **fields: Any) -> dict[str, Any]:
    return {
        "baseModel": "gemini-2.5-flash",
        "supervisedTuningSpec": {"trainingDatasetUri": uri, "exportLastCheckpointOnly": True},
        **fields,
    }


def violation(answer: dict[str, Any]) -> tuple[str, str]:
    """(status, field) of a 400 with one BadRequest field violation."""
    error = answer["error"]
    return error["status"], error["details"][0]["fieldViolations"][0]["field"]


# -- field sizes -------------------------------------------------------------------------------

LONG_LABELS = {f"k{i}": "v" for i in range(65)}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "d" * 2049}, "tuning_job.description"),
        ({"description": "é" * 2049}, "tuning_job.description"),
        ({"tunedModelDisplayName": "n" * 129}, "tuning_job.tuned_model_display_name"),
        ({"labels": LONG_LABELS}, "tuning_job.labels"),
    ],
    ids=["description", "description-utf8", "display-name", "labels"],
)
def test_create_enforces_the_field_sizes(
    emulator: Any, training_uri: str, fields: dict[str, Any], field: str
) -> None:
    status, answer = call(
        emulator.url, "POST", f"{PARENT}/tuningJobs", new_job(training_uri, **fields)
    )
    assert status == 400, answer
    assert violation(answer) == ("INVALID_ARGUMENT", field)
    assert emulator.control.jobs() == []


def test_the_largest_fields_that_fit_are_kept(emulator: Any, training_uri: str) -> None:
    fields = {"description": "é" * 2048, "tunedModelDisplayName": "n" * 128}
    status, job = call(
        emulator.url, "POST", f"{PARENT}/tuningJobs", new_job(training_uri, **fields)
    )
    assert status == 200, job
    assert (job["description"], job["tunedModelDisplayName"]) == (fields["description"], "n" * 128)


@pytest.fixture
def model(emulator: Any, training_uri: str) -> str:
    """The resource path of a tuned model version (`projects/.../models/ID@1`)."""
    status, job = call(emulator.url, "POST", f"{PARENT}/tuningJobs", new_job(training_uri))
    assert status == 200, job
    done = emulator.control.finish(job["name"])
    return str(done["tunedModel"]["model"])


@pytest.mark.parametrize(
    ("mask", "body", "field"),
    [
        ("description", {"description": "d" * 2049}, "model.description"),
        ("display_name", {"displayName": "n" * 129}, "model.display_name"),
        ("version_description", {"versionDescription": "v" * 2049}, "model.version_description"),
        ("labels", {"labels": LONG_LABELS}, "model.labels"),
        ("labels", {"labels": {"k" * 64: "v"}}, "model.labels"),
        ("labels", {"labels": {"k": "v" * 64}}, "model.labels"),
    ],
    ids=["description", "display-name", "version-description", "labels", "key", "value"],
)
def test_update_model_enforces_the_field_sizes(
    emulator: Any, model: str, mask: str, body: dict[str, Any], field: str
) -> None:
    before = call(emulator.url, "GET", f"/v1/{model}")[1]
    status, answer = call(emulator.url, "PATCH", f"/v1/{model}?updateMask={mask}", body)
    assert status == 400, answer
    assert violation(answer) == ("INVALID_ARGUMENT", field)
    assert call(emulator.url, "GET", f"/v1/{model}")[1] == before


def test_rebase_enforces_the_field_sizes(emulator: Any, model: str) -> None:
    body = {"tunedModelRef": {"tunedModel": model}, "tuningJob": {"description": "d" * 2049}}
    status, answer = call(emulator.url, "POST", f"{PARENT}/tuningJobs:rebaseTunedModel", body)
    assert status == 400, answer
    assert violation(answer) == ("INVALID_ARGUMENT", "tuning_job.description")
    assert len(emulator.control.jobs()) == 1


# -- request bodies ------------------------------------------------------------------------------


def connect(url: str, timeout: float = SOCKET_TIMEOUT) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


def answer_of(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    """Read one HTTP response: its head, then Content-Length bytes of JSON."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    assert length, head
    while len(body) < int(length[1]):
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-answer"
        body += chunk
    return int(head.split(b" ", 2)[1]), json.loads(body)


def head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: emulator", *headers, "", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    ("path", "limit"),
    [(f"{PARENT}/tuningJobs", PAYLOAD_LIMIT), ("/_emulator/faults", CONTROL_LIMIT)],
    ids=["api", "control"],
)
def test_an_announced_body_over_the_limit_is_refused_unread(
    emulator: Any, path: str, limit: int
) -> None:
    # Only the head is sent: an emulator that waits for the body hangs until the socket's timeout.
    with connect(emulator.url) as sock:
        auth = f"Authorization: Bearer {emulator.control.token}"
        sock.sendall(head("POST", path, f"Content-Length: {limit + 1}", auth))
        status, answer = answer_of(sock)
    assert status == 400, answer
    assert answer["error"] == {
        "code": 400,
        "message": f"Request payload size exceeds the limit: {limit} bytes.",
        "status": "INVALID_ARGUMENT",
    }
    assert emulator.control.request_counts() == {}


def test_a_chunked_body_over_the_limit_is_refused(emulator: Any) -> None:
    chunk = b"x" * (1024 * 1024)
    with connect(emulator.url) as sock:
        sock.sendall(head("POST", f"{PARENT}/tuningJobs", "Transfer-Encoding: chunked"))
        for _ in range(PAYLOAD_LIMIT // len(chunk) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")
        status, answer = answer_of(sock)
    assert status == 400, answer
    assert answer["error"]["message"] == (
        f"Request payload size exceeds the limit: {PAYLOAD_LIMIT} bytes."
    )
    assert emulator.control.jobs() == []


def test_a_body_under_the_limit_is_read(emulator: Any) -> None:
    body = json.dumps({"description": "d" * (1024 * 1024)}).encode()
    with connect(emulator.url) as sock:
        sock.sendall(head("POST", f"{PARENT}/tuningJobs", f"Content-Length: {len(body)}") + body)
        status, answer = answer_of(sock)
    # Read and judged on its fields, not on its size.
    assert status == 400
    assert "payload size" not in answer["error"]["message"]


# -- idle connections -----------------------------------------------------------------------------


@pytest.fixture
def quick(storage_url: str) -> Iterator[Any]:
    """An emulator that closes a connection idle for 0.2 s."""
    with serve(job_seconds=0, storage_url=storage_url, idle_timeout=0.2) as running:
        yield running


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /v1/projects/p/locations/us-central1/tuningJobs HTTP/1.1\r\nHost: e\r\n",
        head("POST", f"{PARENT}/tuningJobs", "Content-Length: 100") + b'{"baseModel":',
    ],
    ids=["nothing", "half-a-head", "half-a-body"],
)
def test_an_idle_connection_is_closed(quick: Any, sent: bytes) -> None:
    # The server must hang up long before this socket's own timeout would end the wait.
    with connect(quick.url) as sock:
        sock.sendall(sent)
        assert sock.recv(65536) == b""
    assert quick.control.jobs() == []
    assert quick.control.health()


# -- memory ----------------------------------------------------------------------------------------


def rss(pid: int) -> int:
    """Resident set size in bytes, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def big_job(training_uri: str, i: int, size: int) -> dict[str, Any]:
    """A job within every limit holding `size` characters: an evaluation metric's prompt."""
    metric = {"pointwiseMetricSpec": {"metricPromptTemplate": f"rate {i}: " + "x" * size}}
    evaluation = {
        "metrics": [metric],
        "outputConfig": {"gcsDestination": {"outputUriPrefix": "gs://b/eval/"}},
    }
    job = new_job(training_uri)
    job["supervisedTuningSpec"]["evaluationConfig"] = evaluation
    return job


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="reads /proc and trims glibc's heap",
)
def test_memory_comes_back_after_reset(storage_url: str, training_uri: str) -> None:
    env = {**os.environ, "STORAGE_EMULATOR_HOST": storage_url}
    argv = [sys.executable, "-m", "vertex_tuning.emulator", "--port", "0", "--job-seconds", "0"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        ready = re.match(r"^Vertex AI emulator listening on (\S+) ", process.stdout.readline())
        assert ready
        url, control = ready[1], EmulatorControl(ready[1])
        # Warm up (schemas loaded, first allocations made), then measure from a clean state.
        assert call(url, "POST", f"{PARENT}/tuningJobs", big_job(training_uri, 0, 1000))[0] == 200
        control.reset()
        before = rss(process.pid)
        for i in range(60):
            status, answer = call(
                url, "POST", f"{PARENT}/tuningJobs", big_job(training_uri, i, 500_000)
            )
            assert status == 200, answer
        grown = rss(process.pid) - before
        assert grown > 20 * 1024 * 1024, "the jobs should take room"

        control.reset()
        kept = rss(process.pid) - before
        assert kept < grown / 4, f"kept {kept >> 20} of {grown >> 20} MiB after the reset"
    finally:
        process.terminate()
        process.communicate(timeout=10)
