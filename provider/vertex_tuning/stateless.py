"""What every dynamic provider of the package shares: a base that pickles to nothing, the
one way to print to the stack's log, and the test for values a preview cannot know.

Pulumi stores the provider object in state with dill and unpickles it in the provider process,
so clients, credentials, locks or config on it would leak into state or fail to load. Subclasses
keep stack config in memory only (set by `configure`) and build clients per operation.
"""

from __future__ import annotations

import sys
from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider


class StatelessProvider(ResourceProvider):
    """Pickles to `{}`; stack config reaches it through `configure` and stays in memory."""

    serialize_as_secret_always = False  # nothing secret is pickled: state stays inspectable

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config: dict[str, Any] = {}

    def configure(self, req: ConfigureRequest) -> None:
        self._config = dict(getattr(req.config, "_props", {}) or {})

    def config_get(self, key: str) -> Any:
        """A stack config value (`gcp:project`, ...), or None; works before configure too."""
        return getattr(self, "_config", {}).get(key)


def say(line: str) -> None:
    """Print a line to the stack's log (`pulumi up` output, Automation API on_output).

    One write per line: creates run on many threads, and print() writes the newline separately,
    so another job's line could land in between and the two reach the engine as one.
    """
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def is_unknown(value: Any) -> bool:
    """True for a value `pulumi preview` cannot know yet (another resource's output)."""
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    if isinstance(value, Unknown) or value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False
