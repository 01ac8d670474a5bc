"""The Gemini models Vertex AI tunes, as of CATALOG_DATE: dated, sourced data in one place.

Sources (read on CATALOG_DATE):
- "About supervised fine-tuning for Gemini models", Limitations table (last updated 2026-09-25,
  docs.cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning): the
  tunable models Gemini 3.5 Flash, 3.1 Flash-Lite, 2.5 Pro, 2.5 Flash and 2.5 Flash-Lite; adapter
  sizes 1, 2, 4, 8 and 16 (2.5 Pro: 1, 2, 4, 8); the dataset limits (dataset/limits.py says
  each figure's words), the same for every model listed.
- The Tuning API reference (.../reference/rest/v1/projects.locations.tuningJobs), and the REST
  discovery documents of aiplatform v1 and v1beta1 (revision 20261106): ADAPTER_SIZE_THIRTY_TWO
  exists in the enum, but no Gemini model documents it, so no model here offers it.
- "Tune Gemini models by using preference tuning" (.../gemini-preference-tuning): text-only,
  documented for 2.5 Flash and 2.5 Flash-Lite; Google's own preference sample
  (python-docs-samples genai/tuning/preference_tuning_job_create.py, 2026-06-22) tunes
  gemini-3.5-flash, so it is listed for 3.5 Flash too.
- Gemini 2.0 Flash and Flash-Lite left the supported list in 2026; they are not here.

The catalog is not a wall: a name that has the shape of a Gemini model but is not listed (a
model released after CATALOG_DATE) is accepted with a warning naming the date, and the service
decides. Known mistakes keep their "did you mean" (the seed guide's `gemini-2.5-flash-001`).
Re-check this table when Google adds models; nothing else lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from vertex_tuning import names
from vertex_tuning.dataset.limits import DEFAULT_LIMITS, Limits

CATALOG_DATE = "2026-11-20"
CATALOG_SOURCE = (
    "https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning"
)

Method = Literal["supervised", "preference"]
ADAPTER_SIZES = ("ONE", "TWO", "FOUR", "EIGHT", "SIXTEEN", "THIRTY_TWO")
_UP_TO_SIXTEEN = frozenset({"ONE", "TWO", "FOUR", "EIGHT", "SIXTEEN"})
_UP_TO_EIGHT = frozenset({"ONE", "TWO", "FOUR", "EIGHT"})
_BOTH: frozenset[Method] = frozenset({"supervised", "preference"})
_SUPERVISED: frozenset[Method] = frozenset({"supervised"})


@dataclass(frozen=True)
class Model:
    """What the service accepts for one base model."""

    id: str
    adapter_sizes: frozenset[str]
    methods: frozenset[Method]
    #: Its dataset limits (the Limitations table; the same for every model listed today).
    limits: Limits = DEFAULT_LIMITS


MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model("gemini-3.5-flash", _UP_TO_SIXTEEN, _BOTH),
        Model("gemini-3.1-flash-lite", _UP_TO_SIXTEEN, _SUPERVISED),
        Model("gemini-2.5-pro", _UP_TO_EIGHT, _SUPERVISED),
        Model("gemini-2.5-flash", _UP_TO_SIXTEEN, _BOTH),
        Model("gemini-2.5-flash-lite", _UP_TO_SIXTEEN, _BOTH),
    )
}

#: A Gemini model id as Google names them: gemini-<version>-<tier>[-<variant>].
_GEMINI = re.compile(r"gemini-\d+(?:\.\d+)?-(?:pro|flash|flash-lite|ultra|nano)(?:-[a-z0-9.-]+)?")


@dataclass(frozen=True)
class BaseModel:
    """A checked base model: the name to send, and what the catalog knows of it (or None)."""

    name: str
    known: Model | None
    tuned: bool = False  # a tuned model of the registry: continuous tuning

    @property
    def warning(self) -> str:
        """What to tell the user about a model the catalog does not list ("" when it does)."""
        if self.known is not None or self.tuned:
            return ""
        return (
            f"{self.name!r} is not in vertex-tuning's model catalog of {CATALOG_DATE} "
            f"({', '.join(MODELS)}); it has the shape of a Gemini model, so the service decides "
            "whether it can be tuned"
        )


def base_model(value: str) -> BaseModel:
    """The base model to send, or ValueError saying what would be right."""
    name = value.strip()
    if names.parse(name, names.MODELS) is not None:
        return BaseModel(name, None, tuned=True)
    name = names.strip_publisher(name)
    if name in MODELS:
        return BaseModel(name, MODELS[name])
    suggestion = _suggest(name)
    if suggestion is not None:
        raise ValueError(
            f"{name!r} is not a model Vertex AI tunes. Did you mean {suggestion!r}? "
            f"(the tunable models of {CATALOG_DATE}: {', '.join(MODELS)})"
        )
    if _GEMINI.fullmatch(name):
        return BaseModel(name, None)
    raise ValueError(
        f"{name!r} is not a Gemini model Vertex AI can tune: use one of {', '.join(MODELS)} "
        f"(the catalog of {CATALOG_DATE}), another gemini-<version>-<tier> model, or a tuned "
        "model's resource name (projects/P/locations/L/models/ID) for continuous tuning"
    )


def limits(model: str) -> Limits:
    """The dataset limits of a base model: the documented defaults for one not listed (or a
    tuned model, which is held to its base's; they are all the same today)."""
    known = MODELS.get(names.strip_publisher(model))
    return known.limits if known is not None else DEFAULT_LIMITS


def normalize_base_model(value: str) -> str:
    """The base model's canonical name (raises ValueError like `base_model`)."""
    return base_model(value).name


def _suggest(name: str) -> str | None:
    # The seed guide's `gemini-2.5-flash-001` style: a version suffix the 2.5 models never had.
    stripped = re.sub(r"-\d{3}$", "", name)
    if stripped != name and stripped in MODELS:
        return stripped
    return None
