"""An upgraded engine, text library or font set lays every output out again, and ``--force``
lays out everything, a dossier's parts included: nothing made by the old engine is reused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import copy_project

from ijbrief.build import pipeline as build_module
from ijbrief.build import plan as plan_module
from ijbrief.build.assemble import PARTS_DIR
from ijbrief.build.parts import PartLayout
from ijbrief.build.pipeline import BuildOptions, BuildReport, build
from ijbrief.writers import syslibs


class _Log(list[str]):
    """The names of the parts laid out, as the worker processes that lay them out append them
    to a file (their own lists would stay in the workers)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def read(self) -> None:
        names = self.path.read_text().split() if self.path.exists() else []
        self[:] = names

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        super().clear()


_STOCK: Any = None
_LOG_FILE: Path | None = None


def _counting(root: Path, name: str, html: str, *variant: str) -> PartLayout:
    """Laid out in a worker, forked after the fixture set these (so picklable by name)."""
    assert _LOG_FILE is not None
    with _LOG_FILE.open("a") as log:
        log.write(name + "\n")
    return _STOCK(root, name, html, *variant)


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[_Log]:
    """The names of the dossier parts laid out (not taken from out/.ijbrief-parts), as they are."""
    global _STOCK, _LOG_FILE
    log = _Log(tmp_path / "laid-out.txt")
    _STOCK, _LOG_FILE = build_module.render_part, log.path
    monkeypatch.setattr(build_module, "render_part", _counting)
    build_module.engine_versions.cache_clear()
    yield log
    build_module.engine_versions.cache_clear()
    _STOCK = _LOG_FILE = None


def build_analyst(root: Path, force: bool = False) -> BuildReport:
    # The analyst's dossier in parts (two meetings a part), as a large dossier is laid out.
    options = BuildOptions(
        root=root,
        formats=("pdf",),
        audiences=("analyst",),
        jobs=1,
        quiet=True,
        force=force,
        whole_up_to=0,
        chapters_per_part=2,
    )
    return build(options)


def parts_kept(root: Path) -> set[str]:
    return {p.name for p in (root / "out" / PARTS_DIR).glob("*.pdf")}


def upgrade_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    stock = plan_module.metadata.version

    def version(name: str) -> str:
        return "999.0" if name == "weasyprint" else stock(name)

    monkeypatch.setattr(plan_module.metadata, "version", version)


def upgrade_pango(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = dict(syslibs.library_versions())
    versions["pango-1.0"] = "1.99.0"
    monkeypatch.setattr(syslibs, "library_versions", lambda: tuple(versions.items()))


def install_a_font(monkeypatch: pytest.MonkeyPatch) -> None:
    fonts = (*syslibs.font_files(), ("/usr/share/fonts/new/NewSans.ttf", 1234, 5678))
    monkeypatch.setattr(syslibs, "font_files", lambda: fonts)


@pytest.mark.parametrize("change", [upgrade_weasyprint, upgrade_pango, install_a_font])
def test_a_changed_engine_lays_everything_out_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    layouts: _Log,
    change: Callable[[pytest.MonkeyPatch], Any],
) -> None:
    root = copy_project(tmp_path)
    first = build_analyst(root)
    layouts.read()
    assert first.written and not first.skipped
    parts_before, laid_out, count = parts_kept(root), set(layouts), len(layouts)
    assert len(laid_out) >= 5
    assert build_analyst(root).written == []  # up to date, as long as nothing changed

    change(monkeypatch)
    build_module.engine_versions.cache_clear()
    again = build_analyst(root)
    layouts.read()
    assert sorted(again.written) == sorted(first.written) and again.skipped == []
    # Every part of the dossier laid out anew, none taken from the old engine's.
    assert set(layouts[count:]) == laid_out
    assert parts_kept(root).isdisjoint(parts_before)


def test_force_lays_out_everything_parts_included(tmp_path: Path, layouts: _Log) -> None:
    root = copy_project(tmp_path)
    first = build_analyst(root)
    layouts.read()
    laid_out = list(layouts)
    layouts.clear()
    again = build_analyst(root, force=True)
    layouts.read()
    assert sorted(again.written) == sorted(first.written) and again.skipped == []
    assert sorted(layouts) == sorted(laid_out)
