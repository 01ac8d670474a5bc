"""GenerateContent's wire shapes: the prompt it answers, the base models it serves, the response
with usage metadata and finish reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud.aiplatform_v1 import types

from vertex_tuning.emulator import catalog
from vertex_tuning.emulator.datasets import tokens
from vertex_tuning.emulator.errors import ApiError, invalid_argument


def prompt(request: Any) -> str:
    """The text of the last user turn (an unset role means user)."""
    if not request.contents:
        raise invalid_argument("contents must not be empty.", "contents")
    users = [c for c in request.contents if c.role in ("", "user")]
    if not users:
        raise invalid_argument("contents must contain a user turn.", "contents")
    return " ".join(str(part.text) for part in users[-1].parts if part.text)


def publisher_model(model: str) -> str:
    """The base model id in `[projects/P/locations/L/]publishers/google/models/ID`, or 404."""
    _, publisher, _, model_id = model[model.index("publishers/") :].split("/")
    if publisher != "google" or model_id not in catalog.TUNABLE:
        raise ApiError(
            "NOT_FOUND",
            f"Publisher Model `{model}` was not found or your project does not have access to it.",
        )
    return model_id


def response(request: Any, answer: str, model_version: str, now: datetime, response_id: str) -> Any:
    """One candidate, finished with STOP, and token counts estimated like the datasets'."""
    prompt_tokens = sum(tokens(str(part.text)) for c in request.contents for part in c.parts)
    answer_tokens = tokens(answer)
    usage = types.GenerateContentResponse.UsageMetadata(
        prompt_token_count=prompt_tokens,
        candidates_token_count=answer_tokens,
        total_token_count=prompt_tokens + answer_tokens,
    )
    candidate = types.Candidate(
        content=types.Content(role="model", parts=[types.Part(text=answer)]),
        finish_reason=types.Candidate.FinishReason.STOP,
    )
    return types.GenerateContentResponse(
        candidates=[candidate],
        usage_metadata=usage,
        model_version=model_version,
        create_time=now,
        response_id=response_id,
    )
