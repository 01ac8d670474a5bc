"""Reading tuning data with bounded memory: regular files only, lines cut at a size cap.

A FIFO, a terminal or /dev/zero never ends (or never starts), so only regular files are read;
the check runs on the opened descriptor (opened non-blocking, so a FIFO without a writer cannot
hang the open itself). Lines come from fixed-size chunks: a line longer than the cap yields its
first cap + 1 bytes, which the validator reports as too long, and the rest is skipped unread by
anyone, so no input (one endless line included) makes the reader hold more than a chunk and a
cap.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

__all__ = ["CHUNK_BYTES", "NotRegularFile", "chunks_of", "lines_of", "open_regular"]

CHUNK_BYTES = 1 << 20


class NotRegularFile(OSError):
    """The path is a directory, FIFO, socket or device: tuning data must be a regular file."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str]) -> Iterator[tuple[IO[bytes], int]]:
    """Open a regular file for reading: (binary handle, size in bytes); NotRegularFile if not."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _kind(info.st_mode)
            raise NotRegularFile(
                0, f"{kind}, not a regular file; tuning data is read from a JSONL file", str(path)
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle, info.st_size


def chunks_of(handle: Any, tap: Callable[[bytes], object] | None = None) -> Iterator[bytes]:
    """A binary (or text) handle's content in CHUNK_BYTES pieces; `tap` sees every one."""
    read = handle.read
    while chunk := read(CHUNK_BYTES):
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogatepass")
        if tap is not None:
            tap(chunk)
        yield chunk


def lines_of(chunks: Iterable[bytes], cap: int) -> Iterator[bytes]:
    """Split chunks into lines without terminators; a line over `cap` bytes is cut to cap + 1.

    The final line is yielded even without a newline; an empty input yields nothing.
    """
    rest = b""
    skipping = False  # inside a line already yielded as too long: drop bytes to its end
    for chunk in chunks:
        pieces = chunk.split(b"\n")
        tail = pieces.pop()  # the start of a line this chunk does not finish
        for piece in pieces:
            if skipping:
                skipping = False
                continue
            if rest:
                piece, rest = rest + piece, b""
            yield piece if len(piece) <= cap else piece[: cap + 1]
        if skipping:
            continue
        if rest or tail:
            rest += tail
            if len(rest) > cap:
                yield rest[: cap + 1]
                rest, skipping = b"", True
    if rest and not skipping:
        yield rest
