"""The dynamic-provider host as the engine runs it: a subprocess spoken to over gRPC."""

from __future__ import annotations

import asyncio
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
from pulumi.dynamic import CreateResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

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


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    env.pop(host.THREADS_ENV, None)  # the default pool is what users get
    proc = subprocess.Popen([str(HOST)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        channel.close()
        proc.kill()
        proc.wait()


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
