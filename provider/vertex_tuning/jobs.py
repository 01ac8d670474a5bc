"""Find, submit, wait, cancel: the tuning-job workflows the provider and the CLI share."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vertex_tuning import interrupts, names, ownership, progress, states, wire
from vertex_tuning.errors import ApiError, JobFailed, JobInterrupted, JobTimeout, NotFound
from vertex_tuning.progress import ProgressLines, format_elapsed
from vertex_tuning.retry import is_transient
from vertex_tuning.vertex import Vertex
from vertex_tuning.waiter import PollPolicy, WaitTimeout, wait

if TYPE_CHECKING:
    from vertex_tuning.resources.tuning_job_inputs import TuningJobInputs

Emit = Callable[[str], None]


# --- find ---


def find_adoptable(vertex: Vertex, inputs: TuningJobInputs, fingerprint: str) -> wire.Job | None:
    """A job this resource already started with this spec that is running or has a live model.

    Vertex AI has no idempotency key, so the fingerprint label is how an interrupted
    `pulumi up` (or a create whose response was lost) finds its job instead of paying twice.
    """
    parent = names.parent(inputs.project, inputs.location)
    for body in vertex.list_jobs(parent, filter=ownership.job_filter(fingerprint)):
        job = wire.job_from_api(body)
        if states.is_active(job.state):
            return job
        endpoint = job.tuned_endpoint
        live = functools.partial(vertex.get_endpoint, endpoint)
        if job.state == states.SUCCEEDED and endpoint and read_confirmed(vertex, live):
            return job
    return None


def find_by_owner(vertex: Vertex, name: str, owner: str) -> dict[str, Any] | None:
    """The job `name` as a list of its owner's jobs shows it: a second witness before a read's
    NotFound is believed (a list is served by another backend than a get)."""
    found = names.parse(name, names.TUNING_JOBS)
    if found is None or not owner:
        return None
    for body in vertex.list_jobs(found.parent, filter=ownership.owner_filter(owner)):
        if names.same(str(body.get("name", "")), name):
            return body
    return None


# --- submit ---


def adopt_or_submit(
    vertex: Vertex,
    inputs: TuningJobInputs,
    *,
    emit: Emit,
    check_data: Callable[[], None] | None = None,
) -> wire.Job:
    """Adopt this resource's job if one exists, else submit exactly one.

    `check_data` runs once before the first submission and raises to submit nothing; an adopted
    job was checked when it was submitted.
    """
    fingerprint = ownership.fingerprint(inputs)
    parent = names.parent(inputs.project, inputs.location)
    label = f"tuning job {inputs.label}"
    attempt = 0
    while True:
        existing = find_adoptable(vertex, inputs, fingerprint)
        if existing is not None:
            emit(
                progress.prefixed(
                    label,
                    f"adopting {existing.name} ({progress.status(existing, progress.utc_now())}),"
                    " started by an earlier update that did not finish; "
                    f"{names.console_url(existing.name)}. If Pulumi warns of pending operations, "
                    "`pulumi refresh --clear-pending-creates --yes` clears them once this "
                    "update has succeeded",
                )
            )
            return existing
        if check_data is not None:
            check_data()
            check_data = None  # a resubmission after a lost response reads the data once only
        body = wire.job_request(inputs, ownership.labels(inputs, fingerprint))
        try:
            created = vertex.create_job(parent, body)
        except ApiError as exc:
            # A lost response may still have created the job: look again before resubmitting.
            cause = exc.__cause__
            if cause is None or not is_transient(cause) or attempt + 1 >= vertex.retry.attempts:
                raise
            vertex.sleep(vertex.retry.backoff(attempt))
            attempt += 1
            continue
        job = wire.job_from_api(created)
        # A status line too: the link shows once, live on the row, not again in the summary.
        submitted = progress.prefixed(
            label, f"submitted {job.name} · {names.console_url(job.name)}"
        )
        emit(f"{progress.STATUS_MARK}{submitted}" if progress.ON_OWN_ROW else submitted)
        return job


# --- wait ---


def wait_for_job(
    vertex: Vertex,
    name: str,
    *,
    timeout: float,
    policy: PollPolicy,
    on_status: Callable[[wire.Job, float], None] | None = None,
    current: wire.Job | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> wire.Job:
    """Poll until the job is terminal.

    Stopping early raises a WaitStopped whose `job` is the last one seen (the job itself keeps
    running): JobTimeout at the deadline, JobInterrupted when the host is told to cancel.
    `current`: the job as just returned by create or list, which saves the first GetTuningJob.
    """
    seen: list[wire.Job] = [current] if current is not None else []

    def status(job: wire.Job, elapsed: float) -> None:
        seen[:] = [job]
        if on_status is not None:
            on_status(job, elapsed)

    try:
        return wait(
            lambda: wire.job_from_api(vertex.get_job(name)),
            lambda job: states.is_terminal(job.state),
            timeout=timeout,
            policy=policy,
            on_status=status,
            current=current,
            clock=clock,
            sleep=vertex.sleep,
        )
    except WaitTimeout as exc:
        last: wire.Job = exc.last
        raise JobTimeout(
            f"tuning job {name} is still {states.short(last.state)} after "
            f"{format_elapsed(exc.elapsed)}; it keeps running. Run `pulumi up` again to resume "
            "waiting on this job (it is not submitted again), raise the `timeout` input, or "
            f"cancel it with `vertex-tuning jobs cancel {name}`.",
            last,
        ) from None
    except interrupts.Cancelled:
        last = seen[0] if seen else wire.Job(name=name, state=states.PENDING)
        raise JobInterrupted(
            f"tuning job {name}: stopped waiting ({interrupts.reason()}); the job keeps running "
            f"({states.short(last.state)}) and the next `pulumi up` resumes waiting on it",
            last,
        ) from None


def tune(
    vertex: Vertex,
    inputs: TuningJobInputs,
    *,
    emit: Emit,
    check_data: Callable[[], None] | None = None,
) -> wire.Job:
    """Submit (or adopt) and wait for success; failures raise with the service's words."""
    job = adopt_or_submit(vertex, inputs, emit=emit, check_data=check_data)
    return await_success(vertex, inputs, job.name, emit=emit, current=job)


