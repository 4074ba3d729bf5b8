"""A project copied once per session and built once in every format, shared by the output tests."""

from __future__ import annotations

import os
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
    shutil.copy2(REPO / "project.yaml", root / "project.yaml")
    os.environ["IJBRIEF_OFFICE_PAGES"] = "1"  # as a user's build: LibreOffice sets the pages
    try:
        build(BuildOptions(root=root, formats=("html", "pdf", "docx"), jobs=2, quiet=True))
    finally:
        os.environ["IJBRIEF_OFFICE_PAGES"] = "0"
    return root
