"""`vertex-tuning generate`: ask a tuned model (or any model) one prompt."""

from __future__ import annotations

import sys

import click

from vertex_tuning.cli import render
from vertex_tuning.cli.options import Failure, Options, endpoint_ref


@click.command()
@click.argument("endpoint")
@click.argument("prompt")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the whole GenerateContentResponse (candidates, usage metadata) as JSON.",
)
@click.pass_obj
def generate(opts: Options, endpoint: str, prompt: str, as_json: bool) -> None:
    """Ask a tuned model: send PROMPT ("-" reads stdin) to ENDPOINT and print the answer.

    ENDPOINT is the tuned model's endpoint (projects/P/locations/L/endpoints/ID, or a bare
    ID in --project and --location), as `jobs get` shows it; any other model resource name
    in projects/P/locations/L/ works too.
    """
    from vertex_tuning import wire

    if prompt == "-":
        prompt = sys.stdin.read()
    model, location = endpoint_ref(opts, endpoint)
    response = opts.vertex(location).generate_content(model, wire.generate_request(prompt))
    if as_json:
        render.print_json(wire.plain(response))
        return
    text = wire.text_from_api(response)
    if not text:
        raise Failure(f"generating content ({model}): the model returned no text")
    click.echo(text)
