"""Faults while rendering and writing: each fails cleanly, names the culprit, and leaves out/ as it was."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import build_only

from ijbrief.build import limits
from ijbrief.build import pipeline as build_module

Cli = Callable[..., tuple[int, str]]  # the `cli` fixture (tests/conftest.py)
Snapshot = Callable[[Path], dict[str, str]]  # the `snapshot` fixture


def masthead(project: Path, html: str) -> None:
    (project / "templates/minister/brief-meeting.html.j2").write_text(
        '{% extends "base/brief-meeting.html.j2" %}{% block masthead %}' + html + "{% endblock %}",
        encoding="utf-8",
    )


def test_a_corrupt_image_fails_the_build(project: Path, cli: Cli) -> None:
    (project / "templates/minister/seal.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    masthead(project, '<img src="minister/seal.png">')
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and "Failed to load image" in output and "seal.png" in output
    assert "Traceback" not in output


def test_a_missing_image_fails_the_build(project: Path, cli: Cli) -> None:
    masthead(project, '<img src="minister/nowhere.png">')
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and "nowhere.png: file does not exist" in output


def test_a_decompression_bomb_fails_the_build(project: Path, cli: Cli) -> None:
    from PIL import Image

    Image.new("1", (20000, 20000)).save(
        project / "templates/minister/bomb.png"
    )  # 400 Mpx, a few KB
    assert (project / "templates/minister/bomb.png").stat().st_size < 200_000
    masthead(project, '<img src="minister/bomb.png">')
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and "bomb.png" in output and "Traceback" not in output


def test_a_fifo_does_not_hang_the_build(project: Path, cli: Cli) -> None:
    os.mkfifo(project / "templates/minister/pipe.png")
    masthead(project, '<img src="minister/pipe.png">')
    started = time.perf_counter()
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and "not a regular file" in output
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("* { font-size: 1000000px }", "does not fit one page"),
        ("h1 { font-size: 1e308px }", "minister/meeting fmsd-13"),
    ],
)
def test_pathological_css_is_a_clean_error(
    project: Path, cli: Cli, css: str, expected: str
) -> None:
    with (project / "templates/minister/style.css").open("a", encoding="utf-8") as handle:
        handle.write("\n" + css + "\n")
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and expected in output and "Traceback" not in output


def test_deeply_nested_markup_is_a_clean_error(project: Path, cli: Cli) -> None:
    masthead(project, "{% for i in range(3000) %}<div>{% endfor %}x")
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert "Traceback" not in output
    assert code in (0, 1)  # laid out, or refused with a message; never a crash
    if code == 1:
        assert "minister/meeting fmsd-13" in output


# An alarm that lands in a collector callback (hypothesis installs one) is ignored there, and
# Python says so; the alarm repeats, and the next one stops the render.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_rendering_is_stopped_at_the_wall_clock_limit(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "RENDER_SECONDS", 0.3)
    masthead(project, "{% for i in range(4000) %}<p>{{ brief.title }} {{ i }}</p>{% endfor %}")
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and "rendering took longer than" in output


def test_a_full_disk_leaves_earlier_outputs_untouched(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    assert cli("-C", str(project), "build", "--audience", "minister", "--jobs", "2")[0] == 0
    before = snapshot(project / "out")

    def no_space(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("ijbrief.build.outputs.os.fsync", no_space)
    code, output = cli(
        "-C", str(project), "build", "--audience", "minister", "--force", "--jobs", "1"
    )
    assert code == 1 and "No space left on device" in output
    assert snapshot(project / "out") == before
    assert not [p for p in (project / "out").iterdir() if p.name.startswith(".ijbrief-staging")]


def test_ctrl_c_mid_build_leaves_earlier_outputs_untouched(
    project: Path, snapshot: Snapshot
) -> None:
    command = [
        sys.executable,
        "-m",
        "ijbrief",
        "-C",
        str(project),
        "build",
        "--format",
        "all",
        "--jobs",
        "2",
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    before = snapshot(project / "out")
    process = subprocess.Popen(
        [*command, "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # the first finished document: well into rendering
    while first.startswith("note: "):  # the editions that show more than public items
        first = process.stderr.readline()
    assert first.startswith("[1/51]"), first
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=120)
    err = first + rest
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(project / "out") == before
    assert not [p for p in (project / "out").iterdir() if p.name.startswith(".ijbrief-staging")]


def test_an_unwritable_output_is_a_clean_error(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    """A read-only output file or folder (simulated: tests run as root, who may write anyway)."""
    assert build_only(cli, project, "minister", "sd-18")[0] == 0
    before = snapshot(project / "out")

    def refuse(source: object, target: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("ijbrief.build.outputs.os.replace", refuse)
    code, output = build_only(cli, project, "minister", "sd-18", "--force")
    assert code == 1 and "cannot write: Permission denied" in output and "Traceback" not in output
    assert snapshot(project / "out") == before


def _killed_worker(task: object) -> None:
    """Stands in for rendering in a worker process: the process ends at once, as one that the
    kernel's out-of-memory killer took would."""
    os._exit(9)


