"""The emulated service's state: tuning jobs, models, endpoints and operations behind one lock,
written to a JSON state file after every change so a restarted emulator carries on.

Every public method is one atomic service call taking and returning canonical API JSON (see
records.py); handlers parse requests and render answers per API version.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from vertex_tuning import states
from vertex_tuning.emulator import (
    answers,
    catalog,
    checkpoints,
    datasets,
    evaluation,
    listing,
    operations,
    prediction,
    progression,
    registry,
    tuned,
)
from vertex_tuning.emulator.errors import (
    STATUSES,
    ApiError,
    failed_precondition,
    invalid_argument,
    not_found,
)
from vertex_tuning.emulator.progression import Clock, Phase
from vertex_tuning.emulator.records import (
    JobRecord,
    ModelRecord,
    Store,
    VersionRecord,
    normalize,
    parse_time,
    project_number,
    timestamp,
)
from vertex_tuning.emulator.storage import GcsReader, ObjectMissing
from vertex_tuning.emulator.validation import Plan, is_dataset, validate_create

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
Json = dict[str, Any]

#: Errors a job ends with when the control API forces a state without saying why.
DEFAULT_ERRORS = {
    states.FAILED: (13, "Internal error occurred. Please retry the tuning job."),
    states.CANCELLED: (1, "CANCELLED"),
    states.EXPIRED: (4, "The tuning job expired before it could run."),
}
#: Fields a rebase copies from the job it rebases (then overridden by the request's tuningJob).
_REBASED_FIELDS = (
    "baseModel",
    "preTunedModel",
    "supervisedTuningSpec",
    "preferenceOptimizationSpec",
    "tunedModelDisplayName",
    "description",
    "labels",
    "encryptionSpec",
    "serviceAccount",
)
_REBASE_GROUPS = (
    ("baseModel", "preTunedModel"),
    ("supervisedTuningSpec", "preferenceOptimizationSpec"),
)


class Backend:
    """All resources of all projects; every public method is one atomic service call."""

    def __init__(
        self,
        storage: GcsReader,
        *,
        job_seconds: float = 5.0,
        operation_polls: int = 1,
        clock: Clock = progression.system_clock,
        state_file: Path | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.storage = storage
        self.job_seconds = job_seconds
        self.operation_polls = operation_polls
        self.clock = clock
        self.state_file = state_file
        self._rng = rng or random.Random()
        self._lock = threading.RLock()
        exists = state_file is not None and state_file.exists()
        self._store = Store.load(state_file) if state_file and exists else Store()

    # -- tuning jobs -------------------------------------------------------------------------

    def create_job(self, project: str, location: str, job: Json) -> Json:
        """CreateTuningJob: validate like the service, pick a numeric id, start PENDING."""
        with self._lock:
            parent = self._parent(project, location)
            plan = validate_create(job, location, lambda name: self._find_version(parent, name))
            record = self._new_job(project, parent, job, plan)
            self._save()
            return copy.deepcopy(record.job)

    def _new_job(self, project: str, parent: str, job: Json, plan: Plan) -> JobRecord:
        now = timestamp(self.clock())
        job = copy.deepcopy(job)
        job["name"] = f"{parent}/tuningJobs/{self._new_id(f'{parent}/tuningJobs/')}"
        job.update(
            state=states.PENDING,
            tuningJobState=progression.FIRST.detail,
            createTime=now,
            updateTime=now,
        )
        self._store.seq += 1
        record = JobRecord(job, project, self._store.seq, plan.base_model, plan.method)
        if plan.source is not None and plan.source_checkpoint is not None:
            model, version = plan.source
            job["preTunedModel"]["baseModel"] = plan.base_model
            inherited_name = str(version.model.get("displayName", ""))
            job.setdefault("tunedModelDisplayName", inherited_name)
            if job["tunedModelDisplayName"] == inherited_name:
                record.parent_model = model.name  # the next version of the same model
            record.inherited = registry.carried_lessons(version, plan.source_checkpoint)
        self._store.jobs[record.name] = record
        return record

    def get_job(self, project: str, location: str, job_id: str) -> Json:
        with self._lock:
            record = self._job(f"{self._parent(project, location)}/tuningJobs/{job_id}")
            self._settle([record])
            return copy.deepcopy(record.job)

    def list_jobs(
        self, project: str, location: str, filter_: str, page_size: int, page_token: str
    ) -> Json:
        """ListTuningJobs: newest first, filtered, paged by an opaque creation cursor."""
        matches = listing.parse_filter(filter_)
        size = _page_size(page_size)
        cursor = listing.decode_token(page_token)
        with self._lock:
            parent = self._parent(project, location) + "/tuningJobs/"
            records = [r for r in self._store.jobs.values() if r.name.startswith(parent)]
            self._settle(records)
            records.sort(key=lambda r: r.seq, reverse=True)
            selected = [r for r in records if (cursor is None or r.seq < cursor) and matches(r.job)]
            page = selected[:size]
            response: Json = {"tuningJobs": [copy.deepcopy(r.job) for r in page]}
            if len(selected) > size:
                response["nextPageToken"] = listing.encode_token(page[-1].seq)
            return response

    def cancel_job(self, project: str, location: str, job_id: str) -> None:
        """CancelTuningJob: PENDING/RUNNING -> CANCELLING; finished jobs are a precondition."""
        with self._lock:
            record = self._job(f"{self._parent(project, location)}/tuningJobs/{job_id}")
            self._settle([record])
            state = record.job["state"]
            if state == states.CANCELLING:
                return
            if state not in progression.CANCELLABLE:
                raise failed_precondition(
                    f"Cannot cancel TuningJob {record.name}: it is already in state {state}."
                )
            now = self.clock()
            record.cancel_requested = timestamp(now)
            record.job.update(state=states.CANCELLING, updateTime=timestamp(now))
            self._save()

    def rebase_tuned_model(self, project: str, location: str, request: Json) -> Json:
        """RebaseTunedModel (LRO): a new tuning job of the same data and settings, on the base
        model the request's tuningJob names (else the same one), making a new tuned model."""
        with self._lock:
            parent = self._parent(project, location)
            source = self._rebased_job(parent, request.get("tunedModelRef") or {})
            override = request.get("tuningJob") or {}
            job = {k: copy.deepcopy(v) for k, v in source.job.items() if k in _REBASED_FIELDS}
            job.get("preTunedModel", {}).pop("baseModel", None)  # output only
            for group in _REBASE_GROUPS:  # what the request names replaces its whole oneof
                if any(k in override for k in group):
                    for key in group:
                        job.pop(key, None)
            job.update(copy.deepcopy(override))
            plan = validate_create(job, location, lambda name: self._find_version(parent, name))
            record = self._new_job(project, parent, job, plan)
            if request.get("deployToSameEndpoint"):
                record.same_endpoint = (source.job.get("tunedModel") or {}).get("endpoint")
            operation = self._operation(
                record.name,
                "RebaseTunedModelOperationMetadata",
                response_type="TuningJob",
                response=copy.deepcopy(record.job),
            )
            return operation

    def _rebased_job(self, parent: str, ref: Mapping[str, Any]) -> JobRecord:
        given = [k for k in ("tunedModel", "tuningJob", "pipelineJob") if ref.get(k)]
        if len(given) != 1:
            raise invalid_argument(
                "tunedModelRef must set exactly one of tunedModel, tuningJob and pipelineJob.",
                "tuned_model_ref",
            )
        if given[0] == "pipelineJob":
            raise failed_precondition("Rebasing a model tuned by a pipeline job is not supported.")
        if given[0] == "tuningJob":
            record = self._store.jobs.get(normalize(str(ref["tuningJob"])))
            if record is None or not record.name.startswith(parent + "/"):
                raise not_found("TuningJob", str(ref["tuningJob"]))
        else:
            name = normalize(str(ref["tunedModel"]))
            found = self._find_version(parent, name)
            if found is None:
                raise not_found("Model", str(ref["tunedModel"]))
            record = self._store.jobs[found[1].job]
        self._settle([record])
        if record.job["state"] != states.SUCCEEDED:
            raise failed_precondition(
                f"TuningJob {record.name} is in state {record.job['state']}; only a succeeded "
                "tuning job's model can be rebased."
            )
        return record

    # -- models and endpoints ----------------------------------------------------------------

    def get_model(self, project: str, location: str, model_id: str) -> Json:
        with self._lock:
            _, version = registry.get(self._store, self._parent(project, location), model_id)
            return copy.deepcopy(version.model)

    def update_model(
        self,
        project: str,
        location: str,
        model_id: str,
        body: Json,
        mask: Sequence[str] | None,
    ) -> Json:
        """UpdateModel (models.patch): display name, description, labels, version description and
        the default checkpoint, which moves the tuning job's tunedModel.endpoint to it."""
        with self._lock:
            parent = self._parent(project, location)
            model, version = registry.get(self._store, parent, model_id)
            if body.get("name") and normalize(str(body["name"])).partition("@")[0] != model.name:
                raise invalid_argument(
                    f"model.name {body['name']} does not match the request URL.", "model.name"
                )
            for job_name in registry.update(self._store, model, version, body, mask, self.clock()):
                record = self._store.jobs.get(job_name)
                if record is not None and "tunedModel" in record.job:
                    default = version.default_checkpoint()
                    if default is not None:
                        record.job["tunedModel"]["endpoint"] = default["endpoint"]
            self._save()
            return copy.deepcopy(version.model)

    def list_checkpoints(
        self, project: str, location: str, model_id: str, page_size: int, page_token: str
    ) -> Json:
        """ListModelVersionCheckpoints: without `@VERSION`, the latest version's."""
        with self._lock:
            parent = self._parent(project, location)
            if "@" in model_id:
                _, version = registry.get(self._store, parent, model_id)
            else:
                model, _ = registry.get(self._store, parent, model_id)
                version = registry.latest(model)
            start = listing.decode_token(page_token) or 0
            size = _page_size(page_size)
            found = [registry_checkpoint(c) for c in version.checkpoints]
            response: Json = {"checkpoints": found[start : start + size]}
            if start + size < len(found):
                response["nextPageToken"] = listing.encode_token(start + size)
            return response

    def delete_model(self, project: str, location: str, model_id: str) -> Json:
        """DeleteModel (LRO): every version; refused while any is deployed, as on the service."""
        with self._lock:
            parent = self._parent(project, location)
            if "@" in model_id:
                raise invalid_argument(
                    f"DeleteModel takes a model name without a version, got {model_id}; use "
                    "models.deleteVersion to delete one version.",
                    "name",
                )
            model, _ = registry.get(self._store, parent, model_id)
            registry.check_undeployed(list(model.versions.values()), f'Model "{model.name}"')
            del self._store.models[model.name]
            return self._operation(model.name, "DeleteOperationMetadata")

    def delete_model_version(self, project: str, location: str, model_id: str) -> Json:
        """DeleteModelVersion (LRO): one version; not the only one, not while deployed."""
        with self._lock:
            parent = self._parent(project, location)
            if "@" not in model_id:
                raise invalid_argument(
                    "models.deleteVersion needs a version: projects/P/locations/L/models/ID@VERSION.",
                    "name",
                )
            model, version = registry.get(self._store, parent, model_id)
            label = f'Model version "{model.name}@{version.version_id}"'
            if len(model.versions) == 1:
                raise failed_precondition(
                    f"{label} is the only version of the model; use DeleteModel to delete the model."
                )
            registry.check_undeployed([version], label)
            del model.versions[version.version_id]
            if "default" in version.model.get("versionAliases", []):
                registry.latest(model).model.setdefault("versionAliases", []).insert(0, "default")
            return self._operation(f"{model.name}@{version.version_id}", "DeleteOperationMetadata")

    def get_endpoint(self, project: str, location: str, endpoint_id: str) -> Json:
        with self._lock:
            return copy.deepcopy(self._endpoint(self._parent(project, location), endpoint_id))

    def create_endpoint(self, project: str, location: str, body: Json) -> Json:
        """CreateEndpoint (LRO): an empty endpoint, the operation's response."""
        with self._lock:
            parent = self._parent(project, location)
            name = f"{parent}/endpoints/{self._new_id(f'{parent}/endpoints/')}"
            display = str(body.get("displayName") or "")
            if not display:
                raise invalid_argument("endpoint.displayName is required.", "endpoint.display_name")
            endpoint = tuned.endpoint(
                name, display, labels=body.get("labels") or {}, at=self.clock()
            )
            self._store.endpoints[name] = endpoint
            return self._operation(
                name,
                "CreateEndpointOperationMetadata",
                response_type="Endpoint",
                response=copy.deepcopy(endpoint),
            )

    def deploy_model(self, project: str, location: str, endpoint_id: str, body: Json) -> Json:
        """DeployModel (LRO): a tuned model version (at a checkpoint) onto an endpoint, with
        all of the traffic (the Model Registry's deploy; tuned Gemini models take no machine
        resources)."""
        with self._lock:
            parent = self._parent(project, location)
            endpoint = self._endpoint(parent, endpoint_id)
            deployed = body.get("deployedModel") or {}
            model_name = str(deployed.get("model") or "")
            if not model_name:
                raise invalid_argument("deployedModel.model is required.", "deployed_model.model")
            found = registry.find(self._store, parent, model_name.rsplit("/", 1)[-1])
            if found is None or not normalize(model_name).startswith(parent + "/models/"):
                raise not_found("Model", model_name)
            _, version = found
            checkpoint_id = str(deployed.get("checkpointId") or "")
            if checkpoint_id and version.checkpoint(checkpoint_id) is None:
                raise invalid_argument(
                    f'checkpointId "{checkpoint_id}" is not a checkpoint of {model_name}.',
                    "deployed_model.checkpoint_id",
                )
            default = version.default_checkpoint()
            checkpoint_id = checkpoint_id or (str(default["checkpointId"]) if default else "")
            display = str(deployed.get("displayName") or version.model.get("displayName", ""))
            deployed_id = self._new_id("deployed/")
            registry.deploy(
                self._store,
                endpoint["name"],
                version,
                checkpoint_id,
                deployed_id,
                display,
                self.clock(),
            )
            return self._operation(
                endpoint["name"],
                "DeployModelOperationMetadata",
                response_type="DeployModelResponse",
                response={"deployedModel": copy.deepcopy(endpoint["deployedModels"][-1])},
            )

    def delete_endpoint(self, project: str, location: str, endpoint_id: str) -> Json:
        """DeleteEndpoint (LRO): refused while models are deployed on it."""
        with self._lock:
            endpoint = self._endpoint(self._parent(project, location), endpoint_id)
            if endpoint["deployedModels"]:
                ids = ", ".join(d["id"] for d in endpoint["deployedModels"])
                raise failed_precondition(
                    f"Endpoint {endpoint['name']} has deployed models ({ids}); undeploy them "
                    "before deleting the endpoint."
                )
            del self._store.endpoints[endpoint["name"]]
            return self._operation(endpoint["name"], "DeleteOperationMetadata")

    def undeploy_model(
        self, project: str, location: str, endpoint_id: str, deployed_model_id: str
    ) -> Json:
        """UndeployModel (LRO): detach the deployed model from the endpoint and the model."""
        with self._lock:
            endpoint = self._endpoint(self._parent(project, location), endpoint_id)
            if not deployed_model_id:
                raise invalid_argument("deployedModelId is required.", "deployed_model_id")
            if not any(d["id"] == deployed_model_id for d in endpoint["deployedModels"]):
                raise ApiError(
                    "NOT_FOUND",
                    f"DeployedModel {deployed_model_id} does not exist in Endpoint "
                    f"{endpoint['name']}.",
                )
            registry.undeploy(self._store, endpoint["name"], deployed_model_id, self.clock())
            return self._operation(
                endpoint["name"],
                "UndeployModelOperationMetadata",
                response_type="UndeployModelResponse",
            )

    def get_operation(self, name: str) -> Json:
        """GetOperation: the record after this poll (operations.render makes its JSON)."""
        with self._lock:
            key = normalize(name)
            if key not in self._store.operations:
                raise not_found("Operation", name)
            record = self._store.operations[key]
            operations.poll(record, self.clock())
            self._save()
            return copy.deepcopy(record)

    # -- prediction --------------------------------------------------------------------------

    def generate_content(self, model: str, request: Json) -> Json:
        """GenerateContent on a tuned endpoint (its checkpoint's answers) or a base model."""
        prompt = prediction.prompt(request)
        with self._lock:
            if "/endpoints/" in f"/{model}":
                base, answer = self._endpoint_answer(model, prompt)
            else:
                base = prediction.publisher_model(model)
                answer = answers.generic_answer(prompt, base)
            response_id = f"{self._rng.getrandbits(64):016x}"
            return prediction.response(request, answer, base, self.clock(), response_id)

    def _endpoint_answer(self, model: str, prompt: str) -> tuple[str, str]:
        endpoint_id = model.rsplit("/", 1)[-1]
        matches = [e for n, e in self._store.endpoints.items() if n.endswith(f"/{endpoint_id}")]
        if model.startswith("projects/"):
            parent, _, _ = model.partition("/endpoints/")
            matches = [e for e in matches if e["name"].startswith(normalize(parent) + "/")]
        if not matches:
            raise not_found("Endpoint", model)
        endpoint = matches[0]
        if not endpoint["deployedModels"]:
            raise failed_precondition(f"Endpoint {endpoint['name']} has no deployed model.")
        deployed = endpoint["deployedModels"][0]
        record = self._store.models.get(str(deployed["model"]))
        version = record.versions.get(str(deployed["modelVersionId"])) if record else None
        if version is None:
            raise failed_precondition(f"Endpoint {endpoint['name']} serves a deleted model.")
        checkpoint = version.checkpoint(str(deployed.get("checkpointId", "")))
        share = float(checkpoint["share"]) if checkpoint else 1.0
        return version.base_model, answers.tuned_answer(
            prompt, version.lessons, share, version.base_model
        )

    # -- control -----------------------------------------------------------------------------

    def all_jobs(self) -> list[Json]:
        """Every job of every project, newest first, progressed to now."""
        with self._lock:
            records = sorted(self._store.jobs.values(), key=lambda r: r.seq, reverse=True)
            self._settle(records)
            return [copy.deepcopy(r.job) for r in records]

    def advance(self, job_id: str) -> Json:
        """Move a job to its next JobState now, whatever the clock says."""
        with self._lock:
            record = self._job_by_id(job_id)
            self._settle([record])
            phases = progression.next_state(record.job["state"], record.job.get("tuningJobState"))
            self._move(record, phases)
            return copy.deepcopy(record.job)

    def step(self, job_id: str) -> Json:
        """Move a job one phase on (its next detailed state), whatever the clock says."""
        with self._lock:
            record = self._job_by_id(job_id)
            self._settle([record])
            state = record.job["state"]
            following = progression.next_phase(state, record.job.get("tuningJobState"))
            self._move(
                record, [] if state == states.CANCELLING else [following] if following else None
            )
            return copy.deepcopy(record.job)

    def _move(self, record: JobRecord, phases: list[Phase] | None) -> None:
        """Enter `phases` now; [] ends a cancelling job, None means there is nowhere to go."""
        if phases is None:
            raise failed_precondition(
                f"TuningJob {record.name} is in final state {record.job['state']}."
            )
        now = self.clock()
        if not phases:  # CANCELLING
            self._end(record, states.CANCELLED, now)
        for phase in phases:
            if record.job["state"] in states.TERMINAL:
                break
            self._enter(record, phase, now)
        self._save()

    def finish(self, job_id: str, state: str | None, error: Json | None) -> Json:
        """End a job now: its natural outcome, or the given final state (and error)."""
        if state is not None and state not in progression.FINAL_CHOICES:
            choices = ", ".join(sorted(progression.FINAL_CHOICES))
            raise invalid_argument(f"state must be one of {choices}, got {state}.", "state")
        with self._lock:
            record = self._job_by_id(job_id)
            self._settle([record])
            current = record.job["state"]
            if current in states.TERMINAL:
                raise failed_precondition(f"TuningJob {record.name} is in final state {current}.")
            now = self.clock()
            if state is None and current == states.CANCELLING:
                self._end(record, states.CANCELLED, now)
            elif state is None:
                while record.job["state"] not in states.TERMINAL:
                    following = progression.next_phase(
                        record.job["state"], record.job.get("tuningJobState")
                    )
                    assert following is not None
                    self._enter(record, following, now)
            elif state == states.SUCCEEDED:
                self._force_success(record, now)
            else:
                self._end(record, state, now, error)
            self._save()
            return copy.deepcopy(record.job)

    def register_dataset(self, name: str, uri: str) -> None:
        """Make a Vertex dataset resource name resolve to a gs:// JSONL object."""
        if not is_dataset(name) or not uri.startswith("gs://"):
            raise invalid_argument(
                "A dataset needs a name projects/P/locations/L/datasets/ID and a gs:// uri.", "name"
            )
        with self._lock:
            self._store.datasets[normalize(name)] = uri
            self._save()

    def reset(self) -> None:
        with self._lock:
            self._store = Store()
            self._save()

    # -- transitions ---------------------------------------------------------------------------

    def _settle(self, records: Iterable[JobRecord]) -> None:
        """Apply every transition the clock says has happened by now."""
        now = self.clock()
        changed = False
        for record in records:
            while True:
                job = record.job
                cancel = record.cancel_requested
                step = progression.due(
                    job["state"],
                    job.get("tuningJobState"),
                    parse_time(job["createTime"]),
                    parse_time(cancel) if cancel else None,
                    self.job_seconds,
                    now,
                )
                if step is None:
                    break
                at = max(step.at, parse_time(job["updateTime"]))
                if step.phase is None:
                    self._end(record, states.CANCELLED, at)
                else:
                    self._enter(record, step.phase, at)
                changed = True
        if changed:
            self._save()

    def _enter(self, record: JobRecord, phase: Phase, at: datetime) -> None:
        """Put a job in `phase` as of `at`, with the side effects the service has."""
        job = record.job
        if phase.state == states.RUNNING and "startTime" not in job:
            self._start(record, at)
        if phase.detail == progression.PROCESSING_DATASET:
            try:
                self._read_data(record)
            except datasets.DatasetError as exc:
                self._end(
                    record,
                    states.FAILED,
                    at,
                    {"code": STATUSES[exc.status][1], "message": exc.message},
                )
                return
        if phase.state == states.SUCCEEDED:
            self._succeed(record, at)
            return
        job.update(state=phase.state, tuningJobState=phase.detail, updateTime=timestamp(at))
        if phase.detail == progression.POST_PROCESSING:
            epochs, steps = self._epochs(record), record.stats or {}
            job["tuningJobMetadata"] = {
                "completedEpochCount": str(epochs),
                "completedStepCount": str(steps.get("tuningStepCount", "0")),
            }

    def _start(self, record: JobRecord, at: datetime) -> None:
        parent = record.name.split("/tuningJobs/")[0]
        context = f"tuning-experiment-{at:%Y%m%d%H%M%S%f}"
        record.job["startTime"] = timestamp(at)
        record.job["experiment"] = f"{parent}/metadataStores/default/contexts/{context}"

    def _force_success(self, record: JobRecord, at: datetime) -> None:
        """The control API says SUCCEEDED: data that cannot be read teaches nothing."""
        if "startTime" not in record.job:
            self._start(record, at)
        if record.lessons is None:
            try:
                self._read_data(record)
            except datasets.DatasetError:
                record.lessons = []
        self._succeed(record, at)

    def _succeed(self, record: JobRecord, at: datetime) -> None:
        job = record.job
        spec = job[_spec_key(job)]
        epochs = self._epochs(record)
        schedule = checkpoints.schedule(
            epochs, record.examples, last_only=bool(spec.get("exportLastCheckpointOnly"))
        )
        version, _ = registry.publish(self._store, record, schedule, new_id=self._new_id, at=at)
        job["tunedModel"] = registry.tuned_model(
            version, intermediate=not spec.get("exportLastCheckpointOnly")
        )
        if record.stats is not None:
            key = (
                "preferenceOptimizationDataStats"
                if record.method == catalog.PREFERENCE
                else "supervisedTuningDataStats"
            )
            job["tuningDataStats"] = {key: record.stats}
        steps = str((record.stats or {}).get("tuningStepCount", schedule[-1].step))
        job["tuningJobMetadata"] = {"completedEpochCount": str(epochs), "completedStepCount": steps}
        if "evaluationConfig" in spec:
            self._evaluate(record, version, spec["evaluationConfig"])
        now = timestamp(at)
        job.pop("tuningJobState", None)
        job.update(state=states.SUCCEEDED, updateTime=now, endTime=now)

    def _evaluate(self, record: JobRecord, version: VersionRecord, config: Json) -> None:
        parent = record.name.split("/tuningJobs/")[0]
        job_id = record.name.rsplit("/", 1)[-1]
        references = record.validation or record.lessons or []

        def answer(prompt: str, share: float) -> str:
            return answers.tuned_answer(prompt, version.lessons, share, version.base_model)

        record.job["evaluateDatasetRuns"] = evaluation.runs(
            config,
            version.checkpoints,
            references,
            answer,
            parent=parent,
            job_id=job_id,
            new_id=lambda: self._new_id(f"{parent}/evaluationRuns/"),
        )
        record.job["gcsMetricsUri"] = evaluation.metrics_uri(config, job_id)

    def _end(self, record: JobRecord, state: str, at: datetime, error: Json | None = None) -> None:
        code, message = DEFAULT_ERRORS.get(state, (0, ""))
        if error:
            code, message = int(error.get("code", code)), str(error.get("message", message))
        now = timestamp(at)
        record.job.pop("tuningJobState", None)
        record.job.update(
            state=state, error={"code": code, "message": message}, updateTime=now, endTime=now
        )

    def _epochs(self, record: JobRecord) -> int:
        spec = record.job[_spec_key(record.job)]
        epochs = int((spec.get("hyperParameters") or {}).get("epochCount", 0))
        return epochs or checkpoints.DEFAULT_EPOCHS

    def _read_data(self, record: JobRecord) -> None:
        """Read and check the datasets as the service does when the job starts running."""
        spec = record.job[_spec_key(record.job)]
        model = catalog.tunable(record.base_model)
        limits = model.limits if model else catalog.Limits()
        preference = record.method == catalog.PREFERENCE
        training = self._read(spec["trainingDatasetUri"], "training", record, limits, preference)
        validation = None
        if spec.get("validationDatasetUri"):
            uri = spec["validationDatasetUri"]
            validation = self._read(uri, "validation", record, limits, preference)
        datasets.check_limits(record.base_model, limits, training, validation)
        epochs = self._epochs(record)
        stats = datasets.preference_stats if preference else datasets.supervised_stats
        record.stats = stats(training, epochs)
        record.lessons = datasets.lessons(training)
        record.validation = datasets.lessons(validation) if validation else None
        record.examples = len(training)

    def _read(
        self, uri: str, kind: str, record: JobRecord, limits: catalog.Limits, preference: bool
    ) -> list[datasets.Example]:
        source = uri
        if is_dataset(uri):
            resolved = self._store.datasets.get(normalize(uri))
            if resolved is None:
                raise datasets.DatasetError("NOT_FOUND", f"{kind.title()} dataset not found: {uri}")
            source = resolved
        try:
            data = self.storage.read(source, record.project_id)
        except ObjectMissing as exc:
            raise datasets.DatasetError(
                "NOT_FOUND", f"{kind.title()} data not found: {uri}"
            ) from exc
        except Exception as exc:  # the storage service itself failed: report, do not crash
            raise datasets.DatasetError(
                "INTERNAL", f"Failed to read {kind} data {uri}: {exc}"
            ) from exc
        datasets.check_size(uri, len(data), kind, limits)
        return datasets.parse(uri, data, kind, preference=preference)

    # -- lookups and naming --------------------------------------------------------------------

    def _parent(self, project: str, location: str) -> str:
        return f"projects/{project_number(project)}/locations/{location}"

    def _job(self, name: str) -> JobRecord:
        if name not in self._store.jobs:
            raise not_found("TuningJob", name)
        return self._store.jobs[name]

    def _job_by_id(self, job_id: str) -> JobRecord:
        job_id = job_id.rsplit("/", 1)[-1]
        for name, record in self._store.jobs.items():
            if name.endswith(f"/tuningJobs/{job_id}"):
                return record
        raise not_found("TuningJob", job_id)

    def _find_version(self, parent: str, name: str) -> tuple[ModelRecord, VersionRecord] | None:
        plain = normalize(name)
        prefix = f"{parent}/models/"
        if not plain.startswith(prefix):
            return None
        return registry.find(self._store, parent, plain.removeprefix(prefix))

    def _endpoint(self, parent: str, endpoint_id: str) -> Json:
        name = f"{parent}/endpoints/{endpoint_id}"
        if name not in self._store.endpoints:
            raise not_found("Endpoint", name)
        return self._store.endpoints[name]

    def _new_id(self, prefix: str) -> str:
        """A 19-digit numeric id, as the service assigns, unused under `prefix`."""
        taken = self._store.jobs.keys() | self._store.models.keys() | self._store.endpoints.keys()
        while True:
            candidate = str(self._rng.randrange(10**18, 10**19))
            if prefix + candidate not in taken:
                return candidate

    def _operation(
        self,
        resource: str,
        metadata_type: str,
        *,
        response_type: str = operations.EMPTY,
        response: Json | None = None,
    ) -> Json:
        """A long-running operation, stored so GetOperation finds (and finishes) it later."""
        name = f"{resource}/operations/{self._rng.randrange(10**18, 10**19)}"
        record = operations.new(
            name,
            metadata_type,
            self.clock(),
            polls=self.operation_polls,
            response_type=response_type,
            response=response,
        )
        self._store.operations[name] = record
        self._save()
        return copy.deepcopy(record)

    # -- persistence ---------------------------------------------------------------------------

    def _save(self) -> None:
        """Called after every change."""
        if self.state_file is not None:
            self._store.save(self.state_file)


def registry_checkpoint(checkpoint: Mapping[str, Any]) -> Json:
    """A ModelVersionCheckpoint as ListModelVersionCheckpoints answers it."""
    return {k: checkpoint[k] for k in ("checkpointId", "epoch", "step")}


def _spec_key(job: Mapping[str, Any]) -> str:
    return (
        "preferenceOptimizationSpec"
        if "preferenceOptimizationSpec" in job
        else "supervisedTuningSpec"
    )


def _page_size(page_size: int) -> int:
    if page_size < 0:
        raise invalid_argument("pageSize must not be negative.", "page_size")
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
