"""The model registry and endpoints as the tuning service leaves them: tuned model versions with
their checkpoints, one endpoint per checkpoint, and what changes them afterwards (a new default
checkpoint, undeploying, deleting). Callers hold the backend's lock.

Model versions: a job tunes version 1 of a new Model, or, in continuous tuning, version N+1 of
the pre-tuned model's Model when its display name is unset or the same (as the API reference
says); the newest version then carries the `default` alias, so GetModel without `@VERSION`
answers it. `models/ID@N`, `models/ID@ALIAS` and `models/ID` (the default version) all resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from vertex_tuning.emulator import tuned
from vertex_tuning.emulator.checkpoints import Checkpoint
from vertex_tuning.emulator.errors import failed_precondition, invalid_argument, not_found
from vertex_tuning.emulator.records import (
    JobRecord,
    Lesson,
    ModelRecord,
    Store,
    VersionRecord,
    timestamp,
)
from vertex_tuning.emulator.schema import snake

Json = dict[str, Any]
NewId = Callable[[str], str]

#: Model fields models.patch changes; model-level ones apply to every version.
MODEL_LEVEL = frozenset({"displayName", "description"})
VERSION_LEVEL = frozenset({"labels", "defaultCheckpointId", "versionDescription"})


def find(store: Store, parent: str, model_id: str) -> tuple[ModelRecord, VersionRecord] | None:
    """`ID`, `ID@VERSION` or `ID@ALIAS` under `parent`; None when there is no such version."""
    plain, _, version = model_id.partition("@")
    record = store.models.get(f"{parent}/models/{plain}")
    if record is None:
        return None
    wanted = version or "default"
    if wanted in record.versions:
        return record, record.versions[wanted]
    for candidate in record.versions.values():
        if wanted in candidate.model.get("versionAliases", []):
            return record, candidate
    return None


def get(store: Store, parent: str, model_id: str) -> tuple[ModelRecord, VersionRecord]:
    found = find(store, parent, model_id)
    if found is None:
        raise not_found("Model", f"{parent}/models/{model_id}")
    return found


def latest(record: ModelRecord) -> VersionRecord:
    return record.versions[max(record.versions, key=int)]


# --- a succeeded job's model version and endpoints ---------------------------------------------


def publish(
    store: Store,
    record: JobRecord,
    checkpoints: Sequence[Checkpoint],
    *,
    new_id: NewId,
    at: datetime,
) -> tuple[VersionRecord, list[Json]]:
    """Create the job's model version and deploy each checkpoint on an endpoint of its own."""
    job = record.job
    parent = record.name.split("/tuningJobs/")[0]
    display = str(
        job.get("tunedModelDisplayName") or f"{record.base_model}-tuned-{record.name[-6:]}"
    )
    existing = store.models.get(record.parent_model or "")
    if existing is not None:
        model = existing
        version_id = str(int(latest(model).version_id) + 1)
        for other in model.versions.values():
            other.model["versionAliases"] = [
                a for a in other.model.get("versionAliases", []) if a != "default"
            ]
        created = str(next(iter(model.versions.values())).model["createTime"])
    else:
        model = ModelRecord(f"{parent}/models/{new_id(f'{parent}/models/')}")
        store.models[model.name] = model
        version_id, created = "1", None
    version = VersionRecord(
        model=tuned.model_version(
            job,
            record.base_model,
            name=model.name,
            version_id=version_id,
            display_name=display,
            checkpoints=checkpoints,
            at=at,
            created=created,
        ),
        base_model=record.base_model,
        job=record.name,
        lessons=[*record.inherited, *(record.lessons or [])],
    )
    model.versions[version_id] = version
    labels = job.get("labels") or {}
    final = checkpoints[-1].checkpoint_id
    for checkpoint in checkpoints:
        if checkpoint.checkpoint_id == final and record.same_endpoint in store.endpoints:
            endpoint_name = str(record.same_endpoint)
            _clear(store, endpoint_name, at)
        else:
            endpoint_name = f"{parent}/endpoints/{new_id(f'{parent}/endpoints/')}"
            name = (
                display
                if checkpoint.checkpoint_id == final
                else f"{display}-checkpoint-{checkpoint.checkpoint_id}"
            )
            store.endpoints[endpoint_name] = tuned.endpoint(
                endpoint_name, name, labels=labels, at=at
            )
        deploy(
            store,
            endpoint_name,
            version,
            checkpoint.checkpoint_id,
            new_id("deployed/"),
            display,
            at,
        )
        version.checkpoints.append(
            {**checkpoint.api(), "share": checkpoint.share, "endpoint": endpoint_name}
        )
    return version, version.checkpoints


