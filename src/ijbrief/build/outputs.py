"""Writing outputs safely: a lock on out/, staged files committed by atomic rename, no leftovers."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ijbrief.errors import IjbriefError

LOCK_NAME = ".ijbrief.lock"


@contextlib.contextmanager
def locked(out: Path, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for the duration; a second build waits or refuses."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK_NAME, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
    except OSError as exc:
        raise IjbriefError(f"{out}: cannot create the output folder: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise IjbriefError(f"{out}: another build is running") from None
            print(f"ijbrief: waiting for another build on {out} to finish…", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        # Unlocked, not only closed: worker processes forked meanwhile share the open file, and
        # closing this copy would leave it locked until the last of them exits.
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


class Staging:
    """Collects a build's files in a hidden folder inside ``out``; ``commit`` moves each into place
    with an atomic rename, so a failed or interrupted build leaves every earlier output as it was."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = Path(tempfile.mkdtemp(prefix=".ijbrief-staging-", dir=out))
        self.files: list[Path] = []

    def write(self, relpath: Path, data: bytes) -> None:
        target = self.folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise IjbriefError(f"{self.out / relpath}: cannot write: {exc.strerror}") from None
        self.files.append(relpath)

    def commit(self) -> None:
        for relpath in self.files:
            final = self.out / relpath
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.folder / relpath, final)
            except OSError as exc:
                raise IjbriefError(f"{final}: cannot write: {exc.strerror}") from None
        _fsync_dir(self.out)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
