"""Which versions of the system libraries WeasyPrint loads (Pango, HarfBuzz, fontconfig, FreeType)
this machine has, and which fonts."""

from __future__ import annotations

import ctypes.util
import functools
import os
import re
import subprocess
import sys


def in_linker_cache(name: str) -> str | None:
    """The library's file name as the linker's cache lists it, as Python's own lookup in that
    cache finds it (less the ABI, which the linker checks on loading), the cache read once."""
    found = re.search(rb"\s(lib%s\.[^\s]+)\s+\(" % re.escape(os.fsencode(name)), _linker_cache())
    return os.fsdecode(found.group(1)) if found else None


@functools.cache
def _linker_cache() -> bytes:
    """What ``ldconfig -p`` lists (every library the linker finds by name), or nothing."""
    try:
        return subprocess.run(
            ["/sbin/ldconfig", "-p"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"LC_ALL": "C", "LANG": "C"},
            check=False,
        ).stdout
    except OSError:
        return b""


def _library(name: str) -> ctypes.CDLL | None:
    """A system library as WeasyPrint would find it by name, loaded, or None."""
    found = in_linker_cache(name) if sys.platform.startswith("linux") else None
    found = found or ctypes.util.find_library(name)
    if not found:
        return None
    try:
        return ctypes.CDLL(found)
    except OSError:
        return None


def _version_of(name: str, library: ctypes.CDLL) -> str:
    if name == "pango-1.0":
        number = int(library.pango_version())
        return f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    if name in ("harfbuzz", "harfbuzz-subset"):
        library.hb_version_string.restype = ctypes.c_char_p
        return os.fsdecode(library.hb_version_string())
    if name == "fontconfig":
        number = int(library.FcGetVersion())
        return f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    if name == "freetype":
        handle = ctypes.c_void_p()
        if library.FT_Init_FreeType(ctypes.byref(handle)):
            return "unknown"
        parts = [ctypes.c_int() for _ in range(3)]
        library.FT_Library_Version(handle, *(ctypes.byref(p) for p in parts))
        library.FT_Done_FreeType(handle)
        return ".".join(str(p.value) for p in parts)
    return "found"


# The system libraries that shape and lay out text for WeasyPrint, and embed its fonts (without
# HarfBuzz's subsetter, fontTools subsets them: other bytes).
TEXT_LIBRARIES = (
    "pango-1.0",
    "pangoft2-1.0",
    "harfbuzz",
    "harfbuzz-subset",
    "fontconfig",
    "freetype",
)


@functools.cache
def library_versions() -> tuple[tuple[str, str], ...]:
    """Each text library's version as the library itself reports it ("missing" where it is not
    found), read once per process: an upgrade of any can move a line break or a glyph."""
    versions = []
    for name in TEXT_LIBRARIES:
        library = _library(name)
        versions.append((name, "missing" if library is None else _version_of(name, library)))
    return tuple(versions)


@functools.cache
def font_files() -> tuple[tuple[str, int, int], ...]:
    """Every font file fontconfig lists (those Pango chooses from), with its size and mtime, read
    once per process: a font installed, removed or updated can change any document."""
    try:
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\n"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            check=False,
        ).stdout
    except OSError:
        return ()
    files = []
    for path in sorted(set(os.fsdecode(listed).splitlines()) - {""}):
        try:
            info = os.stat(path)
        except OSError:
            continue
        files.append((path, info.st_size, info.st_mtime_ns))
    return tuple(files)
