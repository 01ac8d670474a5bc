"""The formats of tuning data: Gemini's (supervised, preference) and the chat formats people
bring instead, recognised so a report can name them and `vertex-tuning convert` can rewrite them.

* OpenAI chat fine-tuning: ``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}]}``
  (``developer`` is OpenAI's newer name for ``system``); ``content`` is a string or a list of
  ``{"type": "text", "text": ...}`` parts.
* Gemini 1.0 "messages" (Vertex AI's gemini-1.0-pro-002 tuning format): the same shape with roles
  ``system`` (optional, first only), ``user`` and ``model``.
* Gemini (1.5 and later): ``{"systemInstruction"?, "contents": [{"role", "parts": [...]}]}``,
  which is what the service reads today.

The mapping to Gemini: system (or developer) -> systemInstruction, assistant -> role "model",
content -> parts[].text; Gemini 1.0's user and model turns keep their roles.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["MAPPINGS", "ChatFormat", "chat_format", "chat_hint"]

ChatFormat = Literal["openai", "gemini-1.0"]

#: The names users know the chat formats by, for messages.
FORMAT_NAMES: dict[str, str] = {
    "openai": "the OpenAI chat format",
    "gemini-1.0": 'the Gemini 1.0 "messages" format',
}
#: How each chat format maps to Gemini's, for messages.
MAPPINGS: dict[str, str] = {
    "openai": 'system -> systemInstruction, assistant -> role "model", content -> parts[].text',
    "gemini-1.0": "system -> systemInstruction, content -> parts[].text",
}
_OPENAI_ROLES = frozenset({"assistant", "developer", "tool", "function"})


def chat_format(example: Any) -> ChatFormat | None:
    """Which chat format an example is in, by its roles; None when it cannot tell.

    "assistant" (or another OpenAI-only role) means OpenAI, "model" means Gemini 1.0; with only
    system and user turns, or no "messages" list, the two cannot be told apart.
    """
    if not isinstance(example, dict):
        return None
    messages = example.get("messages")
    if not isinstance(messages, list):
        return None
    roles = {m.get("role") for m in messages if isinstance(m, dict)}
    roles |= {m.get("author") for m in messages if isinstance(m, dict)}
    if roles & _OPENAI_ROLES:
        return "openai"
    if "model" in roles:
        return "gemini-1.0"
    return None


def chat_hint(example: Any) -> str:
    """The hint for an unknown "messages" field: the format's name, the mapping, the fix.

    When the roles cannot tell, OpenAI's, the commoner format, is named.
    """
    found = chat_format(example) or "openai"
    return (
        f' ({FORMAT_NAMES[found]}; Gemini tuning reads "contents": {MAPPINGS[found]}; '
        "`vertex-tuning convert` rewrites the file)"
    )
