"""Cloud Storage for tuning data: the client, object reads, uploads, deletes, and the check of
gs:// datasets before a job is submitted.

google.cloud.storage is imported inside functions: `pulumi preview` (check, diff) never pays for
it. The client honours STORAGE_EMULATOR_HOST itself (anonymous credentials, local endpoint).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from vertex_tuning import dataset
from vertex_tuning.settings import Settings

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"
JSONL_CONTENT_TYPE = "application/jsonl"
READ_CHUNK_BYTES = 4 << 20
#: Issues shown when a pre-submit check fails; the counts in the report stay exact.
REPORT_ISSUES = 50


class StorageError(Exception):
    """A Cloud Storage call failed: "verb noun (gs://...): STATUS: cause"."""

    def __init__(self, action: str, uri: str, status: str, cause: str) -> None:
        super().__init__(f"{action} ({uri}): {status}: {cause}")
        self.status = status
        self.cause = cause


class ObjectMissing(StorageError):
    """The object or its bucket does not exist: a value at the edges, not a failure."""


class DatasetInvalid(Exception):
    """A dataset failed the validator; the message carries its report."""


def client(settings: Settings, project: str | None) -> Any:
    """A storage client for this operation; never stored (it holds credentials)."""
    from google.cloud import storage

    credentials = None  # the client finds Application Default Credentials itself
    if settings.access_token and not os.environ.get(EMULATOR_ENV):
        from google.oauth2.credentials import Credentials

        credentials = Credentials(token=settings.access_token)  # type: ignore[no-untyped-call]
    return storage.Client(project=project, credentials=credentials)


def split_uri(uri: str) -> tuple[str, str]:
    """gs://bucket/path/to/object -> (bucket, path/to/object)."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    return bucket, name


def exists(storage: Any, uri: str) -> bool:
    """Whether the object exists (a missing bucket counts as a missing object)."""
    bucket, name = split_uri(uri)
    return bool(_call("reading", uri, lambda: storage.bucket(bucket).blob(name).exists()))


def upload(storage: Any, uri: str, *, filename: str | None = None, text: str | None = None) -> None:
    """Write a local file or a string to `uri`, replacing any object of that name."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    bucket, name = split_uri(uri)
    blob = storage.bucket(bucket).blob(name)
    # Objects are named by their content, so overwriting is idempotent and safe to retry (the
    # client retries unconditional uploads only when told).
    options: dict[str, Any] = {"content_type": JSONL_CONTENT_TYPE, "retry": DEFAULT_RETRY}
    try:
        if filename is not None:
            _call("uploading", uri, lambda: blob.upload_from_filename(filename, **options))
        else:
            _call("uploading", uri, lambda: blob.upload_from_string(text or "", **options))
    except ObjectMissing:
        raise StorageError(
            "uploading object",
            uri,
            "NOT_FOUND",
            f"bucket {bucket!r} does not exist; create it first (the provider never creates or "
            "deletes buckets)",
        ) from None


def delete(storage: Any, uri: str) -> bool:
    """Remove the object; False when it was already gone."""
    bucket, name = split_uri(uri)
    try:
        _call("deleting", uri, lambda: storage.bucket(bucket).blob(name).delete())
    except ObjectMissing:
        return False
    return True


@contextlib.contextmanager
def open_lines(storage: Any, uri: str) -> Iterator[Iterator[bytes]]:
    """The object's lines (with their terminators), streamed; ObjectMissing when it is absent."""
    from google.api_core import exceptions

    bucket, name = split_uri(uri)
    # The reader downloads on first read, so a missing object shows up inside the block.
    try:
        with storage.bucket(bucket).blob(name).open("rb") as handle:
            yield _lines(handle)
    except exceptions.GoogleAPICallError as exc:
        raise _mapped("reading", uri, exc) from None


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    # BlobReader has no peek(), so iterating it reads one byte per call (ten times slower than
    # the validator); split big chunks here instead.
    rest = b""
    while chunk := handle.read(READ_CHUNK_BYTES):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest


def verify_datasets(
    storage: Any,
    uris: Sequence[tuple[str, dataset.Purpose]],
    *,
    emit: Callable[[str], None],
) -> None:
    """Stream each gs:// dataset through the validator; raise with the report if any fails."""
    for uri, purpose in uris:
        what = f"{purpose} data"
        try:
            with open_lines(storage, uri) as lines:
                report = dataset.validate_lines(
                    lines, source=uri, purpose=purpose, max_issues=REPORT_ISSUES
                )
        except StorageError as exc:
            missing = isinstance(exc, ObjectMissing)
            cause = "the object (or its bucket) does not exist" if missing else exc.cause
            fix = "upload it first" if missing else "let this identity read it"
            raise StorageError(
                f"checking {what}",
                uri,
                exc.status,
                f"{cause}; no tuning job was submitted ({fix}, or set validate_data=False to "
                "leave the check to Vertex AI)",
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


def _call(action: str, uri: str, call: Callable[[], Any]) -> Any:
    from google.api_core import exceptions

    try:
        return call()
    except exceptions.GoogleAPICallError as exc:
        raise _mapped(action, uri, exc) from None


# api_core prefixes REST errors with the request line; the service's own words follow it.
_REQUEST_LINE = re.compile(r"^[A-Z]+ https?://\S+: ")


def _mapped(action: str, uri: str, exc: Any) -> StorageError:
    """The one error mapping for storage calls: 404 is ObjectMissing, the rest StorageError."""
    from google.api_core import exceptions

    status = getattr(exc.grpc_status_code, "name", None) or str(exc.code)
    cause = _REQUEST_LINE.sub("", str(exc.message))
    kind = ObjectMissing if isinstance(exc, exceptions.NotFound) else StorageError
    return kind(f"{action} object", uri, status, cause)
