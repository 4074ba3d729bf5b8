"""Merge separately laid-out dossier parts into one PDF: bookmarks, page labels, "Page X of Y",
the named destinations the parts' links go to, and one copy of each font."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ijbrief.parts import PartLayout
from ijbrief.writers.fonts import JoinedFonts, share_fonts

PX_TO_PT = 0.75  # WeasyPrint positions are CSS pixels (1/96 in) from the top left
PAGE_NUMBER_FONT = "Helvetica"
# Where print.css puts "Page X of Y" in a whole dossier: 7.5 pt, centred in the 18 mm margin.
PAGE_NUMBER_SIZE_PT = 7.5
PAGE_NUMBER_BASELINE_PT = 22.9
# Helvetica advance widths (1/1000 em) of the characters in "Page 12 of 345".
_WIDTHS = {"P": 667, "a": 556, "g": 556, "e": 556, " ": 278, "o": 556, "f": 278}


def merge(
    layouts: Sequence[PartLayout], *, kept_fonts: JoinedFonts | None = None
) -> tuple[bytes, list[str]]:
    """One PDF of every part in order, and the keys of the joined font programs it uses. The
    first page (the cover) carries no page number; every other page gets "Page X of Y"."""
    pdf = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(layout.pdf)) for layout in layouts]
    offsets: list[int] = []
    with warnings.catch_warnings():
        # Named destinations are not copied with the pages: they are made anew below.
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        for source in sources:
            offsets.append(len(pdf.pages))
            pdf.pages.extend(source.pages)
    _copy_document_facts(sources[0], pdf)
    pages = [_Page(page.obj, float(page.mediabox[3])) for page in pdf.pages]
    targets = _targets(pages, layouts, offsets)
    _outline(pdf, pages, layouts, offsets)
    _named_destinations(pdf, targets)
    _page_labels(pdf)
    _stamp_page_numbers(pdf)
    fonts = share_fonts(pdf, kept_fonts)
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
    )
    return out.getvalue(), fonts


def _copy_document_facts(front: pikepdf.Pdf, pdf: pikepdf.Pdf) -> None:
    """Title, author, dates, language and viewer preferences come from the front part."""
    for key, value in front.docinfo.items():
        pdf.docinfo[key] = String(str(value))
    if "/Lang" in front.Root:
        pdf.Root.Lang = String(str(front.Root.Lang))
    pdf.Root.PageMode = Name.UseOutlines


@dataclass(frozen=True)
class _Page:
    """A page of the merged PDF, looked up once (pikepdf's page list is slow to index)."""

    obj: Dictionary
    height: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        """PDF coordinates of a WeasyPrint position."""
        return round(x * PX_TO_PT, 2), round(self.height - y * PX_TO_PT, 2)


def _targets(
    pages: Sequence[_Page], layouts: Sequence[PartLayout], offsets: Sequence[int]
) -> dict[str, Array]:
    """An explicit destination for every anchor; the first occurrence wins, as in one document.
    The parts' links name their anchors, so these are where they go."""
    targets: dict[str, Array] = {}
    for layout, offset in zip(layouts, offsets, strict=True):
        for anchor, (page_index, x, y) in layout.anchors.items():
            if anchor in targets:
                continue
            page = pages[offset + page_index]
            left, top = page.point(x, y)
            targets[anchor] = Array([page.obj, Name.XYZ, left, top, 0])
    return targets


def _outline(
    pdf: pikepdf.Pdf, pages: Sequence[_Page], layouts: Sequence[PartLayout], offsets: Sequence[int]
) -> None:
    """The bookmarks of every part in one tree, nested by level as WeasyPrint nests them, every
    item open. Built as dictionaries: pikepdf's outline API looks each page up in a slow list."""
    root: _Node = (pdf.make_indirect(Dictionary(Type=Name.Outlines)), [])
    stack: list[tuple[int, _Node]] = [(0, root)]
    for layout, offset in zip(layouts, offsets, strict=True):
        for level, label, page_index, x, y in layout.bookmarks:
            page = pages[offset + page_index]
            left, top = page.point(x, y)
            destination = Array([page.obj, Name.XYZ, left, top, 0])
            node: _Node = (pdf.make_indirect(Dictionary(Title=String(label), Dest=destination)), [])
            while len(stack) > 1 and stack[-1][0] >= level:
                stack.pop()
            stack[-1][1][1].append(node)
            stack.append((level, node))
    if root[1]:
        _link_outline(root)
        pdf.Root.Outlines = root[0]


_Node = tuple[Dictionary, list[Any]]  # an outline item and its children, as _Nodes


def _link_outline(node: _Node) -> int:
    """Parent, sibling, first, last and count entries of a subtree; return its open count."""
    parent, children = node
    count = 0
    for index, child in enumerate(children):
        item = child[0]
        item.Parent = parent
        if index:
            previous = children[index - 1][0]
            item.Prev = previous
            previous.Next = item
        count += 1 + _link_outline(child)
    if children:
        parent.First = children[0][0]
        parent.Last = children[-1][0]
    parent.Count = count
    return count


def _named_destinations(pdf: pikepdf.Pdf, targets: dict[str, Array]) -> None:
    """So that ``dossier.pdf#ch-some-meeting`` opens at that chapter, as WeasyPrint's own do."""
    names = pikepdf.NameTree.new(pdf)
    for anchor in sorted(targets):
        names[anchor] = targets[anchor]
    pdf.Root.Names = Dictionary(Dests=names.obj)


def _page_labels(pdf: pikepdf.Pdf) -> None:
    """The viewer's page numbers match the printed ones: "Cover", then 2, 3, …"""
    numbers: list[Any] = [0, Dictionary(P=String("Cover"))]
    if len(pdf.pages) > 1:
        numbers += [1, Dictionary(S=Name.D, St=2)]
    pdf.Root.PageLabels = Dictionary(Nums=Array(numbers))


def _text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(char, 556) for char in text) * size / 1000


def _stamp_page_numbers(pdf: pikepdf.Pdf) -> None:
    size, baseline = PAGE_NUMBER_SIZE_PT, PAGE_NUMBER_BASELINE_PT
    font = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name("/" + PAGE_NUMBER_FONT),
            Encoding=Name.WinAnsiEncoding,
        )
    )
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        if number == 1:
            continue
        text = f"Page {number} of {total}"
        width = float(page.mediabox[2])
        x = (width - _text_width(text, size)) / 2
        name = page.add_resource(font, Name.Font, Name("/IjbPageNumber"))
        # The part's drawing may leave its coordinate system changed: isolate it first.
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(
            pdf.make_stream(
                f"Q\nq BT {name} {size:g} Tf 1 0 0 1 {x:.2f} {baseline:.2f} Tm ({text}) Tj ET Q\n".encode()
            )
        )
