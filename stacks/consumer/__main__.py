"""Downstream wiring: an application's config built from the model stack's outputs.

`modelStack` names the model stack (e.g. organization/vertex-tuning/dev); its promoted endpoint
(the one that passed its evaluation) flows into this stack's own resource, so a new model version
rolls out on the next `pulumi up` here, and one that failed never does.
`configPath` is where the app's config file goes (relative to this directory, or absolute).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


class AppConfigProvider(ResourceProvider):
    """Writes the app's JSON config file; a stand-in for any resource that takes an endpoint."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._write(props)
        return CreateResult(props["path"], props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("path", "endpoint", "endpoint_uri")
        return DiffResult(changes=any(olds.get(k) != news.get(k) for k in keys))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._write(news)
        return UpdateResult(news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        Path(props["path"]).unlink(missing_ok=True)

    @staticmethod
    def _write(props: dict[str, Any]) -> None:
        path = Path(props["path"])
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {"model_endpoint": props["endpoint"], "generate_url": props["endpoint_uri"]}
        path.write_text(json.dumps(config, indent=2) + "\n")


class AppConfig(Resource):
    endpoint: pulumi.Output[str]
    endpoint_uri: pulumi.Output[str]

    def __init__(self, name: str, path: str, endpoint: Any, endpoint_uri: Any) -> None:
        props = {"path": path, "endpoint": endpoint, "endpoint_uri": endpoint_uri}
        super().__init__(AppConfigProvider(), name, props)


def promoted(name: str) -> pulumi.Output[Any]:
    """The model stack's `promoted_NAME`, set only by an evaluation that passed (a failed one
    leaves the last one), or its `tuned_model_NAME` where nothing gates the model."""
    return pulumi.Output.all(
        model.get_output(f"promoted_{name}"), model.require_output(f"tuned_model_{name}")
    ).apply(lambda found: found[0] or found[1])


config = pulumi.Config()
model = pulumi.StackReference(config.require("modelStack"))
app = AppConfig(
    "support-app-config",
    # Relative to this project, not to wherever the provider process happens to run.
    path=str(Path(__file__).parent / config.require("configPath")),
    endpoint=promoted("endpoint"),
    endpoint_uri=promoted("endpoint_uri"),
)
pulumi.export("app_endpoint", app.endpoint)
pulumi.export("app_endpoint_uri", app.endpoint_uri)
