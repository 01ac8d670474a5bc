"""The Gemini models Vertex AI can tune, with the adapter sizes each accepts.

Source: Google Cloud "About supervised fine-tuning for Gemini models" (supported models and
their limitations; adapter sizes as documented for 2.5 Pro 1/2/4/8 and Flash-class 1/2/4/8/16).
Re-check this table when Google adds models; it is the only place they are listed.
"""

from __future__ import annotations

import re

ADAPTER_SIZES = ("ONE", "TWO", "FOUR", "EIGHT", "SIXTEEN")
_FLASH_SIZES = frozenset(ADAPTER_SIZES)
_PRO_SIZES = frozenset({"ONE", "TWO", "FOUR", "EIGHT"})

#: base model ID -> adapter sizes the service accepts for it
TUNABLE_MODELS: dict[str, frozenset[str]] = {
    "gemini-2.5-pro": _PRO_SIZES,
    "gemini-2.5-flash": _FLASH_SIZES,
    "gemini-2.5-flash-lite": _FLASH_SIZES,
    "gemini-2.0-flash-001": _FLASH_SIZES,
    "gemini-2.0-flash-lite-001": _FLASH_SIZES,
}

#: A tuned model in the Model Registry, accepted as base_model for continuous tuning.
TUNED_MODEL_RE = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/models/(?P<id>[^/@]+)(@(?P<version>[^/]+))?$"
)
_PUBLISHER_PREFIX = "publishers/google/models/"


def normalize_base_model(value: str) -> str:
    """Return the canonical base model, or raise ValueError saying what would be right."""
    name = value.strip()
    if TUNED_MODEL_RE.match(name):
        return name
    name = name.removeprefix(_PUBLISHER_PREFIX)
    if name in TUNABLE_MODELS:
        return name
    raise ValueError(_unknown_model_message(name))


def is_tuned_model(base_model: str) -> bool:
    """True when base_model names a registry model (continuous tuning) rather than a Gemini ID."""
    return TUNED_MODEL_RE.match(base_model) is not None


def _unknown_model_message(name: str) -> str:
    known = ", ".join(sorted(TUNABLE_MODELS))
    suggestion = _suggest(name)
    hint = f" Did you mean {suggestion!r}?" if suggestion else ""
    return (
        f"{name!r} is not a Gemini model Vertex AI can tune.{hint} "
        f"Use one of {known}, or a tuned model's resource name "
        "(projects/P/locations/L/models/ID) for continuous tuning."
    )


def _suggest(name: str) -> str | None:
    # The seed guide's `gemini-2.5-flash-001` style: a version suffix the 2.5 models never had.
    stripped = re.sub(r"-\d{3}$", "", name)
    if not stripped:  # every name starts with "": no suggestion is better than a random one
        return None
    if stripped in TUNABLE_MODELS:
        return stripped
    for known in TUNABLE_MODELS:
        if known.startswith(stripped) or stripped.startswith(known):
            return known
    return None
