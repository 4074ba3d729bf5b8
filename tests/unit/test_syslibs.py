"""WeasyPrint's libraries are found in the linker's cache alone, and found the same; the arrays
it hands them are typed once."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from ijbrief.writers.syslibs import found_in_linker_cache

LIBRARIES = (
    "pango-1.0",
    "pangoft2-1.0",
    "gobject-2.0",
    "harfbuzz",
    "harfbuzz-subset",
    "fontconfig",
)


def test_the_libraries_weasyprint_loads_are_found_as_the_full_search_finds_them() -> None:
    stock = ctypes.util.find_library
    expected = {name: stock(name) for name in LIBRARIES}
    assert all(expected.values()), expected  # the set-up installs every one of them
    with found_in_linker_cache():
        assert ctypes.util.find_library is not stock
        assert {name: ctypes.util.find_library(name) for name in LIBRARIES} == expected
        # The Windows-style names WeasyPrint tries first are not found, as before, only sooner.
        assert ctypes.util.find_library("libpango-1.0-0") is None
    assert ctypes.util.find_library is stock


def test_with_ld_library_path_the_full_search_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/somewhere")
    stock = ctypes.util.find_library
    with found_in_linker_cache():
        assert ctypes.util.find_library is stock


def test_the_pdf_writer_loads_weasyprint_with_harfbuzz_subsetting() -> None:
    """In a new process, as a worker would: the engine loads, with hb-subset (about 3x faster
    font subsetting), and Python's own search is back in place afterwards."""
    script = (
        "import ctypes.util, ijbrief.writers.pdf, weasyprint.text.ffi as ffi;"
        "assert ffi.harfbuzz_subset is not None;"
        "assert ctypes.util.find_library.__name__ == 'find_library'"
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
