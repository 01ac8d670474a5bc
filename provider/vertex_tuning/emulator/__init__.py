"""A local Vertex AI speaking the v1 REST wire format, for Google's own clients.

`serve()` runs one in-process (tests); `python -m vertex_tuning.emulator` runs one as a process;
`EmulatorControl` drives either through the reserved `/_emulator/` path.
Imports are lazy: the server side pulls in google-cloud-aiplatform, which is slow to import.
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
