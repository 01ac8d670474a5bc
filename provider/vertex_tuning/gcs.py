"""Cloud Storage for tuning data: the client, object reads, uploads, deletes, and the check of
gs:// datasets before a job is submitted.

Every call goes through the one retry policy (retry.py) with the client's own retries off, and
fails through the one error mapping (wire.describe) as ApiError, NotFound for a missing object
or bucket. google.cloud.storage is imported inside functions: `pulumi preview` (check, diff)
never pays for it. The client honours STORAGE_EMULATOR_HOST itself (anonymous credentials,
local endpoint).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TypeVar

from vertex_tuning import dataset, interrupts
from vertex_tuning.dataset.read import lines_of
from vertex_tuning.errors import ApiError, DatasetInvalid, NotFound
from vertex_tuning.retry import RetryPolicy
from vertex_tuning.settings import Settings

T = TypeVar("T")

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
JSONL_CONTENT_TYPE = "application/jsonl"
READ_CHUNK_BYTES = 4 << 20
#: Issues shown when a pre-submit check fails; the counts in the report stay exact.
REPORT_ISSUES = 50
#: The retry policy of storage calls; tests replace it to decide every delay.
RETRY = RetryPolicy()

__all__ = [
    "ApiError",
    "DatasetInvalid",
    "NotFound",
    "client",
    "delete",
    "exists",
    "open_lines",
    "split_uri",
    "upload",
    "verify_datasets",
]


def client(settings: Settings, project: str | None) -> Any:
    """A storage client for this operation; never stored (it holds credentials)."""
    from google.cloud import storage

    credentials = None  # the client finds Application Default Credentials itself
    if settings.access_token and not os.environ.get(EMULATOR_ENV):
        from google.oauth2.credentials import Credentials

        credentials = Credentials(token=settings.access_token)  # type: ignore[no-untyped-call]
    # The engine's gs:// state backend (gocloud) reads STORAGE_EMULATOR_HOST as host:port, this
    # client as a URL, and the provider inherits the engine's environment: take both forms.
    emulator = os.environ.get(EMULATOR_ENV, "")
    options = {"api_endpoint": f"http://{emulator}"} if emulator and "://" not in emulator else None
    return storage.Client(project=project, credentials=credentials, client_options=options)


def split_uri(uri: str) -> tuple[str, str]:
    """gs://bucket/path/to/object -> (bucket, path/to/object)."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def exists(storage: Any, uri: str) -> bool:
    """Whether the object exists (a missing bucket counts as a missing object)."""
    bucket, name = split_uri(uri)
    return bool(
        _call("reading object", uri, lambda: storage.bucket(bucket).blob(name).exists(retry=None))
    )


def checksum(storage: Any, uri: str) -> str | None:
    """The object's MD5 (base64), or None when it is confirmed gone (two reads, a backoff
    apart: one 404 is not believed)."""
    for attempt in range(2):
        found = _md5(storage, uri)
        if found is not None:
            return found
        if attempt == 0:
            interrupts.sleep(RETRY.backoff(0))
    return None


def upload(storage: Any, uri: str, *, filename: str | None = None, text: str | None = None) -> None:
    """Write a local file or a string to `uri`, replacing any object of that name.

    Objects are named by their content, so overwriting is idempotent and safe to retry.
    """
    bucket, name = split_uri(uri)
    blob = storage.bucket(bucket).blob(name)
    options: dict[str, Any] = {"content_type": JSONL_CONTENT_TYPE, "retry": None}
    try:
        if filename is not None:
            _call("uploading object", uri, lambda: blob.upload_from_filename(filename, **options))
        else:
            _call("uploading object", uri, lambda: blob.upload_from_string(text or "", **options))
    except NotFound:
        raise ApiError(
            "uploading object",
            uri,
            "NOT_FOUND",
            f"bucket {bucket!r} does not exist; create it first (the provider never creates or "
            "deletes buckets)",
            http_status=404,
        ) from None


def delete(storage: Any, uri: str) -> bool:
    """Remove the object; False when it was already gone."""
    bucket, name = split_uri(uri)
    try:
        _call("deleting object", uri, lambda: storage.bucket(bucket).blob(name).delete(retry=None))
    except NotFound:
        return False
    return True


@contextlib.contextmanager
def open_lines(storage: Any, uri: str) -> Iterator[Iterator[bytes]]:
    """The object's lines (with their terminators), streamed; NotFound when it is absent."""
    from google.api_core import exceptions

    bucket, name = split_uri(uri)
    blob = storage.bucket(bucket).blob(name)
    # The reader downloads on first read: fetch the first chunk inside the retry policy, so a
    # missing object or a transient failure shows up here and not half-way through the file.
    handle = blob.open("rb", retry=None)
    try:
        first = _call("reading object", uri, lambda: handle.read(READ_CHUNK_BYTES))
        try:
            yield _lines(first, handle)
        except exceptions.GoogleAPICallError as exc:
            raise _mapped("reading object", uri, exc) from None
    finally:
        with contextlib.suppress(Exception):
            handle.close()


