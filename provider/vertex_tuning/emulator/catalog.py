"""The Gemini models the emulated service tunes and serves: methods, adapter sizes, regions and
dataset limits per model. The emulator keeps its own catalog because it plays the service, which
may know a model the provider's catalog does not yet.

As of 2026-12-01, from Google's "About supervised fine-tuning for Gemini models" (docs.cloud.
google.com/gemini-enterprise-agent-platform/models/tuning/supervised-tuning, last updated
2026-09-25), the tuning API reference (.../reference/models/tuning), the preference-tuning pages
(.../models/tuning/preference-tuning and its prepare-data page) and python-docs-samples
`genai/tuning` (which tunes gemini-3.5-flash, also with preference tuning):

- Supervised tuning: gemini-3.5-flash, gemini-3.1-flash-lite, gemini-2.5-pro, gemini-2.5-flash,
  gemini-2.5-flash-lite; gemini-3.5-flash-lite as the tunable models list it in December 2026.
- Preference tuning: gemini-2.5-flash and gemini-2.5-flash-lite (docs), gemini-3.5-flash (the
  sample). Text only.
- Adapter sizes 1, 2, 4, 8, 16; gemini-2.5-pro 1, 2, 4, 8. The enum has ADAPTER_SIZE_THIRTY_TWO,
  which no documented Gemini model takes.
- 3.5 Flash and 3.1 Flash-Lite tune only in us-central1 and europe-west4.
- Per example at most 131,072 input and output tokens; validation data at most 5,000 examples
  (and at most 30% of the training examples once it has more than 1,000); a JSONL file at most
  1 GB; at most 10M text-only or 300K multimodal training examples. (Older pages said 1M
  text-only; the seed guide's "10,000 examples" was never a service rule.)

`gemini-3.6-flash-preview` is not in Google's lists: it is the emulator's own plausible model
that the provider's catalog does not know, so the provider's "unknown but plausible" path can be
tested against a service that accepts it. It takes every adapter size, 32 included.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPERVISED = "supervised"
PREFERENCE = "preference"

#: SupervisedHyperParameters.AdapterSize enum name -> the size it stands for.
ADAPTER_SIZES: dict[str, int] = {
    "ADAPTER_SIZE_ONE": 1,
    "ADAPTER_SIZE_TWO": 2,
    "ADAPTER_SIZE_FOUR": 4,
    "ADAPTER_SIZE_EIGHT": 8,
    "ADAPTER_SIZE_SIXTEEN": 16,
    "ADAPTER_SIZE_THIRTY_TWO": 32,
}


@dataclass(frozen=True)
class Limits:
    """What the service checks when a job reads its data."""

    tokens_per_example: int = 131_072
    validation_examples: int = 5_000
    validation_share_above: int = 1_000  # more validation examples than this: at most 30%...
    validation_share: float = 0.3  # ...of the training examples
    file_bytes: int = 1 << 30
    text_examples: int = 10_000_000
    multimodal_examples: int = 300_000


@dataclass(frozen=True)
class TunableModel:
    """One base model as the tuning service knows it."""

    model_id: str
    methods: frozenset[str]
    adapter_sizes: frozenset[int]
    regions: frozenset[str] | None = None  # None: every region
    limits: Limits = Limits()


_ALL_METHODS = frozenset({SUPERVISED, PREFERENCE})
_SFT = frozenset({SUPERVISED})
_SIZES = frozenset({1, 2, 4, 8, 16})
_TUNING_REGIONS = frozenset({"us-central1", "europe-west4"})

MODELS: dict[str, TunableModel] = {
    m.model_id: m
    for m in (
        TunableModel("gemini-3.5-flash", _ALL_METHODS, _SIZES, _TUNING_REGIONS),
        TunableModel("gemini-3.5-flash-lite", _SFT, _SIZES, _TUNING_REGIONS),
        TunableModel("gemini-3.1-flash-lite", _SFT, _SIZES, _TUNING_REGIONS),
        TunableModel("gemini-2.5-pro", _SFT, frozenset({1, 2, 4, 8})),
        TunableModel("gemini-2.5-flash", _ALL_METHODS, _SIZES),
        TunableModel("gemini-2.5-flash-lite", _ALL_METHODS, _SIZES),
        TunableModel("gemini-3.6-flash-preview", _ALL_METHODS, _SIZES | {32}),
    )
}

#: Models that serve generateContent but are no longer tuned (publisher models only).
SERVED_ONLY = frozenset({"gemini-2.0-flash-001", "gemini-2.0-flash-lite-001"})

_PUBLISHER_PREFIX = "publishers/google/models/"


def model_id(base_model: str) -> str:
    """`gemini-2.5-flash` for `gemini-2.5-flash` or `[projects/P/locations/L/]publishers/google/
    models/gemini-2.5-flash`."""
    return base_model.rsplit(_PUBLISHER_PREFIX, 1)[-1]


def tunable(base_model: str) -> TunableModel | None:
    return MODELS.get(model_id(base_model))


def serves(model: str) -> bool:
    """Whether generateContent on this publisher model id answers."""
    return model in MODELS or model in SERVED_ONLY
