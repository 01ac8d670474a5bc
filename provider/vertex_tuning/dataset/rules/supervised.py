"""Rules for one supervised-tuning example.

The format is Vertex AI's "Prepare supervised fine-tuning data for Gemini models": one example
per line, ``{"systemInstruction"?: Content, "contents": [Content, ...], "tools"?: [Tool]}`` with
the v1 ``Content``/``Part``/``Tool`` shapes. Unknown fields are errors (proto JSON parsers
reject them unless told to ignore them, and a typo such as ``"content"`` would otherwise silently
drop data).
"""

from __future__ import annotations

from typing import Any

from vertex_tuning.dataset.formats import chat_hint
from vertex_tuning.dataset.rules.common import Errors, fields, kind, spellings
from vertex_tuning.dataset.rules.contents import Turns, check_contents, check_system_instruction
from vertex_tuning.dataset.rules.shape import check_message

__all__ = ["Example", "check_supervised", "check_system_and_tools", "top_level_hints"]

Example = tuple[Turns, bool]  # what the turns hold, and whether a systemInstruction is set

_TOP_FIELDS = spellings("contents", "systemInstruction", "tools")
_HINTS = {
    "content": ' (did you mean "contents"?)',
    "system": ' (did you mean "systemInstruction"?)',
    "completions": " (preference tuning data: validate it as such, `--method preference`)",
}


def top_level_hints(obj: dict[str, Any]) -> dict[str, str]:
    """Hints for unknown top-level fields, the chat formats' "messages" among them."""
    return {**_HINTS, "messages": chat_hint(obj)} if "messages" in obj else _HINTS


def check_system_and_tools(found: dict[str, tuple[str, Any]], errs: Errors) -> tuple[int, bool]:
    """Check systemInstruction and tools if present; return (system characters, system set)."""
    chars, system = 0, False
    if "systemInstruction" in found:
        key, value = found["systemInstruction"]
        if value is not None:  # proto JSON reads null as "not set"
            system = True
            chars = check_system_instruction(value, key, errs)
    if "tools" in found:
        key, tools = found["tools"]
        if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
            errs.append((key, "must be a list of Tool objects"))
        else:
            for index, tool in enumerate(tools):
                check_message(tool, "Tool", f"{key}[{index}]", errs)
    return chars, system


def check_supervised(obj: Any, errs: Errors) -> Example:
    """Check one parsed supervised example; return what it holds."""
    if not isinstance(obj, dict):
        errs.append(("", f'must be a JSON object with "contents", got {kind(obj)}'))
        return Turns(), False
    if len(obj) == 1 and "contents" in obj:
        found: dict[str, tuple[str, Any]] = {"contents": ("contents", obj["contents"])}
    else:
        expected = "contents, systemInstruction, tools"
        found = fields(obj, _TOP_FIELDS, "", errs, expected, top_level_hints(obj))
    chars, system = check_system_and_tools(found, errs)
    if "contents" not in found:
        errs.append(("contents", 'required: the list of "user" and "model" turns'))
        return Turns(chars=chars), system
    turns = check_contents(found["contents"][1], errs, last="model")
    turns.chars += chars
    return turns, system