def deploy(
    store: Store,
    endpoint_name: str,
    version: VersionRecord,
    checkpoint_id: str,
    deployed_id: str,
    display: str,
    at: datetime,
) -> None:
    """Deploy a model version's checkpoint on an endpoint, with all of its traffic."""
    endpoint = store.endpoints[endpoint_name]
    model_name = str(version.model["name"])
    endpoint["deployedModels"].append(
        tuned.deployed(model_name, version.version_id, checkpoint_id, deployed_id, display, at)
    )
    endpoint["trafficSplit"] = {deployed_id: 100}
    endpoint["updateTime"] = timestamp(at)
    version.model["deployedModels"].append(
        {"endpoint": endpoint_name, "deployedModelId": deployed_id, "checkpointId": checkpoint_id}
    )


def _clear(store: Store, endpoint_name: str, at: datetime) -> None:
    """Undeploy everything on an endpoint (a rebase deployed to the same endpoint)."""
    for deployed in list(store.endpoints[endpoint_name]["deployedModels"]):
        undeploy(store, endpoint_name, str(deployed["id"]), at)


def tuned_model(version: VersionRecord, *, intermediate: bool) -> Json:
    """The job's `tunedModel`: the version, the default checkpoint's endpoint, the checkpoints
    (listed only when intermediate checkpoints were exported, as the API reference says)."""
    result: Json = {"model": f"{version.model['name']}@{version.version_id}"}
    default = version.default_checkpoint()
    if default is not None:
        result["endpoint"] = default["endpoint"]
    if intermediate:
        result["checkpoints"] = [
            {k: c[k] for k in ("checkpointId", "epoch", "step", "endpoint")}
            for c in version.checkpoints
        ]
    return result


# --- changes after tuning --------------------------------------------------------------------------


def update(
    store: Store,
    model: ModelRecord,
    version: VersionRecord,
    body: Mapping[str, Any],
    mask: Sequence[str] | None,
    at: datetime,
) -> list[str]:
    """models.patch: apply `mask` (or, without one, every field the body sets) to the model or
    the version; returns the names of the jobs whose tunedModel must follow."""
    fields = list(mask) if mask else [k for k in body if k != "name"]
    if not fields:
        raise invalid_argument("The update mask must name at least one field.", "update_mask")
    for field in fields:
        if field not in MODEL_LEVEL | VERSION_LEVEL:
            raise invalid_argument(
                f'Field "{snake(field)}" of a Model cannot be updated; updatable fields: '
                f"{', '.join(sorted(snake(f) for f in MODEL_LEVEL | VERSION_LEVEL))}.",
                "update_mask",
            )
    if "defaultCheckpointId" in fields:
        checkpoint_id = str(body.get("defaultCheckpointId", ""))
        if version.checkpoint(checkpoint_id) is None:
            known = ", ".join(c["checkpointId"] for c in version.checkpoints) or "none"
            raise invalid_argument(
                f'defaultCheckpointId "{checkpoint_id}" is not a checkpoint of '
                f"{version.model['name']}@{version.version_id} (its checkpoints: {known}).",
                "model.default_checkpoint_id",
            )
    now = timestamp(at)
    for field in fields:
        targets = model.versions.values() if field in MODEL_LEVEL else [version]
        for target in targets:
            if field in body:
                target.model[field] = body[field]
            else:
                target.model.pop(field, None)
            target.model["updateTime"] = now
        version.model["versionUpdateTime"] = now
    return [version.job] if "defaultCheckpointId" in fields else []


def undeploy(store: Store, endpoint_name: str, deployed_model_id: str, at: datetime) -> None:
    """Detach a deployed model from its endpoint and from the model version it serves."""
    endpoint = store.endpoints[endpoint_name]
    deployed = [d for d in endpoint["deployedModels"] if d["id"] == deployed_model_id]
    endpoint["deployedModels"] = [
        d for d in endpoint["deployedModels"] if d["id"] != deployed_model_id
    ]
    endpoint.get("trafficSplit", {}).pop(deployed_model_id, None)
    endpoint["updateTime"] = timestamp(at)
    for entry in deployed:
        record = store.models.get(str(entry["model"]))
        version = record.versions.get(str(entry.get("modelVersionId"))) if record else None
        if version is not None:
            version.model["deployedModels"] = [
                ref
                for ref in version.model["deployedModels"]
                if ref["deployedModelId"] != deployed_model_id
            ]
            version.model["updateTime"] = timestamp(at)


def check_undeployed(versions: Sequence[VersionRecord], what: str) -> None:
    """DeleteModel and deleteVersion are refused while anything is deployed, as on the service."""
    endpoints = sorted({ref["endpoint"] for v in versions for ref in v.model["deployedModels"]})
    if endpoints:
        raise failed_precondition(
            f"The {what} is deployed or being deployed at the following Endpoint(s): "
            f"{', '.join(endpoints)}. Undeploy it before deleting it."
        )


def carried_lessons(version: VersionRecord, checkpoint: Mapping[str, Any]) -> list[Lesson]:
    """What continuous tuning from `checkpoint` starts from: each lesson at the share that
    checkpoint had learned it."""
    share = float(checkpoint["share"])
    return [
        [lesson[0], lesson[1], lesson[2] if len(lesson) > 2 else share]
        for lesson in version.lessons
    ]
