"""Worker processes that cannot outlive, or hold on to, the process that started them.

A worker ignores Ctrl+C (its parent stops it), dies of SIGTERM and SIGHUP, closes what it
inherited but must not hold (out/'s lock, the server's sockets), and exits as soon as its
parent is gone, however the parent ended (``kill -9`` included): otherwise a killed build's
workers kept out/'s lock, and the next build waited for ever. Pools are stopped with a bounded
wait, then their processes are terminated.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

# How often a worker looks whether its parent is still there (seconds).
PARENT_CHECK = 0.2
# How long stopping a pool waits for its workers to finish before terminating them (seconds).
STOP_WAIT = 5.0

_POOLS: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
# Descriptors this process holds that its workers must not (out/'s lock files).
_HELD: set[int] = set()
_IN_WORKER = False


def in_worker() -> bool:
    """Whether this process is a worker started by :func:`pool`."""
    return _IN_WORKER


def hold(descriptor: int) -> None:
    """Note a descriptor that workers started from now on close at once."""
    _HELD.add(descriptor)


def let_go(descriptor: int) -> None:
    _HELD.discard(descriptor)


def unforked(preload: list[str]) -> BaseContext:
    """Where the workers of a process that runs threads (a server, a watching build) come from:
    forking such a process copies locks that other threads may hold at that moment, which can
    deadlock the child. A fork server is started once, from a clean single-threaded process
    that imports ``preload`` (the PDF engine) first, and forks each worker from itself."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)  # read when the fork server starts, once
    return context


def pool(
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...] = (),
    context: BaseContext | None = None,
) -> ProcessPoolExecutor:
    """A pool of ``jobs`` worker processes, each running ``initializer(*initargs)`` first."""
    context = context or multiprocessing.get_context("fork")
    # Only a forked worker shares this process's descriptors (the others start from a clean
    # process): only it closes them by number.
    forked = context.get_start_method() == "fork"
    held = sorted(_HELD) if forked else []
    # A forked worker's parent is this process; a fork server's, the fork server (which ends
    # when this process does).
    parent = os.getpid() if forked else None
    executor = ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_started,
        initargs=(parent, held, initializer, initargs),
    )
    _POOLS.add(executor)
    return executor


def _started(
    parent: int | None,
    held: list[int],
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    # What a server or a watching build set up for itself is not the worker's: Ctrl+C reaches
    # the whole process group, and the parent stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, signal.SIG_DFL)
    for descriptor in held:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _close_network_sockets()
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent has gone already
    watch = threading.Thread(
        target=_watch_parent, args=(os.getppid(),), name="parent-watch", daemon=True
    )
    watch.start()
    initializer(*initargs)


def _watch_parent(parent: int) -> None:
    """Exit when the parent has gone (this process is then re-parented)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(1)


def _close_network_sockets() -> None:
    """Close inherited TCP/UDP sockets (a server's listening socket and its connections): a
    worker left running would otherwise hold the server's port."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for descriptor in descriptors:
        try:
            if not stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                continue
            probe = socket.socket(fileno=descriptor)
            family = probe.family
            probe.detach()
            if family in (socket.AF_INET, socket.AF_INET6):
                os.close(descriptor)
        except OSError:
            continue


def stop(executor: ProcessPoolExecutor, wait: float = STOP_WAIT) -> None:
    """Stop a pool: queued work is cancelled, running work gets ``wait`` seconds, then its
    processes are terminated (and killed, if that does not end them)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    _POOLS.discard(executor)
    _end(processes, wait)


def stop_all(wait: float = STOP_WAIT) -> None:
    """Stop every pool this process started and has not stopped."""
    executors = list(_POOLS)
    processes = [p for e in executors for p in (getattr(e, "_processes", None) or {}).values()]
    for executor in executors:
        executor.shutdown(wait=False, cancel_futures=True)
        _POOLS.discard(executor)
    _end(processes, wait)


def _end(processes: Iterable[Any], wait: float) -> None:
    deadline = time.monotonic() + wait
    processes = list(processes)
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(1.0)
        if process.is_alive():
            process.kill()
            process.join(1.0)


def healthy(executor: ProcessPoolExecutor) -> bool:
    """Whether a pool can still run work: not broken, none of its started workers gone."""
    if getattr(executor, "_broken", False) or getattr(executor, "_shutdown_thread", False):
        return False
    processes = getattr(executor, "_processes", None)
    return processes is not None and all(p.is_alive() for p in processes.values())
