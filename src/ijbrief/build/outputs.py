"""Writing outputs safely: a lock on out/, staged files committed all together (a journal makes
the renames one step: a build killed among them is completed by the next), no leftovers."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ijbrief.build import workers
from ijbrief.errors import IjbriefError

LOCK_NAME = ".ijbrief.lock"
JOURNAL_NAME = ".ijbrief-journal.json"
STAGING_PREFIX = ".ijbrief-staging-"


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
        workers.hold(handle.fileno())  # a worker that outlived this build must not hold it
        recover(out)
        yield
    finally:
        workers.let_go(handle.fileno())
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
        self.folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        self.files: list[Path] = []
        self.journalled = False

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
        """Move every staged file into place. Once the journal naming them is written, the
        commit is decided: if this process dies among the renames, the next build (any holder
        of out/'s lock) makes the rest; before that, nothing in out/ has changed."""
        journal = self.out / JOURNAL_NAME
        record = {"folder": self.folder.name, "files": [p.as_posix() for p in self.files]}
        draft = self.folder / JOURNAL_NAME
        try:
            with open(draft, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(draft, journal)
        except OSError as exc:
            raise IjbriefError(f"{journal}: cannot write: {exc.strerror}") from None
        _fsync_dir(self.out)
        self.journalled = True
        _move_into_place(self.out, self.folder, self.files)
        _end_journal(self.out)

    def discard(self) -> None:
        """Remove the staging folder, unless a commit was begun and not finished (the next
        build completes it from there)."""
        if self.journalled and (self.out / JOURNAL_NAME).exists():
            return
        shutil.rmtree(self.folder, ignore_errors=True)


def _move_into_place(out: Path, folder: Path, files: list[Path]) -> None:
    for relpath in files:
        staged, final = folder / relpath, out / relpath
        if not staged.exists() and not staged.is_symlink():
            continue  # moved before the build that staged it was stopped
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        except OSError as exc:
            raise IjbriefError(f"{final}: cannot write: {exc.strerror}") from None
    _fsync_dir(out)


def _end_journal(out: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (out / JOURNAL_NAME).unlink()
    _fsync_dir(out)


def recover(out: Path) -> None:
    """Finish what an interrupted build left in ``out`` (call with its lock held): complete a
    commit it had begun, and remove the staging folders of builds that were stopped before."""
    journal = out / JOURNAL_NAME
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        record = None
    except (OSError, ValueError):
        record = {}  # unreadable: written by rename, so not ours; let it go
    if record is not None:
        folder_name = record.get("folder") if isinstance(record, dict) else None
        names = record.get("files") if isinstance(record, dict) else None
        if (
            isinstance(folder_name, str)
            and folder_name.startswith(STAGING_PREFIX)
            and "/" not in folder_name
            and isinstance(names, list)
        ):
            files = [Path(n) for n in names if isinstance(n, str) and _inside(n)]
            _move_into_place(out, out / folder_name, files)
        _end_journal(out)
    with contextlib.suppress(OSError):
        for entry in out.iterdir():
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def _inside(relpath: str) -> bool:
    """Whether a journal's path names a file inside out/ (not absolute, no ``..``)."""
    path = Path(relpath)
    return bool(relpath) and not path.is_absolute() and ".." not in path.parts


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
