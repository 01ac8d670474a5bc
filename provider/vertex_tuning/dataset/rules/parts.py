"""Rules for a list of parts: one kind per part, text, media, function calls and responses.

A part holds exactly one of text, inlineData, fileData, functionCall, functionResponse (the v1
Part.data union, minus code execution, which tuning does not take); videoMetadata may ride along
with inlineData/fileData only.
"""

from __future__ import annotations

import re
from typing import Any

from vertex_tuning.dataset.rules.common import Errors, fields, join, kind, show, spellings
from vertex_tuning.dataset.rules.shape import BASE64, check_message

__all__ = ["KIND_NAMES", "check_parts"]

_PART_KINDS = spellings("text", "inlineData", "fileData", "functionCall", "functionResponse")
_PART_METADATA = spellings("videoMetadata")
KIND_NAMES = "text, inlineData, fileData, functionCall, functionResponse"
_MEDIA_KINDS = ("inlineData", "fileData")
_FILE_DATA_FIELDS = spellings("mimeType", "fileUri")
_INLINE_DATA_FIELDS = spellings("mimeType", "data")
_MIME_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+")
_GCS_URI = re.compile(r"gs://[^/\s]+/\S.*")


def check_parts(value: Any, path: str, errs: Errors, *, text_only: str = "") -> tuple[int, bool]:
    """Check a parts list; return (text characters, has media).

    `text_only`, when given, says where only text parts are allowed (and is the message's reason).
    """
    if not isinstance(value, list):
        errs.append((path, f"must be a non-empty list of parts, got {kind(value)}"))
        return 0, False
    if not value:
        errs.append((path, "must not be empty"))
        return 0, False
    chars = 0
    media = False
    for j, part in enumerate(value):
        if isinstance(part, dict) and len(part) == 1:
            text = part.get("text")
            if isinstance(text, str) and text and not text.isspace():
                chars += len(text)
                continue
        part_chars, part_media = _check_part(part, f"{path}[{j}]", errs, text_only)
        chars += part_chars
        media = media or part_media
    return chars, media


def _check_part(part: Any, ppath: str, errs: Errors, text_only: str) -> tuple[int, bool]:
    if not isinstance(part, dict):
        errs.append((ppath, f'must be an object such as {{"text": ...}}, got {kind(part)}'))
        return 0, False
    kinds: list[tuple[str, str, Any]] = []
    metadata: str | None = None
    unknown = False
    for key, item in part.items():
        canon = _PART_KINDS.get(key)
        if canon is not None:
            kinds.append((canon, key, item))
        elif key in _PART_METADATA:
            metadata = key
            check_message(item, "VideoMetadata", f"{ppath}.{key}", errs)
        else:
            unknown = True
            errs.append((ppath, f"unknown field {show(key)}; a part holds one of {KIND_NAMES}"))
    if not kinds:
        if not unknown:
            errs.append((ppath, f"must hold exactly one of {KIND_NAMES}; found none"))
        return 0, False
    if len(kinds) > 1:
        names = " and ".join(show(key) for _, key, _ in kinds)
        errs.append((ppath, f"must hold exactly one of {KIND_NAMES}; found {names}"))
        return 0, False
    canon, key, item = kinds[0]
    kpath = f"{ppath}.{key}"
    if metadata is not None and canon not in _MEDIA_KINDS:
        errs.append((f"{ppath}.{metadata}", "only allowed with inlineData or fileData"))
    if text_only and canon != "text":
        errs.append((ppath, f"only text parts are accepted {text_only}, found {show(key)}"))
        return 0, False
    if canon == "text":
        if not isinstance(item, str):
            errs.append((kpath, f"must be a string, got {kind(item)}"))
        elif not item:
            errs.append((kpath, "must not be empty"))
        elif item.isspace():
            errs.append((kpath, "must not be empty (only whitespace)"))
        else:
            return len(item), False
        return 0, False
    if canon in _MEDIA_KINDS:
        _check_media(canon, item, kpath, errs)
        return 0, True
    _check_function(item, kpath, errs, response=canon == "functionResponse")
    return 0, False


def _check_mime(value: Any, path: str, errs: Errors) -> None:
    if not isinstance(value, str) or not _MIME_TYPE.fullmatch(value):
        errs.append((path, f'must be a MIME type such as "image/png", got {show(value)}'))


def _gcs_uri_problem(uri: Any) -> str | None:
    if isinstance(uri, str) and _GCS_URI.fullmatch(uri):
        return None
    return f"must be a Cloud Storage URI gs://bucket/object, got {show(uri)}"


def _base64_problem(data: Any) -> str | None:
    if isinstance(data, str) and data and BASE64.fullmatch(data):
        return None
    return (
        "must be non-empty base64-encoded bytes (A-Z, a-z, 0-9, +/ or -_, in groups of four "
        "with = padding)"
    )


#: The two media parts: (their fields, the field beside mimeType, what it holds, its check).
_MEDIA = {
    "fileData": (_FILE_DATA_FIELDS, "fileUri", "a gs://bucket/object URI", _gcs_uri_problem),
    "inlineData": (_INLINE_DATA_FIELDS, "data", "base64-encoded bytes", _base64_problem),
}


def _check_media(media: str, value: Any, path: str, errs: Errors) -> None:
    known, name, holds, problem = _MEDIA[media]
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with mimeType and {name}, got {kind(value)}"))
        return
    found = fields(value, known, path, errs, f"mimeType, {name}")
    if "mimeType" not in found:
        errs.append((join(path, "mimeType"), "required"))
    else:
        key, mime = found["mimeType"]
        _check_mime(mime, join(path, key), errs)
    if name not in found:
        errs.append((join(path, name), f"required: {holds}"))
    else:
        key, item = found[name]
        if (why := problem(item)) is not None:
            errs.append((join(path, key), why))


def _check_function(value: Any, path: str, errs: Errors, *, response: bool) -> None:
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with a name, got {kind(value)}"))
        return
    check_message(value, "FunctionResponse" if response else "FunctionCall", path, errs)
    name = value.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        errs.append((join(path, "name"), "required: the function's name"))
    if response and value.get("response") is None:
        errs.append((join(path, "response"), "required: an object with the function's result"))
