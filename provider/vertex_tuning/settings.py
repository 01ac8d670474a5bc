"""Project, location, API endpoint and credentials, resolved at run time and never stored.

Order, as pulumi-gcp and the seed guide do it: explicit input or flag, then stack config
(`gcp:project`, `gcp:region`, `vertex-tuning:apiEndpoint`, `vertex-tuning:accessToken`), then the
environment (`GOOGLE_CLOUD_PROJECT`/`GOOGLE_CLOUD_LOCATION`, then the seed's `VERTEX_PROJECT_ID`/
`VERTEX_LOCATION`, `VERTEX_API_ENDPOINT`, `VERTEX_ACCESS_TOKEN`), then Application Default
Credentials for the token.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ConfigGet = Callable[[str], Any]

CONFIG_NAMESPACE = "vertex-tuning"
ACCESS_TOKEN_KEY = f"{CONFIG_NAMESPACE}:accessToken"
API_VERSIONS = ("v1", "v1beta1")
#: What google-genai uses on Vertex AI by default, and Google's own create samples ask for: the
#: job's detailed state (`tuningJobState`) exists only here. `vertex-tuning:apiVersion v1`
#: pins the GA surface; the endpoint URIs the provider exports are v1 either way.
DEFAULT_API_VERSION = "v1beta1"
_PROJECT_ENV = ("GOOGLE_CLOUD_PROJECT", "VERTEX_PROJECT_ID")
_LOCATION_ENV = ("GOOGLE_CLOUD_LOCATION", "VERTEX_LOCATION")


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def default_project(config: ConfigGet, env: Mapping[str, str] = os.environ) -> str | None:
    """The project when no input names one."""
    return _first(config("gcp:project"), *(env.get(k) for k in _PROJECT_ENV))


def default_location(config: ConfigGet, env: Mapping[str, str] = os.environ) -> str | None:
    """The location when no input names one."""
    return _first(config("gcp:region"), *(env.get(k) for k in _LOCATION_ENV))


def defaults(config: ConfigGet, env: Mapping[str, str] = os.environ) -> dict[str, str | None]:
    """`project` and `location` for inputs that leave them unset: the one place they resolve."""
    return {"project": default_project(config, env), "location": default_location(config, env)}


def no_stack_config(_key: str) -> None:
    """The config of a process outside any Pulumi stack (the CLI): flags and environment only."""
    return None


@dataclass(frozen=True)
class Settings:
    """How to reach Vertex AI from this process. Held in memory only, never in Pulumi state."""

    api_endpoint: str | None = None
    access_token: str | None = field(default=None, repr=False)
    api_version: str = DEFAULT_API_VERSION

    def base_url(self, location: str) -> str:
        """The REST base URL: the override (the emulator) or the regional Google endpoint."""
        if self.api_endpoint:
            endpoint = self.api_endpoint.rstrip("/")
            return endpoint if "://" in endpoint else f"https://{endpoint}"
        return f"https://{location}-aiplatform.googleapis.com"

    @property
    def is_local(self) -> bool:
        """Plain http: a local emulator, where missing credentials are not an error."""
        return bool(self.api_endpoint and self.api_endpoint.startswith("http://"))


def resolve(
    config: ConfigGet | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    api_endpoint: str | None = None,
    access_token: str | None = None,
    api_version: str | None = None,
) -> Settings:
    """Settings from flags, then stack config, then the environment."""
    get: ConfigGet = config or no_stack_config
    version = _first(
        api_version, get(f"{CONFIG_NAMESPACE}:apiVersion"), env.get("VERTEX_API_VERSION")
    )
    if version is not None and version not in API_VERSIONS:
        raise ValueError(
            f"API version {version!r} (vertex-tuning:apiVersion or VERTEX_API_VERSION) must be "
            f"one of {', '.join(API_VERSIONS)}"
        )
    return Settings(
        api_endpoint=_first(
            api_endpoint, get(f"{CONFIG_NAMESPACE}:apiEndpoint"), env.get("VERTEX_API_ENDPOINT")
        ),
        access_token=_first(access_token, get(ACCESS_TOKEN_KEY), env.get("VERTEX_ACCESS_TOKEN")),
        api_version=version or DEFAULT_API_VERSION,
    )


def refuse_plaintext_token() -> None:
    """In a Pulumi program: stop if the stack config's access token is not a secret.

    The engine records the stack config as the dynamic provider's inputs, so a token set with
    `--plaintext` would be copied into every state file, backup and checkpoint, not only into
    Pulumi.<stack>.yaml; as a secret it is stored encrypted there.
    """
    from pulumi import RunError

    from vertex_tuning.pulumi_compat import stack_config_value

    value, secret = stack_config_value(ACCESS_TOKEN_KEY)
    if value is not None and not secret:
        raise RunError(
            f"stack config {ACCESS_TOKEN_KEY} is in plain text, and Pulumi would copy it into "
            f"the stack's state: set it with `pulumi config set --secret {ACCESS_TOKEN_KEY}`, "
            "or use VERTEX_ACCESS_TOKEN or Application Default Credentials"
        )
