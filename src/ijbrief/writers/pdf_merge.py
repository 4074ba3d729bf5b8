"""Merge separately laid-out dossier parts into one PDF: bookmarks, page labels, "Page X of Y",
the named destinations the parts' links go to, and one copy of each font."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, String

from ijbrief.writers.fonts import JoinedFonts, share_fonts
from ijbrief.writers.layout import FOOTER_SAMPLE, PartLayout
from ijbrief.writers.textlayer import cid_widths

PX_TO_PT = 0.75  # WeasyPrint positions are CSS pixels (1/96 in) from the top left
# Without a sample of the dossier's footer: Helvetica, 7.5 pt, centred in the 18 mm margin.
PAGE_NUMBER_FONT = "Helvetica"
PAGE_NUMBER_SIZE_PT = 7.5
PAGE_NUMBER_BASELINE_PT = 22.9
# Helvetica advance widths (1/1000 em) of the characters in "Page 12 of 345".
_WIDTHS = {"P": 667, "a": 556, "g": 556, "e": 556, " ": 278, "o": 556, "f": 278}


class OpenParts:
    """Parts' PDFs opened for merging, by part key. A long-lived process keeps one per dossier,
    so that its next merge opens only the parts that changed. What a merge no longer needs (the
    merged document too) is let go by ``release``, once the build is done, rather than while the
    build waits for it."""

    def __init__(self) -> None:
        self.open: dict[str, pikepdf.Pdf] = {}
        self.used: set[str] = set()
        self.done_with: list[Any] = []

    def source(self, key: str, layout: PartLayout) -> pikepdf.Pdf:
        if key not in self.open:
            self.open[key] = pikepdf.open(io.BytesIO(layout.pdf))
        self.used.add(key)
        return self.open[key]

    def keep_used(self) -> None:
        """Close, at the next ``release``, the parts the last merge did not use."""
        self.done_with += [pdf for key, pdf in self.open.items() if key not in self.used]
        self.open = {key: pdf for key, pdf in self.open.items() if key in self.used}
        self.used = set()

    def release(self) -> None:
        self.done_with.clear()


def merge(
    layouts: Sequence[PartLayout],
    keys: Sequence[str],
    *,
    opened: OpenParts,
    kept_fonts: JoinedFonts | None = None,
    footer_sample: bytes | None = None,
    ahead: int = 0,
) -> tuple[bytes, list[str]]:
    """One PDF of every part in order, and the keys of the joined font programs it uses (see
    ``Merging``). ``keys`` name the parts in ``opened``; the last ``ahead`` are placed ahead."""
    merging = Merging(opened, footer_sample)
    parts = list(zip(keys, layouts, strict=True))
    for key, layout in parts[len(parts) - ahead :] if ahead else []:
        merging.place_ahead(key, layout)
    for key, layout in parts:
        merging.add(key, layout)
    return merging.finish(kept_fonts)


class Merging:
    """A merge made part by part, so that a long-lived process can add the parts it has while
    the others are still being laid out. The first page (the cover) carries no page number;
    every other page gets "Page X of Y", set as ``footer_sample`` (a page laid out with the
    dossier's styles, see ``parts.footer_sample``) shows the footer, or in Helvetica without
    one. Everything is made in the same order however the parts come, so the file is too."""

    def __init__(self, opened: OpenParts, footer_sample: bytes | None) -> None:
        self.opened = opened
        self.pdf = pdf = pikepdf.new()
        opened.done_with.append(pdf)
        self.footer = (_footer(pdf, footer_sample, opened) if footer_sample else None) or (
            _helvetica(pdf)
        )
        # The part's drawing may leave its coordinate system changed: isolate it first.
        self.isolate = pdf.make_stream(b"q\n")
        self.outline_root = pdf.make_indirect(Dictionary(Type=Name.Outlines))
        self.keys: list[str] = []
        self.ahead: list[str] = []  # the parts placed ahead, in order
        self.waiting: list[str] = []  # those of them not added yet
        self.layouts: list[PartLayout] = []
        self.offsets: list[int] = []
        self.pages: list[_Page] = []
        self.items: list[tuple[int, Dictionary]] = []  # bookmarks: level, outline item
        self.stamps: list[Any] = []  # page number streams, for every page but the first
        self.structure = _Structure(pdf)

    def place_ahead(self, key: str, layout: PartLayout) -> None:
        """Copy one of the parts that end the dossier (the tracker, the back matter) before the
        parts they follow: they change least and are the longest to copy, and a long-lived
        process copies them while a part that an edit changed is laid out. Their pages wait at
        the end; the parts added before them go in front. Every merge of the same parts places
        the same ones ahead, so the file is the same however the merge was made."""
        if self.keys:
            raise ValueError("parts are placed ahead before any part is added")
        self._copy(key, layout, at=None)
        self.ahead.append(key)
        self.waiting.append(key)

    def _copy(self, key: str, layout: PartLayout, at: int | None) -> None:
        source = self.opened.source(key, layout)
        with warnings.catch_warnings():
            # Named destinations are not copied with the pages: they are made anew at the end.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            if at is None:
                self.pdf.pages.extend(source.pages)
            else:
                for index, page in enumerate(source.pages):
                    self.pdf.pages.insert(at + index, page)

    def add(self, key: str, layout: PartLayout) -> None:
        """The part's pages (unless it was placed ahead), bookmarks and (for now empty) page
        numbers."""
        offset = len(self.pages)
        if self.waiting and key == self.waiting[0]:
            self.waiting.pop(0)  # its pages are where they belong: every part before it is in
        elif key in self.waiting:
            raise ValueError(f"part {key} was placed ahead of others; add those first")
        else:
            self._copy(key, layout, at=offset if self.waiting else None)
        pdf, name = self.pdf, Name("/IjbPageNumber")
        for number in range(offset, offset + layout.pages):
            page = pikepdf.Page(pdf.pages[number])
            self.pages.append(_Page(page.obj, float(page.mediabox[3])))
            if number:
                stamp = pdf.make_stream(b"")
                page.add_resource(self.footer.font, Name.Font, name)
                page.contents_add(self.isolate, prepend=True)
                page.contents_add(stamp)
                self.stamps.append(stamp)
        self.structure.add(
            self.opened.open[key], [self.pages[n].obj for n in range(offset, offset + layout.pages)]
        )
        for level, label, page_index, x, y in layout.bookmarks:
            page_ = self.pages[offset + page_index]
            left, top = page_.point(x, y)
            destination = Array([page_.obj, Name.XYZ, left, top, 0])
            item = pdf.make_indirect(Dictionary(Title=String(label), Dest=destination))
            self.items.append((level, item))
        self.keys.append(key)
        self.layouts.append(layout)
        self.offsets.append(offset)

    def finish(self, kept_fonts: JoinedFonts | None = None) -> tuple[bytes, list[str]]:
        """The merged file, and the keys of the joined font programs it uses."""
        if self.waiting:
            raise ValueError(f"parts placed ahead were not added: {', '.join(self.waiting)}")
        pdf = self.pdf
        front = self.opened.open[self.keys[0]]
        self.opened.keep_used()
        _copy_document_facts(front, pdf)
        self.structure.finish()
        _outline(pdf, self.outline_root, self.items)
        _named_destinations(pdf, _targets(self.pages, self.layouts, self.offsets))
        _page_labels(pdf, len(self.pages))
        self._number_pages()
        fonts = share_fonts(pdf, kept_fonts)
        out = io.BytesIO()
        pdf.save(
            out,
            deterministic_id=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
        )
        return out.getvalue(), fonts

    def _number_pages(self) -> None:
        footer, total = self.footer, len(self.pages)
        for number, (page, stamp) in enumerate(zip(self.pages[1:], self.stamps, strict=True), 2):
            text = f"Page {number} of {total}"
            x = (float(page.obj.MediaBox[2]) - footer.width(text)) / 2
            # An artifact: the page number is no part of the text a screen reader reads.
            stamp.write(
                f"Q\nq /Artifact BMC BT /IjbPageNumber {footer.size:.4g} Tf 1 0 0 1 {x:.2f} "
                f"{footer.baseline:.2f} Tm <{footer.encode(text).hex()}> Tj ET EMC Q\n".encode()
            )


def _copy_document_facts(front: pikepdf.Pdf, pdf: pikepdf.Pdf) -> None:
    """Title, author, dates, language and viewer preferences come from the front part."""
    for key, value in front.docinfo.items():
        pdf.docinfo[key] = String(str(value))
    if "/Lang" in front.Root:
        pdf.Root.Lang = String(str(front.Root.Lang))
    # What makes it tagged, PDF/UA and PDF/A (the XMP names the variant, the output intent).
    for key in ("/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents"):
        if key in front.Root:
            pdf.Root[key] = _copied(pdf, front.Root[key])
    pdf.Root.PageMode = Name.UseOutlines


def _copied(pdf: pikepdf.Pdf, value: Any) -> Any:
    """A foreign object in ``pdf``: pikepdf copies only indirect ones, so rebuild direct ones."""
    if isinstance(value, Object) and value.is_indirect:
        return pdf.copy_foreign(value)
    if isinstance(value, Dictionary):
        return Dictionary({key: _copied(pdf, item) for key, item in value.items()})
    if isinstance(value, Array):
        return Array([_copied(pdf, item) for item in value])
    return value


class _Structure:
    """One structure tree of every part's: the elements under each part's Document element go,
    in order, under one Document element; the keys of each part's parent tree (its pages'
    StructParents, its annotations' StructParent) are numbered anew, and table header IDs made
    unique, since each part numbered its own from 0."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        self.document = pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name.Document, P=self.root, K=Array())
        )
        self.nums: list[Any] = []
        self.next_key = 0
        self.parts = 0
        self.role_map = Dictionary()
        self.class_map = Dictionary()

    def add(self, source: pikepdf.Pdf, pages: Sequence[Dictionary]) -> None:
        """The part's tree, its pages (already copied, in order) renumbered."""
        if "/StructTreeRoot" not in source.Root:
            return
        tree = self.pdf.copy_foreign(source.Root.StructTreeRoot)
        self.parts += 1
        keys: dict[int, int] = {}

        def renumber(old: int) -> int:
            if old not in keys:
                keys[old] = self.next_key
                self.next_key += 1
            return keys[old]

        for page in pages:
            if "/StructParents" in page:
                page.StructParents = renumber(int(page.StructParents))
            for annotation in page.get("/Annots", Array()):
                if "/StructParent" in annotation:
                    annotation.StructParent = renumber(int(annotation.StructParent))
        old_nums = list(tree.ParentTree.get("/Nums", Array())) if "/ParentTree" in tree else []
        for index in range(0, len(old_nums) - 1, 2):
            old = int(old_nums[index])
            if old in keys:
                self.nums += [keys[old], old_nums[index + 1]]
        for key in ("/RoleMap", "/ClassMap"):
            for name, value in tree.get(key, Dictionary()).items():
                (self.role_map if key == "/RoleMap" else self.class_map)[name] = value
        prefix = f"p{self.parts}-"
        for top in tree.K if isinstance(tree.K, Array) else [tree.K]:
            for element in top.get("/K", Array()) if top.get("/S") == Name.Document else [top]:
                if isinstance(element, Dictionary):
                    element.P = self.document
                    self.document.K.append(element)
                    _rename_ids(element, prefix)

    def finish(self) -> None:
        if not self.parts:
            return
        pairs = sorted(zip(self.nums[::2], self.nums[1::2], strict=True), key=lambda p: p[0])
        self.root.K = Array([self.document])
        self.root.ParentTree = self.pdf.make_indirect(
            Dictionary(Nums=Array([item for pair in pairs for item in pair]))
        )
        self.root.ParentTreeNextKey = self.next_key
        if self.role_map:
            self.root.RoleMap = self.role_map
        if self.class_map:
            self.root.ClassMap = self.class_map
        self.pdf.Root.StructTreeRoot = self.root


