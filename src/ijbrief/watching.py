"""Notice edits to a project's briefs/, templates/ and seeds/ by polling their files' stat."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

WATCHED = ("briefs", "templates", "seeds")
Signature = tuple[tuple[str, int, int], ...]


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
    return tuple(sorted(entries))


def changes(
    root: Path, out: Path, interval: float, stop: threading.Event, since: Signature | None = None
) -> Iterator[list[str]]:
    """After each change since ``since`` (default: now), once the files have stayed the same for
    one interval (editors often write a file twice), yield the paths that were added, changed or
    removed, relative to ``root``; return when ``stop`` is set."""
    settled = last = signature(root, out) if since is None else since
    while not stop.wait(interval):
        now = signature(root, out)
        if now != last:
            last = now
        elif now != settled:
            before, settled = set(settled), now
            touched = {entry[0] for entry in before.symmetric_difference(now)}
            yield sorted(str(Path(path).relative_to(root)) for path in touched)
