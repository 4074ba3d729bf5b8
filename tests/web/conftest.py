"""Fixtures for the web app: project copies, a small real build, test clients and live servers."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its TestClient; httpx works the same here.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from ijbrief.build.pipeline import BuildOptions, build
from ijbrief.web.serve import create_app

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAME_ORIGIN = {"origin": "http://testserver"}
DECOY = "decoy: this file is outside out/ and must never be served\n"


def copy_project(target: Path) -> Path:
    """A project folder with the repository's seeds, briefs and templates, and decoy files next
    to out/ that a path traversal would reach."""
    target.mkdir(parents=True)
    for name in ("seeds", "briefs", "templates"):
        shutil.copytree(REPO / name, target / name)
    shutil.copy2(REPO / "project.yaml", target / "project.yaml")
    (target / "pyproject.toml").write_text(DECOY, encoding="utf-8")
    (target / "secret.txt").write_text(DECOY, encoding="utf-8")
    return target


def small_build(
    root: Path,
    formats: tuple[str, ...],
    audiences: tuple[str, ...],
    *,
    topics: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
    since: dt.date | None = None,
) -> None:
    options = BuildOptions(
        root=root,
        formats=formats,
        audiences=audiences,
        topics=topics,
        only=only,
        since=since,
        out=root / "out",
        jobs=2,
        quiet=True,
    )
    build(options)


@pytest.fixture(name="small_build", scope="session")
def small_build_fixture() -> Callable[..., None]:
    """:func:`small_build`, for test modules (which do not import conftest)."""
    return small_build


@pytest.fixture(name="copy_project", scope="session")
def copy_project_fixture() -> Callable[[Path], Path]:
    """:func:`copy_project`, for test modules."""
    return copy_project


@pytest.fixture(name="uvicorn_thread", scope="session")
def uvicorn_thread_fixture() -> Callable[[Starlette], contextlib.AbstractContextManager[str]]:
    """:func:`uvicorn_thread`, for test modules."""
    return uvicorn_thread


@pytest.fixture(name="cli_server")
def cli_server_fixture() -> Callable[[Path, Path], contextlib.AbstractContextManager[str]]:
    """:func:`cli_server`, for test modules."""
    return cli_server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh project copy with an empty out/."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with one real, small build in out/ (shared, read-only): the analyst's briefs
    and dossier on cybersecurity since October 2020, in PDF and HTML."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    small_build(
        root,
        formats=("pdf", "html"),
        audiences=("analyst",),
        topics=("cybersecurity",),
        since=dt.date(2020, 10, 1),
    )
    out = root / "out"
    # Traps inside out/: a link to a system file, a link to the project's decoy, a link to a
    # hidden file, a hidden file; and one harmless link to a file inside out/.
    os.symlink("/etc/passwd", out / "passwd.pdf")
    os.symlink(root / "secret.txt", out / "secret.pdf")
    os.symlink(out / ".ijbrief-cache.json", out / "cache.json")
    (out / ".hidden.pdf").write_bytes(b"%PDF-1.4 hidden")
    os.symlink(
        out / "analyst" / "analyst-dossier-cybersecurity-since-2020-10-01.pdf",
        out / "latest-dossier.pdf",
    )
    return root


@pytest.fixture
def client(built: Path) -> Iterator[TestClient]:
    app = create_app(built, built / "out", watch=False)
    # As a browser sends a form from the server's own page.
    with TestClient(app, headers=SAME_ORIGIN) as test_client:
        yield test_client


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def uvicorn_thread(app: Starlette) -> Iterator[str]:
    """Run ``app`` under a real uvicorn on 127.0.0.1 (a port the OS picks) in a thread."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="session")
def live_url(built: Path) -> Iterator[str]:
    """The shared build served by a real uvicorn in a thread."""
    with uvicorn_thread(create_app(built, built / "out", watch=False)) as url:
        yield url


@contextlib.contextmanager
def cli_server(root: Path, log: Path) -> Iterator[str]:
    """``python -m ijbrief -C root serve --port N`` in a subprocess, its output in ``log``;
    stopped with SIGTERM (uvicorn shuts down gracefully) when the block ends."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONUNBUFFERED": "1"}
    for _attempt in range(3):
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()  # a tiny window in which another process could take the port: retried
        with open(log, "w", encoding="utf-8") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "ijbrief", "-C", str(root), "serve", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        url = f"http://127.0.0.1:{port}"
        if _wait_until_up(url, process):
            break
        _stop(process)
    else:
        raise RuntimeError("the ijbrief server did not start")
    try:
        yield url
    finally:
        _stop(process)


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/status", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module (Playwright's sync API keeps an event loop running in the
    main thread while it is open)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
