"""What the emulator stores: jobs and models with what the service keeps beside them, and the
whole state as one JSON document (the state file)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from google.cloud.aiplatform_v1 import types

from vertex_tuning.emulator.codec import from_dict, to_dict

STATE_VERSION = 1


def project_number(project: str) -> str:
    """A stable 12-digit project number: as the service answers with numbers, not ids."""
    if project.isdigit():
        return project
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


def normalize(name: str) -> str:
    """A resource name with the project number in place of a project id."""
    parts = name.split("/")
    if len(parts) > 1 and parts[0] == "projects":
        parts[1] = project_number(parts[1])
    return "/".join(parts)


def copy(message: Any) -> Any:
    """A detached copy of a proto-plus message, so callers never mutate stored state."""
    return type(message).deserialize(type(message).serialize(message))


@dataclass
class JobRecord:
    """A TuningJob plus what the service keeps beside it."""

    job: Any  # types.TuningJob
    project_id: str  # as the caller named the project, for Cloud Storage reads
    seq: int  # creation order: newest first, and the page cursor
    base_model: str
    cancel_requested: datetime | None = None
    pairs: list[list[str]] | None = None  # (prompt, answer) from the training data
    stats: Any = None  # types.SupervisedTuningDataStats once the data was read

    def dump(self) -> dict[str, Any]:
        return {
            "job": to_dict(self.job),
            "projectId": self.project_id,
            "seq": self.seq,
            "baseModel": self.base_model,
            "cancelRequested": self.cancel_requested.isoformat() if self.cancel_requested else None,
            "pairs": self.pairs,
            "stats": to_dict(self.stats) if self.stats is not None else None,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> JobRecord:
        cancel = data.get("cancelRequested")
        stats = data.get("stats")
        return cls(
            job=from_dict(types.TuningJob, data["job"]),
            project_id=data["projectId"],
            seq=data["seq"],
            base_model=data["baseModel"],
            cancel_requested=datetime.fromisoformat(cancel) if cancel else None,
            pairs=data.get("pairs"),
            stats=from_dict(types.SupervisedTuningDataStats, stats) if stats else None,
        )


@dataclass
class ModelRecord:
    """A tuned Model plus the training pairs its endpoint answers from."""

    model: Any  # types.Model
    base_model: str
    pairs: list[list[str]] = field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return {"model": to_dict(self.model), "baseModel": self.base_model, "pairs": self.pairs}

    @classmethod
    def load(cls, data: dict[str, Any]) -> ModelRecord:
        return cls(from_dict(types.Model, data["model"]), data["baseModel"], data["pairs"])


@dataclass
class Store:
    """Every resource of every project, keyed by resource name (with project numbers)."""

    jobs: dict[str, JobRecord] = field(default_factory=dict)
    models: dict[str, ModelRecord] = field(default_factory=dict)
    endpoints: dict[str, Any] = field(default_factory=dict)  # types.Endpoint
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)  # API JSON
    seq: int = 0  # the last job's creation number

    def save(self, path: Path) -> None:
        """Write the whole state atomically."""
        state = {
            "version": STATE_VERSION,
            "seq": self.seq,
            "jobs": [r.dump() for r in self.jobs.values()],
            "models": [r.dump() for r in self.models.values()],
            "endpoints": [to_dict(e) for e in self.endpoints.values()],
            "operations": self.operations,
        }
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(state, indent=1))
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> Store:
        state = json.loads(path.read_text())
        jobs = [JobRecord.load(data) for data in state["jobs"]]
        models = [ModelRecord.load(data) for data in state["models"]]
        endpoints = [from_dict(types.Endpoint, data) for data in state["endpoints"]]
        return cls(
            jobs={r.job.name: r for r in jobs},
            models={r.model.name: r for r in models},
            endpoints={e.name: e for e in endpoints},
            operations=dict(state["operations"]),
            seq=state["seq"],
        )
