"""Every Pulumi SDK internal this package relies on, in one place.

The provider host (host.py) speaks the engine's ResourceProvider protocol for dynamic resources,
as the stock `python -m pulumi.dynamic` does; to stay byte-compatible with it (the same pickled
providers, the same gRPC limits, the same unknown-value sentinel) it borrows a few private
symbols. Each one is imported here and nowhere else, and tests/test_pulumi_compat.py checks
each against the SDK in use, so an upgrade that moves one fails that test and not a user's
deployment. pyproject.toml pins `pulumi` to the releases those tests ran on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pulumi.dynamic import Config, ResourceProvider

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

    serialized: str = serialize(provider)
    return serialized


def dynamic_type_token(resource_class: type[Any]) -> str:
    """The engine's type token of a `pulumi.dynamic.Resource` subclass, as in its URN."""
    return f"pulumi-python:{resource_class._resource_type_name}"


def config_values(config: Config) -> dict[str, Any]:
    """Every `namespace:key` value of a dynamic provider's Config (it has no public listing)."""
    return dict(getattr(config, "_props", {}) or {})


def unknown_sentinels() -> tuple[type[Any], str]:
    """(the Output SDK's Unknown class, the engine's unknown-value string) for previews."""
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    return Unknown, UNKNOWN


def stack_config_keys() -> list[str]:
    """Every `namespace:key` of the running program's stack config (pulumi.Config cannot list)."""
    from pulumi.runtime.config import CONFIG

    return list(CONFIG.get())
