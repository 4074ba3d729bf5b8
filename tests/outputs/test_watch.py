"""`ijbrief build --watch`: one process that rebuilds what an edit touches, waits out bad input
and stops cleanly on Ctrl+C."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

BRIEF = "out/analyst/briefs/2026-01-16-sd-18.pdf"
MEETING = "briefs/meetings/2026-01-16-sd-18.yaml"
OPTIONS = ("--audience", "analyst", "--jobs", "2")


class Watcher:
    """``ijbrief build --watch`` in a subprocess, its stderr read line by line."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ijbrief", "-C", str(root), "build", "--watch", *OPTIONS],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 120) -> list[str]:
        """The lines up to and including the first that matches ``pattern``."""
        since: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                message = f"no line matching {pattern!r} in:\n" + "\n".join(since)
                raise AssertionError(message) from None
            since.append(line)
            self.seen.append(line)
            if re.search(pattern, line):
                return since


@pytest.fixture
def watcher(project: Path) -> Iterator[Watcher]:
    running = Watcher(project)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def text_of(path: Path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def test_an_edit_rebuilds_what_it_touches_and_bad_input_is_waited_out(
    project: Path, watcher: Watcher
) -> None:
    first = watcher.wait_for(r"^built \d+ file\(s\)")
    assert "Traceback" not in "\n".join(first)
    watcher.wait_for(r"^ijbrief: watching briefs/, templates/, seeds/")
    dossier = project / "out/analyst/analyst-dossier.pdf"
    untouched = project / "out/analyst/briefs/2020-10-07-fmsd-13.pdf"
    before = untouched.stat().st_mtime_ns

    meeting = project / MEETING
    text = meeting.read_text(encoding="utf-8")
    edited = text.replace(
        "boost startup cooperation.", "boost startup cooperation and venture funds."
    )
    assert edited != text
    meeting.write_text(edited, encoding="utf-8")
    lines = watcher.wait_for(r"^built \d+ file\(s\)")
    assert f"ijbrief: {MEETING} changed" in lines
    assert re.search(r"built [1-9] file\(s\), \d{2,} up to date", lines[-1]), lines[-1]
    assert "venture funds" in text_of(project / BRIEF)
    assert "venture funds" in text_of(dossier)
    assert untouched.stat().st_mtime_ns == before

    good_brief = (project / BRIEF).read_bytes()
    meeting.write_text(edited.replace("\nvenue:", "\nvenu:", 1), encoding="utf-8")
    lines = watcher.wait_for(r"out/ is unchanged")
    assert any(re.match(rf"{re.escape(MEETING)}:\d+:\d+: unknown key 'venu'", ln) for ln in lines)
    assert "Traceback" not in "\n".join(lines)
    assert (project / BRIEF).read_bytes() == good_brief
    assert watcher.process.poll() is None

    meeting.write_text(text, encoding="utf-8")
    watcher.wait_for(r"^built \d+ file\(s\)")
    assert "venture funds" not in text_of(project / BRIEF)

    watcher.process.send_signal(signal.SIGINT)
    assert watcher.process.wait(timeout=60) == 0
    assert "ijbrief: stopped watching" in watcher.wait_for(r"stopped watching")[-1]


def test_a_service_manager_stops_it_cleanly(watcher: Watcher) -> None:
    watcher.wait_for(r"^ijbrief: watching")
    watcher.process.terminate()
    assert watcher.process.wait(timeout=60) == 0
    assert "Traceback" not in "\n".join(watcher.wait_for(r"stopped watching"))