def await_success(
    vertex: Vertex,
    inputs: TuningJobInputs,
    name: str,
    *,
    emit: Emit,
    current: wire.Job | None = None,
) -> wire.Job:
    """Wait for a job this resource owns (just submitted, adopted, or resumed) to succeed."""
    label = f"tuning job {inputs.label}"
    policy = PollPolicy(initial=inputs.poll_interval, maximum=inputs.max_poll_interval)
    job = wait_for_job(
        vertex,
        name,
        timeout=inputs.timeout,
        policy=policy,
        on_status=ProgressLines(label, emit),
        current=current,
    )
    if job.state != states.SUCCEEDED:
        raise JobFailed(failure_message(job))
    return job


def failure_message(job: wire.Job) -> str:
    """ "tuning job (name) ended FAILED: NOT_FOUND (5): Training data not found ... Hint: ..."."""
    error = job.error
    if job.state == states.CANCELLED and (not error or error.message in ("", "CANCELLED")):
        # The service's own words are "CANCELLED (1): CANCELLED"; this update did not do it.
        cause = "cancelled outside this update (in the console, the CLI or through the API)"
    elif error:
        cause = f"{wire.code_name(error.code)} ({error.code}): {error.message}"
    else:
        cause = "no error given"
    return (
        f"tuning job ({job.name}) ended {states.short(job.state)}: {cause}. "
        f"Hint: {failure_hint(job)}"
    )


def failure_hint(job: wire.Job) -> str:
    """The seed guide's troubleshooting advice for a failed job's error."""
    message = (job.error.message if job.error else "").lower()
    if job.state == states.CANCELLED:
        return "run `pulumi up` to submit it again"
    if job.state == states.EXPIRED:
        return "the job expired before it could run; run `pulumi up` to submit it again"
    if "not found" in message:
        return "check the gs:// URI, that the object exists and that Vertex AI may read the bucket"
    if "format" in message or "json" in message:
        return "run `vertex-tuning validate FILE` and fix each reported line"
    if "insufficient" in message or "too few" in message:
        return "add more diverse examples (at least 100 are recommended) and remove duplicates"
    return "check the error above, the data quality, or try a lower learning_rate_multiplier"


