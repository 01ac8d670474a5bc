"""What every command shares: exit codes, the one-line Failure, the global options resolved
like the provider resolves them, and how a JOB or ENDPOINT argument becomes a resource name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from vertex_tuning import names, states
from vertex_tuning import settings as settings_mod

if TYPE_CHECKING:
    from vertex_tuning.vertex import Vertex

# Exit codes. `jobs wait` maps the state a job ended in to one of them.
OK = 0
ERROR = 1
USAGE = 2
FAILED = 3
CANCELLED = 4
EXPIRED = 5
TIMED_OUT = 6
INTERRUPTED = 130

EXIT_BY_STATE = {
    states.SUCCEEDED: OK,
    states.FAILED: FAILED,
    states.PARTIALLY_SUCCEEDED: FAILED,
    states.CANCELLED: CANCELLED,
    states.EXPIRED: EXPIRED,
}


class Failure(Exception):
    """An outcome to report as one `error: ...` line and an exit code, never a traceback."""

    def __init__(self, message: str, exit_code: int = ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Options:
    """The global options, resolved like the provider does: flag, then environment, then ADC."""

    project: str | None
    location: str | None
    api_endpoint: str | None
    access_token: str | None
    debug: bool

    def require_project(self) -> str:
        if not self.project:
            raise Failure(
                "no project: pass --project or set GOOGLE_CLOUD_PROJECT (or VERTEX_PROJECT_ID)",
                USAGE,
            )
        return self.project

    def require_location(self) -> str:
        if not self.location:
            raise Failure(
                "no location: pass --location or set GOOGLE_CLOUD_LOCATION (or VERTEX_LOCATION)",
                USAGE,
            )
        return self.location

    def parent(self) -> str:
        return names.parent(self.require_project(), self.require_location())

    def settings(self) -> settings_mod.Settings:
        return settings_mod.resolve(
            None, api_endpoint=self.api_endpoint, access_token=self.access_token
        )

    def vertex(self, location: str) -> Vertex:
        from vertex_tuning.vertex import Vertex

        return Vertex(self.settings(), location)


def job_ref(opts: Options, value: str) -> tuple[str, str]:
    """(full job name, its location) from JOB: a resource name, or an ID in --project/--location."""
    found = names.parse(value, names.TUNING_JOBS)
    if found is not None:
        return value, found.location
    if "/" in value or not value:
        raise click.BadParameter(
            f"{value!r} is neither projects/P/locations/L/tuningJobs/ID nor a job ID",
            param_hint="JOB",
        )
    return f"{opts.parent()}/{names.TUNING_JOBS}/{value}", opts.require_location()


def endpoint_ref(opts: Options, value: str) -> tuple[str, str]:
    """(model resource name, its location) from ENDPOINT: a resource name or an endpoint ID."""
    location = names.location_of(value)
    if location:
        return value, location
    if "/" in value or not value:
        raise click.BadParameter(
            f"{value!r} is neither projects/P/locations/L/endpoints/ID nor an endpoint ID",
            param_hint="ENDPOINT",
        )
    return f"{opts.parent()}/{names.ENDPOINTS}/{value}", opts.require_location()
