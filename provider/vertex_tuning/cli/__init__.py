"""The `vertex-tuning` command: the seed library's operations for operators and CI.

The group, its global options and how every failure ends (one `error: ...` line and an exit
code) live here; each subcommand family in its own module: jobs.py (list, get, cancel, wait),
generate.py (ask a model), data.py (validate and convert training data), evaluate.py (score a
model on data), cost.py (price training data, and a job's bill), and the emulator. Google and rich
are imported inside the commands that need them, so `--help` stays instant.
"""

from __future__ import annotations

from typing import Any

import click

from vertex_tuning import settings as settings_mod
from vertex_tuning._version import __version__
from vertex_tuning.cli.options import ERROR, INTERRUPTED, OK, USAGE, Failure, Options


class _Group(click.Group):
    """Turns every failure into one `error: ...` line and an exit code; --debug re-raises."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Failure as exc:
            _error(str(exc))
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            _error("interrupted")
            ctx.exit(INTERRUPTED)
        except Exception as exc:
            if isinstance(ctx.obj, Options) and ctx.obj.debug:
                raise
            _error(_describe(exc))
            ctx.exit(ERROR)


def _describe(exc: Exception) -> str:
    from vertex_tuning.errors import ApiError

    if isinstance(exc, ApiError):
        return str(exc)  # "reading tuning job (NAME): NOT_FOUND: ...", already complete
    if type(exc).__name__ == "DefaultCredentialsError":
        return (
            "no Google credentials: run `gcloud auth application-default login`, "
            "or pass --access-token / set VERTEX_ACCESS_TOKEN"
        )
    return f"{type(exc).__name__}: {exc} (--debug shows the traceback)"


def _error(message: str) -> None:
    click.echo(f"error: {' '.join(message.split())}", err=True)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=f"Exit codes: {OK} done, {ERROR} error, {USAGE} usage; "
    "`jobs wait --help` lists how a job's end maps to its own codes.",
)
@click.version_option(__version__, prog_name="vertex-tuning")
@click.option(
    "--project",
    metavar="PROJECT",
    help="Google Cloud project. [env: GOOGLE_CLOUD_PROJECT, VERTEX_PROJECT_ID]",
)
@click.option(
    "--location",
    metavar="LOCATION",
    help="Vertex AI region, e.g. us-central1. [env: GOOGLE_CLOUD_LOCATION, VERTEX_LOCATION]",
)
@click.option(
    "--api-endpoint",
    metavar="URL",
    help="Another Vertex AI endpoint, e.g. the local emulator's http://127.0.0.1:PORT. "
    "[env: VERTEX_API_ENDPOINT]",
)
@click.option(
    "--access-token",
    metavar="TOKEN",
    help="OAuth access token instead of Application Default Credentials; prefer the "
    "environment, flags show up in process lists. [env: VERTEX_ACCESS_TOKEN]",
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(
    ctx: click.Context,
    project: str | None,
    location: str | None,
    api_endpoint: str | None,
    access_token: str | None,
    debug: bool,
) -> None:
    """Gemini tuning on Vertex AI: jobs, training data, cost, evaluation, the local emulator.

    Jobs are created by the Pulumi TuningJob resource; this command lists, inspects, waits
    for and cancels them, and asks tuned models. JOB may be a full resource name
    (projects/P/locations/L/tuningJobs/ID) or a bare job ID in --project and --location.
    """
    defaults = settings_mod.defaults(settings_mod.no_stack_config)
    ctx.obj = Options(
        project=project or defaults["project"],
        location=location or defaults["location"],
        api_endpoint=api_endpoint,
        access_token=access_token,
        debug=debug,
    )


@main.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def emulator(ctx: click.Context) -> None:
    """Run the local Vertex AI emulator (`emulator --help` for its flags)."""
    # The emulator's own dependencies are the `emulator` extra, not part of a production install.
    try:
        import gcp_storage_emulator  # noqa: F401
        import googleapiclient  # type: ignore[import-untyped]  # noqa: F401
        import werkzeug  # noqa: F401
    except ImportError as exc:
        raise Failure(
            f"the emulator needs the `emulator` extra ({exc.name} is not installed): "
            "pip install 'vertex-tuning[emulator]'",
            USAGE,
        ) from None
    from vertex_tuning.emulator.command import main as emulator_main

    emulator_main.main(args=ctx.args, prog_name="vertex-tuning emulator")


def _register() -> None:
    from vertex_tuning.cli import cost, data, evaluate, generate, jobs

    main.add_command(jobs.jobs)
    main.add_command(generate.generate)
    main.add_command(data.validate)
    main.add_command(data.convert)
    main.add_command(evaluate.evaluate)
    main.add_command(cost.cost)


_register()

__all__ = ["main"]