def _lines(first: bytes, handle: IO[bytes]) -> Iterator[bytes]:
    # BlobReader has no peek(), so iterating it reads one byte per call (ten times slower than
    # the validator); split big chunks here instead, each line cut at the validator's cap so an
    # object with an endless line cannot fill memory.
    def chunks() -> Iterator[bytes]:
        chunk = first
        while chunk:
            yield chunk
            chunk = handle.read(READ_CHUNK_BYTES)

    return lines_of(chunks(), dataset.DEFAULT_LIMITS.line_bytes)


def verify_datasets(
    storage: Any,
    uris: Sequence[tuple[str, dataset.Purpose]],
    *,
    emit: Callable[[str], None],
    method: dataset.Method = "supervised",
    limits: dataset.Limits = dataset.DEFAULT_LIMITS,
) -> None:
    """Stream each gs:// dataset through the validator; raise with the report if any fails."""
    for uri, purpose in uris:
        what = f"{purpose} data"
        try:
            report = _validated(storage, uri, purpose, method, limits)
        except ApiError as exc:
            missing = isinstance(exc, NotFound)
            cause = "the object (or its bucket) does not exist" if missing else exc.message
            fix = "upload it first" if missing else "let this identity read it"
            raise type(exc)(
                f"checking {what}",
                uri,
                exc.status,
                f"{cause}; no tuning job was submitted ({fix}, or set validate_data=False to "
                "leave the check to Vertex AI)",
                http_status=exc.http_status,
            ) from None
        if not report.ok:
            raise DatasetInvalid(
                f"checking {what} ({uri}): INVALID: "
                f"{report.error_count:,} error{'s' if report.error_count != 1 else ''}; "
                "no tuning job was submitted. Fix the data, or set validate_data=False to "
                f"submit it anyway.\n{dataset.format_report(report)}"
            )
        count = report.warning_count
        warnings = f", {count:,} warning{'s' if count != 1 else ''}" if count else ""
        emit(f"checked {what} {uri}: {report.stats.examples:,} examples, OK{warnings}")


#: Reports of the objects this process validated, by object, content MD5 and the rules applied:
#: a sweep of jobs over one dataset reads and validates it once, not once per job (the host's
#: creates share one interpreter lock, so 64 jobs would validate it 64 times in a row). A
#: rewritten object has another MD5 and is validated again.
_reports: dict[tuple[str, str, str, str, str], dataset.DatasetReport] = {}
_report_locks: dict[tuple[str, str, str, str, str], threading.Lock] = {}
_report_locks_lock = threading.Lock()


def _validated(
    storage: Any,
    uri: str,
    purpose: dataset.Purpose,
    method: dataset.Method,
    limits: dataset.Limits,
) -> dataset.DatasetReport:
    """The validator's report on the object: its own, or this process's for the same content."""

    def validate() -> dataset.DatasetReport:
        with open_lines(storage, uri) as lines:
            return dataset.validate_lines(
                lines,
                source=uri,
                purpose=purpose,
                max_issues=REPORT_ISSUES,
                method=method,
                limits=limits,
            )

    md5 = _md5(storage, uri) or ""
    if not md5:  # absent (open_lines says so in its words), or a store that gives no MD5
        return validate()
    key = (uri, md5, purpose, method, repr(limits))
    with _report_locks_lock:
        lock = _report_locks.setdefault(key, threading.Lock())
    with lock:  # the jobs of a sweep arrive together: one validates, the others wait for it
        report = _reports.get(key)
        if report is None:
            report = validate()
            if _md5(storage, uri) == md5:  # not rewritten while it was read
                _reports[key] = report
    return report


def _md5(storage: Any, uri: str) -> str | None:
    """The object's MD5 (base64) by one read: None when that read finds it absent, "" from a
    store that gives no MD5."""
    bucket, name = split_uri(uri)
    try:
        found = _call(
            "reading object", uri, lambda: storage.bucket(bucket).get_blob(name, retry=None)
        )
    except NotFound:  # the bucket
        return None
    return str(found.md5_hash or "") if found is not None else None


def _call(action: str, uri: str, call: Callable[[], T]) -> T:
    """One storage call through the retry policy; a failure mapped as every Google call is."""
    from google.api_core import exceptions

    from vertex_tuning.retry import is_transient

    try:
        return RETRY.run(call, sleep=interrupts.sleep)
    except Exception as exc:
        if isinstance(exc, exceptions.GoogleAPICallError) or is_transient(exc):
            raise _mapped(action, uri, exc) from None
        raise


def _mapped(action: str, uri: str, exc: BaseException) -> ApiError:
    from vertex_tuning import wire
    from vertex_tuning.retry import http_status

    status, message = wire.describe(exc)
    code = http_status(exc)
    kind = NotFound if code == 404 else ApiError
    return kind(action, uri, status, message, http_status=code)
