"""The TuningJob dynamic provider: check, diff, create, read, update, delete.

Pulumi pickles this object into state with dill, so it holds nothing: no client, credential or
config survives pickling (see stateless.py). Clients are built per operation in this process.
Only check and diff run on `pulumi preview`; they import neither the Google libraries nor the
network code, and for an unchanged resource not even the validator (see `_stamp`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from vertex_tuning import settings as settings_mod
from vertex_tuning._version import __version__
from vertex_tuning.stateless import StatelessProvider, is_unknown, say

if TYPE_CHECKING:
    from vertex_tuning import spec
    from vertex_tuning.dataset import Purpose
    from vertex_tuning.vertex import Vertex

_DELETE_WAIT_SECONDS = 1800.0
#: The checked inputs carry the stamp of what they were checked from; the CLI's diff display
#: hides "__" keys, as it does the serialized provider.
STAMP_KEY = "__checked"


class TuningJobProvider(StatelessProvider):
    """Creates a Vertex AI tuning job, waits for it, and exports the tuned model's endpoint."""

    # --- check ---
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        defaults = {
            "project": settings_mod.default_project(self.config_get),
            "location": settings_mod.default_location(self.config_get),
        }
        unknown = {k for k, v in news.items() if is_unknown(v)}
        stamp = None if unknown else _stamp(news, defaults)
        if stamp is not None and olds.get(STAMP_KEY) == stamp:
            return CheckResult(olds, [])
        from vertex_tuning import spec

        inputs, failures = spec.check_inputs(olds, news, defaults, unknown=unknown)
        if stamp is not None and not failures:
            inputs[STAMP_KEY] = stamp
        return CheckResult(
            {**inputs, **{k: news[k] for k in unknown}},
            [CheckFailure(f.property, f.reason) for f in failures],
        )

    # --- diff ---
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if _same_stamp(olds, news):
            return DiffResult(changes=False, replaces=[], stables=[], delete_before_replace=False)
        from vertex_tuning import spec

        # resource_key only names the job for adoption at create; an import reads none back.
        keys = (set(spec.TuningJobInputs.model_fields) - {"resource_key"}) | {"__provider"}
        changed = sorted(k for k in keys if _differs(olds.get(k), news.get(k)))
        replaces = [k for k in changed if k in spec.REPLACE_ON_CHANGE]
        # Create the new job before deleting the old one, so consumers move to the new endpoint
        # before the old model goes.
        return DiffResult(
            changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=False
        )

    # --- create ---
    def create(self, props: dict[str, Any]) -> CreateResult:
        from vertex_tuning import jobs, wire

        inputs = _inputs(props)
        settings = settings_mod.resolve(self.config_get)
        vertex = _vertex(settings, inputs.location)
        job = jobs.tune(vertex, inputs, emit=say, check_data=_data_check(settings, inputs))
        outs = {**props, **wire.outputs_from_job(job, settings.base_url(inputs.location))}
        return CreateResult(job.name, _clean(outs))

    # --- read ---
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from vertex_tuning import errors, spec, wire

        location = props.get("location") or _location_of(id_)
        settings = settings_mod.resolve(self.config_get)
        try:
            job = wire.job_from_api(_vertex(settings, location).get_job(id_))
        except errors.NotFound:
            return ReadResult("", {})  # gone: an empty id drops it from state
        found = wire.inputs_from_job(job)
        kept = {
            k: v
            for k, v in props.items()
            if k not in found and k not in wire.OUTPUT_KEYS and not k.startswith("__")
        }
        inputs = {"project": _project_of(id_), "location": location, **kept, **found}
        inputs, _ = spec.check_inputs({}, inputs, {}, unknown=set())
        outs = {**inputs, **wire.outputs_from_job(job, settings.base_url(location))}
        return ReadResult(id_, _clean(outs), inputs=_clean(inputs))

    # --- update ---
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Only provider behaviour (and the provider's own code) updates in place: no API call,
        # and every output is carried over (the stock update would return none and wipe them).
        return UpdateResult(_clean({**olds, **news}))

    # --- delete ---
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from vertex_tuning import jobs

        location = props.get("location") or _location_of(id_)
        vertex = _vertex(settings_mod.resolve(self.config_get), location)
        jobs.cancel_and_clean_up(
            vertex,
            id_,
            on_delete=str(props.get("on_delete", "delete_endpoint")),
            model=str(props.get("tuned_model_name") or ""),
            endpoint=str(props.get("tuned_model_endpoint") or ""),
            timeout=_DELETE_WAIT_SECONDS,
            emit=say,
        )


def _stamp(news: Mapping[str, Any], defaults: Mapping[str, str | None]) -> str:
    """What a check's result follows from: the raw inputs, the defaults and the release.

    Check is a pure function of these (and of the old display name, kept when none is given),
    so when the stamp stored with the old inputs matches, they are what check would return, and
    `pulumi preview` of an unchanged resource skips the validator (pydantic alone takes longer
    to import than the rest of the check).
    """
    raw = {k: v for k, v in news.items() if not k.startswith("__")}
    payload = json.dumps([raw, defaults, __version__], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _same_stamp(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Checked from the same inputs as the state's (refresh and import store none), same code."""
    stamp = news.get(STAMP_KEY)
    return (
        stamp is not None
        and olds.get(STAMP_KEY) == stamp
        and olds.get("__provider") == news.get("__provider")
    )


def _inputs(props: dict[str, Any]) -> spec.TuningJobInputs:
    from vertex_tuning import spec

    fields = spec.TuningJobInputs.model_fields
    return spec.TuningJobInputs.model_validate({k: v for k, v in props.items() if k in fields})


def _data_check(
    settings: settings_mod.Settings, inputs: spec.TuningJobInputs
) -> Callable[[], None] | None:
    """The pre-submit check of the gs:// datasets, unless `validate_data` is off."""
    if not inputs.validate_data:
        return None

    def check() -> None:
        from vertex_tuning import gcs

        uris: list[tuple[str, Purpose]] = [(inputs.training_dataset_uri, "training")]
        if inputs.validation_dataset_uri:
            uris.append((inputs.validation_dataset_uri, "validation"))
        label = f"tuning job {inputs.tuned_model_display_name}"  # as its progress lines say
        storage = gcs.client(settings, inputs.project)
        gcs.verify_datasets(storage, uris, emit=lambda line: say(f"{label}: {line}"))

    return check


def _vertex(settings: settings_mod.Settings, location: str) -> Vertex:
    from vertex_tuning.vertex import Vertex

    return Vertex(settings, location)


def _differs(old: Any, new: Any) -> bool:
    if is_unknown(new):
        return True
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) != float(new)
    return (old in (None, "", {}) and new in (None, "", {})) is False and old != new


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _location_of(job_name: str) -> str:
    parts = job_name.split("/")
    return parts[3] if len(parts) > 3 else ""


def _project_of(job_name: str) -> str:
    parts = job_name.split("/")
    return parts[1] if len(parts) > 1 else ""


__all__ = ["TuningJobProvider"]