def serve_checkpoint(vertex: Vertex, model: str, checkpoint_id: str, *, emit: Emit) -> None:
    """Make the tuned model serve `checkpoint_id`: a Model update, no retraining.

    The versioned name (`.../models/ID@2`): each version of a continuously tuned model has
    checkpoints of its own.
    """
    body, mask = wire.model_update(checkpoint_id)
    vertex.update_model(model, body, update_mask=mask)
    emit(f"tuned model {model}: serving checkpoint {checkpoint_id}")


# --- status of what a job made, and its repair ---


@dataclass(frozen=True)
class Serving:
    """What a consumer of a succeeded job would find: the tuned model, and an endpoint that
    serves it ("" when none does)."""

    model: bool
    endpoint: str

    def gone(self, job: wire.Job) -> str:
        """What is missing, in words ("" when nothing is)."""
        if not self.model:
            return f"the tuned model {job.tuned_model} is gone"
        if not self.endpoint:
            return f"the endpoint {job.tuned_endpoint} is gone and no other serves the model"
        return ""


def serving(vertex: Vertex, job: wire.Job, checkpoint_id: str = "") -> Serving:
    """Read (confirmed, never one answer) whether the model and an endpoint serving its
    `checkpoint_id` (the default checkpoint) still exist.

    The job's own endpoint first; after a repair the model is deployed elsewhere, which the
    Model's deployedModels tell (another checkpoint's endpoint is not a stand-in).
    """
    if not job.tuned_model:
        return Serving(False, "")
    model = read_confirmed(vertex, functools.partial(vertex.get_model, job.tuned_model))
    if model is None:
        return Serving(False, "")
    checkpoint_id = checkpoint_id or wire.default_checkpoint(model)
    candidates = dict.fromkeys([job.tuned_endpoint, *wire.deployed_endpoints(model, checkpoint_id)])
    for endpoint in candidates:
        live = functools.partial(vertex.get_endpoint, endpoint)
        if endpoint and read_confirmed(vertex, live) is not None:
            return Serving(True, endpoint)
    return Serving(True, "")


def redeploy(
    vertex: Vertex, job: wire.Job, checkpoint_id: str, *, timeout: float, emit: Emit
) -> str:
    """Deploy the tuned model to a new endpoint (no retraining); the endpoint's name.

    The repair for an endpoint deleted outside Pulumi: the Model Registry's own deploy
    (endpoints.create, then endpoints.deployModel with the checkpoint it served), with the
    job's labels so the endpoint is this resource's.
    """
    found = names.parse(job.name, names.TUNING_JOBS)
    assert found is not None
    created = finish_operation(
        vertex,
        lambda: vertex.create_endpoint(
            found.parent, wire.endpoint_request(job.display_name, job.labels)
        ),
        timeout=timeout,
    )
    endpoint = str(wire.operation_result(created or {}).get("name") or "")
    if not endpoint:
        raise ApiError("creating endpoint", job.display_name, "INTERNAL", "no endpoint returned")
    body = wire.deploy_request(job.tuned_model, job.display_name, checkpoint_id)
    finish_operation(vertex, lambda: vertex.deploy_model(endpoint, body), timeout=timeout)
    emit(f"tuning job {job.display_name}: the tuned model is deployed again, to {endpoint}")
    return endpoint


# --- cancel and clean up ---

#: How many times delete tries to make a thing gone before it reports that it is not.
DELETE_ATTEMPTS = 3


def cancel_and_clean_up(
    vertex: Vertex,
    name: str,
    *,
    owner: str,
    on_delete: str,
    model: str,
    endpoint: str,
    timeout: float,
    emit: Emit,
) -> None:
    """Delete: stop a running job, then remove what `on_delete` says, and only what is ours.

    Already gone is success, but "gone" is never one answer's word (see `read_confirmed`), and
    what was deleted is read again until it is confirmed gone. Nothing whose owner label names
    another resource is cancelled or deleted.
    """
    found = read_confirmed(vertex, lambda: vertex.get_job(name))
    job = wire.job_from_api(found) if found is not None else None
    if job is not None and not ownership.belongs_to(job.labels, owner):
        emit(f"tuning job {name}: not this resource's (its owner label says another); left alone")
        return
    if job is not None and states.is_active(job.state):
        emit(f"tuning job {name}: cancelling ({states.short(job.state)})")
        try:
            vertex.cancel_job(name)
        except ApiError as exc:
            if exc.status != "FAILED_PRECONDITION":  # it finished meanwhile
                raise
        job = wait_for_job(vertex, name, timeout=timeout, policy=PollPolicy(initial=1.0))
    endpoints = [endpoint]
    if job is not None:
        model = job.tuned_model or model
        # Each checkpoint is deployed on an endpoint of its own; the model is deleted only
        # once none of them serves it.
        endpoints = [job.tuned_endpoint or endpoint, *job.checkpoint_endpoints]
    if on_delete == "keep":
        return
    for each in dict.fromkeys(e for e in endpoints if e):
        _delete(
            vertex,
            each,
            read=vertex.get_endpoint,
            delete=functools.partial(_undeploy_and_delete_endpoint, vertex, timeout=timeout),
            owner=owner,
            emit=emit,
        )
    if on_delete == "delete_model" and model:
        _delete(
            vertex,
            model,
            read=vertex.get_model,
            delete=lambda _found: _delete_model_version(vertex, model, timeout=timeout),
            owner=owner,
            emit=emit,
        )


