"""The preview anchor of bench/provider_bench.py: a dynamic resource that does nothing.

It lives in its own module, on the provider host's PYTHONPATH, so dill pickles its provider by
reference, as it does TuningJob's (a provider class defined in a script's __main__ is pickled by
value instead). It declares itself through the same base as our resources, which undoes the
SDK's wrapping of pickle on every serialization (pulumi_compat.unnested_pickler): the bench
declares well over a thousand dynamic resources in one process, past the recursion limit that
wrapping reaches.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

from vertex_tuning.resources.base import DynamicResource


class EchoProvider(ResourceProvider):
    """Create echoes the inputs; check and diff are the base class's."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"echo-{props['name']}", props)


class Echo(DynamicResource):
    def __init__(self, name: str, inputs: dict[str, Any]) -> None:
        super().__init__(EchoProvider(), name, {**inputs, "name": name})
