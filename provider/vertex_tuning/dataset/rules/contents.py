"""Rules for turns: systemInstruction, and contents as alternating user/model turns.

``role`` is required on every turn of ``contents`` (Google's dataset-validation notebook treats a
missing role as an error even though the generic ``Content.role`` is optional); turns alternate
``user``/``model`` and start with ``user``. Supervised examples end with ``model`` (the turn being
taught), preference examples with ``user`` (the completions answer it). The role of
``systemInstruction`` is ignored by the service and is not checked beyond its type; it holds
text parts only ("only text should be used in parts", v1 GenerateContentRequest reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_tuning.dataset.rules.common import Errors, fields, kind, show, spellings
from vertex_tuning.dataset.rules.parts import check_parts

__all__ = ["ROLES", "Turns", "check_contents", "check_system_instruction"]

ROLES = ("user", "model")
_CONTENT_FIELDS = {"role": "role", "parts": "parts"}
_SYSTEM_FIELDS = spellings("role", "parts")
_TEXT_HERE = "here"


@dataclass(slots=True)
class Turns:
    """What the turns of one example hold, counted while checking them."""

    chars: int = 0
    users: int = 0
    models: int = 0
    media: bool = False


def check_system_instruction(value: Any, path: str, errs: Errors) -> int:
    """Check a systemInstruction (text parts only); return its text characters."""
    if not isinstance(value, dict):
        errs.append((path, f"must be an object with parts, got {kind(value)}"))
        return 0
    found = fields(value, _SYSTEM_FIELDS, path, errs, "role, parts")
    if "role" in found and not isinstance(found["role"][1], str):
        errs.append(
            (f"{path}.role", f"must be a string (it is ignored), got {kind(found['role'][1])}")
        )
    if "parts" not in found:
        errs.append((f"{path}.parts", "required: a non-empty list of text parts"))
        return 0
    return check_parts(found["parts"][1], f"{path}.parts", errs, text_only=_TEXT_HERE)[0]


def check_contents(value: Any, errs: Errors, *, last: str, text_only: str = "") -> Turns:
    """Check the turns of `contents`, which must end with role `last`; count what they hold."""
    turns = Turns()
    if not isinstance(value, list):
        errs.append(("contents", f"must be a list of turns, got {kind(value)}"))
        return turns
    if not value:
        need = 'a "user" and a "model" turn' if last == "model" else 'a "user" turn'
        errs.append(("contents", f"must not be empty: an example needs {need}"))
        return turns
    previous: str | None = None
    for i, content in enumerate(value):
        if not isinstance(content, dict):
            errs.append(
                (f"contents[{i}]", f"must be an object with role and parts, got {kind(content)}")
            )
            previous = None
            continue
        role = content.get("role")
        parts = content.get("parts")
        if len(content) != 2 or parts is None or role is None:
            found = fields(content, _CONTENT_FIELDS, f"contents[{i}]", errs, "role, parts")
            role = found.get("role", ("", None))[1]
            parts = found.get("parts", ("", None))[1]
        previous = _check_role(role, i, previous, errs, turns)
        if parts is None:
            errs.append((f"contents[{i}].parts", "required: a non-empty list of parts"))
            continue
        if type(parts) is list and len(parts) == 1:  # the common turn: one text part
            part = parts[0]
            if type(part) is dict and len(part) == 1:
                text = part.get("text")
                if type(text) is str and text and not text.isspace():
                    turns.chars += len(text)
                    continue
        chars, media = check_parts(parts, f"contents[{i}].parts", errs, text_only=text_only)
        turns.chars += chars
        turns.media = turns.media or media
    if previous is not None and previous != last:
        ends = (
            "the conversation ends with the model's answer"
            if last == "model"
            else "the completions answer the last user turn"
        )
        errs.append((f"contents[{len(value) - 1}].role", f'must be "{last}": {ends}'))
    return turns


def _check_role(role: Any, i: int, previous: str | None, errs: Errors, turns: Turns) -> str | None:
    path = f"contents[{i}].role"
    if role is None:
        errs.append((path, 'required: "user" or "model"'))
        return None
    if role not in ROLES:
        hint = ' (use "model" for the answers)' if role == "assistant" else ""
        errs.append((path, f'must be "user" or "model", got {show(role)}{hint}'))
        return None
    if i == 0 and role != "user":
        errs.append((path, 'must be "user": the conversation starts with the user'))
    elif role == previous:
        other = "model" if role == "user" else "user"
        errs.append((path, f'must be "{other}" after "{previous}"'))
    if role == "user":
        turns.users += 1
    else:
        turns.models += 1
    return str(role)
