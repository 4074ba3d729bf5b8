"""Shared fixtures: a private copy of the real project, and a helper to edit its YAML files."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# LibreOffice's pass over each Word dossier (its contents' page numbers) costs seconds a dossier:
# the tests make it once, for the session's shared build (tests/outputs/conftest.py `built`),
# and check it there.
os.environ["IJBRIEF_OFFICE_PAGES"] = "0"
PROJECT_PARTS = ("seeds", "briefs", "templates")
# Tests press Ctrl+C (SIGINT) on the builds and servers they start. A shell starts a background
# job (`.ci/run &` in a script) with SIGINT ignored; the processes the tests start would inherit
# that, and Python then never raises KeyboardInterrupt: a build pressed Ctrl+C ran to its end.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

EditYaml = Callable[..., int]
Cli = Callable[..., tuple[int, str]]
Snapshot = Callable[[Path], dict[str, str]]


def copy_project(target: Path) -> Path:
    """Copy the repository's ``seeds/``, ``briefs/`` and ``templates/`` into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        shutil.copytree(REPO / part, target / part)
    shutil.copy2(REPO / "project.yaml", target / "project.yaml")
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the real project (seeds/, briefs/, templates/) at ``tmp_path/"proj"``."""
    return copy_project(tmp_path / "proj")


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """The 1-based line on which the ``occurrence``-th ``text`` starts in ``path``."""
    content = path.read_text(encoding="utf-8")
    start = -1
    for _ in range(occurrence):
        start = content.find(text, start + 1)
        if start < 0:
            raise AssertionError(f"{text!r} (occurrence {occurrence}) not found in {path}")
    return content.count("\n", 0, start) + 1


def edit(path: Path, old: str, new: str, occurrence: int = 1) -> int:
    """Replace the ``occurrence``-th ``old`` in ``path`` by ``new``; return the 1-based line
    on which the replaced text started. Fails loudly when ``old`` is not there, so a test
    cannot silently check an unchanged file."""
    content = path.read_text(encoding="utf-8")
    line = line_of(path, old, occurrence)
    start = -1
    for _ in range(occurrence):
        start = content.find(old, start + 1)
    path.write_text(content[:start] + new + content[start + len(old) :], encoding="utf-8")
    return line


@pytest.fixture
def edit_yaml() -> EditYaml:
    """The :func:`edit` helper as a fixture, so test modules need not import conftest."""
    return edit


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``ijbrief`` in-process: ``cli("-C", path, "build")`` → (exit code, stdout + stderr)."""
    from ijbrief.cli import main

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def build_only(
    cli: Cli, project: Path, audience: str, ident: str, *options: str
) -> tuple[int, str]:
    """``ijbrief build`` of one meeting or agreement for one audience, in this process."""
    return cli(
        "-C",
        str(project),
        "build",
        "--audience",
        audience,
        "--only",
        ident,
        "--jobs",
        "1",
        *options,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path: equal means untouched."""
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def snapshot() -> Snapshot:
    """:func:`tree_digest` as a fixture."""
    return tree_digest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a process the tests started outlives them (issue 26). The resident
    workers this process kept for its in-process servers and watched builds are let go first,
    as a long-lived process does when it stops; anything still running after that is a leak."""
    import os

    from tests.processes import descendants, wait_gone

    from ijbrief.build.pipeline import retire_resident

    retire_resident()
    left = wait_gone(descendants(os.getpid()), timeout=15)
    if left:
        commands = []
        for pid in sorted(left):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            # The fork server and its resource tracker end with this process (.ci/run checks).
            if "multiprocessing.forkserver" not in command and "resource_tracker" not in command:
                commands.append(f"{pid}: {command}")
        if commands:
            print("\nprocesses the tests started are still running:\n  " + "\n  ".join(commands))
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
