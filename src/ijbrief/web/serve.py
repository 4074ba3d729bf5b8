"""``ijbrief serve``: browse, build and download briefs and dossiers in a local web app.

Routes (GET and HEAD only, except ``POST /build``):

``/``                 the file listing with previews, a dossier form and the rebuild status
``/files/{path}``     a file inside out/, as a download with a meaningful name
``/preview/{path}``   a brief or dossier shown inline (HTML sandboxed, or PDF)
``POST /build``       start (or join) a dossier build; JSON or a redirect to its status
``/build/{job}``      a build's status: JSON, or a page refreshing itself for a browser
``/status``           the automatic rebuild's status and a counter of finished builds (JSON)

A worker thread runs builds one after another (``build()`` skips what is up to date and writes
atomically under a lock on out/); a watcher thread hears of changes to briefs/, templates/ and
seeds/ as the system reports them (and looks every second besides) and rebuilds what out/
already holds when they change.

The routes are in ``web/routes``, the jobs and the service behind them in ``web/jobs`` and
``web/service``, the pages in ``compose/site``; this module starts and stops the server.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from ijbrief.web.routes import content_disposition, create_app
from ijbrief.web.service import MAX_QUEUED, MAX_REBUILT_FILTER_SETS

__all__ = [
    "MAX_QUEUED",
    "MAX_REBUILT_FILTER_SETS",
    "content_disposition",
    "create_app",
    "is_loopback",
    "serve",
]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    root: Path,
    out: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    jobs: int | None = None,
    watch: bool = True,
    allow_hosts: Sequence[str] = (),
) -> int:
    """Run the web app until interrupted (Ctrl+C, SIGTERM or SIGHUP); return the exit code.
    Requests are answered only when their Host header names this machine as the user meant to
    reach it: a loopback name, ``host`` itself when it is one address, or an ``allow_hosts``
    name (a web page elsewhere cannot then reach the server by DNS rebinding)."""
    from ijbrief.build import workers

    local = is_loopback(host)
    allowed = {*LOOPBACK_NAMES, *(h.strip().lower() for h in allow_hosts if h.strip())}
    if host.strip("[]") not in ("", "0.0.0.0", "::"):
        allowed.add(host.strip("[]").lower())
    if not local:
        print(
            f"ijbrief: warning: binding {host or 'every interface'} makes the briefs and the "
            "build form reachable from other machines, without any authentication; "
            "use the default --host 127.0.0.1 unless you mean it. Only requests addressed "
            f"to {', '.join(sorted(allowed))} are answered: name the others (the machine's "
            "name or address as others type it) with --allow-host",
            file=sys.stderr,
        )
    try:
        listening = _listen(host, port)
    except OSError as exc:
        print(f"ijbrief: {exc}", file=sys.stderr)
        return 3
    app = create_app(root, out, jobs=jobs, watch=watch, allowed_hosts=sorted(allowed))
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", server_header=False, lifespan="on"
    )
    shown = f"[{host}]" if ":" in host else host
    server = _Server(config, f"ijbrief: serving {out} at http://{shown}:{port}/ (Ctrl+C to stop)")
    try:
        server.run(sockets=[listening])
    except SystemExit as exc:  # uvicorn exits when the app cannot start
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        listening.close()
        workers.stop_all()  # whatever a build still had running
    if server.stopped_by is not None:
        print("ijbrief: stopped", file=sys.stderr)
    return 0 if server.started else 1


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``; an OSError that says what to do if not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]") or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}: {exc.strerror}") from None
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(2048)
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(
                f"port {port} on {host} is already in use (another `ijbrief serve`?); "
                f"choose another with --port, e.g. --port {port + 1 if port < 65535 else 8001}"
            ) from None
        raise OSError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    listening.set_inheritable(False)
    return listening


class _Server(uvicorn.Server):
    """uvicorn's server, which says it is serving only once it listens, and stops gracefully
    on SIGHUP as on SIGINT and SIGTERM (then returns, rather than raising the signal again:
    the workers are stopped before this process ends)."""

    def __init__(self, config: Any, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement
        self.stopped_by: int | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self.announcement, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {signum: signal.signal(signum, self._stop) for signum in stopping}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _stop(self, signum: int, frame: Any) -> None:
        if self.should_exit and signum == signal.SIGINT:
            self.force_exit = True  # a second Ctrl+C: do not wait for connections to close
        self.stopped_by = signum
        self.should_exit = True
