"""Which chapters of a dossier start a page, and which run on after the one before.

A chapter per page left pages 70 % empty under a short chapter's last lines; running every
chapter on would leave a dossier that cannot be laid out in parts (each part starts a page of its
own). So the chapters come in runs of about a target length: a run starts a page, its chapters
follow one another, and a dossier laid out in parts cuts it where a run starts, which lays out
the same pages as the whole.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

# About how many chapters run on from one another before the next starts a page.
CHAPTERS_PER_RUN = 4


def starts_group(ident: str, size: int, target: int) -> bool:
    """Whether ``ident`` starts a new group after one of ``size`` members. Boundaries follow the
    ids, not positions, so adding or removing a member changes only its own group."""
    if size >= 2 * target:
        return True
    return size >= max(1, target // 2) and zlib.crc32(ident.encode()) % max(1, target) == 0


def run_starts(idents: Sequence[str], target: int = CHAPTERS_PER_RUN) -> list[bool]:
    """For each chapter in order, whether it starts a run (and so a page)."""
    starts: list[bool] = []
    size = 0
    for ident in idents:
        start = not starts or starts_group(ident, size, target)
        size = 1 if start else size + 1
        starts.append(start)
    return starts
