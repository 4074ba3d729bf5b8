"""The system libraries WeasyPrint loads are found as Python finds them, and report their versions;
fontconfig's fonts are listed; the engine loads without a change to Python's own search."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

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


def test_the_pdf_writer_loads_weasyprint_with_harfbuzz_subsetting() -> None:
    """In a new process, as a worker would: the engine loads, with hb-subset (about 3x faster
    font subsetting), and Python's own library search untouched."""
    script = (
        "import ctypes.util; stock = ctypes.util.find_library;"
        "import ijbrief.writers.pdf, weasyprint.text.ffi as ffi;"
        "assert ffi.harfbuzz_subset is not None;"
        "assert ctypes.util.find_library is stock"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_an_array_made_from_its_items_is_typed_once_whatever_its_length() -> None:
    from ijbrief.writers.pdf import ffi

    for items in ([3, 1, 2], (7,) * 40, list(range(1000))):
        array = ffi.new(f"hb_codepoint_t[{len(items)}]", items)
        assert ffi.typeof(array) is ffi.typeof("hb_codepoint_t[]")
        assert list(array) == list(items)
    # An array longer than its items (the rest zeroed), or of a length alone, is left as asked.
    padded = ffi.new("hb_codepoint_t[4]", [9])
    assert ffi.typeof(padded) is ffi.typeof("hb_codepoint_t[4]")
    assert list(padded) == [9, 0, 0, 0]
    assert len(ffi.new("hb_codepoint_t[5]")) == 5
