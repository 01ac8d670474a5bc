"""One test per Pulumi SDK internal that pulumi_compat borrows: each fails on the upgrade that
moves or changes it, before a user's deployment does.

Existence alone is not enough: each test checks the behaviour the host relies on, against the
SDK's own public paths where there is one (a program's `pulumi.dynamic.Resource` under Pulumi's
mocks) and against the engine's constants (pulumi/pulumi v3.274.1, the engine we pin).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic import Config, CreateResult, ResourceProvider

from vertex_tuning import pulumi_compat
from vertex_tuning.resources.tuning_job import TuningJob, TuningJobProvider

#: sdk/go/common/resource/sig/sig.go UnknownStringValue: what the engine sends for an unknown.
ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class _Registered(pulumi.runtime.Mocks):
    """Pulumi's unit-test engine: records what a program registers."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture(scope="module", autouse=True)
def event_loop() -> Iterator[None]:
    """Outputs and mocks need the main thread's event loop; an earlier asyncio.run() unset it."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@dataclass
class Run:
    """One mocked run of a program with a TuningJob."""

    job: pulumi.runtime.MockResourceArgs  # as registered: its type and inputs
    predicted: dict[str, str] = field(default_factory=dict)  # resource -> child_urn's
    runs: list[Any] = field(default_factory=list)  # current_run() inside the program, twice


@pytest.fixture(scope="module")
def registered(event_loop: None) -> Iterator[Run]:
    mocks = _Registered()
    pulumi.runtime.set_mocks(mocks, project="compat", stack="dev", preview=False)
    seen: dict[str, Any] = {"runs": []}

    @pulumi.runtime.test  # type: ignore[misc]
    def program() -> Any:
        seen["runs"].append(pulumi_compat.current_run())
        args = {
            "base_model": "gemini-2.5-flash",
            "training_dataset_uri": "gs://bucket/train.jsonl",
            "project": "p",
            "location": "us-central1",
        }
        job = TuningJob("alpha", **args)
        # A component as the engine names it (Pulumi's mocks would put the Stack in its URN).
        team = SimpleNamespace(
            _type="acme:index:Team",
            urn=pulumi.Output.from_input("urn:pulumi:dev::compat::acme:index:Team::team"),
        )
        token = pulumi_compat.dynamic_type_token(TuningJob)
        seen["runs"].append(pulumi_compat.current_run())
        return pulumi.Output.all(
            job.id,
            pulumi_compat.child_urn(token, "alpha", None),
            pulumi_compat.child_urn(token, "beta", team),
        ).apply(lambda urns: seen.update(urns=urns))

    program()
    (job,) = [r for r in mocks.resources if r.name == "alpha"]
    _, alpha_predicted, beta_predicted = seen["urns"]
    yield Run(job, {"alpha": alpha_predicted, "beta": beta_predicted}, seen["runs"])
    pulumi.runtime.settings.reset_options()


def test_grpc_channel_options_are_the_sdks_message_limits() -> None:
    options = dict(pulumi_compat.grpc_channel_options())
    # The SDK raises gRPC's 4 MiB default so large states and serialized providers pass.
    assert options["grpc.max_receive_message_length"] > 4 * 1024 * 1024


class _HoldsAnOutput(ResourceProvider):
    def __init__(self, greeting: pulumi.Output[str]) -> None:
        self.greeting = greeting

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("x", {"greeting": self.greeting.get()})


def test_deserialize_loads_a_provider_whose_closure_holds_an_output() -> None:
    """A program may capture an Output in its provider; the SDK pickles its value, and only its
    guard lets the host unpickle it (plain dill.loads refuses)."""
    from pulumi.runtime._serialization import _serialize

    provider = _HoldsAnOutput(pulumi.Output.from_input("hello"))
    serialized, _ = _serialize(False, pulumi_compat.serialize_provider, provider)
    pickled = base64.b64decode(serialized)
    with pytest.raises(Exception, match="during deserialization"):
        dill.loads(pickled)
    loaded = pulumi_compat.deserialize(lambda: dill.loads(pickled))
    assert loaded.create({}).outs == {"greeting": "hello"}


def test_serialize_provider_is_what_a_program_stores_in_state(
    registered: Run,
) -> None:
    """An import writes the host's serialization to state; the program's must equal it (else
    every later preview shows a `__provider` change), and it must load back as the provider."""
    stored = registered.job.inputs["__provider"]
    assert stored == pulumi_compat.serialize_provider(TuningJobProvider())
    loaded = pulumi_compat.deserialize(lambda: dill.loads(base64.b64decode(stored)))
    assert type(loaded) is TuningJobProvider


def test_dynamic_type_token_is_the_type_a_program_registers(registered: Run) -> None:
    assert registered.job.typ == pulumi_compat.dynamic_type_token(TuningJob)
    assert registered.job.typ == "pulumi-python:dynamic/vertex-tuning:TuningJob"  # users' states


def test_child_urn_is_the_engines_urn_at_the_top_and_under_a_component(registered: Run) -> None:
    """The engine's form (pkg/resource/urn.go): the parent chain's types joined by `$`, the root
    Stack left out (Pulumi's mocks put it in, so the run's own URNs are not the reference)."""
    token = "pulumi-python:dynamic/vertex-tuning:TuningJob"
    assert registered.predicted == {
        "alpha": f"urn:pulumi:dev::compat::{token}::alpha",
        "beta": f"urn:pulumi:dev::compat::acme:index:Team${token}::beta",
    }


def test_current_run_is_one_object_per_run_of_the_program(registered: Run) -> None:
    first, second = registered.runs
    assert first is second and first._type == "pulumi:pulumi:Stack"  # the run's root


def test_config_values_are_what_the_provider_was_configured_with() -> None:
    raw = {"gcp:project": "my-project", "vertex-tuning:apiEndpoint": "http://localhost:1"}
    config = Config(raw_config=raw, project_name="compat")
    assert pulumi_compat.config_values(config) == raw
    assert config.get("gcp:project") == "my-project"  # the public read agrees


def test_unknown_sentinels_are_what_the_engine_sends_and_the_sdk_reads() -> None:
    unknown_class, unknown_string = pulumi_compat.unknown_sentinels()
    assert unknown_string == ENGINE_UNKNOWN
    wire = pulumi_compat.serialize_properties({"endpoint": ENGINE_UNKNOWN})
    assert wire.fields["endpoint"].string_value == ENGINE_UNKNOWN
    kept = pulumi_compat.deserialize_properties(wire, keep_unknowns=True)
    assert isinstance(kept["endpoint"], unknown_class)


def test_stack_config_keys_list_the_programs_config() -> None:
    from pulumi.runtime.config import set_all_config

    set_all_config({"vertex-tuning:modelName": "m", "gcp:project": "p"})
    try:
        assert sorted(pulumi_compat.stack_config_keys()) == [
            "gcp:project",
            "vertex-tuning:modelName",
        ]
    finally:
        set_all_config({})


def test_stack_config_value_says_whether_it_is_a_secret() -> None:
    from pulumi.runtime.config import set_all_config

    set_all_config(
        {"vertex-tuning:accessToken": "t", "gcp:project": "p"}, ["vertex-tuning:accessToken"]
    )
    try:
        assert pulumi_compat.stack_config_value("vertex-tuning:accessToken") == ("t", True)
        assert pulumi_compat.stack_config_value("gcp:project") == ("p", False)
        assert pulumi_compat.stack_config_value("gcp:region") == (None, False)
    finally:
        set_all_config({})


def test_properties_round_trip_as_the_stock_host_encodes_them() -> None:
    props = {"name": "j", "epochs": 3, "rate": 0.5, "labels": {"a": "b"}, "cases": [1, "x"]}
    wire = pulumi_compat.serialize_properties(props)
    assert pulumi_compat.deserialize_properties(wire) == props


def test_unwrap_secret_takes_the_secret_out() -> None:
    from pulumi.runtime import rpc

    secret = pulumi_compat.deserialize_properties(
        pulumi_compat.serialize_properties(
            {"token": {rpc._special_sig_key: rpc._special_secret_sig, "value": "s3cret"}}
        )
    )["token"]
    assert pulumi_compat.unwrap_secret(secret) == "s3cret"
    assert pulumi_compat.unwrap_secret("plain") == "plain"


def test_configure_thread_is_what_get_project_reads() -> None:
    pulumi_compat.configure_thread("users-project")
    try:
        assert pulumi.get_project() == "users-project"
    finally:
        pulumi.runtime.settings.reset_options()


def test_the_engine_protocol_has_what_the_host_sends_and_reads() -> None:
    """The generated messages and fields: Cancel, the requests' timeouts, the partial-create
    detail, and the engine's log severities."""
    proto = pulumi_compat.proto
    assert proto.CreateRequest(timeout=60.0).timeout == 60.0
    assert proto.UpdateRequest(timeout=60.0).timeout == 60.0
    detail = proto.ErrorResourceInitFailed(id="j", reasons=["stopped"])
    detail.properties.update({"job_name": "j"})
    assert (detail.id, list(detail.reasons), detail.properties["job_name"]) == (
        "j",
        ["stopped"],
        "j",
    )
    servicer = pulumi_compat.provider_pb2_grpc.ResourceProviderServicer
    for method in ("Cancel", "Check", "Diff", "Create", "Read", "Update", "Delete", "Configure"):
        assert callable(getattr(servicer, method))
    engine = pulumi_compat.engine_pb2
    assert {engine.DEBUG, engine.INFO} <= set(engine.LogSeverity.values())
    assert pulumi_compat.engine_pb2_grpc.EngineStub is not None


