"""The emulated service's state: tuning jobs, models, endpoints and operations behind one lock,
written to a JSON state file after every change so a restarted emulator carries on."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from google.cloud.aiplatform_v1 import types
from google.protobuf import empty_pb2
from google.rpc import status_pb2

from vertex_tuning import states
from vertex_tuning.emulator import answers, datasets, listing, prediction, progression, tuned
from vertex_tuning.emulator.errors import (
    STATUSES,
    ApiError,
    failed_precondition,
    invalid_argument,
    not_found,
)
from vertex_tuning.emulator.progression import Clock
from vertex_tuning.emulator.records import (
    JobRecord,
    ModelRecord,
    Store,
    copy,
    normalize,
    project_number,
)
from vertex_tuning.emulator.storage import GcsReader, ObjectMissing
from vertex_tuning.emulator.validation import validate_create

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

#: Errors a job ends with when the control API forces a state without saying why.
DEFAULT_ERRORS = {
    states.FAILED: (13, "Internal error occurred. Please retry the tuning job."),
    states.CANCELLED: (1, "CANCELLED"),
    states.EXPIRED: (4, "The tuning job expired before it could run."),
}


class Backend:
    """All resources of all projects; every public method is one atomic service call."""

    def __init__(
        self,
        storage: GcsReader,
        *,
        job_seconds: float = 5.0,
        clock: Clock = progression.system_clock,
        state_file: Path | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.storage = storage
        self.job_seconds = job_seconds
        self.clock = clock
        self.state_file = state_file
        self._rng = rng or random.Random()
        self._lock = threading.RLock()
        exists = state_file is not None and state_file.exists()
        self._store = Store.load(state_file) if state_file and exists else Store()

    # -- tuning jobs -------------------------------------------------------------------------

    def create_job(self, project: str, location: str, job: Any) -> Any:
        """CreateTuningJob: validate like the service, pick a numeric id, start PENDING."""
        with self._lock:
            base = validate_create(job, self._tuned_model_base)
            now = self.clock()
            parent = self._parent(project, location)
            job_id = self._new_id(f"{parent}/tuningJobs/")
            job.name = f"{parent}/tuningJobs/{job_id}"
            job.state = types.JobState.JOB_STATE_PENDING
            job.create_time = now
            job.update_time = now
            if "pre_tuned_model" in job:
                job.pre_tuned_model.base_model = base
            self._store.seq += 1
            self._store.jobs[job.name] = JobRecord(job, project, self._store.seq, base)
            self._save()
            return copy(job)

    def get_job(self, project: str, location: str, job_id: str) -> Any:
        with self._lock:
            record = self._job(f"{self._parent(project, location)}/tuningJobs/{job_id}")
            self._settle([record])
            return copy(record.job)

    def list_jobs(
        self, project: str, location: str, filter_: str, page_size: int, page_token: str
    ) -> Any:
        """ListTuningJobs: newest first, filtered, paged by an opaque creation cursor."""
        matches = listing.parse_filter(filter_)
        if page_size < 0:
            raise invalid_argument("pageSize must not be negative.", "page_size")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        cursor = listing.decode_token(page_token)
        with self._lock:
            parent = self._parent(project, location) + "/tuningJobs/"
            records = [r for r in self._store.jobs.values() if r.job.name.startswith(parent)]
            self._settle(records)
            records.sort(key=lambda r: r.seq, reverse=True)
            selected = [r for r in records if (cursor is None or r.seq < cursor) and matches(r.job)]
            page = selected[:size]
            response = types.ListTuningJobsResponse(tuning_jobs=[copy(r.job) for r in page])
            if len(selected) > size:
                response.next_page_token = listing.encode_token(page[-1].seq)
            return response

    def cancel_job(self, project: str, location: str, job_id: str) -> None:
        """CancelTuningJob: PENDING/RUNNING -> CANCELLING; finished jobs are a precondition."""
        with self._lock:
            record = self._job(f"{self._parent(project, location)}/tuningJobs/{job_id}")
            self._settle([record])
            state = record.job.state.name
            if state == states.CANCELLING:
                return
            if state not in progression.CANCELLABLE:
                raise failed_precondition(
                    f"Cannot cancel TuningJob {record.job.name}: it is already in state {state}."
                )
            record.cancel_requested = self.clock()
            self._enter(record, states.CANCELLING, record.cancel_requested)
            self._save()

    # -- models and endpoints ----------------------------------------------------------------

    def get_model(self, project: str, location: str, model_id: str) -> Any:
        with self._lock:
            return copy(self._model(self._parent(project, location), model_id).model)

    def delete_model(self, project: str, location: str, model_id: str) -> dict[str, Any]:
        """DeleteModel (LRO): refused while the model is deployed, as on the service."""
        with self._lock:
            record = self._model(self._parent(project, location), model_id)
            name = record.model.name
            if record.model.deployed_models:
                endpoints = ", ".join(ref.endpoint for ref in record.model.deployed_models)
                raise failed_precondition(
                    f'The Model "{name}" is deployed or being deployed at the following '
                    f"Endpoint(s): {endpoints}. Undeploy it before deleting it."
                )
            del self._store.models[name]
            return self._operation(name, types.DeleteOperationMetadata, empty_pb2.Empty())

    def get_endpoint(self, project: str, location: str, endpoint_id: str) -> Any:
        with self._lock:
            return copy(self._endpoint(self._parent(project, location), endpoint_id))

    def delete_endpoint(self, project: str, location: str, endpoint_id: str) -> dict[str, Any]:
        """DeleteEndpoint (LRO): refused while models are deployed on it."""
        with self._lock:
            endpoint = self._endpoint(self._parent(project, location), endpoint_id)
            if endpoint.deployed_models:
                ids = ", ".join(d.id for d in endpoint.deployed_models)
                raise failed_precondition(
                    f"Endpoint {endpoint.name} has deployed models ({ids}); undeploy them "
                    "before deleting the endpoint."
                )
            del self._store.endpoints[endpoint.name]
            return self._operation(endpoint.name, types.DeleteOperationMetadata, empty_pb2.Empty())

    def undeploy_model(
        self, project: str, location: str, endpoint_id: str, deployed_model_id: str
    ) -> dict[str, Any]:
        """UndeployModel (LRO): detach the deployed model from the endpoint and the model."""
        with self._lock:
            endpoint = self._endpoint(self._parent(project, location), endpoint_id)
            if not deployed_model_id:
                raise invalid_argument("deployedModelId is required.", "deployed_model_id")
            deployed = [d for d in endpoint.deployed_models if d.id == deployed_model_id]
            if not deployed:
                raise ApiError(
                    "NOT_FOUND",
                    f"DeployedModel {deployed_model_id} does not exist in Endpoint "
                    f"{endpoint.name}.",
                )
            now = self.clock()
            endpoint.deployed_models = [
                d for d in endpoint.deployed_models if d.id != deployed_model_id
            ]
            endpoint.traffic_split.pop(deployed_model_id, None)
            endpoint.update_time = now
            model = self._store.models.get(deployed[0].model)
            if model is not None:
                model.model.deployed_models = [
                    ref
                    for ref in model.model.deployed_models
                    if ref.deployed_model_id != deployed_model_id
                ]
                model.model.update_time = now
            response = types.UndeployModelResponse.pb(types.UndeployModelResponse())
            return self._operation(endpoint.name, types.UndeployModelOperationMetadata, response)

    def get_operation(self, name: str) -> dict[str, Any]:
        with self._lock:
            key = normalize(name)
            if key not in self._store.operations:
                raise not_found("Operation", name)
            return dict(self._store.operations[key])

    # -- prediction --------------------------------------------------------------------------

    def generate_content(self, model: str, request: Any) -> Any:
        """GenerateContent on a tuned endpoint (training answers) or a base model (generic)."""
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
        matches = [e for e in self._store.endpoints.values() if e.name.endswith(f"/{endpoint_id}")]
        if model.startswith("projects/"):
            parent, _, _ = model.partition("/endpoints/")
            matches = [e for e in matches if e.name.startswith(normalize(parent) + "/")]
        if not matches:
            raise not_found("Endpoint", model)
        endpoint = matches[0]
        if not endpoint.deployed_models:
            raise failed_precondition(f"Endpoint {endpoint.name} has no deployed model.")
        record = self._store.models.get(endpoint.deployed_models[0].model)
        if record is None:
            raise failed_precondition(f"Endpoint {endpoint.name} serves a deleted model.")
        return record.base_model, answers.tuned_answer(prompt, record.pairs, record.base_model)

    # -- control -----------------------------------------------------------------------------

    def all_jobs(self) -> list[Any]:
        """Every job of every project, newest first, progressed to now."""
        with self._lock:
            records = sorted(self._store.jobs.values(), key=lambda r: r.seq, reverse=True)
            self._settle(records)
            return [copy(r.job) for r in records]

    def advance(self, job_id: str) -> Any:
        """Move a job to its next state now, whatever the clock says."""
        with self._lock:
            record = self._job_by_id(job_id)
            self._settle([record])
            state = record.job.state.name
            if state not in progression.NEXT:
                raise failed_precondition(f"TuningJob {record.job.name} is in final state {state}.")
            self._enter(record, progression.NEXT[state], self.clock())
            self._save()
            return copy(record.job)

    def finish(self, job_id: str, state: str | None, error: dict[str, Any] | None) -> Any:
        """End a job now: its natural outcome, or the given final state (and error)."""
        if state is not None and state not in progression.FINAL_CHOICES:
            choices = ", ".join(sorted(progression.FINAL_CHOICES))
            raise invalid_argument(f"state must be one of {choices}, got {state}.", "state")
        with self._lock:
            record = self._job_by_id(job_id)
            self._settle([record])
            if record.job.state.name in states.TERMINAL:
                raise failed_precondition(
                    f"TuningJob {record.job.name} is in final state {record.job.state.name}."
                )
            now = self.clock()
            if state is None:
                while record.job.state.name not in states.TERMINAL:
                    self._enter(record, progression.NEXT[record.job.state.name], now)
            else:
                self._enter(record, state, now, error)
            self._save()
            return copy(record.job)

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
                step = progression.due(
                    job.state.name,
                    job.create_time,
                    record.cancel_requested,
                    self.job_seconds,
                    now,
                )
                if step is None:
                    break
                self._enter(record, step.state, max(step.at, job.update_time))
                changed = True
        if changed:
            self._save()

    def _enter(
        self, record: JobRecord, state: str, at: datetime, error: dict[str, Any] | None = None
    ) -> None:
        """Put a job in `state` as of `at`, with the side effects the service has."""
        job = record.job
        if state == states.RUNNING:
            self._start(record, at)
            try:
                self._read_data(record)
            except datasets.DatasetError as exc:
                self._end(record, states.FAILED, at, STATUSES[exc.status][1], exc.message)
                return
        elif state == states.SUCCEEDED:
            if "start_time" not in job:
                self._start(record, at)
            if record.pairs is None:
                try:
                    self._read_data(record)
                except datasets.DatasetError:
                    record.pairs = []  # forced success: no data, no stats
            self._publish(record, at)
        if state in (states.FAILED, states.CANCELLED, states.EXPIRED):
            code, message = DEFAULT_ERRORS[state]
            if error:
                code, message = int(error.get("code", code)), str(error.get("message", message))
            self._end(record, state, at, code, message)
            return
        job.state = types.JobState.__members__[state]
        job.update_time = at
        if state == states.SUCCEEDED:
            job.end_time = at

    def _start(self, record: JobRecord, at: datetime) -> None:
        job = record.job
        job.start_time = at
        parent = job.name.split("/tuningJobs/")[0]
        context = f"tuning-experiment-{at:%Y%m%d%H%M%S%f}"
        job.experiment = f"{parent}/metadataStores/default/contexts/{context}"

    def _end(self, record: JobRecord, state: str, at: datetime, code: int, message: str) -> None:
        job = record.job
        job.state = types.JobState.__members__[state]
        job.error = status_pb2.Status(code=code, message=message)
        job.update_time = at
        job.end_time = at

    def _read_data(self, record: JobRecord) -> None:
        """Read and check the datasets as the service does when the job starts running."""
        spec = record.job.supervised_tuning_spec
        training = self._read(spec.training_dataset_uri, "training", record.project_id)
        if spec.validation_dataset_uri:
            self._read(spec.validation_dataset_uri, "validation", record.project_id)
        epochs = spec.hyper_parameters.epoch_count
        record.stats = datasets.stats(training, epochs)
        record.pairs = datasets.pairs(training)

    def _read(self, uri: str, kind: str, project: str) -> list[datasets.Example]:
        try:
            data = self.storage.read(uri, project)
        except ObjectMissing as exc:
            raise datasets.DatasetError(
                "NOT_FOUND", f"{kind.title()} data not found: {uri}"
            ) from exc
        except Exception as exc:  # the storage service itself failed: report, do not crash
            raise datasets.DatasetError(
                "INTERNAL", f"Failed to read {kind} data {uri}: {exc}"
            ) from exc
        return datasets.parse(uri, data, kind)

    def _publish(self, record: JobRecord, at: datetime) -> None:
        """A succeeded job's Model and Endpoint, deployed, as the service creates them."""
        job = record.job
        parent = job.name.split("/tuningJobs/")[0]
        model, endpoint = tuned.resources(
            job,
            record.base_model,
            model_name=f"{parent}/models/{self._new_id(f'{parent}/models/')}",
            endpoint_name=f"{parent}/endpoints/{self._new_id(f'{parent}/endpoints/')}",
            deployed_model_id=str(self._rng.randrange(10**18, 10**19)),
            at=at,
        )
        pairs = (record.pairs or []) + self._tuned_model_pairs(job)
        self._store.models[model.name] = ModelRecord(model, record.base_model, pairs)
        self._store.endpoints[endpoint.name] = endpoint
        job.tuned_model = types.TunedModel(model=f"{model.name}@1", endpoint=endpoint.name)
        if record.stats is not None:
            job.tuning_data_stats = types.TuningDataStats(supervised_tuning_data_stats=record.stats)

    def _tuned_model_pairs(self, job: Any) -> list[list[str]]:
        """Continuous tuning keeps what the pre-tuned model learned."""
        if "pre_tuned_model" not in job:
            return []
        previous = self._store.models.get(
            normalize(job.pre_tuned_model.tuned_model_name.split("@")[0])
        )
        return list(previous.pairs) if previous else []

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

    def _model(self, parent: str, model_id: str) -> ModelRecord:
        plain, _, version = model_id.partition("@")
        name = f"{parent}/models/{plain}"
        if name not in self._store.models or version not in ("", "1", "default"):
            raise not_found("Model", f"{parent}/models/{model_id}")
        return self._store.models[name]

    def _endpoint(self, parent: str, endpoint_id: str) -> Any:
        name = f"{parent}/endpoints/{endpoint_id}"
        if name not in self._store.endpoints:
            raise not_found("Endpoint", name)
        return self._store.endpoints[name]

    def _tuned_model_base(self, name: str) -> str | None:
        plain, _, version = normalize(name).partition("@")
        record = self._store.models.get(plain)
        if record is None or version not in ("", "1", "default"):
            return None
        return record.base_model

    def _new_id(self, prefix: str) -> str:
        """A 19-digit numeric id, as the service assigns, unused under `prefix`."""
        taken = self._store.jobs.keys() | self._store.models.keys() | self._store.endpoints.keys()
        while True:
            candidate = str(self._rng.randrange(10**18, 10**19))
            if prefix + candidate not in taken:
                return candidate

    def _operation(self, resource: str, metadata_type: Any, response: Any) -> dict[str, Any]:
        """A finished long-running operation, stored so GetOperation finds it later."""
        name = f"{resource}/operations/{self._rng.randrange(10**18, 10**19)}"
        operation = tuned.finished_operation(name, metadata_type, response, self.clock())
        self._store.operations[name] = operation
        self._save()
        return dict(operation)

    # -- persistence ---------------------------------------------------------------------------

    def _save(self) -> None:
        """Called after every change."""
        if self.state_file is not None:
            self._store.save(self.state_file)