def _rename_ids(element: Dictionary, prefix: str) -> None:
    """Prefix the IDs of an element's subtree and the table Headers that name them."""
    stack = [element]
    while stack:
        node = stack.pop()
        if "/ID" in node:
            node.ID = String(prefix + str(node.ID))
        attributes = node.get("/A")
        if isinstance(attributes, Dictionary) and "/Headers" in attributes:
            attributes.Headers = Array([String(prefix + str(h)) for h in attributes.Headers])
        kids = node.get("/K")
        for kid in kids if isinstance(kids, Array) else [kids]:
            if isinstance(kid, Dictionary) and "/S" in kid:
                stack.append(kid)


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


def _outline(pdf: pikepdf.Pdf, root: Dictionary, items: Sequence[tuple[int, Dictionary]]) -> None:
    """The bookmarks of every part in one tree, nested by level as WeasyPrint nests them, every
    item open. Built as dictionaries: pikepdf's outline API looks each page up in a slow list."""
    top: _Node = (root, [])
    stack: list[tuple[int, _Node]] = [(0, top)]
    for level, item in items:
        node: _Node = (item, [])
        while len(stack) > 1 and stack[-1][0] >= level:
            stack.pop()
        stack[-1][1][1].append(node)
        stack.append((level, node))
    if top[1]:
        _link_outline(top)
        pdf.Root.Outlines = root


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


