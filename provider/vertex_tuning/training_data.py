"""TrainingDataset: a local JSONL file, validated on preview, uploaded under a name its content
decides.

The object is gs://<bucket>/<prefix>/<name>-<version>.jsonl (plus `-validation.jsonl` with a
split), where `version` is the file's SHA-256 (hashed together with the split when there is one).
Changed content is therefore a new object and a new URI: the TuningJob reading it is replaced and
trains a new model version, the new object is uploaded before the old one is deleted, and an
unchanged file (even moved elsewhere) changes nothing. check and diff stay free of Google imports.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from typing import IO, Annotated, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vertex_tuning import dataset
from vertex_tuning import settings as settings_mod
from vertex_tuning.spec import REPLACES
from vertex_tuning.stateless import StatelessProvider, is_unknown, say

#: Keys the split hashes examples with: the same file always splits the same way, anywhere.
SPLIT_KEY = "pulumi-vertex-tuning/validation-split"
#: Errors shown by a failed preview; `vertex-tuning validate FILE` prints all of them.
CHECK_FAILURES_SHOWN = 20
#: Issues the preview's validation keeps, so warnings (duplicates) rarely crowd errors out.
CHECK_ISSUES_KEPT = 200
#: Warnings kept in the `warnings` output (the stats count all of them).
WARNINGS_KEPT = 20
OUTPUT_KEYS = (
    "uri",
    "validation_uri",
    "examples",
    "training_examples",
    "validation_examples",
    "text_characters",
    "estimated_tokens",
    "duplicates",
    "warnings",
    "stats",
)

# Cloud Storage bucket names: 3-222 characters, lowercase letters, digits, '-', '_', '.'.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


class TrainingDatasetInputs(BaseModel):
    """Every input of a TrainingDataset after `check`; `content_hash` is computed by check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- which objects hold the data: a change means new objects (and a new tuning job) ---
    bucket: Annotated[str, Field(json_schema_extra=REPLACES)]
    prefix: Annotated[str, Field(json_schema_extra=REPLACES)] = ""
    name: Annotated[str, Field(min_length=1, json_schema_extra=REPLACES)]
    validation_fraction: Annotated[
        float | None, Field(gt=0, le=0.5, json_schema_extra=REPLACES)
    ] = None
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", json_schema_extra=REPLACES)]

    # --- where to read and how to behave: no new objects ---
    source: str = Field(min_length=1)
    retain_on_delete: bool = False
    project: str | None = None

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value.startswith("gs://"):
            raise ValueError(f"{value!r} must be a bucket name, without gs:// or a path")
        if not _BUCKET_RE.match(value):
            raise ValueError(
                f"{value!r} is not a Cloud Storage bucket name (3-222 lowercase letters, digits, "
                "'-', '_' or '.', starting and ending with a letter or digit)"
            )
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return value.strip("/")

    @property
    def version(self) -> str:
        """The part of the object name that changes whenever the uploaded bytes would."""
        if self.validation_fraction is None:
            return self.content_hash[:16]
        split = f"{self.content_hash}:validation_fraction={self.validation_fraction!r}"
        return hashlib.sha256(split.encode()).hexdigest()[:16]

    @property
    def uri(self) -> str:
        """The training object: gs://bucket/prefix/name-version.jsonl."""
        return f"gs://{self.bucket}/{self._stem}.jsonl"

    @property
    def validation_uri(self) -> str | None:
        """The held-out object, when there is a split."""
        if self.validation_fraction is None:
            return None
        return f"gs://{self.bucket}/{self._stem}-validation.jsonl"

    @property
    def _stem(self) -> str:
        return "/".join(p for p in (self.prefix, f"{self.name}-{self.version}") if p)


#: Inputs whose change means new objects; the rest update in place with no storage call.
REPLACE_ON_CHANGE = frozenset(
    name
    for name, info in TrainingDatasetInputs.model_fields.items()
    if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("replaces")
)
# Where the file lives does not matter, only what it holds: moving it changes nothing.
_IGNORED_IN_DIFF = frozenset({"source"})

# Stand-ins for inputs not known during a preview (another resource's output).
_PLACEHOLDERS = {"bucket": "unknown-bucket", "name": "unknown", "source": "unknown.jsonl"}


class SourceChanged(Exception):
    """The local file changed between check and create; uploading it would break the name."""


