"""What laying out a dossier's part hands back, as plain data the writers and the build share:
the PDF writer makes it, the merge reads it, the build's assembly keeps it."""

from __future__ import annotations

from dataclasses import dataclass, field

# Every character "Page X of Y" needs. A dossier in parts has its page numbers written in after
# the merge; a page laid out with the dossier's styles and this as its footer shows in which
# font, size and place the dossier's own footer would set them.
FOOTER_SAMPLE = "Page 0123456789 of"


@dataclass
class PartLayout:
    """What laying out a part tells the assembly: its PDF, page count and where things are.

    Positions are WeasyPrint's: CSS pixels from the top left of a page, pages counted from 0.
    """

    pdf: bytes
    pages: int
    anchors: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    bookmarks: list[tuple[int, str, int, float, float]] = field(default_factory=list)
