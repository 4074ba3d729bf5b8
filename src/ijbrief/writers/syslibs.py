"""How WeasyPrint finds the system libraries it loads (Pango, HarfBuzz, fontconfig) by name."""

from __future__ import annotations

import contextlib
import ctypes.util
import os
from collections.abc import Iterator


@contextlib.contextmanager
def found_in_linker_cache() -> Iterator[None]:
    """While WeasyPrint loads, look each library name up in the dynamic linker's cache
    (``ldconfig -p``) only. WeasyPrint tries several names for each library, Windows' and
    macOS' among them, and for every name not found Python's search goes on to run gcc and ld:
    0.17 s of WeasyPrint's 0.42 s import, paid by every process that renders. Left as it is where
    LD_LIBRARY_PATH adds folders, which only that longer search looks in."""
    lookup = getattr(ctypes.util, "_findSoname_ldconfig", None)
    if lookup is None or os.environ.get("LD_LIBRARY_PATH"):
        yield
        return
    stock = ctypes.util.find_library
    setattr(ctypes.util, "find_library", lookup)  # noqa: B010  (mypy: a module's function)
    try:
        yield
    finally:
        setattr(ctypes.util, "find_library", stock)  # noqa: B010
