"""Limits on rendering one document: a wall-clock deadline, and a worker's address space."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import threading
from collections.abc import Iterator
from typing import Any

from ijbrief.build import workers
from ijbrief.errors import RenderError

# Limits on one document's rendering: wall-clock seconds, and address space of a worker process.
# A brief lays out in under a second and a dossier's part in a few; a whole dossier of 16
# meetings in about 3 s. Two minutes is far beyond any of them, and short enough to notice.
RENDER_SECONDS = float(os.environ.get("IJBRIEF_RENDER_SECONDS", "120"))
WORKER_MEMORY_MB = int(os.environ.get("IJBRIEF_WORKER_MEMORY_MB", "8192"))


class _Expired(BaseException):
    """Raised by the alarm; a BaseException so that no engine's `except Exception` swallows it."""


@contextlib.contextmanager
def _within_limits(name: str) -> Iterator[None]:
    """Stop rendering ``name`` after RENDER_SECONDS (only where signals can be used), and turn
    running out of a worker's memory into a RenderError."""
    with _deadline(name):
        try:
            yield
        except MemoryError:
            raise RenderError(
                f"{name}: out of memory while rendering (limit {WORKER_MEMORY_MB} MB per worker, "
                "IJBRIEF_WORKER_MEMORY_MB)"
            ) from None


@contextlib.contextmanager
def _deadline(name: str) -> Iterator[None]:
    """The wall-clock half of ``_within_limits``. In a worker process, an alarm; in this
    process (a dossier's templates, composed here while its parts are laid out), a watchdog
    thread that raises into the composing thread: no signal is ever sent to the user's own
    process, and a server's build thread is held to the limit too."""
    try:
        if workers.in_worker() and threading.current_thread() is threading.main_thread():
            with _alarm():
                yield
        else:
            with _watchdog():
                yield
    except _Expired:
        raise RenderError(
            f"{name}: rendering took longer than {RENDER_SECONDS:.0f} s "
            "(IJBRIEF_RENDER_SECONDS); a runaway template or stylesheet?"
        ) from None


@contextlib.contextmanager
def _alarm() -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    # It repeats: an alarm that lands in a callback whose exceptions are ignored (a gc callback)
    # is raised again a moment later.
    signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS, 0.2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _watchdog() -> Iterator[None]:
    """Raise _Expired in this thread once RENDER_SECONDS have passed, and again every 0.2 s
    until the block ends (template code runs Python bytecode, where it lands)."""
    target = threading.get_ident()
    lock = threading.Lock()
    ended = threading.Event()

    def raise_in(exception: Any) -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), exception)

    def watch() -> None:
        delay = RENDER_SECONDS
        while not ended.wait(delay):
            with lock:
                if not ended.is_set():
                    raise_in(ctypes.py_object(_Expired))
            delay = 0.2

    def end() -> None:
        with lock:
            ended.set()
            raise_in(None)  # one raised but not yet delivered is withdrawn

    watcher = threading.Thread(target=watch, name="ijbrief-deadline", daemon=True)
    watcher.start()
    try:
        try:
            yield
        finally:
            end()
    except _Expired:
        end()  # it may have landed in the first end()
        raise


def _limit_worker_memory() -> None:
    """Cap a worker process's address space, so a pathological document fails cleanly."""
    limit = WORKER_MEMORY_MB * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
