"""Reading a project's files with bounds: only regular files, at most so many bytes, and a
reason in words when one cannot be read. A leaf: the corpus reads its YAML and seeds through it,
and the writers their reference documents."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

from ijbrief.errors import InputError, Location, Problem

MAX_FILE_BYTES = 1024 * 1024


def read_bytes(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; InputError otherwise."""

    def refuse(message: str) -> InputError:
        return InputError([Problem(Location(display), message)])

    try:
        info = path.stat()
        # A FIFO or device would block or never end: only regular files are read.
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise refuse(f"cannot read: {kind}")
        if info.st_size > limit:
            raise refuse(f"file is {info.st_size} bytes; the limit is {limit}")
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)  # the file may have grown since stat()
        if len(raw) > limit:
            raise refuse(f"file is over {limit} bytes, the limit")
    except OSError as exc:
        raise refuse(f"cannot read: {os_reason(exc)}") from None
    return raw


def os_reason(exc: OSError) -> str:
    """Why a file could not be opened, in words for a message."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return exc.strerror or str(exc)
