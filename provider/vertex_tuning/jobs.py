"""Find, submit, wait, cancel: the tuning-job workflows the provider and the CLI share."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from vertex_tuning import states, wire
from vertex_tuning.errors import JobFailed, JobTimeout, NotFound, VertexError
from vertex_tuning.progress import ProgressLines, format_elapsed
from vertex_tuning.settings import console_url
from vertex_tuning.spec import TuningJobInputs
from vertex_tuning.vertex import Vertex, is_transient
from vertex_tuning.waiter import PollPolicy, WaitTimeout, wait

Emit = Callable[[str], None]


def find_adoptable(vertex: Vertex, inputs: TuningJobInputs, fingerprint: str) -> wire.Job | None:
    """A job this resource already started with this spec that is running or has a live model.

    Vertex AI has no idempotency key, so the fingerprint label is how an interrupted
    `pulumi up` (or a create whose response was lost) finds its job instead of paying twice.
    """
    parent = wire.parent_of(inputs.project, inputs.location)
    for api_job in vertex.list_jobs(parent, filter=wire.fingerprint_filter(fingerprint)):
        job = wire.job_from_api(api_job)
        if states.is_active(job.state):
            return job
        if job.state == states.SUCCEEDED and _exists(vertex, job.tuned_endpoint):
            return job
    return None


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
    fingerprint = wire.fingerprint(inputs)
    parent = wire.parent_of(inputs.project, inputs.location)
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
        try:
            created = vertex.create_job(parent, wire.spec_to_api(inputs, fingerprint))
        except VertexError as exc:
            # A lost response may still have created the job: look again before resubmitting.
            cause = exc.__cause__
            if cause is None or not is_transient(cause) or attempt + 1 >= vertex.retry.attempts:
                raise
            vertex.sleep(vertex.retry.backoff(attempt, None))
            attempt += 1
            continue
        job = wire.job_from_api(created)
        emit(f"{label}: submitted {job.name} {console_url(job.name)}")
        return job


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
        f"Hint: {wire.failure_hint(job)}"
    )


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
        job = wire.job_from_api(vertex.get_job(name))
    except NotFound:
        job = None
    if job is not None and states.is_active(job.state):
        emit(f"tuning job {name}: cancelling ({states.short(job.state)})")
        try:
            vertex.cancel_job(name)
        except VertexError as exc:
            if exc.status != "FAILED_PRECONDITION":  # it finished meanwhile
                raise
        job = wait_for_job(vertex, name, timeout=timeout, policy=PollPolicy(initial=1.0))
    if job is not None:
        model = job.tuned_model or model
        endpoint = job.tuned_endpoint or endpoint
    if on_delete == "keep":
        return
    if endpoint:
        _delete_endpoint(vertex, endpoint, timeout=timeout, emit=emit)
    if on_delete == "delete_model" and model:
        _finish(vertex, lambda: vertex.delete_model(model.split("@", 1)[0]), timeout)
        emit(f"deleted model {model}")


def _delete_endpoint(vertex: Vertex, endpoint: str, *, timeout: float, emit: Emit) -> None:
    try:
        found = vertex.get_endpoint(endpoint)
    except NotFound:
        return
    for deployed in found.deployed_models:
        _finish(
            vertex, functools.partial(vertex.undeploy_model, endpoint, str(deployed.id)), timeout
        )
    _finish(vertex, lambda: vertex.delete_endpoint(endpoint), timeout)
    emit(f"deleted endpoint {endpoint}")


def _finish(vertex: Vertex, start: Callable[[], object], timeout: float) -> None:
    """Start a long-running operation and wait for it with the one waiter; 404 is done."""
    try:
        operation = start()
    except NotFound:
        return
    done = getattr(operation, "done", None)
    if callable(done):
        wait(
            lambda: bool(done()),
            bool,
            timeout=timeout,
            policy=PollPolicy(initial=0.5),
            sleep=vertex.sleep,
        )
        error = operation.exception()  # type: ignore[attr-defined]
        if error is not None:
            raise error


def _exists(vertex: Vertex, endpoint: str) -> bool:
    if not endpoint:
        return False
    try:
        vertex.get_endpoint(endpoint)
    except NotFound:
        return False
    return True
