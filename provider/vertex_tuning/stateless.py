"""A dynamic provider base that pickles to nothing.

Pulumi stores the provider object in state with dill and unpickles it in the provider process,
so clients, credentials, locks or config on it would leak into state or fail to load. Subclasses
keep stack config in memory only (set by `configure`) and build clients per operation.
"""

from __future__ import annotations

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
