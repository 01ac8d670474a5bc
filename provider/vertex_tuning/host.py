"""The process that serves Pulumi's dynamic resources: `pulumi-resource-pulumi-python`, ours.

Why not the stock host (`python -m pulumi.dynamic`): it serves every dynamic resource of a
deployment from one process with a gRPC pool of 4 threads, and TuningJob's create blocks for
the whole tuning run, so a fifth job is not even submitted until one of the first four ends and
every check, diff and read queues behind them. It also needs the serialized provider in every
request, which the engine's Read for an import (`import_` option, `pulumi import`) does not send.

This host speaks the same protocol for any dynamic resource (ours or the user's own, imported
from the program's directory as the stock host does) with a pool sized for blocking creates,
and, when a request carries no serialized provider, finds ours by the resource's type token.
What a provider prints while serving a request goes to the engine's log with that resource's
URN, so `pulumi up` shows a job's progress on the job's own row (the stock host's stdout lands
on the stack's row, where sixteen jobs' lines interleave).

The stock host ignores the engine's Cancel and `customTimeouts`, so one Ctrl-C waits for hours
of tuning. Here both stop every wait (interrupts.py), and a create that stops with its job
running answers with Pulumi's partial-create error: the engine records the job, and the next
`pulumi up` updates it, which resumes the wait. Expected failures (a failed job, a refused call,
bad data) reach the user as their message alone; bugs keep their traceback.

The engine launches it instead of the stock one because the project names it in Pulumi.yaml
(`plugins: providers: [{name: pulumi-python, path: ...}]`); it is a console script, so it runs
with the interpreter of the virtualenv it is installed in.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent import futures
from typing import Any, TextIO, TypeVar

import dill
import grpc
from google.protobuf import empty_pb2
from pulumi import RunError
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.metadata import get_project

from vertex_tuning import errors, interrupts, progress, pulumi_compat
from vertex_tuning.progress import format_elapsed
from vertex_tuning.pulumi_compat import engine_pb2, engine_pb2_grpc, proto, provider_pb2_grpc

PROVIDER_KEY = "__provider"
THREADS_ENV = "VERTEX_TUNING_HOST_THREADS"
#: Set (to anything but "" or "0") to see tracebacks of expected failures too.
DEBUG_ENV = "VERTEX_TUNING_DEBUG"
# Each blocking create holds a thread for hours, and a request that finds every thread busy
# waits for one: a check, a read, or the engine's Cancel of a Ctrl-C, which would then wait for a
# job to end. Threads start only when a request finds none idle, so the pool is twice the
# engine parallelism CI runs with (PULUMI_PARALLEL=64 in ci/): 64 creates leave 64 threads.
DEFAULT_THREADS = 128

_Reply = TypeVar("_Reply")


def _providers_by_type() -> dict[str, Callable[[], ResourceProvider]]:
    """Our resources that can be read without a serialized provider (import)."""
    from vertex_tuning.resources.tuning_job import TuningJob, TuningJobProvider

    return {pulumi_compat.dynamic_type_token(TuningJob): TuningJobProvider}


class Host(provider_pb2_grpc.ResourceProviderServicer):
    """The ResourceProvider gRPC service, dispatching to the dynamic providers it is sent."""

    def __init__(
        self,
        output: ResourceOutput | None = None,
        *,
        debug: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config: dict[str, Any] = {}
        self._providers: dict[str, ResourceProvider] = {}
        self._lock = threading.Lock()
        self._output = output
        self._debug = debug
        self._clock = clock

    # --- plugin ---
    def GetPluginInfo(self, _request: Any, _context: Any) -> Any:
        from vertex_tuning import __version__

        return proto.PluginInfo(version=__version__)

    def Configure(self, request: Any, _context: Any) -> Any:
        config = pulumi_compat.deserialize_properties(request.args)
        self._config = {k: pulumi_compat.unwrap_secret(v) for k, v in config.items()}
        # supportsPreview: the engine then asks Create and Update what a preview will show,
        # so an in-place update's outputs that cannot change stay known downstream (see
        # Update); the engine 3.274 ignores DiffResponse.stables.
        return proto.ConfigureResponse(acceptSecrets=False, supportsPreview=True)

    def Cancel(self, _request: Any, _context: Any) -> Any:
        # The engine asks at the first Ctrl-C, and before it shuts us down after every run.
        # Waits stop at once and the creates under way answer with a partial create, which
        # the engine records (it waits for them, without a timeout); nothing waits at shutdown.
        interrupts.cancel("the update was cancelled")
        return empty_pb2.Empty()

    # --- resource lifecycle ---
    def Check(self, request: Any, context: Any) -> Any:
        def check() -> Any:
            olds = pulumi_compat.deserialize_properties(request.olds, True)
            news = pulumi_compat.deserialize_properties(request.news, True)
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
            olds = pulumi_compat.deserialize_properties(request.olds, True)
            news = pulumi_compat.deserialize_properties(request.news, True)
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
            if request.preview:  # what the engine would show itself: the inputs, outputs unknown
                return proto.CreateResponse(properties=request.properties)
            props = pulumi_compat.deserialize_properties(request.properties)
            provider = self._provider(props.get(PROVIDER_KEY), request.type)
            with self._deadline(request.timeout, "create"), _recorded(props[PROVIDER_KEY]):
                result = provider.create(props)
            outs = {**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]}
            return proto.CreateResponse(id=result.id, properties=_serialize(outs))

        return self._answer(request, context, create)

    def Read(self, request: Any, context: Any) -> Any:
        def read() -> Any:
            # Refresh sends the last outputs; a Get sends only inputs; an import sends neither,
            # so the provider comes from the type token and is serialized here for the state.
            props = pulumi_compat.deserialize_properties(
                request.properties
            ) or pulumi_compat.deserialize_properties(request.inputs)
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
            olds = pulumi_compat.deserialize_properties(request.olds)
            news = pulumi_compat.deserialize_properties(request.news, True)
            provider = self._provider(
                _known(news.get(PROVIDER_KEY)) or olds.get(PROVIDER_KEY), request.type
            )
            if request.preview:
                # Ours say which outputs an update keeps; anyone else's: the new inputs alone,
                # as the engine would show them.
                planned = getattr(provider, "preview_update", None)
                outs = planned(request.id, olds, news) if planned else news
                return proto.UpdateResponse(
                    properties=_serialize({**outs, PROVIDER_KEY: news.get(PROVIDER_KEY)})
                )
            with self._deadline(request.timeout, "update"), _recorded(news[PROVIDER_KEY]):
                result = provider.update(request.id, olds, news)
            outs = {**(result.outs or {}), PROVIDER_KEY: news[PROVIDER_KEY]}
            return proto.UpdateResponse(properties=_serialize(outs))

        return self._answer(request, context, update)

    def Delete(self, request: Any, context: Any) -> Any:
        def delete() -> Any:
            props = pulumi_compat.deserialize_properties(request.properties)
            provider = self._provider(props.get(PROVIDER_KEY), request.type)
            try:
                with self._deadline(request.timeout, "delete"):
                    provider.delete(request.id, props)
            except (errors.WaitStopped, interrupts.Cancelled):
                # A wait's own words speak of resuming on the next `up`; a delete is different.
                raise errors.ExpectedFailure(
                    f"deleting {request.urn.rsplit('::', 1)[-1]} ({request.id}): stopped waiting "
                    f"({interrupts.reason()}); it stays in state, and the next `pulumi destroy` "
                    "(or `up` without it) deletes it"
                ) from None
            return empty_pb2.Empty()

        return self._answer(request, context, delete)

    def _answer(self, request: Any, context: Any, handler: Callable[[], _Reply]) -> _Reply:
        """Run a handler, its prints going to the request's resource; an exception becomes the
        gRPC error the engine prints.

        A partial create becomes Pulumi's "created, but failed to initialize" error, which the
        engine records in state. An expected failure (see `expected`) is its message alone,
        its traceback on the engine's debug log (`pulumi up --debug`); anything else is a bug,
        shown with its traceback as the stock host does.
        """
        serving = self._output.serving(request.urn) if self._output else contextlib.nullcontext()
        try:
            with serving:
                return handler()
        except interrupts.PartialCreate as partial:
            context.abort_with_status(_init_failed(partial))
        except Exception as exc:
            if not expected(exc):
                context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())
            trace = traceback.format_exc()
            if self._output is not None:
                self._output.debug(request.urn, trace)
            # Any code but UNKNOWN, INTERNAL or DATA_LOSS tells the engine the resource's state
            # is known: a failed create recorded nothing, a failed update or delete kept it.
            context.abort(grpc.StatusCode.ABORTED, trace if self._debug else str(exc))
        raise AssertionError("unreachable: abort raises")

    def _deadline(self, timeout: float, operation: str) -> contextlib.AbstractContextManager[None]:
        """The resource's customTimeouts for `operation` (the engine sends 0 for none) as the
        deadline of every wait in it."""
        why = f"its customTimeouts {operation} of {format_elapsed(timeout)} passed"
        return interrupts.deadline(timeout, why, self._clock)

    # --- providers ---
    def _provider(self, serialized: str | None, type_token: str) -> ResourceProvider:
        """The provider a request is for, deserialized and configured once per process."""
        key = serialized or type_token
        # Provider code may ask for the project (pulumi.get_project); settings are per thread.
        pulumi_compat.configure_thread(os.environ.get("PULUMI_PROJECT", "project"))
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


def expected(exc: BaseException) -> bool:
    """An outcome a user acts on, not a bug: ours (a failed job or call, bad data, a stopped
    wait), Pulumi's RunError (the SDK's "report without a stack trace"), missing credentials."""
    if isinstance(exc, errors.ExpectedFailure | interrupts.Cancelled | RunError):
        return True
    return any(
        (c.__module__, c.__qualname__) == ("google.auth.exceptions", "GoogleAuthError")
        for c in type(exc).__mro__
    )


@contextlib.contextmanager
def _recorded(serialized_provider: str) -> Iterator[None]:
    """A partial create's outputs carry the serialized provider, as a create's do: the engine
    keeps them as the resource's state, and the next update and delete load the provider there."""
    try:
        yield
    except interrupts.PartialCreate as partial:
        outputs = {**partial.outputs, PROVIDER_KEY: serialized_provider}
        raise interrupts.PartialCreate(partial.id, outputs, partial.reason) from None


