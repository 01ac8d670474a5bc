"""The dynamic-provider host as the engine runs it: a subprocess spoken to over gRPC."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.dynamic import CreateResult, ResourceProvider, UpdateResult
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from vertex_tuning import errors, host, interrupts
from vertex_tuning.provider import TuningJobProvider

HOST = Path(sys.executable).parent / "pulumi-resource-pulumi-python"
TUNING_JOB = "pulumi-python:dynamic/vertex-tuning:TuningJob"


def _rendezvous(where: str, name: str, step: int, count: int) -> bool:
    """Mark `name` at `step`, then wait until `count` creates are there too (False after 30 s):
    a barrier across the host's threads, which holds only if the host runs them side by side."""
    Path(where, f"{step}-{name}").touch()
    deadline = time.monotonic() + 30
    while len(list(Path(where).glob(f"{step}-*"))) < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # a readiness wait: the outcome is whether all arrive, not when
    return True


class Meeter(ResourceProvider):
    """Stands in for a blocking TuningJob create: it returns once every create has started."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        met = _rendezvous(props["where"], props["name"], 0, int(props["count"]))
        return CreateResult(props["name"], {"met": met})


class Talker(ResourceProvider):
    """Prints a few lines while creating, the last one in pieces, as print() and say() do; the
    creates print each step together, so their lines interleave."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        for step in range(3):
            print(f"{props['name']}: step {step}")
            _rendezvous(props["where"], props["name"], step, int(props["count"]))
        sys.stdout.write(f"{props['name']}: ")
        sys.stdout.write("done\n")
        return CreateResult(props["name"], {})


class Engine(engine_pb2_grpc.EngineServicer):
    """The engine's Log service: records what the host logs, for which resource, how severe."""

    def __init__(self) -> None:
        self.logs: list[tuple[str, str, int]] = []
        self._logged = threading.Condition()

    @property
    def logged(self) -> list[tuple[str, str]]:
        """(urn, message) of the lines a provider printed (info severity)."""
        return [(urn, m) for urn, m, severity in self.logs if severity == engine_pb2.INFO]

    def Log(self, request: Any, _context: Any) -> Any:
        with self._logged:
            self.logs.append((request.urn, request.message, request.severity))
            self._logged.notify_all()
        return empty_pb2.Empty()

    def wait_for(self, message: str, count: int) -> bool:
        """Readiness: until `count` resources have logged `message` (False after 60 s)."""
        with self._logged:
            return self._logged.wait_for(
                lambda: len({urn for urn, m in self.logged if m == message}) >= count, 60
            )


