"""The cycle collector is paused while a corpus is read and a build plans, and runs while
documents are laid out; a build leaves it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ijbrief.build.pipeline import BuildOptions, build
from ijbrief.corpus.loader import load_corpus


@pytest.fixture
def collections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What was running each time the collector started: "load", "layout" or "other"."""
    import ijbrief.build.pipeline as build_module
    import ijbrief.corpus.loader as corpus_module

    phase = ["other"]
    seen: list[str] = []

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
    marking(build_module, "_render", "layout")
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def one_brief(project: Path, tmp_path: Path) -> BuildOptions:
    """One brief's PDF, laid out in this process."""
    return BuildOptions(
        root=project,
        audiences=("student",),
        formats=("pdf",),
        only=("fmsd-13",),
        jobs=1,
        out=tmp_path / "out",
        quiet=True,
    )


def test_reading_a_corpus_runs_no_collection(project: Path, collections: list[str]) -> None:
    gc.collect()
    collections.clear()
    thresholds = gc.get_threshold()
    gc.set_threshold(1)  # a collection at every allocation, were the collector running
    try:
        load_corpus(project)
    finally:
        gc.set_threshold(*thresholds)
    assert "load" not in collections
    assert gc.isenabled()


def test_a_build_collects_only_while_laying_out(
    project: Path, tmp_path: Path, collections: list[str]
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


def test_a_layout_collects_less_often_and_leaves_the_thresholds_as_it_found_them() -> None:
    from ijbrief.heap import LAYOUT_THRESHOLD, collector_paused, collector_running

    found = gc.get_threshold()
    assert found != LAYOUT_THRESHOLD
    with collector_paused(), collector_running():
        assert gc.get_threshold() == LAYOUT_THRESHOLD
    assert gc.get_threshold() == found
