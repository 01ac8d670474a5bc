"""The Gemini models the emulated service tunes and serves, with their allowed adapter sizes."""

from __future__ import annotations

_SMALL = frozenset({1, 2, 4, 8})
_LARGE = frozenset({1, 2, 4, 8, 16})

#: Base model id -> adapter sizes supervised tuning accepts for it.
TUNABLE: dict[str, frozenset[int]] = {
    "gemini-2.5-pro": _SMALL,
    "gemini-2.5-flash": _LARGE,
    "gemini-2.5-flash-lite": _LARGE,
    "gemini-2.0-flash-001": _LARGE,
    "gemini-2.0-flash-lite-001": _LARGE,
}

#: SupervisedHyperParameters.AdapterSize enum name -> the size it stands for.
ADAPTER_SIZES: dict[str, int] = {
    "ADAPTER_SIZE_ONE": 1,
    "ADAPTER_SIZE_TWO": 2,
    "ADAPTER_SIZE_FOUR": 4,
    "ADAPTER_SIZE_EIGHT": 8,
    "ADAPTER_SIZE_SIXTEEN": 16,
    "ADAPTER_SIZE_THIRTY_TWO": 32,
}

_PUBLISHER_PREFIX = "publishers/google/models/"


def base_model_id(base_model: str) -> str | None:
    """The catalog id for `gemini-2.5-flash` or `publishers/google/models/gemini-2.5-flash`."""
    model_id = base_model.rsplit(_PUBLISHER_PREFIX, 1)[-1]
    return model_id if model_id in TUNABLE else None
