"""The PDF variants a build can ask for (plain data: the CLI reads it without loading WeasyPrint)."""

from __future__ import annotations

# Tagged PDF/UA-1 by default. The PDF/A variants are tagged too and claim PDF/UA-1 as well:
# "b" (visual appearance) is what WeasyPrint makes most reliably; 3b over 2b because archives
# name PDF/A-3 today and it costs nothing here. "none" is the untagged PDF of before, to compare.
DEFAULT_PDF_VARIANT = "pdf/ua-1"
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b", "pdf/a-2b", "none")
