"""The wheel alone is enough: installed into a fresh virtual environment outside the repository,
``ijbrief init`` starts a project that checks and builds from the packaged templates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pypdf

REPO = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )  # fmt: skip
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_installed_wheel_starts_checks_and_builds_a_project(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, REPO, cwd=tmp_path)
    (wheel,) = wheels.glob("ijbrief-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    # Dependencies come from pip's cache (or PyPI); nothing from the repository but the wheel.
    run(venv / "bin/python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    where = run(venv / "bin/python", "-c", "import ijbrief; print(ijbrief.__file__)", cwd=tmp_path)
    assert str(venv) in where and str(REPO) not in where

    ijbrief = venv / "bin/ijbrief"
    desk = tmp_path / "desk"
    run(ijbrief, "init", desk, "--parties", "India", "Australia", cwd=tmp_path)
    listed = run(ijbrief, "templates", "list", cwd=desk)
    for name in ("minister", "analyst", "student"):
        assert f"{name}" in listed and "built-in" in listed
    assert "ok: 1 meeting," in run(ijbrief, "check", cwd=desk)
    run(ijbrief, "build", "--format", "all", "--quiet", "--jobs", "2", cwd=desk)

    out = desk / "out"
    for audience in ("minister", "analyst", "student"):
        briefs = sorted((out / audience / "briefs").glob("*.pdf"))
        assert briefs, audience
        for brief in briefs:
            assert len(pypdf.PdfReader(brief).pages) == 1, brief
            assert brief.with_suffix(".docx").is_file() and brief.with_suffix(".html").is_file()
        dossier = pypdf.PdfReader(out / audience / f"{audience}-dossier.pdf")
        assert len(dossier.pages) >= 3
        assert "India–Australia" in str(dossier.metadata.title)
        assert (out / audience / f"{audience}-dossier.docx").is_file()
    assert "<title>India–Australia briefs and dossiers" in (out / "index.html").read_text(
        encoding="utf-8"
    )
