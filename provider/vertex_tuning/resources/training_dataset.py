"""TrainingDataset: a local JSONL file, validated on preview, uploaded under a name its content
decides.

The object is gs://<bucket>/<prefix>/<name>-<version>.jsonl (plus `-validation.jsonl` with a
split), where `version` is the file's SHA-256 (hashed together with the split when there is one).
Changed content is therefore a new object and a new URI: the TuningJob reading it is replaced and
trains a new model version, the new object is uploaded before the old one is deleted, and an
unchanged file (even moved elsewhere) changes nothing. check and diff stay free of Google imports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from vertex_tuning import catalog, dataset
from vertex_tuning import settings as settings_mod
from vertex_tuning.errors import ExpectedFailure
from vertex_tuning.resources.base import (
    Draft,
    DynamicResource,
    Failure,
    Outputs,
    TypedProvider,
    resource_props,
    say,
    without_none,
)

if TYPE_CHECKING:
    from vertex_tuning.resources.training_dataset_inputs import TrainingDatasetInputs

#: Keys the split hashes examples with: the same file always splits the same way, anywhere.
SPLIT_KEY = "pulumi-vertex-tuning/validation-split"
#: Errors shown by a failed preview; `vertex-tuning validate FILE` prints all of them.
CHECK_FAILURES_SHOWN = 20
#: Issues the preview's validation keeps, so warnings (duplicates) rarely crowd errors out.
CHECK_ISSUES_KEPT = 200
#: Warnings kept in the `warnings` output (the stats count all of them).
WARNINGS_KEPT = 20
_NO_HASH_YET = "0" * 64


@dataclass(frozen=True)
class TrainingDatasetOutputs(Outputs):
    """The uploaded objects and what the validator counted."""

    uri: str = ""
    # "", not None: a None output is unknown at every preview, and the TuningJob reading it
    # would be planned for replacement each time.
    validation_uri: str = ""
    examples: int = 0
    training_examples: int = 0
    validation_examples: int = 0
    text_characters: int = 0
    estimated_tokens: int = 0
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    #: Each uploaded object's MD5 (base64, as Cloud Storage reports it): refresh compares.
    checksums: dict[str, str] = field(default_factory=dict)
    #: What refresh found deleted or overwritten outside Pulumi ("" when nothing).
    drift: str = ""


class SourceChanged(ExpectedFailure):
    """The local file changed between check and create; uploading it would break the name."""


class TrainingDatasetProvider(TypedProvider["TrainingDatasetInputs"]):
    """Validates the local file, uploads it (split if asked) and deletes it unless retained."""

    inputs_model = "vertex_tuning.resources.training_dataset_inputs:TrainingDatasetInputs"
    outputs = TrainingDatasetOutputs
    kind = "TrainingDataset"
    stamped = False  # check reads the file, which can change under the same inputs

    def defaults(self) -> dict[str, Any]:
        return {"project": settings_mod.defaults(self.config_get)["project"]}

    def prepare(self, draft: Draft) -> None:
        values = draft.values
        # Until the file is read (or when it cannot be), a stand-in hash lets the rest be checked.
        values["content_hash"] = _NO_HASH_YET
        source = values.get("source")
        if "source" in draft.unknown or not isinstance(source, str):
            return
        rules = _Rules.of(values)
        try:
            report, values["content_hash"] = _scan(source, rules, max_issues=CHECK_ISSUES_KEPT)
        except OSError as exc:
            draft.failures.append(Failure("source", f"reading {source}: {exc.strerror or exc}"))
        else:
            fraction = values.get("validation_fraction")
            draft.failures += _data_failures(source, report, fraction, rules)

    def _estimate(
        self, source: str, values: Mapping[str, Any], failures: list[Failure]
    ) -> dict[str, Any]:
        """The cost estimate of valid data, said on the row: counted (or cached) training
        examples' tokens, the epochs and the price. Nothing here calls a tuning API."""
        from vertex_tuning import cost, counting, prices

        model = str(values.get("base_model") or "")  # unset: the default model, unpriced
        try:
            negotiated = prices.overrides(self.config_get(prices.PRICES_KEY))
        except prices.PricesInvalid as exc:
            failures.append(Failure("base_model", str(exc)))
            return {}
        fraction = values.get("validation_fraction")
        split = float(fraction) if isinstance(fraction, int | float) else None

        def lines() -> Any:
            if split is None:
                return counting.file_lines(source)()
            with open(source, "rb") as handle:
                return dataset.split_examples(handle, split, seed_key=SPLIT_KEY)[0]

        method: catalog.Method = (
            "preference" if values.get("method") == "preference" else "supervised"
        )
        service, why = _service(self.config_get, values.get("project"))
        counted = counting.count(
            lines,
            key=counting.key_for(str(values["content_hash"]), split),
            method=method,
            model=model or COUNTING_MODEL,
            service=service,
            why=why,
        )
        epochs = values.get("epoch_count")
        found = cost.estimate(
            counted,
            model=model or COUNTING_MODEL,
            epochs=int(epochs) if epochs else None,
            negotiated=negotiated,
        )
        if not model:
            found = dataclasses.replace(found, price=None, model="")
        say(f"training dataset {values.get('name')}: {found.line()}")
        return {
            "token_count": counted.to_json(),
            "estimated_billable_tokens": found.billable_tokens,
            "estimated_cost_usd": found.cost_usd,
        }

    def check_inputs(
        self,
        olds: Mapping[str, Any],
        raw: Mapping[str, Any],
        defaults: Mapping[str, Any],
        unknown: frozenset[str] = frozenset(),
    ) -> tuple[dict[str, Any], list[Failure]]:
        checked, failures = super().check_inputs(olds, raw, defaults, unknown)
        if not failures and "source" in unknown:
            checked["content_hash"] = raw["source"]  # unknown until the source is known
        elif not failures:
            # Only data that passes every rule is counted: a failing preview calls nothing.
            checked.update(self._estimate(str(checked["source"]), checked, failures))
        return checked, failures

    # --- create ---
    def create(self, props: dict[str, Any]) -> CreateResult:

        inputs = self.parsed(props)
        rules = _Rules(inputs.method, catalog.limits(inputs.base_model or ""))
        report, content_hash = _scan(inputs.source, rules, max_issues=WARNINGS_KEPT)
        if content_hash != inputs.content_hash:
            raise SourceChanged(
                f"uploading training data ({inputs.source}): the file changed after it was "
                "checked; run the update again"
            )
        held_out, checksums = self._upload(inputs)
        self._remember_count(inputs, checksums)
        outputs = _outputs(inputs, report, held_out, checksums)
        say(_summary(outputs))
        return CreateResult(inputs.uri, without_none({**props, **outputs.to_dict()}))

    # --- read ---
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The objects as the service would read them: one deleted or overwritten outside
        Pulumi shows as `drift` (a diff on the next preview), and `up` uploads it again."""
        from vertex_tuning import gcs

        storage = gcs.client(settings_mod.resolve(self.config_get), props.get("project"))
        expected: dict[str, str] = dict(props.get("checksums") or {})
        drift = []
        for uri in (u for u in (id_, props.get("validation_uri")) if u):
            found = gcs.checksum(storage, uri)
            if found is None:
                drift.append(f"{uri} is gone")
            elif uri in expected and found != expected[uri]:
                drift.append(f"{uri} was overwritten")
        if drift:
            say(f"training dataset: {'; '.join(drift)} (outside Pulumi); `pulumi up` uploads it")
        return ReadResult(id_, {**props, "drift": "; ".join(drift)})

    # --- diff ---
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As every resource diffs, and an update when refresh found the objects changed."""
        planned = super().diff(id_, olds, news)
        if planned.replaces or not olds.get("drift"):
            return planned
        say(f"training dataset: {olds['drift']}; `pulumi up` will upload it again")
        return DiffResult(changes=True, replaces=[], stables=[])

    def changes_in_place(
        self, _id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> frozenset[str]:
        """Uploading again keeps every name: only the checksums (and the drift) change."""
        return frozenset({"checksums", "drift"}) if olds.get("drift") else frozenset()

    # --- update ---
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Behaviour only (no call), unless refresh found the objects gone or changed."""
        if not olds.get("drift"):
            return super().update(id_, olds, news)
        inputs = self.parsed(news)
        _, content_hash = _scan(inputs.source, max_issues=0)
        if content_hash != inputs.content_hash:
            raise SourceChanged(
                f"uploading training data ({inputs.source}): the file changed after it was "
                "checked; run the update again"
            )
        _, checksums = self._upload(inputs)
        say(f"training dataset: uploaded {inputs.uri} again")
        return UpdateResult(without_none({**olds, **news, "checksums": checksums, "drift": ""}))

    def _remember_count(self, inputs: TrainingDatasetInputs, checksums: Mapping[str, str]) -> None:
        """The uploaded object's count, by URI: a TuningJob previewed on it finds it there."""
        from vertex_tuning import counting

        counted = counting.TokenCount.from_json(inputs.token_count)
        service, _ = _service(self.config_get, inputs.project)
        if counted is not None and service is not None:
            md5 = checksums.get(inputs.uri, "")
            counting.Cache().put_uri(inputs.uri, md5, counted, service.endpoint)

    def _upload(self, inputs: TrainingDatasetInputs) -> tuple[int, dict[str, str]]:
        """Upload the file (split when asked): (examples held out, each object's MD5)."""
        from vertex_tuning import gcs

        storage = gcs.client(settings_mod.resolve(self.config_get), inputs.project)
        if inputs.validation_uri is None:
            gcs.upload(storage, inputs.uri, filename=inputs.source)
            held_out = 0
        else:
            with open(inputs.source, "rb") as handle:
                train, validation = dataset.split_examples(
                    handle, inputs.validation_fraction or 0.0, seed_key=SPLIT_KEY
                )
            held_out = len(validation)
            gcs.upload(storage, inputs.uri, text="\n".join(train) + "\n")
            gcs.upload(storage, inputs.validation_uri, text="\n".join(validation) + "\n")
        uris = [u for u in (inputs.uri, inputs.validation_uri) if u]
        return held_out, {uri: gcs.checksum(storage, uri) or "" for uri in uris}

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


#: The model tokens are counted for when base_model is unset (the 2.x models share one
#: tokenizer, per google-genai's local tokenizer table); such an estimate has no price.
COUNTING_MODEL = "gemini-2.5-flash"


def _service(config_get: Any, project: Any) -> tuple[Any, str]:
    """Where countTokens runs for this stack: (counting.Service, "") or (None, why not)."""
    from vertex_tuning import counting

    if not isinstance(project, str) or not project:
        return None, "no project to count in (set gcp:project)"
    settings = settings_mod.resolve(config_get)
    location = settings_mod.default_location(config_get) or "us-central1"
    return counting.Service(settings, project, location), ""


@dataclass(frozen=True)
class _Rules:
    """What the data is held to: its format and its model's limits."""

    method: catalog.Method
    limits: dataset.Limits

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> _Rules:
        """From raw inputs, before they are checked (a bad value is the model's to name)."""
        method = values.get("method")
        model = values.get("base_model")
        return cls(
            "preference" if method == "preference" else "supervised",
            catalog.limits(model if isinstance(model, str) else ""),
        )


def _scan(
    path: str, rules: _Rules | None = None, *, max_issues: int
) -> tuple[dataset.DatasetReport, str]:
    """One pass over the file: the validator's report and the SHA-256 of its bytes.

    Only a regular file is read: a FIFO would hang the preview, /dev/zero fill its memory.
    """
    digest = hashlib.sha256()
    rules = rules or _Rules("supervised", dataset.DEFAULT_LIMITS)
    report = dataset.validate_file(
        path,
        max_issues=max_issues,
        method=rules.method,
        limits=rules.limits,
        on_chunk=digest.update,
    )
    return report, digest.hexdigest()


def _data_failures(
    path: str, report: dataset.DatasetReport, fraction: Any, rules: _Rules
) -> list[Failure]:
    """One failure per validator error (capped), then the split's own rules."""
    shown = report.errors[:CHECK_FAILURES_SHOWN]
    # Pulumi prefixes each with "property source value {path} has a problem: ".
    failures = [Failure("source", str(issue)) for issue in shown]
    if report.error_count > len(shown):
        more = report.error_count - len(shown)
        failures.append(
            Failure(
                "source",
                f"... and {more:,} more errors (`vertex-tuning validate {path}` lists them all)",
            )
        )
    if failures or not isinstance(fraction, int | float) or not 0 < fraction <= 0.5:
        return failures  # a bad fraction is the model's rule to report
    held_out = round(report.stats.examples * fraction)
    if held_out == 0:
        failures.append(
            Failure(
                "validation_fraction",
                f"{fraction} of {report.stats.examples} examples holds out none; raise it or "
                "add examples",
            )
        )
    elif held_out > rules.limits.validation_examples:
        failures.append(
            Failure(
                "validation_fraction",
                f"{fraction} of {report.stats.examples:,} examples holds out {held_out:,}, over "
                f"the maximum of {rules.limits.validation_examples:,} for a validation dataset "
                '(the service\'s "Maximum validation dataset size")',
            )
        )
    return failures


def _outputs(
    inputs: TrainingDatasetInputs,
    report: dataset.DatasetReport,
    held_out: int,
    checksums: dict[str, str],
) -> TrainingDatasetOutputs:
    warnings = [str(issue) for issue in report.warnings]
    if report.warning_count > len(warnings):
        warnings.append(f"... and {report.warning_count - len(warnings):,} more warnings")
    return TrainingDatasetOutputs(
        uri=inputs.uri,
        validation_uri=inputs.validation_uri or "",
        examples=report.stats.examples,
        training_examples=report.stats.examples - held_out,
        validation_examples=held_out,
        text_characters=report.stats.text_characters,
        estimated_tokens=report.stats.estimated_tokens,
        duplicates=report.stats.duplicates,
        warnings=warnings,
        stats=report.to_json()["stats"],
        checksums=checksums,
    )


def _summary(outputs: TrainingDatasetOutputs) -> str:
    where = outputs.uri
    if outputs.validation_uri:
        where += f" ({outputs.training_examples:,} examples) and {outputs.validation_uri}"
        where += f" ({outputs.validation_examples:,} held out)"
    lines = [
        f"training dataset: uploaded {where}: {outputs.examples:,} examples, "
        f"~{outputs.estimated_tokens:,} tokens"
    ]
    lines += [f"  warning: {w}" for w in outputs.warnings]
    return "\n".join(lines)


def _absolute(path: object) -> object:
    """A local path made absolute; anything else is left for check to name the rule."""
    if not isinstance(path, str | os.PathLike) or not os.fsdecode(path):
        return path
    return os.path.abspath(os.fsdecode(path))


class TrainingDataset(DynamicResource, module="vertex-tuning", name="TrainingDataset"):
    """A local Gemini tuning JSONL file, validated at preview and uploaded to Cloud Storage.

    Invalid data fails `pulumi preview` with each error's line and field. The object name carries
    a hash of the content, so `uri` changes exactly when the data does: pass it to a TuningJob and
    changed data trains a new model version. `validation_fraction` (0 < f <= 0.5; 0.1-0.2 is
    usual) holds out a deterministic share as `validation_uri` ("" without a split, which
    TuningJob's validation_dataset_uri reads as none). `base_model` holds the data to that
    model's limits and `method="preference"` to the preference format, both at preview.
    Preview also counts the training examples' billable tokens (countTokens for `base_model`,
    cached by content) and prices `epoch_count` epochs of them (`token_count`,
    `estimated_billable_tokens`, `estimated_cost_usd`, known before anything is uploaded).
    Destroy deletes the objects unless `retain_on_delete`; buckets are never created or
    deleted.
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
    #: Known at preview: the training examples' tokens per epoch (pass it to a TuningJob as
    #: `training_token_count`), the training tokens for `epoch_count` epochs and their price.
    token_count: pulumi.Output[dict[str, Any]]
    estimated_billable_tokens: pulumi.Output[int]
    estimated_cost_usd: pulumi.Output[float]

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
        base_model: pulumi.Input[str] | None = None,
        method: pulumi.Input[str] | None = None,
        epoch_count: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings_mod.refuse_plaintext_token()
        # The provider process does not share the program's working directory (inline programs
        # run it in a temp dir), so a relative path is resolved here.
        path = pulumi.Output.from_input(source).apply(_absolute)
        inputs: dict[str, Any] = {
            "source": path,
            "bucket": bucket,
            # Per-stack by default, so dev and prod sharing a bucket never share (or delete)
            # each other's objects.
            "prefix": f"{pulumi.get_project()}/{pulumi.get_stack()}" if prefix is None else prefix,
            "name": resource_name,
            "validation_fraction": validation_fraction,
            "retain_on_delete": retain_on_delete,
            "project": project,
            "base_model": base_model,
            "method": method,
            "epoch_count": epoch_count,
            "content_hash": None,
            "token_count": None,
            "estimated_billable_tokens": None,
            "estimated_cost_usd": None,
        }
        super().__init__(
            TrainingDatasetProvider(),
            resource_name,
            resource_props(inputs, TrainingDatasetOutputs),
            opts,
        )
