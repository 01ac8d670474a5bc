"""What Vertex AI charges to tune a Gemini model: dated, sourced figures, in one place.

Each figure is US dollars per 1M training tokens (the dataset's billable tokens times the
epochs: "The number of training tokens is calculated by multiplying the number of tokens in
your training dataset by the number of epochs", "About supervised fine-tuning", last updated
2026-09-25). Preference tuning bills the prompt twice plus the completions per example (the
preference-tuning page); its price per token is listed separately, as a figure of its own.

**None of today's figures is confirmed.** Google's pricing page (PRICING_PAGE) could not be
read when this table was written (2026-12-01); every figure below is what two independent
third-party notes quote from that page (a research note dated 2026-03-09 that says it read the
page that day, and a cost-guard script citing the same URL). They agree with each other. Each
Price says so (`confirmed=False`), and so does every estimate printed from one. Gemini 3.5
Flash and 3.1 Flash-Lite (tunable per the 2026-09-25 docs) have no figure anywhere we could
read: their estimates give tokens and say the price is unknown.

Negotiated or corrected rates come from stack config, overriding this table:

    pulumi config set --path 'vertex-tuning:prices.gemini-2.5-flash' 4.2
    pulumi config set --path 'vertex-tuning:prices.gemini-2.5-flash-lite.preference' 1.2

A number applies to every method of the model; a map sets methods one by one.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PRICES_KEY = "vertex-tuning:prices"
PRICING_PAGE = "https://cloud.google.com/vertex-ai/generative-ai/pricing#model-tuning"
#: The day the table was last checked against anything.
TABLE_DATE = "2026-12-01"
_QUOTED = "2026-03-09"
_WHY = "third-party notes quoting the pricing page; not read from Google's page itself"
_METHODS = ("supervised", "preference")


@dataclass(frozen=True)
class Price:
    """One figure: USD per 1M training tokens, where it comes from and as of when."""

    usd_per_million: float
    source: str
    as_of: str
    confirmed: bool
    note: str = ""

    def label(self) -> str:
        """`$5.00/1M (UNCONFIRMED, 2026-03-09)`, `$4.20/1M (stack config)`."""
        if self.source == PRICES_KEY:
            return f"${self.usd_per_million:,.2f}/1M ({PRICES_KEY})"
        status = "" if self.confirmed else "UNCONFIRMED, "
        return f"${self.usd_per_million:,.2f}/1M ({status}{self.as_of})"

    def to_json(self) -> dict[str, Any]:
        return {
            "usd_per_million": self.usd_per_million,
            "source": self.source,
            "as_of": self.as_of,
            "confirmed": self.confirmed,
        }


def _quoted(usd: float) -> Price:
    return Price(usd, PRICING_PAGE, _QUOTED, confirmed=False, note=_WHY)


#: (model, method) -> Price. A model or method missing here has no known price.
PRICES: dict[tuple[str, str], Price] = {
    ("gemini-2.5-pro", "supervised"): _quoted(25.00),
    ("gemini-2.5-flash", "supervised"): _quoted(5.00),
    # One source only gives preference-tuning figures; both equal the supervised ones.
    ("gemini-2.5-flash", "preference"): _quoted(5.00),
    ("gemini-2.5-flash-lite", "supervised"): _quoted(1.50),
    ("gemini-2.5-flash-lite", "preference"): _quoted(1.50),
}


class PricesInvalid(ValueError):
    """The stack config's prices cannot be read; the message names the key and the rule."""


Overrides = Mapping[tuple[str, str], float]


def overrides(raw: Any) -> dict[tuple[str, str], float]:
    """`vertex-tuning:prices` (a JSON string or a map) as (model, method) -> USD per 1M."""
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise PricesInvalid(f"{PRICES_KEY} is not JSON: {exc}") from None
    if not isinstance(raw, Mapping):
        raise PricesInvalid(f"{PRICES_KEY} must map model names to USD per 1M training tokens")
    found: dict[tuple[str, str], float] = {}
    for model, value in raw.items():
        by_method = value if isinstance(value, Mapping) else dict.fromkeys(_METHODS, value)
        for method, usd in by_method.items():
            where = f"{PRICES_KEY}.{model}" + (f".{method}" if isinstance(value, Mapping) else "")
            if method not in _METHODS:
                raise PricesInvalid(f"{where}: methods are {', '.join(_METHODS)}")
            found[str(model), str(method)] = _usd(usd, where)
    return found


def _usd(value: Any, where: str) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PricesInvalid(f"{where}: {value!r} is not a number of US dollars per 1M tokens")
    if not math.isfinite(value) or value < 0:
        raise PricesInvalid(f"{where}: {value!r} must be a non-negative number")
    return float(value)


def price(model: str, method: str, negotiated: Overrides | None = None) -> Price | None:
    """The price per 1M training tokens of tuning `model` by `method`, or None when unknown."""
    from vertex_tuning import names

    model = names.strip_publisher(model)
    if negotiated and (model, method) in negotiated:
        return Price(negotiated[model, method], PRICES_KEY, "stack config", confirmed=True)
    return PRICES.get((model, method))
