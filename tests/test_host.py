"""The dynamic-provider host as the engine runs it: a subprocess spoken to over gRPC."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.dynamic import CreateResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2_grpc

from vertex_tuning import host
from vertex_tuning.provider import TuningJobProvider

HOST = Path(sys.executable).parent / "pulumi-resource-pulumi-python"
TUNING_JOB = "pulumi-python:dynamic/vertex-tuning:TuningJob"


class Sleeper(ResourceProvider):
    """Stands in for a blocking TuningJob create: records when it ran."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        started = time.time()
        time.sleep(1.0)
        return CreateResult(props["name"], {"started": started, "ended": time.time()})


class Talker(ResourceProvider):
    """Prints a few lines while creating, the last one in pieces, as print() and say() do."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        for step in range(3):
            print(f"{props['name']}: step {step}")
            time.sleep(0.05)  # let the other creates print in between
        sys.stdout.write(f"{props['name']}: ")
        sys.stdout.write("done\n")
        return CreateResult(props["name"], {})


class Engine(engine_pb2_grpc.EngineServicer):
    """The engine's Log service: records what the host logs, and for which resource."""

    def __init__(self) -> None:
        self.logged: list[tuple[str, str]] = []

    def Log(self, request: Any, _context: Any) -> Any:
        self.logged.append((request.urn, request.message))
        return empty_pb2.Empty()


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


def test_blocking_creates_run_side_by_side(stub: Any) -> None:
    """Eight creates that each block overlap; the stock host's 4 threads would run them in pairs."""
    provider = serialize_provider(Sleeper())

    def create(i: int) -> dict[str, Any]:
        request = proto.CreateRequest(
            urn=f"urn:pulumi:s::p::pulumi-python:dynamic:Resource::r{i}",
            type="pulumi-python:dynamic:Resource",
            properties=_struct({"__provider": provider, "name": f"r{i}"}),
        )
        return dict(rpc.deserialize_properties(stub.Create(request).properties))

    with futures.ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(create, range(8)))
    assert max(o["started"] for o in outs) < min(o["ended"] for o in outs)
    assert all(o["__provider"] == provider for o in outs)


def _create_talkers(stub: Any, count: int) -> None:
    provider = serialize_provider(Talker())

    def create(i: int) -> None:
        stub.Create(
            proto.CreateRequest(
                urn=f"urn:pulumi:s::p::pulumi-python:dynamic:Resource::r{i}",
                type="pulumi-python:dynamic:Resource",
                properties=_struct({"__provider": provider, "name": f"r{i}"}),
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
        _create_talkers(stub, 3)

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
        _create_talkers(stub, 1)
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