class TrainingDatasetProvider(StatelessProvider):
    """Validates the local file, uploads it (split if asked) and deletes it unless retained."""

    # --- check ---
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        raw = {
            k: v
            for k, v in news.items()
            if not k.startswith("__") and k not in OUTPUT_KEYS and v is not None
        }
        unknown = {k for k, v in raw.items() if is_unknown(v)}
        raw.update({k: _PLACEHOLDERS[k] for k in unknown if k in _PLACEHOLDERS})
        if raw.get("project") in (None, ""):
            raw["project"] = settings_mod.default_project(self.config_get)
        failures: list[CheckFailure] = []
        source = raw.get("source")
        # Until the file is read (or when it cannot be), a stand-in hash lets the rest be checked.
        raw["content_hash"] = "0" * 64
        if "source" not in unknown and isinstance(source, str):
            try:
                report, raw["content_hash"] = _scan(source, max_issues=CHECK_ISSUES_KEPT)
            except OSError as exc:
                failures.append(CheckFailure("source", f"reading {source}: {exc.strerror or exc}"))
            else:
                failures += _data_failures(source, report, raw.get("validation_fraction"))
        try:
            inputs = TrainingDatasetInputs.model_validate(raw)
        except ValidationError as exc:
            failures += [_failure(e) for e in exc.errors()]
            return CheckResult(news, [f for f in failures if f.property not in unknown])
        if failures:
            return CheckResult(news, failures)
        checked = inputs.model_dump(mode="json", exclude_none=True)
        if "source" in unknown:
            checked["content_hash"] = news["source"]  # unknown until the source is known
        return CheckResult(
            {k: v for k, v in checked.items() if k not in unknown} | {k: news[k] for k in unknown},
            [],
        )

    # --- diff ---
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = (set(TrainingDatasetInputs.model_fields) - _IGNORED_IN_DIFF) | {"__provider"}
        changed = sorted(k for k in keys if _differs(olds.get(k), news.get(k)))
        replaces = [k for k in changed if k in REPLACE_ON_CHANGE]
        # Upload the new object before deleting the old one: the TuningJob being replaced
        # still names the old URI until its replacement exists.
        return DiffResult(
            changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False
        )

    # --- create ---
    def create(self, props: dict[str, Any]) -> CreateResult:
        from vertex_tuning import gcs

        inputs = _inputs(props)
        report, content_hash = _scan(inputs.source, max_issues=WARNINGS_KEPT)
        if content_hash != inputs.content_hash:
            raise SourceChanged(
                f"uploading training data ({inputs.source}): the file changed after it was "
                "checked; run the update again"
            )
        storage = gcs.client(settings_mod.resolve(self.config_get), inputs.project)
        held_out = 0
        if inputs.validation_uri is None:
            gcs.upload(storage, inputs.uri, filename=inputs.source)
        else:
            with open(inputs.source, "rb") as handle:
                train, validation = dataset.split_examples(
                    handle, inputs.validation_fraction or 0.0, seed_key=SPLIT_KEY
                )
            held_out = len(validation)
            gcs.upload(storage, inputs.uri, text="\n".join(train) + "\n")
            gcs.upload(storage, inputs.validation_uri, text="\n".join(validation) + "\n")
        outputs = _outputs(inputs, report, held_out)
        say(_summary(outputs))
        return CreateResult(inputs.uri, _clean({**props, **outputs}))

    # --- read ---
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from vertex_tuning import gcs

        storage = gcs.client(settings_mod.resolve(self.config_get), props.get("project"))
        uris = [id_, props.get("validation_uri")]
        if not all(gcs.exists(storage, uri) for uri in uris if uri):
            return ReadResult("", {})  # gone (even in part): an empty id drops it from state
        return ReadResult(id_, props)

    # --- update ---
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only behaviour changed: no storage call, and every output carries over.
        return UpdateResult(_clean({**olds, **news}))

    # --- delete ---
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from vertex_tuning import gcs

        uris = [uri for uri in (id_, props.get("validation_uri")) if uri]
        if props.get("retain_on_delete"):
            say(f"training dataset: keeping {', '.join(uris)} (retain_on_delete)")
            return
        storage = gcs.client(settings_mod.resolve(self.config_get), props.get("project"))
        for uri in uris:
            if gcs.delete(storage, uri):
                say(f"training dataset: deleted {uri}")


def _hashed(handle: IO[bytes], digest: Any) -> Iterator[bytes]:
    for line in handle:
        digest.update(line)
        yield line


def _scan(path: str, *, max_issues: int) -> tuple[dataset.DatasetReport, str]:
    """One pass over the file: the validator's report and the SHA-256 of its bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        report = dataset.validate_lines(
            _hashed(handle, digest), source=path, purpose="training", max_issues=max_issues
        )
    return report, digest.hexdigest()


def _data_failures(path: str, report: dataset.DatasetReport, fraction: Any) -> list[CheckFailure]:
    """One failure per validator error (capped), then the split's own rules."""
    shown = report.errors[:CHECK_FAILURES_SHOWN]
    # Pulumi prefixes each with "property source value {path} has a problem: ".
    failures = [CheckFailure("source", str(issue)) for issue in shown]
    if report.error_count > len(shown):
        more = report.error_count - len(shown)
        failures.append(
            CheckFailure(
                "source",
                f"... and {more:,} more errors (`vertex-tuning validate {path}` lists them all)",
            )
        )
    if failures or not isinstance(fraction, int | float) or not 0 < fraction <= 0.5:
        return failures  # a bad fraction is the model's rule to report
    held_out = round(report.stats.examples * fraction)
    if held_out == 0:
        failures.append(
            CheckFailure(
                "validation_fraction",
                f"{fraction} of {report.stats.examples} examples holds out none; raise it or "
                "add examples",
            )
        )
    elif held_out > dataset.MAX_VALIDATION_EXAMPLES:
        failures.append(
            CheckFailure(
                "validation_fraction",
                f"{fraction} of {report.stats.examples:,} examples holds out {held_out:,}, over "
                f"the maximum of {dataset.MAX_VALIDATION_EXAMPLES:,} for a validation dataset",
            )
        )
    return failures