def test_a_worker_that_dies_fails_the_build_with_a_message(
    project: Path, cli: Cli, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("-C", str(project), "build", "--audience", "minister", "--jobs", "2")[0] == 0
    before = snapshot(project / "out")
    meeting = project / "briefs/meetings/2020-10-07-fmsd-13.yaml"
    meeting.write_text(
        meeting.read_text(encoding="utf-8").replace("finalised", "settled", 1), encoding="utf-8"
    )
    monkeypatch.setattr(build_module, "render_task", _killed_worker)
    code, output = cli("-C", str(project), "build", "--audience", "minister", "--jobs", "2")
    assert code == 1 and "a worker process stopped while rendering" in output
    assert "Traceback" not in output
    assert snapshot(project / "out") == before


def test_the_time_limit_sends_no_alarm_to_the_users_own_process(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 26: with --jobs 1 the alarm that stops a runaway render fired in this process,
    # raising into whatever C callback ran; it belongs to worker processes only.
    monkeypatch.setattr(limits, "RENDER_SECONDS", 0.3)
    masthead(project, "{% for i in range(4000) %}<p>{{ brief.title }} {{ i }}</p>{% endfor %}")
    here = os.getpid()
    alarms: list[int] = []
    setitimer = signal.setitimer

    def recording(which: int, seconds: float, interval: float = 0.0) -> tuple[float, float]:
        alarms.append(os.getpid())  # a forked worker records into its own copy
        return setitimer(which, seconds, interval)

    monkeypatch.setattr(signal, "setitimer", recording)
    code, output = build_only(cli, project, "minister", "fmsd-13", "--jobs", "1")
    assert code == 1 and "rendering took longer than" in output
    assert here not in alarms


def test_a_runaway_dossier_template_is_stopped_in_a_server_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 28.6: in `serve` the limit was skipped (builds run in a thread): a runaway dossier
    # template ran 23.9 s under a 5 s limit, and this one would run for hours.
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from ijbrief.web.serve import create_app

    monkeypatch.setattr(limits, "RENDER_SECONDS", 1.0)
    (project / "templates/student/dossier.html.j2").write_text(
        '{% extends "base/dossier.html.j2" %}{% block cover %}'
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        "{% endblock %}",
        encoding="utf-8",
    )
    app = create_app(project, project / "out", watch=False, jobs=2)
    form = {"audience": "student", "format": "pdf", "since": "2026-01-01", "topic": "ai"}
    headers = {"origin": "http://testserver", "accept": "application/json"}
    with TestClient(app) as client:
        job = client.post("/build", data=form, headers=headers).json()
        started = time.monotonic()
        while job["state"] not in ("done", "error"):
            assert time.monotonic() - started < 60, "the runaway template was not stopped"
            time.sleep(0.1)
            job = client.get(f"/build/{job['id']}", headers=headers).json()
    assert job["state"] == "error"
    assert any("rendering took longer than 1 s" in p for p in job["problems"]), job
