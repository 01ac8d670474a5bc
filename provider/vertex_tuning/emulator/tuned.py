"""What the service creates around a tuned model version: the Model JSON with its checkpoints and
default checkpoint, the Endpoints, and the DeployedModel that puts one checkpoint on one.

The final checkpoint is the default; its endpoint is the job's `tunedModel.endpoint` (as in
Google's checkpoint samples, where the last checkpoint's endpoint is the tuned model's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from vertex_tuning.emulator.checkpoints import Checkpoint
from vertex_tuning.emulator.records import timestamp

Json = dict[str, Any]


def model_version(
    job: Mapping[str, Any],
    base_model: str,
    *,
    name: str,
    version_id: str,
    display_name: str,
    checkpoints: Sequence[Checkpoint],
    at: datetime,
    created: str | None = None,
) -> Json:
    """A Model version as GetModel returns it, before anything is deployed."""
    now = timestamp(at)
    model: Json = {
        "name": name,
        "displayName": display_name,
        "versionId": version_id,
        "versionAliases": ["default"],
        "versionCreateTime": now,
        "versionUpdateTime": now,
        "createTime": created or now,
        "updateTime": now,
        "labels": dict(job.get("labels") or {}),
        "deployedModels": [],
        "baseModelSource": {"genieSource": {"baseModelUri": base_model}},
        "defaultCheckpointId": checkpoints[-1].checkpoint_id,
        "checkpoints": [c.api() for c in checkpoints],
    }
    if job.get("description"):
        model["description"] = job["description"]
    return model


def endpoint(name: str, display_name: str, *, labels: Mapping[str, str], at: datetime) -> Json:
    """An Endpoint with nothing deployed yet."""
    now = timestamp(at)
    return {
        "name": name,
        "displayName": display_name,
        "deployedModels": [],
        "trafficSplit": {},
        "labels": dict(labels),
        "createTime": now,
        "updateTime": now,
    }


def deployed(
    model: str,
    version_id: str,
    checkpoint_id: str,
    deployed_model_id: str,
    display_name: str,
    at: datetime,
) -> Json:
    """A DeployedModel entry of an Endpoint."""
    return {
        "id": deployed_model_id,
        "model": model,
        "modelVersionId": version_id,
        "checkpointId": checkpoint_id,
        "displayName": display_name,
        "createTime": timestamp(at),
    }