def test_the_partial_create_detail_packs_into_googles_status_beside_pulumis_protos() -> None:
    """The host packs the detail into google.rpc.Status (googleapis-common-protos): Pulumi's
    own copy of that message would clash with it in one process, so it must stay unimported."""
    import sys

    from google.rpc import status_pb2

    assert "pulumi.runtime.proto.status_pb2" not in sys.modules
    status = status_pb2.Status(code=10, message="stopped")
    status.details.add().Pack(pulumi_compat.proto.ErrorResourceInitFailed(id="j"))
    unpacked = pulumi_compat.proto.ErrorResourceInitFailed()
    assert status_pb2.Status.FromString(status.SerializeToString()).details[0].Unpack(unpacked)
    assert unpacked.id == "j"


class _Nothing(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("x", {})


def test_the_sdks_provider_serialization_wraps_the_pickler_once_more_on_every_call() -> None:
    """Why unnested_pickler exists: when this fails, the SDK restores pickle itself, and the
    guard (and DynamicResource) can go."""
    import pickle

    from pulumi.dynamic.dynamic import serialize_provider

    with pulumi_compat.unnested_pickler():
        serialize_provider(_Nothing())
        once = vars(pickle._Pickler)["_batch_setitems"]
        serialize_provider(_Nothing())
        assert vars(pickle._Pickler)["_batch_setitems"] is not once


def test_a_process_declares_more_dynamic_resources_than_the_recursion_limit(
    registered: Run,
) -> None:
    """An Automation API service runs program after program in one process: under the SDK
    alone, about the 985th dynamic resource fails with RecursionError."""
    import pickle
    import sys

    from vertex_tuning.resources.base import DynamicResource
    from vertex_tuning.resources.stack_identity import StackIdentity

    class Nothing(DynamicResource):
        def __init__(self, name: str) -> None:
            super().__init__(_Nothing(), name, {})

    before = dict(vars(pickle._Pickler))
    count = sys.getrecursionlimit() + 100

    @pulumi.runtime.test  # type: ignore[misc]
    def program() -> Any:
        resources = [Nothing(f"nothing-{i}") for i in range(count)]
        StackIdentity()  # and ours, all through the same base
        return pulumi.Output.all(*(r.urn for r in resources[-3:]))

    program()
    assert dict(vars(pickle._Pickler)) == before
