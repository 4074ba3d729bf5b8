"""When Python's cycle collector runs, and over what: while documents are laid out (which makes
cyclic garbage), not while a corpus is read or a build planned, nor over what a build keeps."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Builds may overlap in a long-lived process (serve builds in threads), and pauses nest within
# the running of a layout: the innermost of those still open decides, whichever thread opened it,
# and when none is left the collector is as it was before the first.
_LOCK = threading.Lock()
_open: list[tuple[bool, object]] = []  # (collector wanted on, token), innermost last
_before: tuple[bool, tuple[int, int, int]] = (True, gc.get_threshold())
# While a layout runs, the collector looks at the youngest objects after 20,000 allocations
# rather than 700: a layout makes objects by the million and its cycles by the document, so most
# of those collections found nothing to free (builds 3% faster, peak memory 8% higher at N = 100).
LAYOUT_THRESHOLD = (20_000, 20, 20)


@contextlib.contextmanager
def _collector(on: bool) -> Iterator[None]:
    global _before
    token = object()
    with _LOCK:
        if not _open:
            _before = (gc.isenabled(), gc.get_threshold())
        _open.append((on, token))
        _apply()
    try:
        yield
    finally:
        with _LOCK:
            _open[:] = [entry for entry in _open if entry[1] is not token]
            _apply()


def _apply() -> None:
    on, threshold = (_open[-1][0], LAYOUT_THRESHOLD) if _open else _before
    gc.set_threshold(*threshold)
    if on:
        gc.enable()
    else:
        gc.disable()


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """Run without the cycle collector. Reading a corpus makes hundreds of thousands of objects
    that live on and almost no cycles; the collector would walk them again each time a
    generation filled (a third of ``check``'s time at N = 500, a fifth of a no-op build's)."""
    return _collector(False)


def collector_running() -> contextlib.AbstractContextManager[None]:
    """Run with the cycle collector, even within ``collector_paused``: a layout leaves cycles
    behind (a few MB a document), which only the collector frees."""
    return _collector(True)


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Keep the collector off what a build keeps to its end (the corpus, views, the composed
    dossier, remembered YAML and parts): its full collections walked all of it again and again,
    here and in every forked worker. Let go after the build, so a long-lived process can collect
    what the build left behind."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
