"""Fault injection: a scripted sequence and/or a rate of 429, 500, 503, dropped connections and
lost responses."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

#: Fault kinds; "ok" only makes sense in a sequence, to let one request through.
KINDS = ("429", "500", "503", "drop")
#: Errors a client must not retry, opt-in: 400 INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404.
PERMANENT = ("400", "403", "404")
#: The call is served, then the connection drops before the answer: the caller cannot tell that
#: it worked (the case that makes a retried create pay twice). Opt-in: not a default rate kind.
LOST = "lost"
PASS = "ok"


@dataclass
class FaultPlan:
    """What to inject. The sequence is consumed first, one entry per matching request."""

    rate: float = 0.0
    kinds: tuple[str, ...] = KINDS
    sequence: list[str] = field(default_factory=list)
    methods: frozenset[str] = frozenset()  # RPC method names; empty means every method
    retry_after: int = 1

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultPlan:
        """Parse the control API's JSON; ValueError says what is wrong."""
        unknown = set(body) - {"rate", "kinds", "sequence", "methods", "retryAfter"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        rate = float(body.get("rate", 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        kinds = tuple(str(k) for k in body.get("kinds", KINDS))
        sequence = [str(k) for k in body.get("sequence", [])]
        for kind in (*kinds, *sequence):
            if kind not in (*KINDS, *PERMANENT, LOST, PASS):
                choices = ", ".join((*KINDS, *PERMANENT, LOST, PASS))
                raise ValueError(f"unknown fault kind {kind!r}; use one of {choices}")
        return cls(
            rate=rate,
            kinds=kinds or KINDS,
            sequence=sequence,
            methods=frozenset(str(m) for m in body.get("methods", [])),
            retry_after=int(body.get("retryAfter", 1)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "sequence": list(self.sequence),
            "methods": sorted(self.methods),
            "retryAfter": self.retry_after,
        }


class Faults:
    """Decides, per request, whether and how to fail it. Thread-safe; the RNG is injectable."""

    def __init__(self, plan: FaultPlan | None = None, rng: random.Random | None = None) -> None:
        self._plan = plan or FaultPlan()
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def set(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan

    def pick(self, method: str) -> str | None:
        """The fault kind to inject into this call of `method`, or None to serve it."""
        with self._lock:
            plan = self._plan
            if plan.methods and method not in plan.methods:
                return None
            if plan.sequence:
                kind: str | None = plan.sequence.pop(0)
            elif plan.rate and self._rng.random() < plan.rate:
                kind = self._rng.choice(plan.kinds)
            else:
                kind = None
            return None if kind == PASS else kind
