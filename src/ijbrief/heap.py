"""When Python's cycle collector runs, and over what: while documents are laid out (which makes
cyclic garbage), not while a corpus is read or a build planned, nor over what a build keeps."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Builds may overlap in a long-lived process (serve builds in threads): the collector runs again
# when the last pause ends, if it ran before the first.
_LOCK = threading.Lock()
_pauses = 0
_ran_before = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run without the cycle collector. Reading a corpus makes hundreds of thousands of objects
    that live on and almost no cycles; the collector would walk them again each time a
    generation filled (a third of ``check``'s time at N = 500, a fifth of a no-op build's)."""
    global _pauses, _ran_before
    with _LOCK:
        if not _pauses:
            _ran_before = gc.isenabled()
        _pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _LOCK:
            _pauses -= 1
            if not _pauses and _ran_before:
                gc.enable()


@contextlib.contextmanager
def collector_running() -> Iterator[None]:
    """Run with the cycle collector, even within ``collector_paused``: a layout leaves cycles
    behind (a few MB a document), which only the collector frees."""
    with _LOCK:
        ran = gc.isenabled()
        gc.enable()
    try:
        yield
    finally:
        with _LOCK:
            if _pauses or not ran:
                gc.disable()


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
