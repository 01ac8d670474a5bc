"""Every Pulumi SDK internal this package relies on, in one place.

The provider host (host.py) speaks the engine's ResourceProvider protocol for dynamic resources,
as the stock `python -m pulumi.dynamic` does; to stay byte-compatible with it (the same pickled
providers, the same property encoding, the same gRPC limits, the same unknown-value sentinel)
it borrows the SDK's generated protocol code and a few private symbols. Each one is imported
here and nowhere else, and tests/test_pulumi_compat.py checks each against the SDK in use, so
an upgrade that moves one fails that test and not a user's deployment. pyproject.toml pins
`pulumi` to the releases those tests ran on.
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from pulumi.dynamic import Config, ResourceProvider

# The engine's protocol as the SDK generates it ("meant for internal use only").
from pulumi.runtime import proto as proto
from pulumi.runtime.proto import engine_pb2 as engine_pb2
from pulumi.runtime.proto import engine_pb2_grpc as engine_pb2_grpc
from pulumi.runtime.proto import provider_pb2_grpc as provider_pb2_grpc

T = TypeVar("T")


def grpc_channel_options() -> list[tuple[str, Any]]:
    """The channel options the SDK uses to talk to the engine (message size limits)."""
    from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS

    return list(_GRPC_CHANNEL_OPTIONS)


def deserialize(load: Callable[[], T]) -> T:
    """Run `load` (dill.loads of a provider) the way the stock host does: with the SDK's
    guard that lets a provider pickled with an Output-holding closure load without an engine."""
    from pulumi.runtime._serialization import _deserialize

    return _deserialize(load)


def serialize_provider(provider: ResourceProvider) -> str:
    """The `__provider` property the SDK stores in state for `provider`."""
    from pulumi.dynamic.dynamic import serialize_provider as serialize

    with unnested_pickler():
        serialized: str = serialize(provider)
    return serialized


@contextlib.contextmanager
def unnested_pickler() -> Iterator[None]:
    """Leave pickle's pure-Python Pickler as it was, whatever the SDK serializes in between.

    The SDK's serialize_provider (run by every `pulumi.dynamic.Resource` declared) patches
    `pickle._Pickler` to sort dicts and restores only `pickle.Pickler`: each call wraps
    `_batch_setitems` once more, so a process that declares about 985 dynamic resources (a
    large program, an Automation API service running many stacks) fails every later one with
    RecursionError, and each call before that sorts every dict once per resource declared so far.
    """
    saved = {name: vars(pickle._Pickler)[name] for name in _PATCHED_BY_THE_SDK}
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(pickle._Pickler, name, method)


#: What serialize_provider replaces on pickle._Pickler (sdk/python/lib/pulumi/dynamic/dynamic.py).
_PATCHED_BY_THE_SDK = ("_batch_setitems", "save_dict")


def dynamic_type_token(resource_class: type[Any]) -> str:
    """The engine's type token of a `pulumi.dynamic.Resource` subclass, as in its URN."""
    return f"pulumi-python:{resource_class._resource_type_name}"


def config_values(config: Config) -> dict[str, Any]:
    """Every `namespace:key` value of a dynamic provider's Config (it has no public listing)."""
    return dict(getattr(config, "_props", {}) or {})


def unknown_sentinels() -> tuple[type[Any], str]:
    """(the SDK's Unknown class, the engine's unknown-value string) for previews: a value
    deserialized with unknowns kept is an Unknown; the wire carries the string."""
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    return Unknown, UNKNOWN


def stack_config_keys() -> list[str]:
    """Every `namespace:key` of the running program's stack config (pulumi.Config cannot list)."""
    from pulumi.runtime.config import CONFIG

    return list(CONFIG.get())


def current_run() -> Any:
    """An object that stands for this run of the program (its root Stack resource): Automation
    API runs a program many times in one process, and each run declares its own resources."""
    from pulumi.runtime.settings import get_root_resource

    root = get_root_resource()
    return root if root is not None else _NO_ROOT


class _NoRoot:
    """The run outside any engine (unit tests with mocks): one object for all of it."""


_NO_ROOT = _NoRoot()

#: The engine leaves the root Stack out of its children's type chains.
_STACK_TYPE = "pulumi:pulumi:Stack"


def child_urn(type_token: str, name: str, parent: Any | None) -> Any:
    """The URN the engine will give a resource of `type_token` named `name` under `parent`
    (None: the stack), as an Output: known at preview, before the resource is registered.

    `urn:pulumi:STACK::PROJECT::PARENT_TYPE$...$TYPE::NAME`, the parent chain's types joined by
    `$` (pkg/resource/urn.go in the engine).
    """
    import pulumi

    prefix = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::"
    if parent is None or getattr(parent, "_type", None) == _STACK_TYPE:
        return pulumi.Output.from_input(f"{prefix}{type_token}::{name}")

    def under(parent_urn: str) -> str:
        chain = parent_urn.split("::")[2]
        qualified = type_token if chain == _STACK_TYPE else f"{chain}${type_token}"
        return f"{prefix}{qualified}::{name}"

    # The value only: as an input, an Output that depends on the parent makes the SDK see the
    # child depend on its own parent, a cycle.
    urn = parent.urn.apply(under)
    return pulumi.Output(set(), urn.future(), urn.is_known(), urn.is_secret())


def stack_config_value(key: str) -> tuple[str | None, bool]:
    """(the program's stack config value of `namespace:key`, whether it is a secret)."""
    from pulumi.runtime.config import get_config, is_config_secret

    value: str | None = get_config(key)
    return value, bool(is_config_secret(key))


def deserialize_properties(struct: Any, keep_unknowns: bool = False) -> dict[str, Any]:
    """A request's properties (a protobuf Struct) as Python values, as the stock host reads them."""
    from pulumi.runtime import rpc

    props: dict[str, Any] = rpc.deserialize_properties(struct, keep_unknowns)
    return props


def serialize_properties(props: Mapping[str, Any]) -> Any:
    """Python values as the protobuf Struct of a response, as the stock host writes them."""
    from pulumi.runtime import rpc

    return asyncio.run(rpc.serialize_properties(dict(props), {}))


def unwrap_secret(value: Any) -> Any:
    """A deserialized value with the SDK's secret wrapper removed (the host takes no secrets)."""
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value)


def configure_thread(project: str) -> None:
    """The SDK's per-thread settings, so provider code may call pulumi.get_project()."""
    from pulumi.runtime import Settings, configure

    configure(Settings(project=project, stack="stack"))
