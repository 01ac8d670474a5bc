"""Find, submit, wait, cancel: the tuning-job workflows the provider and the CLI share."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vertex_tuning import names, ownership, states, wire
from vertex_tuning.errors import ApiError, JobFailed, JobTimeout, NotFound
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
        if job.state == states.SUCCEEDED and _exists(vertex, job.tuned_endpoint):
            return job
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
    label = f"tuning job {inputs.tuned_model_display_name}"
    attempt = 0
    while True:
        existing = find_adoptable(vertex, inputs, fingerprint)
        if existing is not None:
            emit(
                f"{label}: adopting {existing.name} ({states.short(existing.state)}), "
                "started by an earlier update that did not finish. If Pulumi warns of pending "
                "operations, `pulumi refresh --clear-pending-creates --yes` clears them once "
                "this update has succeeded"
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
        emit(f"{label}: submitted {job.name} {names.console_url(job.name)}")
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
    """Poll until the job is terminal; raises JobTimeout (the job keeps running) at the deadline.

    `current`: the job as just returned by create or list, which saves the first GetTuningJob.
    """
    try:
        return wait(
            lambda: wire.job_from_api(vertex.get_job(name)),
            lambda job: states.is_terminal(job.state),
            timeout=timeout,
            policy=policy,
            on_status=on_status,
            current=current,
            clock=clock,
            sleep=vertex.sleep,
        )
    except WaitTimeout as exc:
        last: wire.Job = exc.last
        raise JobTimeout(
            f"tuning job {name} is still {states.short(last.state)} after "
            f"{format_elapsed(exc.elapsed)}; it keeps running. Run `pulumi up` again to resume "
            "waiting (the job is adopted, not submitted again), raise the `timeout` input, or "
            f"cancel it with `vertex-tuning jobs cancel {name}`."
        ) from None


def tune(
    vertex: Vertex,
    inputs: TuningJobInputs,
    *,
    emit: Emit,
    check_data: Callable[[], None] | None = None,
) -> wire.Job:
    """Submit (or adopt) and wait for success; failures raise with the service's words."""
    label = f"tuning job {inputs.tuned_model_display_name}"
    job = adopt_or_submit(vertex, inputs, emit=emit, check_data=check_data)
    policy = PollPolicy(initial=inputs.poll_interval, maximum=inputs.max_poll_interval)
    job = wait_for_job(
        vertex,
        job.name,
        timeout=inputs.timeout,
        policy=policy,
        on_status=ProgressLines(label, emit),
        current=job,
    )
    if job.state != states.SUCCEEDED:
        raise JobFailed(failure_message(job))
    return job


def failure_message(job: wire.Job) -> str:
    """ "tuning job (name) FAILED: NOT_FOUND (5): Training data not found ... Hint: ..."."""
    error = job.error
    cause = (
        f"{wire.code_name(error.code)} ({error.code}): {error.message}"
        if error
        else "no error given"
    )
    return (
        f"tuning job ({job.name}) ended {states.short(job.state)}: {cause}. "
        f"Hint: {failure_hint(job)}"
    )


def failure_hint(job: wire.Job) -> str:
    """The seed guide's troubleshooting advice for a failed job's error."""
    message = (job.error.message if job.error else "").lower()
    if job.state == states.CANCELLED:
        return "the job was cancelled outside this update; run `pulumi up` to submit it again"
    if job.state == states.EXPIRED:
        return "the job expired before it could run; run `pulumi up` to submit it again"
    if "not found" in message:
        return "check the gs:// URI, that the object exists and that Vertex AI may read the bucket"
    if "format" in message or "json" in message:
        return "run `vertex-tuning validate FILE` and fix each reported line"
    if "insufficient" in message or "too few" in message:
        return "add more diverse examples (at least 100 are recommended) and remove duplicates"
    return "check the error above, the data quality, or try a lower learning_rate_multiplier"


# --- cancel and clean up ---


def cancel_and_clean_up(
    vertex: Vertex,
    name: str,
    *,
    on_delete: str,
    model: str,
    endpoint: str,
    timeout: float,
    emit: Emit,
) -> None:
    """Delete: stop a running job, then remove what `on_delete` says. Already gone is success."""
    try:
        job: wire.Job | None = wire.job_from_api(vertex.get_job(name))
    except NotFound:
        job = None
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
        _delete_endpoint(vertex, each, timeout=timeout, emit=emit)
    if on_delete == "delete_model" and model:
        unversioned = model.split("@", 1)[0]
        finish_operation(vertex, lambda: vertex.delete_model(unversioned), timeout=timeout)
        emit(f"deleted model {model}")


def _delete_endpoint(vertex: Vertex, endpoint: str, *, timeout: float, emit: Emit) -> None:
    try:
        found = vertex.get_endpoint(endpoint)
    except NotFound:
        return
    for deployed in wire.deployed_model_ids(found):
        finish_operation(
            vertex, functools.partial(vertex.undeploy_model, endpoint, deployed), timeout=timeout
        )
    finish_operation(vertex, lambda: vertex.delete_endpoint(endpoint), timeout=timeout)
    emit(f"deleted endpoint {endpoint}")


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


def _exists(vertex: Vertex, endpoint: str) -> bool:
    if not endpoint:
        return False
    try:
        vertex.get_endpoint(endpoint)
    except NotFound:
        return False
    return True
