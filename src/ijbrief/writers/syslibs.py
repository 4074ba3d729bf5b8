"""How WeasyPrint finds the system libraries it loads (Pango, HarfBuzz, fontconfig) by name."""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def found_in_linker_cache() -> Iterator[None]:
    """While WeasyPrint loads, look each library name up in the dynamic linker's cache only, read
    once. WeasyPrint tries several names for each library, Windows' and macOS' among them, and for
    every name not found Python's search runs ldconfig, then gcc and ld: 0.17 s of WeasyPrint's
    0.42 s import, paid by every process that renders; running ldconfig for each of its 22 names
    cost 0.03 s more. Left as it is where LD_LIBRARY_PATH adds folders, which only that longer
    search looks in, and off Linux."""
    if not sys.platform.startswith("linux") or os.environ.get("LD_LIBRARY_PATH"):
        yield
        return
    stock = ctypes.util.find_library
    setattr(ctypes.util, "find_library", in_linker_cache)  # noqa: B010  (mypy: a module's function)
    try:
        yield
    finally:
        setattr(ctypes.util, "find_library", stock)  # noqa: B010


def in_linker_cache(name: str) -> str | None:
    """The library's file name as the linker's cache lists it, as Python's own lookup in that
    cache finds it (less the ABI, which the linker checks on loading)."""
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
