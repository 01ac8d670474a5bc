"""One dynamic resource whose provider counts calls in a file, so the test sees each lifecycle step."""

import os
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


class Counter(ResourceProvider):
    def _log(self, what: str) -> None:
        with Path(os.environ["TRIVIAL_LOG"]).open("a") as log:
            log.write(what + "\n")

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._log("create")
        return CreateResult("thing-1", {"greeting": f"hello {props['who']}", "who": props["who"]})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        self._log("read")
        return ReadResult(id_, props)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._log("delete")


class Thing(Resource):
    greeting: pulumi.Output[str]

    def __init__(self, name: str, who: str) -> None:
        super().__init__(Counter(), name, {"who": who, "greeting": None})


thing = Thing("thing", pulumi.Config().get("who") or "world")
pulumi.export("greeting", thing.greeting)
