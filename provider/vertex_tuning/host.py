"""The process that serves Pulumi's dynamic resources: `pulumi-resource-pulumi-python`, ours.

Why not the stock host (`python -m pulumi.dynamic`): it serves every dynamic resource of a
deployment from one process with a gRPC pool of 4 threads, and TuningJob's create blocks for
the whole tuning run, so a fifth job is not even submitted until one of the first four ends and
every check, diff and read queues behind them. It also needs the serialized provider in every
request, which the engine's Read for an import (`import_` option, `pulumi import`) does not send.

This host speaks the same protocol for any dynamic resource (ours or the user's own) with a pool
sized for blocking creates, and, when a request carries no serialized provider, finds ours by
the resource's type token. What a provider prints while serving a request goes to the engine's
log with that resource's URN, so `pulumi up` shows a job's progress on the job's own row (the
stock host's stdout lands on the stack's row, where sixteen jobs' lines interleave).

The engine launches it instead of the stock one because the project names it in Pulumi.yaml
(`plugins: providers: [{name: pulumi-python, path: ...}]`); it is a console script, so it runs
with the interpreter of the virtualenv it is installed in.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any, TextIO, TypeVar

import dill
import grpc
from google.protobuf import empty_pb2
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.metadata import get_project
from pulumi.runtime import Settings, configure, proto, rpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from vertex_tuning import errors, pulumi_compat

PROVIDER_KEY = "__provider"
THREADS_ENV = "VERTEX_TUNING_HOST_THREADS"
# Each blocking create holds a thread for hours; idle threads cost little, so size for many jobs
# plus the checks, diffs and reads that must not queue behind them.
DEFAULT_THREADS = 64

_Reply = TypeVar("_Reply")


def _providers_by_type() -> dict[str, Callable[[], ResourceProvider]]:
    """Our resources that can be read without a serialized provider (import)."""
    from vertex_tuning.resources.tuning_job import TuningJob, TuningJobProvider

    return {pulumi_compat.dynamic_type_token(TuningJob): TuningJobProvider}


class Host(provider_pb2_grpc.ResourceProviderServicer):
    """The ResourceProvider gRPC service, dispatching to the dynamic providers it is sent."""

    def __init__(self, output: ResourceOutput | None = None) -> None:
        self._config: dict[str, Any] = {}
        self._providers: dict[str, ResourceProvider] = {}
        self._lock = threading.Lock()
        self._output = output

    # --- plugin ---
    def GetPluginInfo(self, _request: Any, _context: Any) -> Any:
        from vertex_tuning import __version__

        return proto.PluginInfo(version=__version__)

    def Configure(self, request: Any, _context: Any) -> Any:
        config = rpc.deserialize_properties(request.args)
        self._config = {k: rpc.unwrap_rpc_secret(v) for k, v in config.items()}
        return proto.ConfigureResponse(acceptSecrets=False)

    def Cancel(self, _request: Any, _context: Any) -> Any:
        # The engine asks once, at the first Ctrl-C; creates already running are left to finish,
        # as the engine itself waits for them, and a rerun adopts any job still running.
        return empty_pb2.Empty()

    # --- resource lifecycle ---
    def Check(self, request: Any, context: Any) -> Any:
        def check() -> Any:
            olds = rpc.deserialize_properties(request.olds, True)
            news = rpc.deserialize_properties(request.news, True)
            serialized = _known(news.get(PROVIDER_KEY)) or olds.get(PROVIDER_KEY)
            provider = self._provider(serialized, request.type)
            result = provider.check(olds, news)
            inputs = {**result.inputs, PROVIDER_KEY: news.get(PROVIDER_KEY, serialized)}
            return proto.CheckResponse(
                inputs=_serialize(inputs),
                failures=[
                    proto.CheckFailure(property=f.property, reason=f.reason)
                    for f in result.failures or []
                ],
            )

        return self._answer(request, context, check)

    def Diff(self, request: Any, context: Any) -> Any:
        def diff() -> Any:
            olds = rpc.deserialize_properties(request.olds, True)
            news = rpc.deserialize_properties(request.news, True)
            serialized = _known(news.get(PROVIDER_KEY)) or olds.get(PROVIDER_KEY)
            result = self._provider(serialized, request.type).diff(request.id, olds, news)
            if result.changes is None:
                changes = proto.DiffResponse.DIFF_UNKNOWN
            elif result.changes:
                changes = proto.DiffResponse.DIFF_SOME
            else:
                changes = proto.DiffResponse.DIFF_NONE
            return proto.DiffResponse(
                changes=changes,
                replaces=result.replaces or [],
                stables=result.stables or [],
                deleteBeforeReplace=bool(result.delete_before_replace),
            )

        return self._answer(request, context, diff)

    def Create(self, request: Any, context: Any) -> Any:
        def create() -> Any:
            props = rpc.deserialize_properties(request.properties)
            result = self._provider(props.get(PROVIDER_KEY), request.type).create(props)
            outs = {**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]}
            return proto.CreateResponse(id=result.id, properties=_serialize(outs))

        return self._answer(request, context, create)

    def Read(self, request: Any, context: Any) -> Any:
        def read() -> Any:
            # Refresh sends the last outputs; a Get sends only inputs; an import sends neither,
            # so the provider comes from the type token and is serialized here for the state.
            props = rpc.deserialize_properties(request.properties) or rpc.deserialize_properties(
                request.inputs
            )
            provider = self._provider(props.get(PROVIDER_KEY), request.type)
            serialized = props.get(PROVIDER_KEY) or pulumi_compat.serialize_provider(provider)
            result = provider.read(request.id, props)
            reply = proto.ReadResponse(
                id=result.id or "",
                properties=_serialize({**(result.outs or {}), PROVIDER_KEY: serialized}),
            )
            if result.inputs is not None:
                reply.inputs.CopyFrom(_serialize({**result.inputs, PROVIDER_KEY: serialized}))
            return reply

        return self._answer(request, context, read)

    def Update(self, request: Any, context: Any) -> Any:
        def update() -> Any:
            olds = rpc.deserialize_properties(request.olds)
            news = rpc.deserialize_properties(request.news)
            provider = self._provider(news.get(PROVIDER_KEY), request.type)
            result = provider.update(request.id, olds, news)
            outs = {**(result.outs or {}), PROVIDER_KEY: news[PROVIDER_KEY]}
            return proto.UpdateResponse(properties=_serialize(outs))

        return self._answer(request, context, update)

    def Delete(self, request: Any, context: Any) -> Any:
        def delete() -> Any:
            props = rpc.deserialize_properties(request.properties)
            self._provider(props.get(PROVIDER_KEY), request.type).delete(request.id, props)
            return empty_pb2.Empty()

        return self._answer(request, context, delete)

    def _answer(self, request: Any, context: Any, handler: Callable[[], _Reply]) -> _Reply:
        """Run a handler, its prints going to the request's resource; an exception becomes the
        gRPC error the engine prints."""
        serving = self._output.serving(request.urn) if self._output else contextlib.nullcontext()
        try:
            with serving:
                return handler()
        except errors.Reported as exc:
            context.abort(grpc.StatusCode.UNKNOWN, str(exc))  # the message is the whole story
            raise
        except Exception:
            context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())
            raise  # abort raises; this line only satisfies the type checker

    # --- providers ---
    def _provider(self, serialized: str | None, type_token: str) -> ResourceProvider:
        """The provider a request is for, deserialized and configured once per process."""
        key = serialized or type_token
        # Provider code may ask for the project (pulumi.get_project); settings are per thread.
        configure(Settings(project=os.environ.get("PULUMI_PROJECT", "project"), stack="stack"))
        with self._lock:
            provider = self._providers.get(key)
            if provider is None:
                provider = _load(serialized, type_token)
                config = Config(raw_config=self._config, project_name=get_project())
                provider.configure(ConfigureRequest(config=config))
                self._providers[key] = provider
        return provider


def _load(serialized: str | None, type_token: str) -> ResourceProvider:
    if serialized:
        loaded: ResourceProvider = pulumi_compat.deserialize(
            lambda: dill.loads(base64.b64decode(serialized))
        )
        return loaded
    factory = _providers_by_type().get(type_token)
    if factory is None:
        raise ValueError(
            f"no serialized dynamic provider in the request for {type_token or 'a resource'},"
            " and it is not a vertex-tuning resource that can be read without one"
        )
    return factory()


def _known(value: Any) -> Any:
    return None if value == rpc.UNKNOWN else value


def _serialize(props: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties(props, {}))


class ResourceOutput(io.TextIOBase):
    """The host's sys.stdout: lines printed while serving a request go to the engine's log under
    that request's URN; anything else, or anything the engine does not take, to the real stdout.

    Lines are buffered per thread (print() writes the newline separately), so concurrent creates
    never splice their lines together.
    """

    def __init__(self, engine: Any, fallback: TextIO) -> None:
        self._engine = engine
        self._fallback = fallback
        self._local = threading.local()

    @contextlib.contextmanager
    def serving(self, urn: str) -> Iterator[None]:
        """While a request for `urn` is served on this thread, its lines are that resource's."""
        self._local.urn, self._local.pending = urn, ""
        try:
            yield
        finally:
            if self._local.pending:
                self._log(urn, self._local.pending)
            self._local.urn, self._local.pending = "", ""

    def write(self, text: str) -> int:
        urn = getattr(self._local, "urn", "")
        if not urn:
            return self._fallback.write(text)
        *lines, self._local.pending = (self._local.pending + text).split("\n")
        for line in lines:
            self._log(urn, line)
        return len(text)

    def flush(self) -> None:
        self._fallback.flush()

    def _log(self, urn: str, line: str) -> None:
        try:
            self._engine.Log(engine_pb2.LogRequest(severity=engine_pb2.INFO, message=line, urn=urn))
        except grpc.RpcError:
            self._fallback.write(f"{line}\n")
            self._fallback.flush()


def _engine_output(argv: list[str]) -> ResourceOutput | None:
    """Our output to the engine whose address it launched us with (the last argument)."""
    if len(argv) < 2 or argv[-1].startswith("-"):
        return None
    channel = grpc.insecure_channel(argv[-1], options=pulumi_compat.grpc_channel_options())
    return ResourceOutput(engine_pb2_grpc.EngineStub(channel), sys.stdout)


def _exit_with_the_engine(interval: float = 1.0) -> None:
    """Stop when the engine that started us is gone (a SIGKILLed `pulumi up` or CI runner).

    Nobody would read our answers, yet waiting creates would poll Vertex AI for hours. The jobs
    keep running in the cloud; the next `pulumi up` adopts them by their fingerprint label.
    """
    engine = os.getppid()

    def watch() -> None:
        while os.getppid() == engine:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="engine-watch", daemon=True).start()


def main() -> None:
    """Serve on a free local port and tell the engine which one, as every plugin does."""
    _exit_with_the_engine()
    threads = int(os.environ.get(THREADS_ENV) or DEFAULT_THREADS)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads),
        options=pulumi_compat.grpc_channel_options(),
    )
    output = _engine_output(sys.argv)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Host(output), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    if output is not None:
        sys.stdout = output
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
