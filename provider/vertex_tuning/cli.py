"""The `vertex-tuning` command: the seed library's operations for operators and CI."""

from __future__ import annotations

import click

from vertex_tuning._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vertex-tuning")
def main() -> None:
    """Gemini supervised tuning on Vertex AI: jobs, data validation, the local emulator."""
