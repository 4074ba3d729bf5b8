"""ruff and mypy (strict on src/) are part of the test run, so CI keeps the code clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", "src", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied_to_src() -> None:
    result = run("ruff", "format", "--check", "src")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_and_check_do_not_import_the_engines() -> None:
    code = (
        "import sys; from ijbrief.cli import main; main(['-C', sys.argv[1], 'check']); "
        "heavy = [m for m in ('weasyprint', 'docx', 'lxml', 'pikepdf', 'fontTools', 'pypdf') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(REPO)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr
