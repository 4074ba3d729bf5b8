"""`serve` and `build --watch` as processes (issues 20.15-16, 28.3, 26): every worker they start
ends with them, whichever signal stops them; a killed worker does not break later builds; the
server says it serves only once it listens."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.processes import descendants, parent_of, wait_gone

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONUNBUFFERED": "1"}
# A small dossier: the student edition of the few meetings on AI since 2026.
REQUEST = b"audience=student&format=pdf&since=2026-01-01&topic=ai"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/status", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def server(project: Path, log: Path, *options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    command = [sys.executable, "-m", "ijbrief", "-C", str(project), "serve", "--port", str(port)]
    with open(log, "w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [*command, *options], env=ENV, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while "ijbrief: serving" not in log.read_text(encoding="utf-8") or not answers(url):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def post_build(url: str, body: bytes) -> dict[str, object]:
    request = urllib.request.Request(
        url + "/build",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Origin": url,
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        job: dict[str, object] = json.load(response)
    deadline = time.monotonic() + 240
    while job["state"] not in ("done", "error"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        status = urllib.request.Request(f"{url}/build/{job['id']}", headers={"Accept": "json"})
        with urllib.request.urlopen(status, timeout=30) as response:
            job = json.load(response)
    return job


def settled_workers(pid: int, at_least: int, timeout: float = 60) -> set[int]:
    """The workers below ``pid`` once there are ``at_least`` and their number holds still."""
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    steady = 0
    while time.monotonic() < deadline:
        now = descendants(pid)
        steady = steady + 1 if now == seen and len(now) >= at_least else 0
        if steady >= 10:
            return now
        seen = now
        time.sleep(0.1)
    raise AssertionError(f"workers never settled: {seen}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_serve_stopped_by_a_signal_leaves_no_process_and_frees_its_port(
    project: Path, tmp_path: Path, signum: int
) -> None:
    # issue 20.15: after a build from the page, SIGTERM left two forked workers holding the port.
    log = tmp_path / "serve.log"
    with server(project, log, "--jobs", "2") as (process, url):
        assert post_build(url, REQUEST)["state"] == "done"
        workers = settled_workers(process.pid, at_least=3)  # resident: 2 for parts, 1 merger
        process.send_signal(signum)
        process.wait(timeout=60)
        port = int(url.rsplit(":", 1)[1])
        assert wait_gone(workers | descendants(process.pid), timeout=5) == set(), log.read_text()
        assert port_is_free(port)
        assert "Traceback" not in log.read_text(encoding="utf-8")


def test_serve_recovers_from_a_killed_worker(project: Path, tmp_path: Path) -> None:
    # issue 28.3: after one resident worker was killed, every later build failed until restart.
    log = tmp_path / "serve.log"
    with server(project, log, "--jobs", "2") as (process, url):
        assert post_build(url, REQUEST)["state"] == "done"
        workers = settled_workers(process.pid, at_least=3)
        # A resident worker: a child of the fork server, not of the server itself.
        resident = [pid for pid in workers if parent_of(pid) != process.pid]
        assert resident, workers
        os.kill(min(resident), signal.SIGKILL)
        later = post_build(url, REQUEST.replace(b"2026-01-01", b"2025-06-01"))
        assert later["state"] == "done", later
        again = post_build(url, REQUEST.replace(b"2026-01-01", b"2025-01-01"))
        assert again["state"] == "done", again
        process.send_signal(signal.SIGINT)  # Ctrl+C still stops it
        process.wait(timeout=60)
        assert wait_gone(descendants(process.pid), timeout=5) == set()


def test_serve_on_a_busy_port_says_so_and_does_not_claim_to_serve(project: Path) -> None:
    # issue 20.16: it printed "serving … at http://…" before the bind failed.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "ijbrief", "-C", str(project), "serve"]
        done = subprocess.run(
            [*command, "--port", str(port)], env=ENV, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 3
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr and "serving" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_build_watch_stopped_by_a_signal_leaves_no_process(
    project: Path, tmp_path: Path, signum: int
) -> None:
    command = [sys.executable, "-m", "ijbrief", "-C", str(project), "build", "--watch"]
    options = ["--audience", "student", "--since", "2026-01-01", "--topic", "ai", "--jobs", "2"]
    log = tmp_path / "watch.log"
    with open(log, "w", encoding="utf-8") as output:  # a file: a left worker holds no pipe open
        process = subprocess.Popen([*command, *options], env=ENV, stderr=output, text=True)
    try:
        deadline = time.monotonic() + 120
        while "ijbrief: watching" not in log.read_text(encoding="utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        workers = settled_workers(process.pid, at_least=3)
        process.send_signal(signum)
        process.wait(timeout=60)
        said = log.read_text(encoding="utf-8")
        assert process.returncode == 0, said
        assert "stopped watching" in said and "Traceback" not in said
        assert wait_gone(workers, timeout=5) == set()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def host_status(url: str, host: str) -> int:
    request = urllib.request.Request(url + "/status", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_every_interface_keeps_the_host_check_with_an_allow_list(
    project: Path, tmp_path: Path
) -> None:
    # issue 28.5: --host 0.0.0.0 turned the check off (Host: evil.example was answered).
    log = tmp_path / "serve.log"
    options = ("--host", "0.0.0.0", "--allow-host", "briefs.example", "--no-watch")
    with server(project, log, *options) as (process, url):
        assert host_status(url, "evil.example") == 400
        assert host_status(url, "briefs.example:8000") == 200
        assert host_status(url, "127.0.0.1") == 200
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    said = " ".join(log.read_text(encoding="utf-8").split())
    assert "Only requests addressed to 127.0.0.1, ::1, briefs.example, localhost" in said
    assert "--allow-host" in said
