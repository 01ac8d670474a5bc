"""A local Vertex AI speaking the v1 and v1beta1 REST wire formats, for Google's own clients
(google-genai, the GAPIC clients of google-cloud-aiplatform) and the provider.

Its schema is Google's own: the REST discovery documents of aiplatform v1 and v1beta1 as
google-api-python-client ships them (revision 20261106 in 2.202.0), loaded lazily. The GAPIC
types lag the live API (no preference tuning, no `tuningJobState`), so they are not used.
Request bodies are checked strictly against the schema of the method's request in the version
asked for; resources are stored as API JSON and rendered with that version's fields only
(schema.py). It plays the tuning service of December 2026: its own model catalog (catalog.py),
checkpoints, preference and continuous tuning, integrated evaluation, detailed job states, and
long-running operations that start undone.

`serve()` runs one in-process (tests); `python -m vertex_tuning.emulator` runs one as a process;
`EmulatorControl` drives either through the reserved `/_emulator/` path.
Imports are lazy: the server side loads the discovery documents and werkzeug on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vertex_tuning.emulator.control import ControlError, EmulatorControl

if TYPE_CHECKING:
    from vertex_tuning.emulator.faults import FaultPlan
    from vertex_tuning.emulator.server import RunningEmulator, serve

__all__ = ["ControlError", "EmulatorControl", "FaultPlan", "RunningEmulator", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("serve", "RunningEmulator"):
        from vertex_tuning.emulator import server

        return getattr(server, name)
    if name == "FaultPlan":
        from vertex_tuning.emulator import faults

        return faults.FaultPlan
    raise AttributeError(f"module 'vertex_tuning.emulator' has no attribute {name!r}")