def _init_failed(partial: interrupts.PartialCreate) -> grpc.Status:
    """The gRPC status of a partial create: ErrorResourceInitFailed in its details, the one
    form of a failed Create or Update whose id and outputs the engine records."""
    from google.rpc import status_pb2

    detail = proto.ErrorResourceInitFailed(
        id=partial.id, properties=_serialize(partial.outputs), reasons=[partial.reason]
    )
    status = status_pb2.Status(code=grpc.StatusCode.ABORTED.value[0], message=partial.reason)
    status.details.add().Pack(detail)
    return _Status(
        grpc.StatusCode.ABORTED,
        partial.reason,
        (("grpc-status-details-bin", status.SerializeToString()),),
    )


class _Status(grpc.Status):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: Any) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


def _known(value: Any) -> Any:
    """`value`, or None while a preview cannot know it (deserialized, it is an Unknown)."""
    unknown_class, unknown_string = pulumi_compat.unknown_sentinels()
    return None if isinstance(value, unknown_class) or value == unknown_string else value


def _serialize(props: dict[str, Any]) -> Any:
    return pulumi_compat.serialize_properties(props)


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

    def debug(self, urn: str, text: str) -> None:
        """`text` on the engine's debug log for `urn` (shown by `pulumi up --debug`), or nowhere."""
        with contextlib.suppress(grpc.RpcError):
            self._engine.Log(
                engine_pb2.LogRequest(severity=engine_pb2.DEBUG, message=text, urn=urn)
            )

    def _log(self, urn: str, line: str) -> None:
        status = line.startswith(progress.STATUS_MARK)
        line = line.removeprefix(progress.STATUS_MARK)
        try:
            self._engine.Log(
                engine_pb2.LogRequest(
                    severity=engine_pb2.INFO, message=line, urn=urn, ephemeral=status
                )
            )
        except grpc.RpcError:
            self._fallback.write(f"{line}\n")
            self._fallback.flush()


