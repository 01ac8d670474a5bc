"""GenerateContent's wire shapes: the prompt it answers, the base models it serves, the response
with usage metadata and finish reason (API JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vertex_tuning.emulator import catalog
from vertex_tuning.emulator.datasets import tokens
from vertex_tuning.emulator.errors import ApiError, invalid_argument
from vertex_tuning.emulator.records import timestamp

Json = dict[str, Any]


def prompt(request: Json) -> str:
    """The text of the last user turn (an unset role means user)."""
    contents = request.get("contents") or []
    if not contents:
        raise invalid_argument("contents must not be empty.", "contents")
    users = [c for c in contents if c.get("role", "") in ("", "user")]
    if not users:
        raise invalid_argument("contents must contain a user turn.", "contents")
    return " ".join(str(p["text"]) for p in users[-1].get("parts", []) if p.get("text"))


def publisher_model(model: str) -> str:
    """The base model id in `[projects/P/locations/L/]publishers/google/models/ID`, or 404."""
    _, publisher, _, model_id = model[model.index("publishers/") :].split("/")
    if publisher != "google" or not catalog.serves(model_id):
        raise ApiError(
            "NOT_FOUND",
            f"Publisher Model `{model}` was not found or your project does not have access to it.",
        )
    return model_id


def response(
    request: Json, answer: str, model_version: str, now: datetime, response_id: str
) -> Json:
    """One candidate, finished with STOP, and token counts estimated like the datasets'."""
    prompt_tokens = sum(
        tokens(str(part.get("text", "")))
        for content in request.get("contents", [])
        for part in content.get("parts", [])
    )
    answer_tokens = tokens(answer)
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": answer}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": answer_tokens,
            "totalTokenCount": prompt_tokens + answer_tokens,
        },
        "modelVersion": model_version,
        "createTime": timestamp(now),
        "responseId": response_id,
    }