@contextlib.contextmanager
def running_host(cwd: Path, *args: str) -> Iterator[tuple[Any, subprocess.Popen[str]]]:
    """The host as the engine starts it (`args` end with the engine's address); its stub."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    env.pop(host.THREADS_ENV, None)  # the default pool is what users get
    proc = subprocess.Popen([str(HOST), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel), proc
    finally:
        channel.close()
        proc.kill()
        proc.wait()


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[Any]:
    with running_host(tmp_path) as (stub, _):
        yield stub


@pytest.fixture
def engine() -> Iterator[tuple[Engine, str]]:
    service = Engine()
    server = grpc.server(futures.ThreadPoolExecutor(4))
    engine_pb2_grpc.add_EngineServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield service, f"127.0.0.1:{port}"
    finally:
        server.stop(0)


def _struct(props: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties(props, {}))


def test_blocking_creates_run_side_by_side(stub: Any, tmp_path: Path) -> None:
    """Eight creates that each block until all eight run; the stock host's 4 threads never
    get there."""
    provider = serialize_provider(Meeter())

    def create(i: int) -> dict[str, Any]:
        props = {"__provider": provider, "name": f"r{i}", "where": str(tmp_path), "count": 8}
        request = proto.CreateRequest(
            urn=f"urn:pulumi:s::p::pulumi-python:dynamic:Resource::r{i}",
            type="pulumi-python:dynamic:Resource",
            properties=_struct(props),
        )
        return dict(rpc.deserialize_properties(stub.Create(request).properties))

    with futures.ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(create, range(8)))
    assert [o["met"] for o in outs] == [True] * 8
    assert all(o["__provider"] == provider for o in outs)


def _create_talkers(stub: Any, count: int, where: Path) -> None:
    provider = serialize_provider(Talker())
    where.mkdir()

    def create(i: int) -> None:
        props = {"__provider": provider, "name": f"r{i}", "where": str(where), "count": count}
        stub.Create(
            proto.CreateRequest(
                urn=f"urn:pulumi:s::p::pulumi-python:dynamic:Resource::r{i}",
                type="pulumi-python:dynamic:Resource",
                properties=_struct(props),
            )
        )

    with futures.ThreadPoolExecutor(count) as pool:
        list(pool.map(create, range(count)))


def test_what_a_provider_prints_is_logged_whole_on_its_own_resource(
    tmp_path: Path, engine: tuple[Engine, str]
) -> None:
    """`pulumi up` shows a line on the row of the URN it is logged with, and groups it there."""
    service, address = engine
    # The engine's flags come first and its address last, as it launches every provider plugin.
    with running_host(tmp_path, "--logtostderr", "-v=9", address) as (stub, _):
        _create_talkers(stub, 3, tmp_path / "steps")

    by_urn: dict[str, list[str]] = {}
    for urn, message in service.logged:
        by_urn.setdefault(urn, []).append(message)
    assert by_urn == {
        f"urn:pulumi:s::p::pulumi-python:dynamic:Resource::r{i}": [
            f"r{i}: step 0",
            f"r{i}: step 1",
            f"r{i}: step 2",
            f"r{i}: done",
        ]
        for i in range(3)
    }


def test_without_an_engine_to_log_to_prints_go_to_stdout(tmp_path: Path) -> None:
    """Started by hand (no engine address), the host prints as the stock one does."""
    with running_host(tmp_path) as (stub, proc):
        _create_talkers(stub, 1, tmp_path / "steps")
        assert proc.stdout is not None
        assert [proc.stdout.readline() for _ in range(4)] == [
            "r0: step 0\n",
            "r0: step 1\n",
            "r0: step 2\n",
            "r0: done\n",
        ]


def test_a_line_the_engine_does_not_take_goes_to_stdout() -> None:
    class Gone:
        def Log(self, _request: Any) -> Any:
            raise grpc.RpcError()

    fallback = io.StringIO()
    output = host.ResourceOutput(Gone(), fallback)
    with output.serving("urn:pulumi:s::p::t::r"):
        output.write("one\ntw")
        output.write("o\n")
    output.write("outside a request\n")
    assert fallback.getvalue() == "one\ntwo\noutside a request\n"


def test_check_of_a_tuning_job_names_the_field_and_rule(stub: Any) -> None:
    news = {
        "__provider": serialize_provider(TuningJobProvider()),
        "base_model": "gemini-2.5-flash",
        "training_dataset_uri": "s3://bucket/train.jsonl",
        "project": "my-project",
        "location": "us-central1",
    }
    reply = stub.Check(
        proto.CheckRequest(
            urn=f"urn:pulumi:s::p::{TUNING_JOB}::m",
            type=TUNING_JOB,
            olds=_struct({}),
            news=_struct(news),
        )
    )
    assert [f.property for f in reply.failures] == ["training_dataset_uri"]
    assert "gs://" in reply.failures[0].reason


def test_a_request_without_a_serialized_provider_is_an_error_naming_the_type(stub: Any) -> None:
    request = proto.ReadRequest(
        id="x",
        urn="urn:pulumi:s::p::pulumi-python:dynamic:Resource::r",
        type="pulumi-python:dynamic:Resource",
    )
    with pytest.raises(grpc.RpcError) as info:
        stub.Read(request)
    assert "pulumi-python:dynamic:Resource" in str(info.value.details())
    assert "no serialized dynamic provider" in str(info.value.details())


def test_the_provider_serializes_the_same_in_any_process() -> None:
    """An import writes the host's serialization to state; the program's must match it."""
    script = (
        "from pulumi.dynamic.dynamic import serialize_provider;"
        "from vertex_tuning.provider import TuningJobProvider;"
        "print(serialize_provider(TuningJobProvider()))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert other == serialize_provider(TuningJobProvider())


def test_the_host_stops_when_the_engine_that_started_it_dies(tmp_path: Path) -> None:
    """A SIGKILLed `pulumi up` must not leave a host polling Vertex AI for hours."""
    import psutil

    engine = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time;"
            f"h = subprocess.Popen([{str(HOST)!r}], stdout=subprocess.PIPE, text=True);"
            "h.stdout.readline(); print(h.pid, flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert engine.stdout is not None
    host_process = psutil.Process(int(engine.stdout.readline()))
    assert host_process.is_running()
    engine.kill()
    engine.wait()
    host_process.wait(timeout=30)  # raises if the host outlives its engine


# --- Cancel, deadlines and partial creates, in process against a fake engine -----------------

JOB = "projects/p/locations/us-central1/tuningJobs/1"
URN = f"urn:pulumi:s::p::{TUNING_JOB}::alpha"


class FakeClock:
    """Seconds that move only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CLOCK = FakeClock()
