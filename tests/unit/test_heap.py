"""The cycle collector is paused while a corpus is read and a build plans, and runs while
documents are laid out; a build leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ijbrief.build.pipeline import BuildOptions, build
from ijbrief.corpus.loader import load_corpus


class Seen:
    """The phases seen, in a file: a document is laid out in a forked worker, which appends to
    it too."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("", encoding="utf-8")

    def append(self, phase: str) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(phase + "\n")

    def clear(self) -> None:
        self.path.write_text("", encoding="utf-8")

    def __contains__(self, phase: object) -> bool:
        return phase in self.path.read_text(encoding="utf-8").split()


@pytest.fixture
def collections(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Seen]:
    """What was running each time the collector started: "load", "layout" or "other", in this
    process and in the workers forked from it."""
    import ijbrief.build.render as render_module
    import ijbrief.corpus.loader as corpus_module

    phase = ["other"]
    seen = Seen(tmp_path / "collections.txt")

    def record(event: str, info: dict[str, int]) -> None:
        if event == "start":
            seen.append(phase[0])

    def marking(module: object, name: str, label: str) -> None:
        real = getattr(module, name)

        def marked(*args: object) -> object:
            phase[0] = label
            try:
                return real(*args)
            finally:
                phase[0] = "other"

        monkeypatch.setattr(module, name, marked)

    marking(corpus_module, "_load", "load")
    marking(render_module, "_render", "layout")
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def one_brief(project: Path, tmp_path: Path) -> BuildOptions:
    """One brief's PDF, laid out in one worker."""
    return BuildOptions(
        root=project,
        audiences=("student",),
        formats=("pdf",),
        only=("fmsd-13",),
        jobs=1,
        out=tmp_path / "out",
        quiet=True,
    )


def test_checking_a_corpus_runs_no_collection(project: Path, collections: Seen) -> None:
    from ijbrief.cli import main

    gc.collect()
    collections.clear()
    thresholds = gc.get_threshold()
    gc.set_threshold(1)  # a collection at every allocation, were the collector running
    try:
        assert main(["-C", str(project), "check"]) == 0
    finally:
        gc.set_threshold(*thresholds)
    assert "load" not in collections
    assert gc.isenabled()


def test_reading_a_corpus_leaves_the_collector_to_the_caller(project: Path) -> None:
    """corpus.py knows nothing of the speed layer: whoever reads a corpus decides."""
    gc.disable()
    try:
        load_corpus(project)
        assert not gc.isenabled()
    finally:
        gc.enable()
    load_corpus(project)
    assert gc.isenabled()


def test_with_the_speed_layer_off_the_collector_runs_as_python_runs_it(
    project: Path, tmp_path: Path, collections: Seen, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ijbrief.heap import freeze

    monkeypatch.setenv("IJBRIEF_ACCEL", "0")
    thresholds = gc.get_threshold()
    gc.set_threshold(1)
    try:
        build(one_brief(project, tmp_path))
    finally:
        gc.set_threshold(*thresholds)
    assert "load" in collections  # not paused while the corpus was read
    frozen = gc.get_freeze_count()
    freeze()
    assert gc.get_freeze_count() == frozen


def test_a_build_collects_only_while_laying_out(
    project: Path, tmp_path: Path, collections: Seen
) -> None:
    options = one_brief(project, tmp_path)
    build(options)
    assert "layout" in collections  # a layout leaves cycles: they are collected
    assert "load" not in collections
    assert gc.isenabled()


def test_a_build_leaves_a_paused_collector_paused(project: Path, tmp_path: Path) -> None:
    options = one_brief(project, tmp_path)
    gc.disable()
    try:
        build(options)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_end_with_the_collector_running() -> None:
    """serve reads the corpus for a page while its build thread builds: the pauses overlap, and
    need not end in the order they began."""
    from ijbrief.heap import collector_paused

    request, build_thread = collector_paused(), collector_paused()
    request.__enter__()
    build_thread.__enter__()
    request.__exit__(None, None, None)
    assert not gc.isenabled()  # the build still reads
    build_thread.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_within_a_layout_within_a_build_gives_the_layout_its_collector_back() -> None:
    """A worker loads WeasyPrint without the collector, in the middle of its first layout, which
    runs within the build's pause: the layout goes on with the collector, the build without."""
    from ijbrief.heap import collector_paused, collector_running

    with collector_paused():
        with collector_running():
            with collector_paused():
                assert not gc.isenabled()
            assert gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_reading_and_composing_do_not_import_the_speed_layer() -> None:
    """The corpus, the views, their composition and the templates work the same whatever the
    speed layer does: none of them imports it."""
    import ast

    source = Path(__file__).resolve().parents[2] / "src" / "ijbrief"
    paths = sorted([*(source / "corpus").glob("*.py"), *(source / "compose").glob("*.py")])
    assert len(paths) > 10
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        # `from ijbrief import heap` names the package; the alias says which module.
        imported |= {
            f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "ijbrief"
            for alias in node.names
        }
        assert not imported & {"ijbrief.heap", "ijbrief.accel"}, path.name
