"""Rules for one preference-tuning example.

The format is Vertex AI's "Prepare preference tuning data" (docs.cloud.google.com/gemini-
enterprise-agent-platform/models/tuning/preference-tuning/prepare-data)::

    {"systemInstruction"?: Content, "contents": [Content, ...],
     "completions": [{"score": 1, "completion": Content}, {"score": 0, "completion": Content}]}

``contents`` uses the supervised turn format, text only, and ends with a user turn; there are
exactly two completions, one preferred (score 1) and one not (score 0), each a single model turn
of text. Training uses the completions only, so tokens per example are the prompt's plus the
longer completion's.
"""

from __future__ import annotations

from typing import Any

from vertex_tuning.dataset.rules.common import Errors, fields, kind, show, spellings
from vertex_tuning.dataset.rules.contents import Turns, check_contents
from vertex_tuning.dataset.rules.parts import check_parts
from vertex_tuning.dataset.rules.supervised import Example, check_system_and_tools, top_level_hints

__all__ = ["check_preference"]

_TOP_FIELDS = spellings("contents", "systemInstruction", "completions")
_COMPLETION_FIELDS = spellings("score", "completion")
_TURN_FIELDS = {"role": "role", "parts": "parts"}
_TEXT_ONLY = "in preference data"
_SCORES = (0, 1)


def check_preference(obj: Any, errs: Errors) -> Example:
    """Check one parsed preference example; return what it holds."""
    if not isinstance(obj, dict):
        errs.append(
            ("", f'must be a JSON object with "contents" and "completions", got {kind(obj)}')
        )
        return Turns(), False
    expected = "contents, systemInstruction, completions"
    found = fields(obj, _TOP_FIELDS, "", errs, expected, top_level_hints(obj))
    chars, system = check_system_and_tools(found, errs)
    if "contents" not in found:
        errs.append(
            ("contents", 'required: the prompt, "user" and "model" turns ending with "user"')
        )
        turns = Turns()
    else:
        turns = check_contents(found["contents"][1], errs, last="user", text_only=_TEXT_ONLY)
    turns.chars += chars
    if "completions" not in found:
        errs.append(("completions", "required: two completions scored 1 (preferred) and 0"))
    else:
        key, value = found["completions"]
        turns.chars += _check_completions(value, key, errs)
    return turns, system


def _check_completions(value: Any, path: str, errs: Errors) -> int:
    """Check the pair; return the longer completion's text characters."""
    if not isinstance(value, list):
        errs.append((path, f"must be a list of two completions, got {kind(value)}"))
        return 0
    if len(value) != 2:
        errs.append(
            (path, f"must hold exactly two completions (one scored 1, one 0), got {len(value)}")
        )
    scores: list[Any] = []
    longest = 0
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            errs.append((where, f"must be an object with score and completion, got {kind(item)}"))
            continue
        found = fields(item, _COMPLETION_FIELDS, where, errs, "score, completion")
        if "score" not in found:
            errs.append(
                (f"{where}.score", "required: 1 for the preferred completion, 0 for the other")
            )
        else:
            key, score = found["score"]
            if isinstance(score, bool) or score not in _SCORES:
                errs.append((f"{where}.{key}", f"must be 0 or 1, got {show(score)}"))
            else:
                scores.append(score)
        if "completion" not in found:
            errs.append((f"{where}.completion", "required: the model turn being scored"))
        else:
            key, turn = found["completion"]
            longest = max(longest, _check_completion(turn, f"{where}.{key}", errs))
    if len(scores) == 2 and sorted(scores) != [0, 1]:
        errs.append((path, "must score one completion 1 (preferred) and the other 0"))
    return longest


def _check_completion(turn: Any, path: str, errs: Errors) -> int:
    if not isinstance(turn, dict):
        errs.append((path, f"must be an object with role and parts, got {kind(turn)}"))
        return 0
    found = fields(turn, _TURN_FIELDS, path, errs, "role, parts")
    role = found.get("role", ("", None))[1]
    if role is None:
        errs.append((f"{path}.role", 'required: "model"'))
    elif role != "model":
        errs.append((f"{path}.role", f'must be "model", got {show(role)}'))
    if "parts" not in found:
        errs.append((f"{path}.parts", "required: a non-empty list of text parts"))
        return 0
    return check_parts(found["parts"][1], f"{path}.parts", errs, text_only=_TEXT_ONLY)[0]
