"""A project copied once per session and built once in every format, shared by the output tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ijbrief.build.pipeline import BuildOptions, build

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real corpus built for every audience in HTML, PDF and DOCX; returns the project folder."""
    root = tmp_path_factory.mktemp("built")
    for folder in ("seeds", "briefs", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    build(BuildOptions(root=root, formats=("html", "pdf", "docx"), jobs=2, quiet=True))
    return root