WAITING = threading.Event()


class Waiter(ResourceProvider):
    """Stands in for TuningJob: submits a job, then waits for it until told to stop."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._wait(props.get("skip", 0.0))
        return CreateResult(JOB, {"job_name": JOB})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._wait(news.get("skip", 0.0))
        return UpdateResult({"job_name": JOB})

    def _wait(self, skip: float) -> None:
        CLOCK.now += skip  # time passing before the first poll
        try:
            interrupts.check()  # a deadline that passed ends the wait before it starts
            WAITING.set()
            while True:
                interrupts.sleep(3600)
        except interrupts.Cancelled:
            outputs = {"job_name": JOB, "state": "JOB_STATE_RUNNING"}
            raise interrupts.PartialCreate(JOB, outputs, f"{JOB}: {interrupts.reason()}") from None


class Raiser(ResourceProvider):
    """Raises what the request's `error` names: an expected failure or a bug."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        raise _ERRORS[props["error"]]()


_ERRORS: dict[str, Any] = {
    "job-failed": lambda: errors.JobFailed("tuning job (j) ended FAILED: NOT_FOUND (5): gone"),
    "bug": lambda: 1 / 0,
}


@pytest.fixture
def fake_engine(engine: tuple[Engine, str]) -> Iterator[Any]:
    """An in-process host (its Log going to `engine`, its clock CLOCK) and its stub."""
    yield from _in_process(engine, debug=False)


@pytest.fixture
def debug_host(engine: tuple[Engine, str]) -> Iterator[Any]:
    yield from _in_process(engine, debug=True)


def _in_process(engine: tuple[Engine, str], *, debug: bool) -> Iterator[Any]:
    _service, address = engine
    output = host.ResourceOutput(
        engine_pb2_grpc.EngineStub(grpc.insecure_channel(address)), io.StringIO()
    )
    server = grpc.server(futures.ThreadPoolExecutor(8))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        host.Host(output, debug=debug, clock=CLOCK), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        channel.close()
        server.stop(0)
        interrupts.reset()
        WAITING.clear()


