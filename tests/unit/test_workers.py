"""Worker processes keep nothing of their parent's that they must not (issue 26): its signal
handlers, its sockets, out/'s lock; and stopping them takes a bounded time."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from tests.processes import alive

from ijbrief.build import pool as build
from ijbrief.build.outputs import LOCK_NAME, locked


def _inherited(descriptors: list[int]) -> dict[str, object]:
    def is_open(descriptor: int) -> bool:
        try:
            os.fstat(descriptor)
        except OSError:
            return False
        return True

    return {
        "sigint": signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
        "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
        "sighup": signal.getsignal(signal.SIGHUP) == signal.SIG_DFL,
        "open": [d for d in descriptors if is_open(d)],
    }


def test_a_worker_resets_signals_and_closes_the_servers_socket_and_the_lock(
    tmp_path: Path,
) -> None:
    def server_handler(signum: int, frame: object) -> None:  # a server's, as uvicorn sets
        raise AssertionError("the worker ran its parent's handler")

    previous = {s: signal.signal(s, server_handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    listening = socket.socket()
    try:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        with locked(tmp_path):
            lock = next(
                int(d)
                for d in os.listdir("/proc/self/fd")
                if os.path.realpath(f"/proc/self/fd/{d}") == str(tmp_path / LOCK_NAME)
            )
            pool = build._executor(1)
            try:
                seen = pool.submit(_inherited, [listening.fileno(), lock]).result(timeout=60)
            finally:
                pool.shutdown()
    finally:
        listening.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    assert seen == {"sigint": True, "sigterm": True, "sighup": True, "open": []}


def _pid() -> int:
    return os.getpid()


def test_stopping_resident_workers_ends_a_busy_one_within_a_bounded_wait() -> None:
    # They were shut down without waiting: a worker busy with a long layout ran on.
    resident = build._Resident(build._executor(1), build._executor(1))
    pid = resident.parts.submit(_pid).result(timeout=60)
    resident.parts.submit(time.sleep, 120)
    time.sleep(0.5)  # it has begun
    started = time.monotonic()
    resident.shutdown()
    deadline = time.monotonic() + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    assert time.monotonic() - started < 15


def test_a_builds_pool_ends_a_hung_worker_within_a_bounded_wait() -> None:
    # The pool of one build was shut down without waiting: a worker hung in a layout ran on
    # after the build had ended.
    with build._not_waited_for(build._executor(1), wait=1.0) as pool:
        pid = pool.submit(_pid).result(timeout=60)
        pool.submit(time.sleep, 120)
        time.sleep(0.5)  # it has begun
    started = time.monotonic()
    deadline = started + 15
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    assert time.monotonic() - started < 10
