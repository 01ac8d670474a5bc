"""The `vertex-tuning` command: the seed library's operations for operators and CI."""

from __future__ import annotations

import click

from vertex_tuning._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vertex-tuning")
def main() -> None:
    """Gemini supervised tuning on Vertex AI: jobs, data validation, the local emulator."""


@main.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def emulator(ctx: click.Context) -> None:
    """Run the local Vertex AI emulator (`emulator --help` for its flags)."""
    from vertex_tuning.emulator.command import main as emulator_main

    emulator_main.main(args=ctx.args, prog_name="vertex-tuning emulator")
