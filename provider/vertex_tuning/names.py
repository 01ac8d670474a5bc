"""Vertex AI resource names, parsed and built in one place; nobody else splits on "/".

`projects/P/locations/L/tuningJobs/ID`, `.../models/ID[@VERSION]`, `.../endpoints/ID`,
`.../datasets/ID`, their long-running operations, and publisher models
(`[projects/P/locations/L/]publishers/google/models/M`). The service answers with project
*numbers* where a caller may have named the project by ID, so comparisons go through `same()`.
Pure string functions (no Google import): they run on the preview path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TUNING_JOBS = "tuningJobs"
MODELS = "models"
ENDPOINTS = "endpoints"
DATASETS = "datasets"
COLLECTIONS = (TUNING_JOBS, MODELS, ENDPOINTS, DATASETS)
PUBLISHER_PREFIX = "publishers/google/models/"

_SEGMENT = r"[^/\s@:]+"
_RESOURCE = re.compile(
    rf"projects/(?P<project>{_SEGMENT})/locations/(?P<location>{_SEGMENT})"
    rf"/(?P<collection>{'|'.join(COLLECTIONS)})/(?P<id>{_SEGMENT})(?:@(?P<version>{_SEGMENT}))?"
)
_PUBLISHER = re.compile(
    rf"(?:projects/(?P<project>{_SEGMENT})/locations/(?P<location>{_SEGMENT})/)?"
    rf"publishers/(?P<publisher>{_SEGMENT})/models/(?P<model>{_SEGMENT})"
)


@dataclass(frozen=True)
class Name:
    """One resource name: `projects/P/locations/L/COLLECTION/ID[@VERSION]`."""

    project: str
    location: str
    collection: str
    id: str
    version: str = ""

    def __str__(self) -> str:
        at = f"@{self.version}" if self.version else ""
        return f"{self.parent}/{self.collection}/{self.id}{at}"

    @property
    def parent(self) -> str:
        return parent(self.project, self.location)

    @property
    def unversioned(self) -> str:
        """The name without `@VERSION`: what Get/Delete of a model take for every version."""
        return f"{self.parent}/{self.collection}/{self.id}"


def parse(name: str, collection: str | None = None) -> Name | None:
    """The parts of a resource name (of `collection`, when given), or None if it is not one."""
    match = _RESOURCE.fullmatch(name)
    if match is None or (collection is not None and match["collection"] != collection):
        return None
    if match["version"] and match["collection"] != MODELS:
        return None
    return Name(
        match["project"],
        match["location"],
        match["collection"],
        match["id"],
        match["version"] or "",
    )


def parent(project: str, location: str) -> str:
    """`projects/P/locations/L`: where jobs are created and listed."""
    return f"projects/{project}/locations/{location}"


def tuning_job(project: str, location: str, job_id: str) -> str:
    return f"{parent(project, location)}/{TUNING_JOBS}/{job_id}"


def endpoint(project: str, location: str, endpoint_id: str) -> str:
    return f"{parent(project, location)}/{ENDPOINTS}/{endpoint_id}"


def location_of(name: str) -> str:
    """The location of any `projects/P/locations/L/...` name, or ""."""
    match = re.match(rf"projects/{_SEGMENT}/locations/(?P<location>{_SEGMENT})(?:/|$)", name)
    return match["location"] if match else ""


def project_of(name: str) -> str:
    """The project (ID or number) of any `projects/P/...` name, or ""."""
    match = re.match(rf"projects/(?P<project>{_SEGMENT})(?:/|$)", name)
    return match["project"] if match else ""


def last(name: str) -> str:
    """The last segment: the ID of a job, an endpoint or a model (with its version)."""
    return name.rsplit("/", 1)[-1]


def same(a: str, b: str) -> bool:
    """Whether two names point at one resource, whatever project spelling each uses.

    The service answers with the project number; a caller (or state) may hold the ID. The
    location, collection, ID and version must match exactly.
    """
    if a == b:
        return True
    left, right = parse(a), parse(b)
    if left is None or right is None:
        return False
    return (left.location, left.collection, left.id, left.version) == (
        right.location,
        right.collection,
        right.id,
        right.version,
    )


@dataclass(frozen=True)
class PublisherModel:
    """`publishers/google/models/M`, optionally under a project and location."""

    model: str
    publisher: str = "google"
    project: str = ""
    location: str = ""


def parse_publisher_model(name: str) -> PublisherModel | None:
    match = _PUBLISHER.fullmatch(name)
    if match is None:
        return None
    return PublisherModel(
        match["model"], match["publisher"], match["project"] or "", match["location"] or ""
    )


def publisher_model(project: str, location: str, model: str) -> str:
    """The full name generateContent takes for a base Gemini model."""
    return f"{parent(project, location)}/{PUBLISHER_PREFIX}{model}"


def strip_publisher(model: str) -> str:
    """`publishers/google/models/gemini-2.5-flash` -> `gemini-2.5-flash` (anything else as is)."""
    found = parse_publisher_model(model)
    return found.model if found is not None and found.publisher == "google" else model


def console_url(job_name: str) -> str:
    """The Cloud console page of a tuning job, for progress lines and errors."""
    found = parse(job_name, TUNING_JOBS)
    if found is None:
        return job_name
    return (
        "https://console.cloud.google.com/vertex-ai/generative/language/locations/"
        f"{found.location}/tuning/tuningJob/{found.id}?project={found.project}"
    )
