"""Giving memory back to the system after a reset.

Freed Python objects go back to the C allocator, which keeps them: glibc holds freed chunks in
one arena per thread that ever allocated (the server runs each request on a new thread) and
raises its mmap threshold after large frees, so even a dropped 100 MB state stays resident.
The emulator process therefore uses one arena (requests take the GIL anyway), and a reset
collects cycles and trims every arena. Elsewhere than glibc both are no-ops; `serve()` in a host
process (tests) leaves that process's allocator settings alone and only trims.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from typing import Any

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


@functools.cache
def _glibc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def use_one_arena() -> None:
    """For a process about to serve: one malloc arena for all threads (call before threads)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, 1)


def release() -> None:
    """Free unreachable objects and return the allocator's free pages to the system."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
