"""Routes: every RPC the emulator serves, as the discovery documents' methods, for v1 and v1beta1.

The URL patterns come from each method's `flatPath`, so they are the service's own. GetOperation
is also served under `/ui/`, which the GAPIC operation mixins list before `/v1/`.
"""

from __future__ import annotations

import re

from werkzeug.routing import BaseConverter, Map, Rule

from vertex_tuning.emulator import schema

#: RPC method name (what /_emulator/requests counts) -> the discovery methods it serves.
METHODS: dict[str, tuple[str, ...]] = {
    "CreateTuningJob": ("projects.locations.tuningJobs.create",),
    "GetTuningJob": ("projects.locations.tuningJobs.get",),
    "ListTuningJobs": ("projects.locations.tuningJobs.list",),
    "CancelTuningJob": ("projects.locations.tuningJobs.cancel",),
    "RebaseTunedModel": ("projects.locations.tuningJobs.rebaseTunedModel",),
    "GetModel": ("projects.locations.models.get",),
    "UpdateModel": ("projects.locations.models.patch",),
    "DeleteModel": ("projects.locations.models.delete",),
    "DeleteModelVersion": ("projects.locations.models.deleteVersion",),
    "ListModelVersionCheckpoints": ("projects.locations.models.listCheckpoints",),
    "GetEndpoint": ("projects.locations.endpoints.get",),
    "CreateEndpoint": ("projects.locations.endpoints.create",),
    "DeployModel": ("projects.locations.endpoints.deployModel",),
    "DeleteEndpoint": ("projects.locations.endpoints.delete",),
    "UndeployModel": ("projects.locations.endpoints.undeployModel",),
    "GetOperation": (
        "projects.locations.operations.get",
        "projects.locations.tuningJobs.operations.get",
        "projects.locations.models.operations.get",
        "projects.locations.endpoints.operations.get",
    ),
    "GenerateContent": (
        "projects.locations.endpoints.generateContent",
        "projects.locations.publishers.models.generateContent",
        "endpoints.generateContent",
        "publishers.models.generateContent",
    ),
    "EvaluateInstances": ("projects.locations.evaluateInstances",),
    "CountTokens": (
        "projects.locations.publishers.models.countTokens",
        "projects.locations.endpoints.countTokens",
        "publishers.models.countTokens",
        "endpoints.countTokens",
    ),
}

#: The IAM permission each method needs, for the service's PERMISSION_DENIED wording.
PERMISSIONS = {
    "CreateTuningJob": "aiplatform.tuningJobs.create",
    "GetTuningJob": "aiplatform.tuningJobs.get",
    "ListTuningJobs": "aiplatform.tuningJobs.list",
    "CancelTuningJob": "aiplatform.tuningJobs.cancel",
    "RebaseTunedModel": "aiplatform.tuningJobs.create",
    "GetModel": "aiplatform.models.get",
    "UpdateModel": "aiplatform.models.update",
    "DeleteModel": "aiplatform.models.delete",
    "DeleteModelVersion": "aiplatform.models.delete",
    "ListModelVersionCheckpoints": "aiplatform.models.get",
    "GetEndpoint": "aiplatform.endpoints.get",
    "CreateEndpoint": "aiplatform.endpoints.create",
    "DeployModel": "aiplatform.endpoints.deploy",
    "DeleteEndpoint": "aiplatform.endpoints.delete",
    "UndeployModel": "aiplatform.endpoints.undeploy",
    "GetOperation": "aiplatform.operations.get",
    "GenerateContent": "aiplatform.endpoints.predict",
    "EvaluateInstances": "aiplatform.locations.evaluateInstances",
    "CountTokens": "aiplatform.endpoints.predict",
}


class Segment(BaseConverter):
    """One path segment up to a `:verb` suffix."""

    regex = r"[^/:]+"


_VARIABLE = re.compile(r"\{(\w+)\}")


def api_map() -> Map:
    """Rules for every method of METHODS in every API version; each rule's endpoint is
    (RPC name, version) (werkzeug rules belong to one Map each)."""
    rules = []
    for version in schema.VERSIONS:
        api = schema.api(version)
        for rpc, paths in METHODS.items():
            for path in paths:
                method = api.method(path)
                pattern = "/" + _VARIABLE.sub(r"<seg:\1>", method["flatPath"])
                verbs = [method["httpMethod"]]
                rules.append(Rule(pattern, methods=verbs, endpoint=(rpc, version)))
                if rpc == "GetOperation" and version == "v1":
                    ui = pattern.replace(f"/{version}/", "/ui/", 1)
                    rules.append(Rule(ui, methods=verbs, endpoint=(rpc, version)))
    return Map(rules, converters={"seg": Segment})