def _page_labels(pdf: pikepdf.Pdf, pages: int) -> None:
    """The viewer's page numbers match the printed ones: "Cover", then 2, 3, …"""
    numbers: list[Any] = [0, Dictionary(P=String("Cover"))]
    if pages > 1:
        numbers += [1, Dictionary(S=Name.D, St=2)]
    pdf.Root.PageLabels = Dictionary(Nums=Array(numbers))


@dataclass(frozen=True)
class _Footer:
    """How "Page X of Y" is set: a font resource, its size and baseline in points, and each
    character's code in that font and advance (1/1000 em)."""

    font: Object
    size: float
    baseline: float
    glyphs: dict[str, tuple[int, float]]
    code_bytes: int = 2  # a Type0 font's glyph ids

    def encode(self, text: str) -> bytes:
        return b"".join(self.glyphs[char][0].to_bytes(self.code_bytes, "big") for char in text)

    def width(self, text: str) -> float:
        return sum(self.glyphs[char][1] for char in text) * self.size / 1000


def _helvetica(pdf: pikepdf.Pdf) -> _Footer:
    """A standard font, not embedded, for a dossier whose footer could not be sampled."""
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type1,
        BaseFont=Name("/" + PAGE_NUMBER_FONT),
        Encoding=Name.WinAnsiEncoding,
    )
    glyphs = {char: (ord(char), float(_WIDTHS.get(char, 556))) for char in FOOTER_SAMPLE}
    return _Footer(pdf.make_indirect(font), PAGE_NUMBER_SIZE_PT, PAGE_NUMBER_BASELINE_PT, glyphs, 1)


