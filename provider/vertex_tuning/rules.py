"""Google Cloud's naming and value rules, as pydantic types every resource's inputs share.

Each rule is a full match (`re.fullmatch`: `$` would let a trailing newline through, and a job
named `.../locations/us-central1\\n/...` be created) and raises a ValueError that names the
rule, which resources/base.py turns into the failure Pulumi shows. Sources: Cloud Storage
bucket and object naming (cloud.google.com/storage/docs/buckets#naming, /objects#naming),
resource-manager project IDs, GCP labels (cloud.google.com/resource-manager/docs/labels-overview).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

# --- projects, regions, identities ------------------------------------------------------------

_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20}")
_LOCATION = re.compile(r"[a-z]+(?:-[a-z]+)+\d+")
_SERVICE_ACCOUNT = re.compile(r"[^@\s]+@[^@\s]+")
_KMS_KEY = re.compile(r"projects/[^/\s]+/locations/[^/\s]+/keyRings/[^/\s]+/cryptoKeys/[^/\s]+")


def project_id(value: str) -> str:
    if not _PROJECT.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a GCP project ID (6-30 lowercase letters, digits or '-', "
            "starting with a letter) or project number"
        )
    return value


def location(value: str) -> str:
    if not _LOCATION.fullmatch(value):
        raise ValueError(f"{value!r} is not a Vertex AI region like us-central1")
    return value


def service_account(value: str) -> str:
    if not _SERVICE_ACCOUNT.fullmatch(value):
        raise ValueError(f"{value!r} must be a service account email")
    return value


def kms_key_name(value: str) -> str:
    if not _KMS_KEY.fullmatch(value):
        raise ValueError(f"{value!r} must be projects/P/locations/L/keyRings/R/cryptoKeys/K")
    return value


ProjectId = Annotated[str, AfterValidator(project_id)]
Location = Annotated[str, AfterValidator(location)]
ServiceAccount = Annotated[str, AfterValidator(service_account)]
KmsKeyName = Annotated[str, AfterValidator(kms_key_name)]

# --- Cloud Storage ----------------------------------------------------------------------------

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9._-]*[a-z0-9]")
MAX_OBJECT_NAME_BYTES = 1024


def bucket_name(value: str) -> str:
    """Cloud Storage's bucket naming rules, each broken one named."""
    if value.startswith("gs://"):
        raise ValueError(f"{value!r} must be a bucket name, without gs:// or a path")
    problem = _bucket_problem(value)
    if problem:
        raise ValueError(f"{value!r} is not a Cloud Storage bucket name: {problem}")
    return value


def _bucket_problem(value: str) -> str:
    if not _BUCKET_CHARS.fullmatch(value) or len(value) < 3:
        return (
            "3-63 lowercase letters, digits, '-', '_' or '.' (222 with dots), starting and "
            "ending with a letter or digit"
        )
    if "." in value:
        if len(value) > 222 or any(len(part) > 63 or not part for part in value.split(".")):
            return "names with dots may be up to 222 characters, each dot-separated part 1-63"
    elif len(value) > 63:
        return "names without dots may be at most 63 characters"
    if ".." in value or ".-" in value or "-." in value:
        return "'.' may not stand next to another '.' or a '-'"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return "it may not be an IP address"
    if value.startswith("goog") or "google" in value or "g00gle" in value:
        return "it may not begin with 'goog' or contain 'google'"
    return ""


def object_name(value: str) -> str:
    """Cloud Storage's object naming rules (and ours: no `.`/`..` segments, no trailing '/')."""
    problem = _object_problem(value)
    if problem:
        raise ValueError(f"object name {value!r} {problem}")
    return value


def _object_problem(value: str) -> str:
    if not value:
        return "is empty"
    if len(value.encode("utf-8", "surrogatepass")) > MAX_OBJECT_NAME_BYTES:
        return f"is over {MAX_OBJECT_NAME_BYTES} bytes of UTF-8"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x84 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        return "holds a control character or a lone surrogate"
    if value.startswith(".well-known/acme-challenge/"):
        return "may not begin with .well-known/acme-challenge/"
    if any(part in (".", "..") for part in value.split("/")):
        return "may not hold '.' or '..' segments"
    if value.endswith("/"):
        return "names a folder (ends with '/'); name the JSONL object"
    return ""


