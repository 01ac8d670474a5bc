"""What the service creates around a tuned model: the Model, the Endpoint it is deployed on,
and the long-running operations of deleting or undeploying them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud.aiplatform_v1 import types
from google.longrunning import operations_pb2
from google.protobuf import json_format


def resources(
    job: Any,
    base_model: str,
    *,
    model_name: str,
    endpoint_name: str,
    deployed_model_id: str,
    at: datetime,
) -> tuple[Any, Any]:
    """(Model, Endpoint) for a succeeded job: version 1, deployed with all the traffic."""
    display = job.tuned_model_display_name or f"{base_model}-tuned-{job.name[-6:]}"
    model = types.Model(
        name=model_name,
        display_name=display,
        description=job.description,
        version_id="1",
        version_aliases=["default"],
        version_create_time=at,
        version_update_time=at,
        create_time=at,
        update_time=at,
        labels=dict(job.labels),
        deployed_models=[
            types.DeployedModelRef(endpoint=endpoint_name, deployed_model_id=deployed_model_id)
        ],
        base_model_source=types.Model.BaseModelSource(
            genie_source=types.GenieSource(base_model_uri=base_model)
        ),
    )
    endpoint = types.Endpoint(
        name=endpoint_name,
        display_name=display,
        deployed_models=[
            types.DeployedModel(
                id=deployed_model_id,
                model=model_name,
                model_version_id="1",
                display_name=display,
                create_time=at,
            )
        ],
        traffic_split={deployed_model_id: 100},
        labels=dict(job.labels),
        create_time=at,
        update_time=at,
    )
    return model, endpoint


def finished_operation(
    name: str, metadata_type: Any, response: Any, now: datetime
) -> dict[str, Any]:
    """A done Operation as API JSON, metadata and response packed in Any the way
    `operation.result()` and `.metadata` unpack them (`response` is a raw protobuf)."""
    operation = operations_pb2.Operation(name=name, done=True)
    metadata = metadata_type(
        generic_metadata=types.GenericOperationMetadata(create_time=now, update_time=now)
    )
    operation.metadata.Pack(metadata_type.pb(metadata))
    operation.response.Pack(response)
    result: dict[str, Any] = json_format.MessageToDict(operation)
    return result