def _delete_model_version(vertex: Vertex, model: str, *, timeout: float) -> None:
    """Delete this job's version of the model (continuous tuning adds versions to one model,
    each another resource's), or the whole model when it is the only version."""
    found = names.parse(model, names.MODELS)
    if found is not None and found.version:
        try:
            finish_operation(vertex, lambda: vertex.delete_model_version(model), timeout=timeout)
            return
        except ApiError as exc:
            if exc.status != "FAILED_PRECONDITION":  # "the only version of the model"
                raise
    unversioned = found.unversioned if found is not None else model
    finish_operation(vertex, lambda: vertex.delete_model(unversioned), timeout=timeout)


def _delete(
    vertex: Vertex,
    name: str,
    *,
    read: Callable[[str], dict[str, Any]],
    delete: Callable[[dict[str, Any]], object],
    owner: str,
    emit: Emit,
) -> None:
    """Delete `name` until a confirmed read says it is gone; refuse if another resource owns it."""
    parsed = names.parse(name)
    kind = parsed.collection.removesuffix("s") if parsed else "resource"
    for attempt in range(DELETE_ATTEMPTS):
        found = read_confirmed(vertex, lambda: read(name))
        if found is None:
            if attempt:
                emit(f"deleted {kind} {name}")
            return
        if not ownership.belongs_to(found.get("labels") or {}, owner):
            emit(f"{kind} {name}: not this resource's (its owner label says another); left alone")
            return
        delete(found)
    raise ApiError(
        f"deleting {kind}",
        name,
        "FAILED_PRECONDITION",
        f"it still exists after {DELETE_ATTEMPTS} deletes; the resource stays in state, so "
        "`pulumi destroy` can try again",
    )


def _undeploy_and_delete_endpoint(vertex: Vertex, found: dict[str, Any], *, timeout: float) -> None:
    endpoint = str(found["name"])
    for deployed in wire.deployed_model_ids(found):
        finish_operation(
            vertex, functools.partial(vertex.undeploy_model, endpoint, deployed), timeout=timeout
        )
    finish_operation(vertex, lambda: vertex.delete_endpoint(endpoint), timeout=timeout)


def read_confirmed(vertex: Vertex, read: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """What `read` answers, or None when it is confirmed gone: one 404 is not believed.

    A NotFound is read again after the retry policy's first backoff (a lagging replica or a
    proxy's answer is not the resource's absence); only a second NotFound says gone.
    """
    try:
        return read()
    except NotFound:
        vertex.sleep(vertex.retry.backoff(0))
    try:
        return read()
    except NotFound:
        return None


def finish_operation(
    vertex: Vertex, start: Callable[[], dict[str, Any]], *, timeout: float
) -> dict[str, Any] | None:
    """Start a long-running operation and wait for it with the one waiter; 404 is done.

    Each GetOperation goes through the one retry policy; a failed operation raises ApiError.
    """
    try:
        operation = start()
    except NotFound:
        return None
    name = str(operation.get("name") or "")
    if not operation.get("done") and name:
        operation = wait(
            lambda: vertex.get_operation(name),
            lambda op: bool(op.get("done")),
            timeout=timeout,
            policy=PollPolicy(initial=0.5),
            current=operation,
            sleep=vertex.sleep,
        )
    failed = wire.operation_error(operation)
    if failed is not None:
        status, message = failed
        raise ApiError("waiting for operation", name, status, message)
    return operation
