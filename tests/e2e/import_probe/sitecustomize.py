"""Records which Google client, pydantic and vertex_tuning modules Python processes import.

Put this directory on PYTHONPATH and set VERTEX_TUNING_IMPORT_LOG to a file: every Python process
started with that environment (the engine's dynamic-provider host among them) then appends one
line per first import of a google.cloud, google.api_core, google.auth, pydantic or vertex_tuning
module: "<pid><TAB><module><TAB><argv>". It only observes: the import itself proceeds unchanged.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

_LOG = os.environ.get("VERTEX_TUNING_IMPORT_LOG")
_WATCHED = ("google.cloud", "google.api_core", "google.auth", "pydantic", "vertex_tuning")


class _ImportLog:
    """A meta-path finder that finds nothing: Python asks it first, once per new module."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if _LOG and any(name == w or name.startswith(w + ".") for w in _WATCHED):
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()}\t{name}\t{' '.join(sys.argv)}\n")
        return None


if _LOG:
    sys.meta_path.insert(0, _ImportLog())