def _init_failed(error: grpc.RpcError) -> Any:
    """The ErrorResourceInitFailed the engine finds in a failed call's status details."""
    from google.rpc import status_pb2

    trailers = dict(error.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    (detail,) = status.details
    failed = proto.ErrorResourceInitFailed()
    assert detail.Unpack(failed)
    return failed


def _create(stub: Any, provider: ResourceProvider, timeout: float = 0, **props: Any) -> Any:
    serialized = serialize_provider(provider)
    return stub.Create(
        proto.CreateRequest(
            urn=URN,
            type=TUNING_JOB,
            properties=_struct({"__provider": serialized, **props}),
            timeout=timeout,
        )
    )


def test_cancel_ends_a_waiting_create_as_a_partial_create_the_engine_records(
    fake_engine: Any,
) -> None:
    """The engine sends Cancel at the first Ctrl-C and waits for the creates under way."""
    with futures.ThreadPoolExecutor(1) as pool:
        creating = pool.submit(_create, fake_engine, Waiter())
        assert WAITING.wait(30)  # readiness: the create is in its wait
        fake_engine.Cancel(empty_pb2.Empty())
        with pytest.raises(grpc.RpcError) as info:
            creating.result(timeout=30)

    failed = _init_failed(info.value)
    assert failed.id == JOB
    outputs = rpc.deserialize_properties(failed.properties)
    assert outputs == {
        "job_name": JOB,
        "state": "JOB_STATE_RUNNING",
        "__provider": serialize_provider(Waiter()),  # later updates and deletes load it here
    }
    assert list(failed.reasons) == [f"{JOB}: the update was cancelled"]
    assert info.value.code() != grpc.StatusCode.UNKNOWN


def test_a_waiting_update_ends_the_same_way(fake_engine: Any) -> None:
    """The next `up` resumes a recorded job through Update; a Cancel then records it again."""
    provider = serialize_provider(Waiter())
    request = proto.UpdateRequest(
        id=JOB,
        urn=URN,
        type=TUNING_JOB,
        olds=_struct({"__provider": provider, "job_name": JOB}),
        news=_struct({"__provider": provider}),
    )
    with futures.ThreadPoolExecutor(1) as pool:
        updating = pool.submit(fake_engine.Update, request)
        assert WAITING.wait(30)
        fake_engine.Cancel(empty_pb2.Empty())
        with pytest.raises(grpc.RpcError) as info:
            updating.result(timeout=30)
    failed = _init_failed(info.value)
    assert rpc.deserialize_properties(failed.properties)["__provider"] == provider
    assert list(failed.reasons) == [f"{JOB}: the update was cancelled"]


def test_custom_timeouts_are_the_deadline_of_the_wait(fake_engine: Any) -> None:
    """CreateRequest.timeout (customTimeouts.create) ends the wait as a Cancel does."""
    with pytest.raises(grpc.RpcError) as info:
        _create(fake_engine, Waiter(), timeout=90, skip=90)
    (reason,) = _init_failed(info.value).reasons
    assert reason == f"{JOB}: its customTimeouts create of 1m30s passed"


def test_without_custom_timeouts_a_wait_has_no_deadline(fake_engine: Any) -> None:
    """The engine sends 0 when none is set: a day later the create still waits."""
    with futures.ThreadPoolExecutor(1) as pool:
        creating = pool.submit(_create, fake_engine, Waiter(), skip=86400)
        assert WAITING.wait(30)
        fake_engine.Cancel(empty_pb2.Empty())
        with pytest.raises(grpc.RpcError) as info:
            creating.result(timeout=30)
    assert list(_init_failed(info.value).reasons) == [f"{JOB}: the update was cancelled"]


def test_cancel_with_nothing_waiting_is_harmless(fake_engine: Any) -> None:
    """The engine also sends Cancel before it shuts the host down after every run."""
    assert fake_engine.Cancel(empty_pb2.Empty()) == empty_pb2.Empty()


def test_an_expected_failure_is_its_message_alone(
    fake_engine: Any, engine: tuple[Engine, str]
) -> None:
    """The traceback goes to the engine's debug log (`pulumi up --debug`), not the error."""
    service, _ = engine
    with pytest.raises(grpc.RpcError) as info:
        _create(fake_engine, Raiser(), error="job-failed")
    assert info.value.details() == "tuning job (j) ended FAILED: NOT_FOUND (5): gone"
    assert info.value.code() != grpc.StatusCode.UNKNOWN  # the engine knows nothing was made
    (debug,) = [(urn, m) for urn, m, severity in service.logs if severity == engine_pb2.DEBUG]
    assert debug[0] == URN and "Traceback" in debug[1] and "JobFailed" in debug[1]


def test_a_bug_shows_its_traceback(fake_engine: Any) -> None:
    with pytest.raises(grpc.RpcError) as info:
        _create(fake_engine, Raiser(), error="bug")
    assert "Traceback" in info.value.details() and "ZeroDivisionError" in info.value.details()


def test_debugging_shows_tracebacks_of_expected_failures_too(debug_host: Any) -> None:
    with pytest.raises(grpc.RpcError) as info:
        _create(debug_host, Raiser(), error="job-failed")
    assert (
        "Traceback" in info.value.details() and "JobFailed: tuning job (j)" in info.value.details()
    )


@pytest.mark.parametrize(
    ("argv", "env", "debugging"),
    [
        (["host", "127.0.0.1:1"], {}, False),
        (["host", "127.0.0.1:1"], {host.DEBUG_ENV: "0"}, False),
        (["host", "127.0.0.1:1"], {host.DEBUG_ENV: "1"}, True),
        # `pulumi up -v=3 --logflow` passes its verbosity on to plugins.
        (["host", "--logtostderr", "-v=3", "127.0.0.1:1"], {}, True),
    ],
)
def test_what_turns_debugging_on(argv: list[str], env: dict[str, str], debugging: bool) -> None:
    assert host._debugging(argv, env) is debugging


def _expected_failures() -> list[BaseException]:
    from google.auth.exceptions import DefaultCredentialsError
    from pulumi import RunError

    from vertex_tuning.resources.smoke_test import SmokeTestFailed
    from vertex_tuning.resources.training_dataset import SourceChanged

    return [
        errors.ApiError("creating tuning job", "x", "PERMISSION_DENIED", "denied"),
        errors.NotFound("reading object", "gs://b/o", "NOT_FOUND", "gone"),
        errors.JobFailed("tuning job (x) ended FAILED: ..."),
        errors.JobTimeout("tuning job x is still RUNNING after 1s", None),
        errors.JobInterrupted("tuning job x: stopped waiting", None),
        errors.DatasetInvalid("checking training data (gs://b/o): INVALID: 2 errors"),
        SmokeTestFailed("smoke test of e failed"),
        SourceChanged("uploading training data (f): the file changed"),
        interrupts.Cancelled("the update was cancelled"),
        RunError("stack config is in plain text"),
        DefaultCredentialsError("Your default credentials were not found."),
    ]


def test_expected_failures_are_ours_pulumis_run_error_and_missing_credentials() -> None:
    assert [type(e).__name__ for e in _expected_failures() if not host.expected(e)] == []
    bugs = [ZeroDivisionError(), KeyError("x"), ValueError("x"), AttributeError("x")]
    assert [type(e).__name__ for e in bugs if host.expected(e)] == []


def test_a_refused_call_says_what_to_grant() -> None:
    vertex = errors.ApiError("creating tuning job", "x", "PERMISSION_DENIED", "denied")
    assert str(vertex).startswith("creating tuning job (x): PERMISSION_DENIED: denied. Hint: ")
    assert "roles/aiplatform.user" in str(vertex)
    storage = errors.ApiError("reading object", "gs://b/o", "PERMISSION_DENIED", "denied.")
    assert "denied. Hint: " in str(storage) and "roles/storage.objectViewer" in str(storage)
    assert "Hint" not in str(errors.ApiError("creating", "x", "INVALID_ARGUMENT", "bad"))


class SlowDelete(ResourceProvider):
    """A delete that waits (a job being cancelled) until the wait stops."""

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        WAITING.set()
        while True:
            interrupts.sleep(3600)


def test_a_stopped_delete_says_the_resource_stays_in_state(fake_engine: Any) -> None:
    request = proto.DeleteRequest(
        id=JOB,
        urn=URN,
        type=TUNING_JOB,
        properties=_struct({"__provider": serialize_provider(SlowDelete())}),
    )
    with futures.ThreadPoolExecutor(1) as pool:
        deleting = pool.submit(fake_engine.Delete, request)
        assert WAITING.wait(30)
        fake_engine.Cancel(empty_pb2.Empty())
        with pytest.raises(grpc.RpcError) as info:
            deleting.result(timeout=30)
    assert info.value.details() == (
        f"deleting alpha ({JOB}): stopped waiting (the update was cancelled); it stays in state, "
        "and the next `pulumi destroy` (or `up` without it) deletes it"
    )


class SaysWaiting(Waiter):
    """A Waiter whose wait another process can see start: it says so first."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        print("waiting")
        return super().create(props)


#: The engine parallelism the CI scripts set by default (ci/up.sh, ci/preview.sh).
CI_PARALLEL = int(
    re.search(
        r"PULUMI_PARALLEL=\$\{PULUMI_PARALLEL:-(\d+)\}",
        (Path(__file__).parents[1] / "ci" / "up.sh").read_text(),
    )[1]  # type: ignore[index]
)


def test_cancel_is_answered_while_as_many_creates_wait_as_ci_runs_at_once(
    engine: tuple[Engine, str], tmp_path: Path
) -> None:
    """A request waits for a free thread: were every thread held by a waiting create, the
    engine's Cancel of a Ctrl-C would wait for a job to end, hours later."""
    service, address = engine
    provider = serialize_provider(SaysWaiting())

    def create(i: int) -> grpc.RpcError:
        request = proto.CreateRequest(
            urn=f"urn:pulumi:s::p::{TUNING_JOB}::job-{i}",
            type=TUNING_JOB,
            properties=_struct({"__provider": provider}),
        )
        with pytest.raises(grpc.RpcError) as info:
            stub.Create(request, timeout=120)
        return info.value

    with (
        running_host(tmp_path, address) as (stub, _),
        futures.ThreadPoolExecutor(CI_PARALLEL) as pool,
    ):
        creating = [pool.submit(create, i) for i in range(CI_PARALLEL)]
        assert service.wait_for("waiting", CI_PARALLEL)  # every create holds a thread
        stub.Cancel(empty_pb2.Empty(), timeout=30)
        ended = [c.result() for c in creating]

    assert all(_init_failed(e).id == JOB for e in ended)  # each recorded as a partial create
