"""Notice edits to a project's briefs/, templates/ and seeds/ as the system reports them."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

WATCHED = ("briefs", "templates", "seeds")
Signature = tuple[tuple[str, int, int], ...]
QUIET_MS = 50  # how long the files must stay the same before a change is reported


def signature(root: Path, out: Path) -> Signature:
    """Path, mtime and size of every file under briefs/, templates/ and seeds/ (not out/)."""
    out = out.resolve()
    entries: list[tuple[str, int, int]] = []
    for name in WATCHED:
        stack = [root / name]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    children = list(listing)
            except OSError:
                continue
            for entry in children:
                if entry.name.startswith(".") or entry.name.endswith("~"):
                    continue  # editors' swap and backup files
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if Path(entry.path).resolve() != out:
                            stack.append(Path(entry.path))
                    else:
                        info = entry.stat()
                        entries.append((entry.path, info.st_mtime_ns, info.st_size))
                except OSError:
                    continue
    # project.yaml (titles, parties) is not in a watched folder: the once-a-second look finds it.
    try:
        info = (root / "project.yaml").stat()
        entries.append((str(root / "project.yaml"), info.st_mtime_ns, info.st_size))
    except OSError:
        pass
    return tuple(sorted(entries))


def changes(
    root: Path, out: Path, interval: float, stop: threading.Event, since: Signature | None = None
) -> Iterator[list[str]]:
    """After each change since ``since`` (default: now), yield the paths that were added, changed
    or removed, relative to ``root``; return when ``stop`` is set.

    The system tells of changes as they happen (watchfiles: inotify on Linux), and a change is
    reported once the files have been quiet for 50 ms (editors often write a file twice). What
    changed is what the files' stat says. They are compared once watching has begun (edits
    made before count), on every report, and every ``interval`` seconds besides, for what the
    system does not tell (a folder made later, a file system that does not notify)."""
    settled = signature(root, out) if since is None else since
    from watchfiles import watch

    folders = [root / name for name in WATCHED if (root / name).is_dir()]
    looked = -math.inf  # not yet: look at once
    for reported in watch(
        *(folders or [root]),
        recursive=bool(folders),
        stop_event=stop,
        rust_timeout=QUIET_MS,
        yield_on_timeout=True,
        step=QUIET_MS,
    ):
        if not reported and time.monotonic() - looked < interval:
            continue
        looked = time.monotonic()
        now = signature(root, out)
        if now != settled:
            before, settled = set(settled), now
            touched = {entry[0] for entry in before.symmetric_difference(now)}
            yield sorted(str(Path(path).relative_to(root)) for path in touched)
