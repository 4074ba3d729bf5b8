"""The system libraries WeasyPrint loads are found as Python finds them, and report their versions;
fontconfig's fonts are listed; the engine loads without a change to Python's own search."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

from ijbrief.writers.syslibs import TEXT_LIBRARIES, font_files, in_linker_cache, library_versions

LIBRARIES = (
    "pango-1.0",
    "pangoft2-1.0",
    "gobject-2.0",
    "harfbuzz",
    "harfbuzz-subset",
    "fontconfig",
)


def test_the_linker_cache_finds_each_library_as_pythons_own_search_does() -> None:
    expected = {name: ctypes.util.find_library(name) for name in LIBRARIES}
    assert all(expected.values()), expected  # the set-up installs every one of them
    assert {name: in_linker_cache(name) for name in LIBRARIES} == expected
    assert in_linker_cache("libpango-1.0-0") is None


def test_each_text_library_reports_its_version() -> None:
    versions = dict(library_versions())
    assert set(versions) == set(TEXT_LIBRARIES)
    for name in ("pango-1.0", "harfbuzz", "fontconfig", "freetype"):
        assert versions[name].count(".") == 2 and versions[name][0].isdigit(), versions
    assert tuple(map(int, versions["pango-1.0"].split("."))) >= (1, 44)


def test_the_font_files_are_the_ones_fontconfig_lists() -> None:
    fonts = font_files()
    assert any("NotoSansCJK" in path for path, _, _ in fonts)
    assert all(size > 0 and mtime > 0 for _, size, mtime in fonts)


def test_the_writers_load_weasyprint_and_leave_every_library_as_it_was() -> None:
    """In a new process, as a worker would: the engine loads, with hb-subset (about 3x faster
    font subsetting); importing the writers patches nothing of Python's, cffi's or WeasyPrint's
    (``ffi.new`` was replaced at import, ``ctypes.util.find_library`` swapped while it loaded)."""
    script = (
        "import ctypes.util, gc; stock = ctypes.util.find_library;"
        "from weasyprint.text.ffi import ffi; before = dict(vars(ffi));"
        "state = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count());"
        "import ijbrief.writers.pdf, ijbrief.writers.docx, ijbrief.writers.pdf_merge;"
        "import weasyprint.text.ffi as engine;"
        "assert engine.harfbuzz_subset is not None;"
        "assert ctypes.util.find_library is stock;"
        "assert dict(vars(ffi)) == before, set(vars(ffi)) ^ set(before);"
        "assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == state"
    )
    source = Path(__file__).resolve().parents[2] / "src"  # this tree's, whatever is installed
    subprocess.run(
        [sys.executable, "-c", script], check=True, env={**os.environ, "PYTHONPATH": str(source)}
    )
