"""The per-example rules of each tuning method, one module per concern.

common (errors, field spellings), shapes/shape (v1 message shapes as data, and their checker),
parts, contents, then one module per method: supervised, preference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vertex_tuning.dataset.rules.common import Errors
from vertex_tuning.dataset.rules.preference import check_preference
from vertex_tuning.dataset.rules.supervised import Example, check_supervised

__all__ = ["CHECKS", "Errors", "Example"]

#: The example check of each tuning method.
CHECKS: dict[str, Callable[[Any, Errors], Example]] = {
    "supervised": check_supervised,
    "preference": check_preference,
}
