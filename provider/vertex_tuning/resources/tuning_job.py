"""TuningJob: a Gemini tuning job on Vertex AI; `pulumi up` waits until the model is tuned.

Its inputs (tuning_job_inputs.py: the training spec, which replaces the job, and the provider's
behaviour, which updates in place), its outputs (the tuned model and its endpoint), and its
create, read and delete. The workflows behind them (adopt or submit, wait, cancel and clean up) are in jobs.py.
Only check and diff run on `pulumi preview`; they import neither the Google libraries nor the
network code, and for an unchanged resource not even pydantic's models (see resources/base.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from vertex_tuning import interrupts, names, ownership, progress, pulumi_compat, states, waves
from vertex_tuning import settings as settings_mod
from vertex_tuning.resources import stack_identity
from vertex_tuning.resources.base import (
    Draft,
    DynamicResource,
    Outputs,
    TypedProvider,
    differs,
    resource_props,
    say,
    without_none,
)

if TYPE_CHECKING:
    from vertex_tuning.dataset import Purpose
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs
    from vertex_tuning.vertex import Vertex

_DELETE_WAIT_SECONDS = 1800.0
#: Marks the state of a create that stopped waiting (Ctrl-C, timeout) while its job ran: the
#: next update resumes the wait. Hidden, as "__" keys are, from the CLI's diff display.
UNFINISHED_KEY = "__unfinished"
_NO_OPTS = pulumi.ResourceOptions()


@dataclass(frozen=True)
class TuningJobOutputs(Outputs):
    """What a TuningJob exports beside its inputs."""

    job_name: str = ""
    state: str = ""
    tuned_model_name: str = ""
    tuned_model_endpoint: str = ""
    tuned_model_endpoint_uri: str = ""
    tuning_data_stats: dict[str, Any] = field(default_factory=dict)
    experiment: str = ""
    create_time: str = ""
    end_time: str = ""
    #: The owner label the job carries (ownership.py); "" for a job made outside Pulumi.
    owner: str = ""
    #: The service's detailed state (v1beta1 only), e.g. TUNING_JOB_STATE_TUNING.
    detailed_state: str = ""
    #: Each exported checkpoint: checkpoint_id, epoch, step, endpoint, endpoint_uri.
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    #: The checkpoint the tuned model (and tuned_model_endpoint) serves.
    serving_checkpoint_id: str = ""
    #: Evaluation during tuning: the service's runs and the metrics' URI.
    evaluation: dict[str, Any] = field(default_factory=dict)
    #: What refresh found gone outside Pulumi ("" when nothing), and the repair `up` makes:
    #: REDEPLOY (the model to a new endpoint) or RETUNE (the model itself is gone).
    drift: str = ""
    repair: str = ""
    #: After the run (tuning_job_cost.bill): the training tokens billed (the data's
    #: totalBillableTokenCount x the epochs run), their price, and the estimate's error.
    billed_tokens: int | None = None
    cost_usd: float | None = None
    estimate_error_percent: float | None = None


REDEPLOY = "redeploy the tuned model to a new endpoint"
RETUNE = "tune the model again"


class TuningJobProvider(TypedProvider["TuningJobInputs"]):
    """Creates a Vertex AI tuning job, waits for it, and exports the tuned model's endpoint."""

    inputs_model = "vertex_tuning.resources.tuning_job_inputs:TuningJobInputs"
    outputs = TuningJobOutputs
    kind = "TuningJob"

    def changes_in_place(
        self, _id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> frozenset[str]:
        """A resumed wait may change every output; a new default checkpoint or a redeploy
        moves the endpoint; a behaviour-only update changes nothing."""
        if olds.get(UNFINISHED_KEY):
            return frozenset(self.outputs.names())
        moved = differs(olds.get("default_checkpoint_id"), news.get("default_checkpoint_id"))
        if moved or olds.get("repair") == REDEPLOY:
            return frozenset(
                {"tuned_model_endpoint", "tuned_model_endpoint_uri", "serving_checkpoint_id"}
            )
        return frozenset()

    missing_hints: ClassVar[Mapping[str, str]] = {
        "project": "set the `project` input, stack config `gcp:project`, or GOOGLE_CLOUD_PROJECT",
        "location": "set the `location` input, stack config `gcp:region`, or GOOGLE_CLOUD_LOCATION",
    }

    def defaults(self) -> dict[str, Any]:
        return settings_mod.defaults(self.config_get)

    def prepare(self, draft: Draft) -> None:
        values = draft.values
        named = (
            values.get("tuned_model_display_name") or "tuned_model_display_name" in draft.unknown
        )
        base = values.get("base_model")
        continuous = isinstance(base, str) and names.parse(base, names.MODELS) is not None
        if not named and not continuous:
            values["tuned_model_display_name"] = self._default_name(draft.olds, values)

    def _default_name(self, olds: Mapping[str, Any], values: Mapping[str, Any]) -> str:
        """The resource name and a digest of its URN and spec: each spec names its own job.

        Derived, never random: a create interrupted before the engine recorded it comes back
        with no olds, and the same name (so the same fingerprint) adopts its running job. The
        old name stays while the spec does (a name from before the spec was part of it).
        """
        from pydantic import ValidationError

        key = str(values.get("resource_key", ""))
        try:
            named = {**values, "tuned_model_display_name": "-"}
            spec = _spec_of(cast("TuningJobInputs", self.inputs().model_validate(named)))
        except ValidationError:
            return auto_name(key)  # the spec's own rule will say what is wrong
        old_name = olds.get("tuned_model_display_name")
        if old_name and _spec_of_raw(olds) == spec:
            return str(old_name)
        return auto_name(key, spec)

    def notes(self, checked: Mapping[str, Any]) -> list[str]:
        from vertex_tuning import catalog

        base = checked.get("base_model")
        warning = catalog.base_model(base).warning if isinstance(base, str) else ""
        return [warning] if warning else []

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """As every resource checks, then the cost estimate and the budget (tuning_job_cost)."""
        result = super().check(olds, news)
        if result.failures or result.inputs is olds:
            return result  # wrong, or unchanged since the stored estimate
        from vertex_tuning.resources import tuning_job_cost

        replaced_by = self.inputs().replace_on_change()
        found, failures = tuning_job_cost.at_check(
            olds, result.inputs, self.config_get, replaced_by
        )
        checks = [CheckFailure(f.property, f.reason) for f in failures]
        return CheckResult({**result.inputs, **found}, checks)

    # --- create ---
    def create(self, props: dict[str, Any]) -> CreateResult:
        from vertex_tuning import jobs
        from vertex_tuning.resources import tuning_job_cost

        inputs = self.parsed(props)
        settings = settings_mod.resolve(self.config_get)
        vertex = _vertex(settings, inputs.location)
        estimated: dict[str, Any] = {}
        budget = tuning_job_cost.before_submit(settings, inputs, self.config_get, estimated)
        data = _data_check(settings, inputs)

        def before_submit() -> None:
            if data is not None:
                data()
            budget()
            props.update(estimated)

        continues = inputs.model.tuned  # waits for the model it continues, by design
        with (
            waves.create_slot(waits_by_design=continues, say=say),
            _recorded_if_stopped(vertex, props),
        ):
            job = jobs.tune(vertex, inputs, emit=say, check_data=before_submit)
        return CreateResult(job.name, _serving(vertex, inputs, props, job))

    # --- read ---
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from vertex_tuning import jobs, wire

        location = props.get("location") or names.location_of(id_)
        settings = settings_mod.resolve(self.config_get)
        vertex = _vertex(settings, location)
        body = jobs.read_confirmed(vertex, lambda: vertex.get_job(id_))
        if body is None:
            body = jobs.find_by_owner(vertex, id_, ownership.recorded_owner(props))
        if body is None:
            return ReadResult("", {})  # confirmed gone: an empty id drops it from state
        job = wire.job_from_api(body)
        found = wire.inputs_from_job(job, ownership.RESERVED_LABELS)
        if (
            props
            and not props.get("tuned_model_display_name")
            and job.base_model.startswith("projects/")
        ):
            del found["tuned_model_display_name"]  # inherited by the model's next version
        kept = {
            k: v
            for k, v in props.items()
            if k not in found and k not in self.outputs.names() and not k.startswith("__")
        }
        inputs = {"project": names.project_of(id_), "location": location, **kept, **found}
        inputs, _ = self.check_inputs({}, inputs, {})
        serving = _live_checkpoint(vertex, job) or props.get("serving_checkpoint_id", "")
        outputs = _outputs(vertex, {**props, **inputs}, job, serving)
        if job.state == states.SUCCEEDED:
            outputs.update(_what_consumers_see(vertex, job, outputs))
        elif props.get(UNFINISHED_KEY):
            # Still a wait to resume: a refresh clears the engine's own mark of an unfinished
            # create, so this one (and diff) carry it to the next `pulumi up`.
            outputs[UNFINISHED_KEY] = True
        return ReadResult(id_, outputs, inputs=without_none(inputs))

    # --- diff ---
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As every resource diffs, and a change when refresh found the model or its endpoint
        gone: the repair, said with what it costs in time (a new spec replaces it anyway)."""
        planned = super().diff(id_, olds, news)
        repair = olds.get("repair")
        if olds.get(UNFINISHED_KEY) and not planned.replaces:
            return DiffResult(changes=True, replaces=[], stables=[])  # the wait to resume
        if planned.replaces or repair not in (RETUNE, REDEPLOY):
            return planned
        name = olds.get("tuned_model_display_name") or id_
        if repair == RETUNE:
            say(f"tuning job {name}: {olds.get('drift')}; `pulumi up` will {RETUNE}{_took(olds)}")
            return DiffResult(changes=True, replaces=["tuned_model_name"], stables=[])
        say(
            f"tuning job {name}: {olds.get('drift')}; `pulumi up` will {REDEPLOY} (minutes, no retraining)"
        )
        return DiffResult(changes=True, replaces=[], stables=[])

    # --- update ---
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Behaviour changes only (no API call), unless the job was left unfinished.

        A create stopped by Ctrl-C or its timeout is recorded with the job still running (a
        partial create, see interrupts.py); the engine then updates it on the next `pulumi up`,
        and this resumes waiting on that same job: never a second one.
        """
        from vertex_tuning import jobs, wire

        unfinished = bool(olds.get(UNFINISHED_KEY))
        moved = differs(olds.get("default_checkpoint_id"), news.get("default_checkpoint_id"))
        if olds.get("repair") == REDEPLOY:
            return UpdateResult(self._redeploy(id_, olds, news))
        if not unfinished and not moved:
            return super().update(id_, olds, news)
        inputs = self.parsed(news)
        vertex = _vertex(settings_mod.resolve(self.config_get), inputs.location)
        props = {k: v for k, v in {**olds, **news}.items() if k != UNFINISHED_KEY}
        if unfinished:
            say(progress.prefixed(f"tuning job {inputs.label}", f"resuming the wait on {id_}"))
            with _recorded_if_stopped(vertex, props):
                job = jobs.await_success(vertex, inputs, id_, emit=say)
        else:
            job = wire.job_from_api(vertex.get_job(id_))
        return UpdateResult(_serving(vertex, inputs, props, job))

    def _redeploy(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """The endpoint was deleted outside Pulumi, the model is there: deploy it again."""
        from vertex_tuning import jobs, wire

        inputs = self.parsed(news)
        vertex = _vertex(settings_mod.resolve(self.config_get), inputs.location)
        job = wire.job_from_api(vertex.get_job(id_))
        checkpoint = str(olds.get("serving_checkpoint_id") or "")
        endpoint = jobs.redeploy(vertex, job, checkpoint, timeout=_DELETE_WAIT_SECONDS, emit=say)
        outputs = _outputs(vertex, {**olds, **news}, job, checkpoint, endpoint=endpoint)
        return {**outputs, "drift": "", "repair": ""}

    # --- delete ---
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from vertex_tuning import jobs

        location = props.get("location") or names.location_of(id_)
        vertex = _vertex(settings_mod.resolve(self.config_get), location)
        jobs.cancel_and_clean_up(
            vertex,
            id_,
            owner=ownership.recorded_owner(props),
            on_delete=str(props.get("on_delete", "delete_endpoint")),
            model=str(props.get("tuned_model_name") or ""),
            endpoint=str(props.get("tuned_model_endpoint") or ""),
            timeout=_DELETE_WAIT_SECONDS,
            emit=say,
        )


def auto_name(resource_key: str, spec: Mapping[str, Any] | None = None) -> str:
    """The resource name plus a suffix derived from its URN and spec, never random."""
    name = resource_key.rsplit("::", 1)[-1].rsplit("/", 1)[-1] or "tuned-model"
    payload = resource_key if spec is None else json.dumps([resource_key, spec], sort_keys=True)
    return f"{name[:119]}-{hashlib.sha256(payload.encode()).hexdigest()[:8]}"


def _spec_of(inputs: TuningJobInputs) -> dict[str, Any]:
    """The training spec a default name follows: every replacing input but the name itself."""
    checked = inputs.model_dump(mode="json", exclude_none=True)
    return _spec_of_raw(checked)


def _spec_of_raw(values: Mapping[str, Any]) -> dict[str, Any]:
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

    fields = TuningJobInputs.replace_on_change() - {"tuned_model_display_name"}
    return {k: v for k, v in values.items() if k in fields and v not in (None, "", {}, [])}


def _data_check(
    settings: settings_mod.Settings, inputs: TuningJobInputs
) -> Callable[[], None] | None:
    """The pre-submit check of the gs:// datasets, unless `validate_data` is off."""
    if not inputs.validate_data:
        return None

    def check() -> None:
        from vertex_tuning import catalog, gcs

        found: list[tuple[str | None, Purpose]] = [
            (inputs.training_dataset_uri, "training"),
            (inputs.validation_dataset_uri, "validation"),
        ]
        # A Vertex AI dataset is the service's to read: only Cloud Storage objects are checked.
        uris = [(uri, purpose) for uri, purpose in found if uri and uri.startswith("gs://")]
        label = f"tuning job {inputs.label}"  # as its progress lines say
        storage = gcs.client(settings, inputs.project)
        gcs.verify_datasets(
            storage,
            uris,
            emit=lambda line: say(progress.prefixed(label, line)),
            method=inputs.method,
            limits=catalog.limits(inputs.base_model),
        )

    return check


def _serving(
    vertex: Vertex, inputs: TuningJobInputs, props: Mapping[str, Any], job: Any
) -> dict[str, Any]:
    """Outputs once the tuned model serves the checkpoint `default_checkpoint_id` asks for.

    Moving the default checkpoint is a Model update, not a new job: the job's endpoint then
    follows it. Unset leaves the model's default (the last checkpoint) as it is. A checkpoint
    the job did not export is the user's to fix: the job is recorded all the same (a partial
    create), and the next `pulumi up` applies the fixed input.
    """
    from vertex_tuning import jobs, wire

    serving = ""
    if job.tuned_model and job.checkpoints:
        serving = wire.default_checkpoint(vertex.get_model(job.tuned_model))
        wanted = inputs.default_checkpoint_id
        if wanted and wanted != serving:
            exported = [c.checkpoint_id for c in job.checkpoints]
            if wanted not in exported:
                outputs = {**_outputs(vertex, props, job, serving), UNFINISHED_KEY: True}
                raise interrupts.PartialCreate(
                    job.name,
                    outputs,
                    f"default_checkpoint_id: {wanted!r} is not a checkpoint of {job.name} (it "
                    f"exported {', '.join(exported)}); the tuned model keeps serving {serving!r}",
                )
            jobs.serve_checkpoint(vertex, job.tuned_model, wanted, emit=say)
            job, serving = wire.job_from_api(vertex.get_job(job.name)), wanted
    return _outputs(vertex, props, job, serving)


def _live_checkpoint(vertex: Vertex, job: Any) -> str:
    """The checkpoint the tuned model serves now: refresh reports it, whoever moved it (a
    ModelEvaluation choosing the best one); `default_checkpoint_id` applies only when it
    changes, so the two never fight. "" when the model is gone (refresh then says so)."""
    from vertex_tuning import wire
    from vertex_tuning.errors import NotFound

    if job.state != states.SUCCEEDED or not job.tuned_model or not job.checkpoints:
        return ""
    try:
        return wire.default_checkpoint(vertex.get_model(job.tuned_model))
    except NotFound:
        return ""


def _what_consumers_see(vertex: Vertex, job: Any, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Refresh's check of what the job made: a gone endpoint or model shows in the outputs (and
    so as a diff on the next preview), with a line that says what is gone."""
    from vertex_tuning import jobs, wire

    found = jobs.serving(vertex, job, str(outputs.get("serving_checkpoint_id") or ""))
    drift = found.gone(job)
    endpoint = found.endpoint
    seen = {
        "tuned_model_endpoint": endpoint,
        "tuned_model_endpoint_uri": wire.endpoint_uri(vertex.base_url, endpoint),
        "drift": drift,
        "repair": "" if not drift else RETUNE if not found.model else REDEPLOY,
    }
    if drift:
        say(f"tuning job {job.display_name}: {drift} (deleted outside Pulumi)")
    return seen


def _took(olds: Mapping[str, Any]) -> str:
    """ " (the last run took 1h12m)", from the state's create and end times."""
    from datetime import datetime

    from vertex_tuning.progress import format_elapsed

    try:
        start = datetime.fromisoformat(str(olds["create_time"]))
        end = datetime.fromisoformat(str(olds["end_time"]))
    except (KeyError, ValueError):
        return ""
    return f" (the last run took {format_elapsed((end - start).total_seconds())})"


def _outputs(
    vertex: Vertex,
    props: Mapping[str, Any],
    job: Any,
    serving: str = "",
    *,
    endpoint: str | None = None,
) -> dict[str, Any]:
    from vertex_tuning import wire
    from vertex_tuning.resources import tuning_job_cost

    outs = {
        **props,
        **wire.outputs_from_job(job, vertex.base_url, vertex.api_version),
        "owner": job.labels.get(ownership.OWNER_LABEL, ""),
        "serving_checkpoint_id": serving or props.get("serving_checkpoint_id") or "",
        **tuning_job_cost.bill(props, job),
    }
    if endpoint is not None:  # a repaired endpoint: not the one the job names
        outs["tuned_model_endpoint"] = endpoint
        outs["tuned_model_endpoint_uri"] = wire.endpoint_uri(vertex.base_url, endpoint)
    return without_none(outs)


@contextlib.contextmanager
def _recorded_if_stopped(vertex: Vertex, props: Mapping[str, Any]) -> Iterator[None]:
    """A wait cut short (Ctrl-C, the timeout) with the job running: record it, don't lose it."""
    from vertex_tuning import errors

    try:
        yield
    except errors.WaitStopped as stopped:
        outputs = {**_outputs(vertex, props, stopped.job), UNFINISHED_KEY: True}
        raise interrupts.PartialCreate(stopped.job.name, outputs, str(stopped)) from None


def _vertex(settings: settings_mod.Settings, location: str) -> Vertex:
    from vertex_tuning.vertex import Vertex

    return Vertex(settings, location)


class TuningJob(DynamicResource, module="vertex-tuning", name="TuningJob"):
    """A Gemini tuning job on Vertex AI; `pulumi up` waits until the model is tuned.

    Spec inputs (base_model, method, datasets, hyperparameters, checkpoints, evaluation,
    labels, project, location, ...) replace the job when they change; `default_checkpoint_id`
    moves the tuned model to another checkpoint in place (a Model update, no retraining);
    behaviour inputs (timeout, poll_interval, max_poll_interval, on_delete, validate_data)
    update in place with no API call. Unless `validate_data` is False, the gs:// datasets must
    exist and pass the validator before anything is submitted. Outputs include the tuned
    model's endpoint and its URL, and each checkpoint with its own.

    Cost: preview prints the estimate on the job's row and stores it (`estimate`,
    `estimated_billable_tokens`, `estimated_cost_usd`) from `training_token_count` (pass a
    TrainingDataset's `token_count`), or a gs:// object's cached count, else create counts the
    object before submitting. `max_cost_usd` fails preview (and create, before submitting)
    when a new job's estimate is over it. After the run: `billed_tokens`, `cost_usd` and
    `estimate_error_percent`.
    """

    job_name: pulumi.Output[str]
    state: pulumi.Output[str]
    tuned_model_name: pulumi.Output[str]
    tuned_model_endpoint: pulumi.Output[str]
    tuned_model_endpoint_uri: pulumi.Output[str]
    tuning_data_stats: pulumi.Output[dict[str, Any]]
    experiment: pulumi.Output[str]
    create_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    project: pulumi.Output[str]
    location: pulumi.Output[str]
    tuned_model_display_name: pulumi.Output[str]
    method: pulumi.Output[str]
    detailed_state: pulumi.Output[str]
    checkpoints: pulumi.Output[list[dict[str, Any]]]
    serving_checkpoint_id: pulumi.Output[str]
    evaluation: pulumi.Output[dict[str, Any]]
    owner: pulumi.Output[str]
    drift: pulumi.Output[str]
    estimate: pulumi.Output[dict[str, Any]]
    estimated_billable_tokens: pulumi.Output[int]
    estimated_cost_usd: pulumi.Output[float]
    billed_tokens: pulumi.Output[int]
    cost_usd: pulumi.Output[float]
    estimate_error_percent: pulumi.Output[float]

    def __init__(
        self,
        resource_name: str,
        *,
        base_model: pulumi.Input[str],
        training_dataset_uri: pulumi.Input[str],
        validation_dataset_uri: pulumi.Input[str] | None = None,
        method: pulumi.Input[str] | None = None,
        tuned_model_display_name: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        epoch_count: pulumi.Input[int] | None = None,
        learning_rate_multiplier: pulumi.Input[float] | None = None,
        adapter_size: pulumi.Input[str | int] | None = None,
        beta: pulumi.Input[float] | None = None,
        export_last_checkpoint_only: pulumi.Input[bool] | None = None,
        base_checkpoint_id: pulumi.Input[str] | None = None,
        evaluation_config: pulumi.Input[dict[str, Any]] | None = None,
        default_checkpoint_id: pulumi.Input[str] | None = None,
        labels: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        service_account: pulumi.Input[str] | None = None,
        kms_key_name: pulumi.Input[str] | None = None,
        timeout: pulumi.Input[str | float] | None = None,
        poll_interval: pulumi.Input[str | float] | None = None,
        max_poll_interval: pulumi.Input[str | float] | None = None,
        on_delete: pulumi.Input[str] | None = None,
        validate_data: pulumi.Input[bool] | None = None,
        max_cost_usd: pulumi.Input[float] | None = None,
        training_token_count: pulumi.Input[dict[str, Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings_mod.refuse_plaintext_token()
        inputs = {
            "base_model": base_model,
            "training_dataset_uri": training_dataset_uri,
            "validation_dataset_uri": validation_dataset_uri,
            "method": method,
            "tuned_model_display_name": tuned_model_display_name,
            "description": description,
            "epoch_count": epoch_count,
            "learning_rate_multiplier": learning_rate_multiplier,
            "adapter_size": adapter_size,
            "beta": beta,
            "export_last_checkpoint_only": export_last_checkpoint_only,
            "base_checkpoint_id": base_checkpoint_id,
            "evaluation_config": evaluation_config,
            "default_checkpoint_id": default_checkpoint_id,
            "labels": labels,
            "project": project,
            "location": location,
            "service_account": service_account,
            "kms_key_name": kms_key_name,
            "timeout": timeout,
            "poll_interval": poll_interval,
            "max_poll_interval": max_poll_interval,
            "on_delete": on_delete,
            "validate_data": validate_data,
            "max_cost_usd": max_cost_usd,
            "training_token_count": training_token_count,
            "estimate": None,
            "estimated_billable_tokens": None,
            "estimated_cost_usd": None,
            "resource_key": pulumi_compat.child_urn(
                pulumi_compat.dynamic_type_token(TuningJob),
                resource_name,
                (opts or _NO_OPTS).parent,
            ),
            "stack_token": stack_identity.stack_token(),
        }
        super().__init__(
            TuningJobProvider(), resource_name, resource_props(inputs, TuningJobOutputs), opts
        )
