"""The pydantic side of a resource's shape: the Inputs base and the one error mapping.

Imported only when a check or diff has work to do (see base.py): a preview of an unchanged
stack never loads pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from vertex_tuning.resources.base import (
    DERIVED,
    NOT_DIFFED,
    REPLACES,
    Failure,
    StandIn,
    property_path,
)


class Inputs(BaseModel):
    """A resource's inputs after check: validated, normalised, defaults applied."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @classmethod
    def replace_on_change(cls) -> frozenset[str]:
        """Inputs whose change replaces the resource; everything else updates in place."""
        return cls._marked(REPLACES)

    @classmethod
    def diffed(cls) -> frozenset[str]:
        return frozenset(cls.model_fields) - cls._marked(NOT_DIFFED)

    @classmethod
    def settable(cls) -> frozenset[str]:
        """The inputs a program may give (all but those check derives)."""
        return frozenset(cls.model_fields) - cls._marked(DERIVED)

    @classmethod
    def stand_ins(cls) -> dict[str, Any]:
        return {
            name: marker.value
            for name, info in cls.model_fields.items()
            for marker in info.metadata
            if isinstance(marker, StandIn)
        }

    @classmethod
    def _marked(cls, marker: object) -> frozenset[str]:
        return frozenset(
            name
            for name, info in cls.model_fields.items()
            if any(m is marker for m in info.metadata)
        )


class NoInputs(Inputs):
    """The inputs of a resource that takes none."""


def failure_from_pydantic(
    err: Mapping[str, Any],
    model: type[Inputs],
    kind: str,
    missing_hints: Mapping[str, str] | None = None,
) -> Failure:
    """The one mapping from a pydantic error to the failure Pulumi shows."""
    loc = [p for p in err.get("loc", ()) if p != "function-after"]
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    if not loc:
        # Model-level rules name their property first: "adapter_size: ...".
        prop, _, rest = message.partition(": ")
        return Failure(prop, rest or message)
    prop = str(loc[0])
    path = property_path(loc)
    where = f"{path}: " if path != prop else ""
    if err.get("type") == "missing":
        hint = (missing_hints or {}).get(prop, "set it")
        return Failure(prop, f"{where}is required: {hint}")
    if err.get("type") == "extra_forbidden" and len(loc) == 1:
        known = ", ".join(sorted(model.settable()))
        return Failure(prop, f"is not a {kind} input (known: {known})")
    return Failure(prop, f"{where}{message}")
