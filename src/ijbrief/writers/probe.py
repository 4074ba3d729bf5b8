"""What ``ijbrief doctor`` asks of the engines, here so that only the writers import them."""

from __future__ import annotations


def pango_version() -> tuple[int, int, int]:
    """Pango's version as WeasyPrint loads it (raises when WeasyPrint or Pango cannot load)."""
    from weasyprint.text.ffi import pango

    number = int(pango.pango_version())
    return number // 10000, number // 100 % 100, number % 100