def gcs_object_uri(value: str) -> str:
    """`gs://bucket/object`, both parts by Cloud Storage's rules."""
    if not value.startswith("gs://") or "/" not in value[5:]:
        raise ValueError(
            f"{value!r} must be a Cloud Storage object URI like gs://bucket/path/data.jsonl"
        )
    bucket, _, name = value[5:].partition("/")
    problem = _bucket_problem(bucket) or _object_problem(name)
    if problem:
        raise ValueError(f"{value!r} is not a Cloud Storage object URI: {problem}")
    return value


def gcs_prefix_uri(value: str) -> str:
    """`gs://bucket/prefix/`: where a service writes objects (a trailing "/" is fine)."""
    if not value.startswith("gs://"):
        raise ValueError(f"{value!r} must be a Cloud Storage prefix like gs://bucket/results/")
    bucket, _, prefix = value[5:].partition("/")
    problem = _bucket_problem(bucket) or (_object_problem(prefix.rstrip("/")) if prefix else "")
    if problem:
        raise ValueError(f"{value!r} is not a Cloud Storage prefix: {problem}")
    return value


def object_prefix(value: str) -> str:
    """A folder-like prefix for object names: no `.`/`..` segments, within the name limit."""
    stripped = value.strip("/")
    if stripped:
        problem = _object_problem(stripped)
        if problem:
            raise ValueError(f"prefix {value!r}: {problem.replace('object name ', '')}")
    return stripped


BucketName = Annotated[str, AfterValidator(bucket_name)]
GcsObjectUri = Annotated[str, AfterValidator(gcs_object_uri)]
ObjectPrefix = Annotated[str, AfterValidator(object_prefix)]

# --- labels -----------------------------------------------------------------------------------

MAX_LABELS = 64
_LABEL_CHARS = re.compile(r"[\w-]{1,63}", re.UNICODE)


def label_map(labels: dict[str, str], reserved: frozenset[str] = frozenset()) -> dict[str, str]:
    """GCP label rules; `reserved` keys belong to the provider and count against the limit."""
    limit = MAX_LABELS - len(reserved)
    if len(labels) > limit:
        raise ValueError(
            f"at most {limit} labels ({len(reserved)} of GCP's {MAX_LABELS} are the provider's); "
            f"got {len(labels)}"
        )
    for key, value in labels.items():
        if key in reserved:
            raise ValueError(f"label {key!r} is reserved for the provider's own bookkeeping")
        if not (_LABEL_CHARS.fullmatch(key) and key[0].isalpha() and key == key.lower()):
            raise ValueError(
                f"label key {key!r} must be 1-63 lowercase letters, digits, '_' or '-', "
                "starting with a lowercase letter"
            )
        if (
            len(value) > 63
            or (value and not _LABEL_CHARS.fullmatch(value))
            or value != value.lower()
        ):
            raise ValueError(
                f"label {key!r} value {value!r} must be at most 63 lowercase letters, "
                "digits, '_' or '-'"
            )
    return labels


# --- text, numbers, durations ------------------------------------------------------------------


def printable(value: str) -> str:
    """No control characters (a NUL ends a string in many of Google's backends)."""
    bad = next((c for c in value if (ord(c) < 0x20 and c not in "\t\n") or ord(c) == 0x7F), None)
    if bad is not None:
        raise ValueError(f"must not contain the control character U+{ord(bad):04X}")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("must not contain a lone UTF-16 surrogate")
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def not_bool(value: Any) -> Any:
    """Pydantic reads `true` as 1: a boolean where a number belongs is a mistake, not a one."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(d|h|m|s)")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> Any:
    """Seconds from 3600, 3600.0, "90m", "1h30m", "2d"; anything else is left for the rule."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return float(text)
        parts = _DURATION.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if isinstance(value, str | bool):  # pydantic would read `true` as 1 second
        raise ValueError(f'{value!r} is not a duration: use seconds or e.g. "90m", "6h", "1h30m"')
    return value


Text = Annotated[str, AfterValidator(printable)]
NonBlankText = Annotated[str, AfterValidator(printable), AfterValidator(not_blank)]
Seconds = Annotated[float, BeforeValidator(parse_duration)]
Count = Annotated[int, BeforeValidator(not_bool)]
Number = Annotated[float, BeforeValidator(not_bool)]
DisplayName = Annotated[
    str, Field(min_length=1, max_length=128), AfterValidator(printable), AfterValidator(not_blank)
]