def _footer(pdf: pikepdf.Pdf, sample: bytes, opened: OpenParts) -> _Footer | None:
    """Find the text that shows FOOTER_SAMPLE on the sample's page: where, in which font and
    size, following the transformations WeasyPrint applies before it."""
    source = pikepdf.open(io.BytesIO(sample))
    opened.done_with.append(source)  # its font is copied when the merged document is saved
    page = source.pages[0]
    fonts: Any = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
    transform, saved = pikepdf.Matrix(), []
    text_matrix, font, size = pikepdf.Matrix(), None, 0.0
    glyphs: dict[str, tuple[int, float]] = {}  # of the current font, and the other way round
    by_id: dict[int, str] = {}
    for instruction in pikepdf.parse_content_stream(page):
        operands, operator = instruction.operands, instruction.operator
        match str(operator):
            case "q":
                saved.append(transform)
            case "Q":
                transform = saved.pop() if saved else pikepdf.Matrix()
            case "cm":
                transform = pikepdf.Matrix(*map(float, operands)) @ transform
            case "BT":
                text_matrix = pikepdf.Matrix()
            case "Tm":
                text_matrix = pikepdf.Matrix(*map(float, operands))
            case "Tf":
                font, size = fonts.get(str(operands[0])), float(operands[1])
                glyphs = _glyphs(font) if font is not None and "/ToUnicode" in font else {}
                by_id = {gid: char for char, (gid, _) in glyphs.items()}
            case "TJ" | "Tj" if font is not None and glyphs:
                codes = b"".join(bytes(item) for item in _strings(operands))
                ids = [int.from_bytes(codes[i : i + 2], "big") for i in range(0, len(codes), 2)]
                if FOOTER_SAMPLE in "".join(by_id.get(gid, "\ufffd") for gid in ids):
                    placed = text_matrix @ transform
                    scale = abs(placed.a * placed.d - placed.b * placed.c) ** 0.5
                    needed = {char: glyphs[char] for char in FOOTER_SAMPLE}
                    return _Footer(pdf.copy_foreign(font), size * scale, placed.f, needed)
    return None


def _strings(operands: Any) -> list[Any]:
    """The strings a TJ (an array of strings and kerning numbers) or Tj shows."""
    items = operands[0] if isinstance(operands[0], Array) else operands
    return [item for item in items if isinstance(item, String)]


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.DOTALL)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _glyphs(font: Any) -> dict[str, tuple[int, float]]:
    """Character → (glyph id, advance) of a WeasyPrint Type0 font, from its ToUnicode map and
    its widths; a character with several glyphs keeps the first."""
    widths = cid_widths(font.DescendantFonts[0])
    glyphs: dict[str, tuple[int, float]] = {}
    for block in _BFCHAR.findall(font.ToUnicode.read_bytes()):
        for code, text in _PAIR.findall(block):
            char = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
            gid = int(code, 16)
            glyphs.setdefault(char, (gid, widths[gid]))
    return glyphs
