"""What a tuning run costs: the estimate before it (tokens x epochs x price), the budget guard,
and the bill after it (the job's own billable tokens x epochs x price).

Epochs, when `epoch_count` is unset: Google documents no default for any Gemini model (the
service "automatically adjusts the default value to your training dataset size"), so the
estimate then assumes ASSUMED_EPOCHS and says so on every line it prints. It is an assumption,
chosen as the emulator's default; the bill after the run uses the epochs the job completed, and
the estimate's error shows how far the assumption was off. Set `epoch_count` for an exact
estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vertex_tuning import prices
from vertex_tuning.counting import TokenCount
from vertex_tuning.prices import Price

#: Epochs an estimate assumes when `epoch_count` is unset (an assumption: see above).
ASSUMED_EPOCHS = 3
ASSUMPTION = (
    "assumed: epoch_count is unset and Google documents no default; set it for an exact estimate"
)


def usd(amount: float) -> str:
    """Dollars to the cent, or to three significant digits below a cent ($0.000153)."""
    if amount == 0 or abs(amount) >= 0.01:
        return f"${amount:,.2f}"
    return f"${amount:.3g}" if "e" not in f"{amount:.3g}" else f"${amount:.8f}"


@dataclass(frozen=True)
class Estimate:
    """Training tokens and their price for one run over counted data."""

    count: TokenCount
    epochs: int
    epochs_assumed: bool
    model: str
    price: Price | None

    @property
    def billable_tokens(self) -> int:
        """Training tokens: the data's billable tokens times the epochs."""
        return self.count.billable * self.epochs

    @property
    def cost_usd(self) -> float | None:
        if self.price is None:
            return None
        return round(self.billable_tokens * self.price.usd_per_million / 1e6, 6)

    def line(self) -> str:
        """One line for a resource's row: tokens, epochs, price, total, and the assumptions."""
        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        if self.epochs_assumed:
            epochs += f" ({ASSUMPTION})"
        text = (
            f"cost estimate: {self.count.billable:,} tokens/epoch ({self.count.label()}) x "
            f"{epochs} = {self.billable_tokens:,} training tokens"
        )
        if self.price is None and not self.model:
            return f"{text}; price unknown: set base_model to price it"
        if self.price is None:
            return (
                f"{text}; price unknown: no figure for {self.model} "
                f"({self.count.method}) in the price table of {prices.TABLE_DATE}; set "
                f"{prices.PRICES_KEY} to price it"
            )
        return f"{text} x {self.price.label()} = {usd(self.cost_usd or 0.0)}"

    def to_json(self) -> dict[str, Any]:
        """The `estimate` property: every figure the line shows."""
        return {
            "tokens_per_epoch": self.count.billable,
            "epochs": self.epochs,
            "epochs_assumed": self.epochs_assumed,
            "billable_tokens": self.billable_tokens,
            "counted_by": self.count.label(),
            "exact_count": self.count.exact,
            "count": self.count.to_json(),
            "price": self.price.to_json() if self.price else None,
            "cost_usd": self.cost_usd,
        }


def estimate(
    count: TokenCount,
    *,
    model: str,
    epochs: int | None,
    negotiated: prices.Overrides | None = None,
) -> Estimate:
    """The estimate of tuning `model` for `epochs` (None: the assumption) on counted data."""
    return Estimate(
        count=count,
        epochs=epochs or ASSUMED_EPOCHS,
        epochs_assumed=not epochs,
        model=model,
        price=prices.price(model, count.method, negotiated),
    )


def over_budget(found: Estimate, max_cost_usd: float, subject: str) -> str | None:
    """Why `found` breaks the budget (naming what to change), or None when it fits."""
    if found.cost_usd is None:
        return (
            f"{subject}: cannot hold to max_cost_usd=${max_cost_usd:,.2f}: {found.model} has no "
            f"known price ({found.billable_tokens:,} training tokens); set {prices.PRICES_KEY} "
            "for it, or remove max_cost_usd"
        )
    if found.cost_usd <= max_cost_usd:
        return None
    fixes = "lower epoch_count" if not found.epochs_assumed else "set a lower epoch_count"
    return (
        f"{subject}: estimated {usd(found.cost_usd)} ({found.billable_tokens:,} training tokens "
        f"= {found.count.billable:,} x {found.epochs} epochs, at {found.price.label() if found.price else ''}) "
        f"is over max_cost_usd=${max_cost_usd:,.2f}; {fixes}, train on less data or a cheaper "
        "base_model, or raise max_cost_usd"
    )


@dataclass(frozen=True)
class Bill:
    """What a finished job billed: its dataset's billable tokens times the epochs it ran."""

    tokens_per_epoch: int
    epochs: int
    price: Price | None

    @property
    def billable_tokens(self) -> int:
        return self.tokens_per_epoch * self.epochs

    @property
    def cost_usd(self) -> float | None:
        if self.price is None:
            return None
        return round(self.billable_tokens * self.price.usd_per_million / 1e6, 6)

    def error_percent(self, estimated_tokens: int | None) -> float | None:
        """How far an estimate of the training tokens was from the bill, in percent (signed)."""
        if not estimated_tokens or not self.billable_tokens:
            return None
        return round(100.0 * (estimated_tokens - self.billable_tokens) / self.billable_tokens, 2)


def bill(stats: dict[str, Any], epochs: int | None, price: Price | None) -> Bill | None:
    """The bill of a job from its data stats (`total_billable_token_count`), or None."""
    tokens = stats.get("total_billable_token_count")
    if not isinstance(tokens, int | float) or not epochs:
        return None
    return Bill(int(tokens), epochs, price)


def price_from_json(value: Any) -> Price | None:
    """A Price from its to_json values (an estimate's), or None."""
    if not isinstance(value, dict) or not isinstance(value.get("usd_per_million"), int | float):
        return None
    return Price(
        float(value["usd_per_million"]),
        str(value.get("source") or ""),
        str(value.get("as_of") or ""),
        bool(value.get("confirmed")),
    )