def _engine_output(argv: list[str]) -> ResourceOutput | None:
    """Our output to the engine whose address it launched us with (the last argument)."""
    if len(argv) < 2 or argv[-1].startswith("-"):
        return None
    channel = grpc.insecure_channel(argv[-1], options=pulumi_compat.grpc_channel_options())
    return ResourceOutput(engine_pb2_grpc.EngineStub(channel), sys.stdout)


def _debugging(argv: list[str], env: Mapping[str, str] = os.environ) -> bool:
    """Tracebacks for expected failures too: VERTEX_TUNING_DEBUG, or the engine's `-v=N`
    (it passes its verbosity to plugins with `--logflow`)."""
    return env.get(DEBUG_ENV, "") not in ("", "0") or any(a.startswith("-v=") for a in argv)


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


def _program_importable() -> None:
    """Let a pickled provider import the program's own modules, as the stock host can.

    The engine starts provider plugins in the program's directory (the project root, the
    directory `main:` names, or the one holding the file it names), and the stock launcher runs
    `python -m pulumi.dynamic`, which puts that directory first on sys.path. A console script gets its own
    bin directory there instead, so a provider the program imported from a sibling module or a
    package of its own would fail to unpickle.
    """
    sys.path.insert(0, os.getcwd())


def main() -> None:
    """Serve on a free local port and tell the engine which one, as every plugin does."""
    _exit_with_the_engine()
    _program_importable()
    threads = int(os.environ.get(THREADS_ENV) or DEFAULT_THREADS)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads),
        options=pulumi_compat.grpc_channel_options(),
    )
    output = _engine_output(sys.argv)
    host = Host(output, debug=_debugging(sys.argv))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    if output is not None:
        sys.stdout = output
        progress.ON_OWN_ROW = True  # what providers print now lands on their resource's row
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