def _failure(err: Any) -> CheckFailure:
    loc = [str(p) for p in err.get("loc", ())]
    prop = loc[0] if loc else "source"
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    if err.get("type") == "missing":
        return CheckFailure(prop, "is required")
    if err.get("type") == "extra_forbidden":
        known = ", ".join(sorted(TrainingDatasetInputs.model_fields.keys() - {"content_hash"}))
        return CheckFailure(prop, f"is not a TrainingDataset input (known: {known})")
    return CheckFailure(prop, message)


def _inputs(props: dict[str, Any]) -> TrainingDatasetInputs:
    fields = TrainingDatasetInputs.model_fields
    return TrainingDatasetInputs.model_validate({k: v for k, v in props.items() if k in fields})


def _outputs(
    inputs: TrainingDatasetInputs, report: dataset.DatasetReport, held_out: int
) -> dict[str, Any]:
    stats = report.to_json()["stats"]
    warnings = [str(issue) for issue in report.warnings]
    if report.warning_count > len(warnings):
        warnings.append(f"... and {report.warning_count - len(warnings):,} more warnings")
    return {
        "uri": inputs.uri,
        # "", not None: a None output is unknown at every preview, and the TuningJob reading it
        # would be planned for replacement each time.
        "validation_uri": inputs.validation_uri or "",
        "examples": report.stats.examples,
        "training_examples": report.stats.examples - held_out,
        "validation_examples": held_out,
        "text_characters": report.stats.text_characters,
        "estimated_tokens": report.stats.estimated_tokens,
        "duplicates": report.stats.duplicates,
        "warnings": warnings,
        "stats": stats,
    }


def _summary(outputs: dict[str, Any]) -> str:
    where = outputs["uri"]
    if outputs["validation_uri"]:
        where += f" ({outputs['training_examples']:,} examples) and {outputs['validation_uri']}"
        where += f" ({outputs['validation_examples']:,} held out)"
    lines = [
        f"training dataset: uploaded {where}: {outputs['examples']:,} examples, "
        f"~{outputs['estimated_tokens']:,} tokens"
    ]
    lines += [f"  warning: {w}" for w in outputs["warnings"]]
    return "\n".join(lines)


def _differs(old: Any, new: Any) -> bool:
    if is_unknown(new):
        return True
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) != float(new)
    return (old in (None, "") and new in (None, "")) is False and old != new


def _absolute(path: object) -> str:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"source: {path!r} must be a path to a local JSONL file")
    return os.path.abspath(os.fsdecode(path))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class TrainingDataset(Resource, module="vertex-tuning", name="TrainingDataset"):
    """A local Gemini tuning JSONL file, validated at preview and uploaded to Cloud Storage.

    Invalid data fails `pulumi preview` with each error's line and field. The object name carries
    a hash of the content, so `uri` changes exactly when the data does: pass it to a TuningJob and
    changed data trains a new model version. `validation_fraction` (0 < f <= 0.5; 0.1-0.2 is
    usual) holds out a deterministic share as `validation_uri` ("" without a split, which
    TuningJob's validation_dataset_uri reads as none). Destroy deletes the objects
    unless `retain_on_delete`; buckets are never created or deleted.
    """

    uri: pulumi.Output[str]
    validation_uri: pulumi.Output[str]
    content_hash: pulumi.Output[str]
    examples: pulumi.Output[int]
    training_examples: pulumi.Output[int]
    validation_examples: pulumi.Output[int]
    text_characters: pulumi.Output[int]
    estimated_tokens: pulumi.Output[int]
    duplicates: pulumi.Output[int]
    warnings: pulumi.Output[list[str]]
    stats: pulumi.Output[dict[str, Any]]
    bucket: pulumi.Output[str]
    prefix: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        source: pulumi.Input[str | os.PathLike[str]],
        bucket: pulumi.Input[str],
        prefix: pulumi.Input[str] | None = None,
        validation_fraction: pulumi.Input[float] | None = None,
        retain_on_delete: pulumi.Input[bool] | None = None,
        project: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings_mod.refuse_plaintext_token()
        # The provider process does not share the program's working directory (inline programs
        # run it in a temp dir), so a relative path is resolved here.
        path = pulumi.Output.from_input(source).apply(_absolute)
        props: dict[str, Any] = {
            "source": path,
            "bucket": bucket,
            # Per-stack by default, so dev and prod sharing a bucket never share (or delete)
            # each other's objects.
            "prefix": f"{pulumi.get_project()}/{pulumi.get_stack()}" if prefix is None else prefix,
            "name": resource_name,
            "validation_fraction": validation_fraction,
            "retain_on_delete": retain_on_delete,
            "project": project,
            "content_hash": None,
            **dict.fromkeys(OUTPUT_KEYS),
        }
        super().__init__(TrainingDatasetProvider(), resource_name, props, opts)
