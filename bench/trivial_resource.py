"""The preview anchor of bench/provider_bench.py: a dynamic resource that does nothing.

It lives in its own module, on the provider host's PYTHONPATH, so dill pickles its provider by
reference, as it does TuningJob's. A provider class defined in a script's __main__ is pickled by
value instead, and the Pulumi SDK's serialize_provider wraps pickle's _batch_setitems once more on
every call, so in one long-lived Automation API process each later resource pickles slower until
it overflows the recursion limit.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class EchoProvider(ResourceProvider):
    """Create echoes the inputs; check and diff are the base class's."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"echo-{props['name']}", props)


class Echo(Resource):
    def __init__(self, name: str, inputs: dict[str, Any]) -> None:
        super().__init__(EchoProvider(), name, {**inputs, "name": name})
