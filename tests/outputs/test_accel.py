"""The speed layer changes how fast, never what: the corpus built with it and without it
(``--no-accel``) comes out byte for byte the same."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import Cli, copy_project, tree_digest

from ijbrief import accel
from ijbrief.build.pipeline import BuildOptions, build


def test_the_corpus_comes_out_the_same_with_the_speed_layer_off(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv(accel.ENVIRONMENT, "1")
    root = copy_project(tmp_path / "project")
    build(BuildOptions(root=root, formats=("html", "pdf", "docx"), out=tmp_path / "on", jobs=2))
    assert accel.enabled()
    code, output = cli(
        "-C", str(root), "build", "--format", "all", "--out", str(tmp_path / "off"),
        "--jobs", "2", "--no-accel", "--quiet",
    )  # fmt: skip
    assert code == 0, output
    assert os.environ[accel.ENVIRONMENT] == "0" and not accel.enabled()
    on, off = tree_digest(tmp_path / "on"), tree_digest(tmp_path / "off")
    assert len([p for p in on if p.endswith((".pdf", ".docx", ".html"))]) > 50
    assert on == off
