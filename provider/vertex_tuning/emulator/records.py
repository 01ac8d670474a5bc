"""What the emulator stores: API JSON resources with what the service keeps beside them, and the
whole state as one JSON document (the state file).

Resources are canonical API JSON (camelCase, int64 as strings, enums by name) holding the fields
of every API version; handlers render them per version (schema.render).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Written into the state file and checked when it is loaded.
STATE_VERSION = 2
Json = dict[str, Any]
#: `[prompt, answer]`, or `[prompt, answer, share]` when carried over at a checkpoint's share.
Lesson = list[Any]


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


def timestamp(at: datetime) -> str:
    """RFC 3339 in UTC as proto JSON writes it: 0, 3 or 6 fractional digits and a Z."""
    at = at.astimezone(UTC)
    text = at.strftime("%Y-%m-%dT%H:%M:%S")
    if at.microsecond:
        fraction = f"{at.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class JobRecord:
    """A TuningJob plus what the service keeps beside it."""

    job: Json
    project_id: str  # as the caller named the project, for Cloud Storage reads
    seq: int  # creation order: newest first, and the page cursor
    base_model: str
    method: str  # catalog.SUPERVISED or catalog.PREFERENCE
    cancel_requested: str | None = None
    #: Continuous tuning: the model (unversioned) that gets the new version, when it does.
    parent_model: str | None = None
    inherited: list[Lesson] = field(default_factory=list)  # from the pre-tuned checkpoint
    lessons: list[Lesson] | None = None  # learned from the training data, once read
    validation: list[Lesson] | None = None  # the validation data, for evaluation
    examples: int = 0  # training examples, for the checkpoint schedule
    stats: Json | None = None  # tuningDataStats once the data was read
    #: Rebase: the endpoint to deploy the new model to, undeploying what was there.
    same_endpoint: str | None = None

    @property
    def name(self) -> str:
        return str(self.job["name"])

    def dump(self) -> Json:
        return asdict(self)

    @classmethod
    def load(cls, data: Json) -> JobRecord:
        return cls(**data)


@dataclass
class VersionRecord:
    """One version of a tuned Model: its API JSON, its checkpoints and what it has learned."""

    model: Json  # Model JSON of this version (`name` without @version)
    base_model: str
    job: str  # the tuning job that made it
    lessons: list[Lesson] = field(default_factory=list)
    #: [{checkpointId, epoch, step, share, endpoint}]; the last is the final checkpoint.
    checkpoints: list[Json] = field(default_factory=list)

    @property
    def version_id(self) -> str:
        return str(self.model["versionId"])

    def checkpoint(self, checkpoint_id: str) -> Json | None:
        return next((c for c in self.checkpoints if c["checkpointId"] == checkpoint_id), None)

    def default_checkpoint(self) -> Json | None:
        return self.checkpoint(str(self.model.get("defaultCheckpointId", "")))


@dataclass
class ModelRecord:
    """A registry Model: its versions by version id ("1", "2", ...)."""

    name: str
    versions: dict[str, VersionRecord] = field(default_factory=dict)

    def dump(self) -> Json:
        return {"name": self.name, "versions": [asdict(v) for v in self.versions.values()]}

    @classmethod
    def load(cls, data: Json) -> ModelRecord:
        versions = [VersionRecord(**v) for v in data["versions"]]
        return cls(data["name"], {v.version_id: v for v in versions})


@dataclass
class Store:
    """Every resource of every project, keyed by resource name (with project numbers)."""

    jobs: dict[str, JobRecord] = field(default_factory=dict)
    models: dict[str, ModelRecord] = field(default_factory=dict)
    endpoints: dict[str, Json] = field(default_factory=dict)
    #: Operation records: {name, metadataType, metadata, responseType, response, pollsLeft}.
    operations: dict[str, Json] = field(default_factory=dict)
    #: Vertex dataset resource names the control API registered, -> the gs:// JSONL they hold.
    datasets: dict[str, str] = field(default_factory=dict)
    seq: int = 0  # the last job's creation number

    def save(self, path: Path) -> None:
        """Write the whole state atomically."""
        state = {
            "version": STATE_VERSION,
            "seq": self.seq,
            "jobs": [r.dump() for r in self.jobs.values()],
            "models": [r.dump() for r in self.models.values()],
            "endpoints": list(self.endpoints.values()),
            "operations": list(self.operations.values()),
            "datasets": self.datasets,
        }
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(state, indent=1))
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> Store:
        state = json.loads(path.read_text())
        version = state.get("version") if isinstance(state, dict) else None
        if version != STATE_VERSION:
            raise ValueError(
                f"state file {path} has state version {version}, this emulator writes "
                f"{STATE_VERSION}: remove the file or start without --state-file"
            )
        jobs = [JobRecord.load(data) for data in state["jobs"]]
        models = [ModelRecord.load(data) for data in state["models"]]
        return cls(
            jobs={r.name: r for r in jobs},
            models={m.name: m for m in models},
            endpoints={e["name"]: e for e in state["endpoints"]},
            operations={o["name"]: o for o in state["operations"]},
            datasets=dict(state.get("datasets", {})),
            seq=state["seq"],
        )
