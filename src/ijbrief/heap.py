"""When Python's cycle collector runs: while documents are laid out (which makes cyclic garbage),
not while a corpus is read or a build planned. Part of the speed layer: with it off (see
``accel``), the collector runs as Python runs it."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

from ijbrief import accel

# Builds may overlap in a long-lived process (serve builds in threads), and pauses nest within
# the running of a layout: the innermost of those still open decides, whichever thread opened it,
# and when none is left the collector is as it was before the first.
_LOCK = threading.Lock()
_open: list[tuple[bool, object]] = []  # (collector wanted on, token), innermost last
_before = True


@contextlib.contextmanager
def _collector(on: bool) -> Iterator[None]:
    global _before
    if not accel.enabled():
        yield
        return
    token = object()
    with _LOCK:
        if not _open:
            _before = gc.isenabled()
        _open.append((on, token))
        _apply()
    try:
        yield
    finally:
        with _LOCK:
            _open[:] = [entry for entry in _open if entry[1] is not token]
            _apply()


def _apply() -> None:
    if _open[-1][0] if _open else _before:
        gc.enable()
    else:
        gc.disable()


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """Run without the cycle collector. Reading a corpus makes hundreds of thousands of objects
    that live on and almost no cycles; the collector would walk them again each time a
    generation filled (a third of ``check``'s time at N = 500; at N = 10, 0.012 s of the
    0.075 s a no-op build takes once ijbrief is loaded)."""
    return _collector(False)


def collector_running() -> contextlib.AbstractContextManager[None]:
    """Run with the cycle collector, even within ``collector_paused``: a layout leaves cycles
    behind (a few MB a document), which only the collector frees."""
    return _collector(True)


def freeze() -> None:
    """Keep the collector off every object alive now: what a worker inherits from the process
    that forked it (a collection would walk it all, and copy every page it is on), what a merger
    keeps between builds."""
    if accel.enabled():
        gc.freeze()
