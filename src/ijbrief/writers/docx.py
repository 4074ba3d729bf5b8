"""Convert rendered brief HTML into a reproducible DOCX built on a reference document's styles."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html  # type: ignore[import-untyped, unused-ignore]
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

__all__ = ["DocxMeta", "html_to_docx", "normalise_zip"]

# lxml ships without type information; elements are typed loosely on purpose.
Element = Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
RT_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"

JA_FONT = "Noto Sans CJK JP"
HI_FONT = "Noto Sans Devanagari"

# From the heading styles only: a class-styled heading (a section label) has an outline level of
# its own for the navigation pane, but the contents list chapters and tracker entries, as the PDF.
TOC_INSTRUCTION = ' TOC \\o "1-2" \\h \\z '

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_EMU_PER_TWIP = 635
_A4_TEXT_TWIPS = (9638, 14570)  # A4 with 2 cm margins, used when the reference is silent


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


W_VAL = _w("val")
W_P, W_PPR, W_R, W_RPR, W_T = _w("p"), _w("pPr"), _w("r"), _w("rPr"), _w("t")
W_PSTYLE, W_RSTYLE = _w("pStyle"), _w("rStyle")
W_HYPERLINK, W_BR, W_TAB = _w("hyperlink"), _w("br"), _w("tab")
W_FLDCHAR, W_INSTR = _w("fldChar"), _w("instrText")
W_BM_START, W_BM_END = _w("bookmarkStart"), _w("bookmarkEnd")


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class DocxMeta:
    """Document-level facts that are not part of the HTML body."""

    title: str
    subject: str
    author: str
    keywords: list[str]
    created: datetime
    header_text: str | None
    page_x_of_y: bool
    cover: bool
    scale: float = 1.0
    # The footer: this text at the left, "Page X of Y" (if asked) in the middle and the
    # classification at the right, as the PDF's page margins show them.
    footer_text: str | None = None
    classification: str | None = None
    project: str = ""  # fills {project} in the reference document's header banner
    # Where the sourced text came from, for `ijbrief review` (writers/docx_provenance.py).
    provenance: tuple[tuple[str, str], ...] = ()


def normalise_zip(data: bytes) -> bytes:
    """Rewrite an OOXML package with a fixed entry order, fixed timestamps and one compression."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    order = sorted(entries, key=lambda n: (n != "[Content_Types].xml", n != "_rels/.rels", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def html_to_docx(
    html: str, reference: Path | bytes, meta: DocxMeta, figures: Mapping[str, bytes]
) -> bytes:
    """Convert the body of ``html`` to DOCX bytes; ``reference`` gives styles and page setup:
    a file, or the bytes :func:`docx_package.read_reference` gave."""
    import docx

    from ijbrief.writers import docx_provenance
    from ijbrief.writers.docx_package import read_reference

    if isinstance(reference, Path):
        reference = read_reference(reference, str(reference), [reference.absolute().parent])

    _check_text(html, "HTML")
    for label, value in (
        ("title", meta.title),
        ("subject", meta.subject),
        ("author", meta.author),
        ("header text", meta.header_text or ""),
        ("footer text", meta.footer_text or ""),
        ("classification", meta.classification or ""),
        *(("keyword", k) for k in meta.keywords),
    ):
        _check_text(value, label)
    if not meta.scale > 0:
        raise ValueError(f"scale must be positive, got {meta.scale}")

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    root = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    body_html = root.find("body")
    if body_html is None:
        body_html = root

    document = docx.Document(io.BytesIO(reference))
    converter = _Converter(document, figures)
    marks = docx_provenance.mark(body_html)
    converter.convert(body_html)
    docx_provenance.attach(document, converter.bookmarks, marks, meta.provenance)
    _apply_scale(document.styles.element, meta.scale)
    _apply_header_footer(document, meta, converter)
    _apply_settings(document.settings.element)
    _apply_core_properties(document, meta)

    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


# --------------------------------------------------------------------------- text helpers

_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_HTML_WS = re.compile(r"[ \t\n\r\f]+")

_JA_RANGES = (
    "\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3190-\u31ff\u3200-\u33ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"
)
_HI_RANGES = "\u0900-\u097f\ua8e0-\ua8ff\u1cd0-\u1cff"
_NEUTRAL_RANGES = " \t\n\u00a0\u2000-\u206f!-/:-@\\[-`{-~"
_ASIAN = re.compile(f"[{_JA_RANGES}{_HI_RANGES}]")
_SCRIPT_TOKEN = re.compile(
    f"(?P<ja>[{_JA_RANGES}]+)|(?P<hi>[{_HI_RANGES}]+)|(?P<n>[{_NEUTRAL_RANGES}]+)"
    f"|(?P<l>[^{_JA_RANGES}{_HI_RANGES}{_NEUTRAL_RANGES}]+)"
)


def _check_text(text: str, label: str) -> None:
    """Refuse characters that WordprocessingML cannot hold, naming where they were found."""
    match = _BAD_XML_CHARS.search(text)
    if match is None:
        return
    start = max(0, match.start() - 30)
    excerpt = text[start : match.end() + 30]
    raise ValueError(
        f"{label} contains control character U+{ord(match.group()):04X}, "
        f"which a DOCX file cannot hold: {excerpt!r}"
    )


def split_scripts(text: str, prefer: str | None = None) -> list[tuple[str, str]]:
    """Split text into (script, chunk) pairs; script is "ja", "hi" or "" for everything else.

    Spaces and punctuation between two chunks of the same script stay with them (so
    "茂木 敏充" is one run); otherwise they go with the Latin text, or with ``prefer``
    (the script named by an enclosing ``lang`` attribute).
    """
    if _ASIAN.search(text) is None:
        return [("", text)]
    tokens = [(m.lastgroup or "l", m.group()) for m in _SCRIPT_TOKEN.finditer(text)]
    chunks: list[list[str]] = []
    for index, (kind, piece) in enumerate(tokens):
        if kind == "n":
            before = chunks[-1][0] if chunks else None
            after = tokens[index + 1][0] if index + 1 < len(tokens) else None
            if before is not None and before in (after, prefer):
                kind = before
            elif prefer is not None and after == prefer:
                kind = after
            elif before in (None, "l") or after == "l":
                kind = "l"
            else:
                kind = before
        if chunks and chunks[-1][0] == kind:
            chunks[-1][1] += piece
        else:
            chunks.append([kind, piece])
    return [("" if kind == "l" else kind, piece) for kind, piece in chunks]


def _bookmark_name(raw: str, used: set[str]) -> str:
    """Word bookmark name: at most 40 characters, a letter first, then letters, digits, '_'."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", raw)
    if not name or not ("A" <= name[0] <= "Z" or "a" <= name[0] <= "z"):
        name = "b_" + name
    name = name[:40]
    base, counter = name, 2
    while name.lower() in used:
        suffix = f"_{counter}"
        name = base[: 40 - len(suffix)] + suffix
        counter += 1
    used.add(name.lower())
    return name


# --------------------------------------------------------------------------- conversion state


@dataclass(frozen=True)
class _Fmt:
    """Inline formatting carried down the HTML tree."""

    bold: bool = False
    italic: bool = False
    vert: str | None = None
    cstyle: str | None = None
    link: str | None = None  # "r:<rId>" for external, "a:<bookmark>" for internal
    lang: str | None = None


_PLAIN = _Fmt()
# (kind, value, fmt); kind is "t" text, "br" line break, "bs"/"be" bookmark start/end
Seg = tuple[str, str, _Fmt]


@dataclass
class _Item:
    """A list item: its first paragraph carries the number, later ones are indented."""

    num_id: int
    ilvl: int
    first: bool = True


@dataclass(frozen=True)
class _Ctx:
    pstyle: str | None = None  # style of paragraphs made here
    inherit: str | None = None  # class-derived style passed on to nested lists
    fmt: _Fmt = _PLAIN
    item: _Item | None = None
    depth: int = 0  # list nesting
    quote: bool = False


_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "details", "div", "dd", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul", *_HEADINGS,
    }
)  # fmt: skip
_SKIP_TAGS = frozenset(
    {"head", "style", "script", "template", "noscript", "svg", "img", "meta", "link", "title"}
)
_BODY_RELATIONSHIPS = ("/image", "/hyperlink")
_EXTERNAL_LINK = re.compile(r"(?i)^(https?://|mailto:)")
_LIST_INDENT = 360  # twips per nesting level
_BULLETS = ("\u2022", "\u2013")


def _classes(el: Element) -> list[str]:
    value = el.get("class")
    return value.split() if value else []


def _is_skipped(el: Element) -> bool:
    return el.tag in _SKIP_TAGS or "pdf-only" in _classes(el)


def _lang_of(el: Element, current: str | None) -> str | None:
    lang = el.get("lang")
    if lang is None:
        return current
    lang = lang.strip().lower()
    if lang.startswith("ja"):
        return "ja"
    if lang.startswith("hi"):
        return "hi"
    return None


class _Styles:
    """Case-insensitive lookup of the reference document's style names."""

    def __init__(self, styles_el: Element) -> None:
        self._ids: dict[tuple[str, str], str] = {}
        for style in styles_el.iterchildren(_w("style")):
            name_el = style.find(_w("name"))
            style_id = style.get(_w("styleId"))
            if name_el is None or style_id is None:
                continue
            kind = style.get(_w("type"), "paragraph")
            self._ids.setdefault((kind, name_el.get(W_VAL, "").lower()), style_id)
            aliases = style.find(_w("aliases"))
            if aliases is not None:  # Word's alternative names, e.g. "Brief Meta" alias "Meta"
                for alias in aliases.get(W_VAL, "").split(","):
                    self._ids.setdefault((kind, alias.strip().lower()), style_id)

    def find(self, kind: str, name: str) -> str | None:
        return self._ids.get((kind, name.lower()))

    def for_classes(self, kind: str, classes: list[str]) -> str | None:
        for cls in classes:
            found = self.find(kind, cls.replace("-", " ").replace("_", " "))
            if found is not None:
                return found
        return None


class _Numbering:
    """Abstract numbering definitions (one bullet, one decimal) and one w:num per HTML list."""

    def __init__(self, document: Any) -> None:
        self._document = document
        self._root: Element = None
        # Where new w:num go (Word's w:numIdMacAtCleanup comes last), found once: looking for it
        # on every list made the dossier's numbering quadratic (0.24 s for 4,800 lists).
        self._cleanup: Element = None
        self._abstract: dict[bool, int] = {}
        self._next_abstract = 0
        self._next_num = 1

    def _ensure_root(self) -> Element:
        if self._root is None:
            self._root = _numbering_element(self._document)
            abstract_ids = [
                int(a.get(_w("abstractNumId"), "0"))
                for a in self._root.iterchildren(_w("abstractNum"))
            ]
            num_ids = [int(n.get(_w("numId"), "0")) for n in self._root.iterchildren(_w("num"))]
            self._next_abstract = max(abstract_ids, default=-1) + 1
            self._next_num = max(num_ids, default=0) + 1
            self._cleanup = self._root.find(_w("numIdMacAtCleanup"))
        return self._root

    def _abstract_id(self, ordered: bool) -> int:
        if ordered in self._abstract:
            return self._abstract[ordered]
        root = self._ensure_root()
        abstract_id = self._next_abstract
        self._next_abstract += 1
        abstract = etree.Element(_w("abstractNum"))
        abstract.set(_w("abstractNumId"), str(abstract_id))
        etree.SubElement(abstract, _w("multiLevelType")).set(W_VAL, "hybridMultilevel")
        for ilvl in range(9):
            lvl = etree.SubElement(abstract, _w("lvl"))
            lvl.set(_w("ilvl"), str(ilvl))
            etree.SubElement(lvl, _w("start")).set(W_VAL, "1")
            if ordered:
                fmt = ("decimal", "lowerLetter", "lowerRoman")[ilvl % 3]
                etree.SubElement(lvl, _w("numFmt")).set(W_VAL, fmt)
                etree.SubElement(lvl, _w("lvlText")).set(W_VAL, f"%{ilvl + 1}.")
            else:
                etree.SubElement(lvl, _w("numFmt")).set(W_VAL, "bullet")
                etree.SubElement(lvl, _w("lvlText")).set(W_VAL, _BULLETS[ilvl % 2])
            etree.SubElement(lvl, _w("lvlJc")).set(W_VAL, "left")
            ppr = etree.SubElement(lvl, W_PPR)
            ind = etree.SubElement(ppr, _w("ind"))
            ind.set(_w("left"), str(_LIST_INDENT * (ilvl + 1)))
            ind.set(_w("hanging"), str(_LIST_INDENT))
        # every w:abstractNum must precede every w:num
        first_num = root.find(_w("num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            if self._cleanup is not None:
                self._cleanup.addprevious(abstract)
            else:
                root.append(abstract)
        self._abstract[ordered] = abstract_id
        return abstract_id

    def new_list(self, ordered: bool, ilvl: int, start: int) -> int:
        abstract_id = self._abstract_id(ordered)
        root = self._ensure_root()
        num_id = self._next_num
        self._next_num += 1
        num = etree.Element(_w("num"))
        num.set(_w("numId"), str(num_id))
        etree.SubElement(num, _w("abstractNumId")).set(W_VAL, str(abstract_id))
        if ordered:  # a new <ol> restarts its numbering
            override = etree.SubElement(num, _w("lvlOverride"))
            override.set(_w("ilvl"), str(ilvl))
            etree.SubElement(override, _w("startOverride")).set(W_VAL, str(start))
        if self._cleanup is not None:
            self._cleanup.addprevious(num)
        else:
            root.append(num)
        return num_id


def _numbering_element(document: Any) -> Element:
    """The w:numbering root, adding a numbering part when the reference has none."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.oxml.parser import parse_xml
    from docx.parts.numbering import NumberingPart

    try:
        return document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    except KeyError:  # python-docx cannot create one itself (NumberingPart.new is not implemented)
        element = parse_xml(f'<w:numbering xmlns:w="{W_NS}"/>')
        numbering = NumberingPart(
            PackURI("/word/numbering.xml"),
            CONTENT_TYPE.WML_NUMBERING,
            element,
            document.part.package,
        )
        document.part.relate_to(numbering, RELATIONSHIP_TYPE.NUMBERING)
        return element


# --------------------------------------------------------------------------- the converter


class _Converter:
    def __init__(self, document: Any, figures: Mapping[str, bytes]) -> None:
        self.document = document
        self.part = document.part
        self.figures = figures
        self.styles = _Styles(document.styles.element)
        self.numbering = _Numbering(document)
        self.body: Element = document.element.body
        self.out: Element = self.body
        self.bookmarks: dict[str, str] = {}
        self._emitted_bookmarks: set[str] = set()
        self._pending_bookmarks: list[str] = []
        self._bookmark_id = 0
        self._break_pending = False
        self._last_body_block: Element = None
        self._external: dict[str, str] = {}
        self._next_rid = 1
        self._rpr_cache: dict[tuple[_Fmt, str], bytes] = {}
        self._shape_id = 1000
        sect_pr = self.body.find(_w("sectPr"))
        width, height = _A4_TEXT_TWIPS
        if sect_pr is not None:
            pg_sz, pg_mar = sect_pr.find(_w("pgSz")), sect_pr.find(_w("pgMar"))
            if pg_sz is not None and pg_mar is not None:
                width = (
                    int(pg_sz.get(_w("w")))
                    - int(pg_mar.get(_w("left"), "0"))
                    - int(pg_mar.get(_w("right"), "0"))
                )
                height = (
                    int(pg_sz.get(_w("h")))
                    - int(pg_mar.get(_w("top"), "0"))
                    - int(pg_mar.get(_w("bottom"), "0"))
                )
        self.text_width, self.text_height = width, height
        self.style_hyperlink = self.styles.find("character", "Hyperlink")
        self.style_quote = self.styles.find("paragraph", "Quote")
        self.style_attribution = self.styles.find("paragraph", "Quote Attribution")
        self.style_caption = self.styles.find("paragraph", "Caption")
        self.style_figure = self.styles.find("paragraph", "Figure")
        self.style_bullet = self.styles.find("paragraph", "List Bullet")
        self.style_number = self.styles.find("paragraph", "List Number")
        self.style_toc_heading = self.styles.find("paragraph", "TOC Heading")
        self.style_toc = [self.styles.find("paragraph", f"toc {n}") for n in (1, 2, 3)]
        self.style_term = self.styles.find("character", "Glossary Term")
        self.style_table = self.styles.find("table", "Brief Table") or self.styles.find(
            "table", "Table Grid"
        )

    # ----------------------------------------------------------------- driver

    def convert(self, body_html: Element) -> None:
        sect_pr = self.body.find(_w("sectPr"))
        for child in list(self.body):
            self.body.remove(child)
        self._drop_unused_relationships()
        self._collect_ids(body_html)
        parent = body_html.getparent()
        lang = _lang_of(body_html, None if parent is None else _lang_of(parent, None))
        self._children(body_html, _Ctx(fmt=_Fmt(lang=lang)))
        if self._pending_bookmarks and self._last_body_block is not None:
            last = self._last_body_block
            if last.tag == W_P:
                self._bookmarks_into(last, at_start=False)
        if sect_pr is not None:
            self.body.append(sect_pr)

    def _drop_unused_relationships(self) -> None:
        """Forget the images and links of the reference's (now removed) sample content."""
        used = {
            value
            for el in self.part.element.iter()
            for name, value in el.attrib.items()
            if name.startswith(f"{{{R_NS}}}")
        }
        for rid, rel in list(self.part.rels.items()):
            if rid not in used and rel.reltype.endswith(_BODY_RELATIONSHIPS):
                del self.part.rels[rid]

    def _collect_ids(self, body_html: Element) -> None:
        used: set[str] = set()
        stack = [body_html]
        while stack:
            el = stack.pop()
            if not isinstance(el.tag, str) or _is_skipped(el):
                continue
            html_id = el.get("id")
            if html_id and html_id not in self.bookmarks:
                self.bookmarks[html_id] = _bookmark_name(html_id, used)
            stack.extend(reversed(el))

    @contextmanager
    def _into(self, container: Element) -> Iterator[None]:
        saved = self.out
        self.out = container
        try:
            yield
        finally:
            self.out = saved

    # ----------------------------------------------------------------- blocks

    def _children(self, el: Element, ctx: _Ctx) -> None:
        """Convert the content of a block element: runs of inline content become paragraphs."""
        segs: list[Seg] = []
        if el.text:
            self._text(el.text, ctx.fmt, segs)
        for child in el:
            if isinstance(child.tag, str) and not _is_skipped(child):
                classes = _classes(child)
                breaks = "page-break" in classes or "chapter" in classes
                block = child.tag in _BLOCK_TAGS or (child.tag == "cite" and el.tag == "blockquote")
                if breaks or block:
                    self._flush(segs, ctx)
                    segs = []
                if breaks:
                    self._break_pending = True
                if block:
                    self._block(child, ctx)
                else:
                    self._inline(child, ctx.fmt, segs)
            if child.tail:
                self._text(child.tail, ctx.fmt, segs)
        self._flush(segs, ctx)

    def _flush(self, segs: list[Seg], ctx: _Ctx) -> None:
        if segs:
            self._paragraph(ctx.pstyle, segs, item=ctx.item)

    def _block(self, el: Element, ctx: _Ctx) -> None:
        tag = el.tag
        classes = _classes(el)
        html_id = el.get("id")
        if html_id:
            self._queue_bookmark(html_id)
        if el.get("lang") is not None:
            ctx = replace(ctx, fmt=replace(ctx.fmt, lang=_lang_of(el, ctx.fmt.lang)))
        own = self.styles.for_classes("paragraph", classes)

        if tag in _HEADINGS:
            level = _HEADINGS[tag]
            style = own or self._heading_style(level)
            start = len(self.out)
            self._children(el, replace(ctx, pstyle=style, item=None))
            if own and "cover-title" not in classes:  # a real heading, at its level
                for p in self.out[start:]:
                    _set_outline_level(p, level - 1)
        elif tag in ("p", "li", "summary"):
            self._children(el, replace(ctx, pstyle=own or ctx.pstyle))
        elif tag in ("ul", "ol"):
            self._list(el, replace(ctx, item=None))
        elif tag == "table":
            self._table(el, ctx)
        elif tag == "figure":
            self._figure(el, ctx, own)
        elif tag == "nav" and "toc" in classes:
            self._toc(el, ctx)
        elif tag == "blockquote":
            style = own or self.style_quote
            self._children(el, replace(ctx, pstyle=style, inherit=style, quote=True))
        elif tag in ("footer", "cite") and ctx.quote:
            style = own or self.style_attribution
            self._children(el, replace(ctx, pstyle=style, inherit=style))
        elif tag in ("figcaption", "caption"):
            self._children(el, replace(ctx, pstyle=own or self.style_caption))
        elif tag == "dt":
            fmt = ctx.fmt
            if self.style_term and not fmt.cstyle:
                fmt = replace(fmt, cstyle=self.style_term)
            self._children(el, replace(ctx, pstyle=own or ctx.pstyle, fmt=fmt))
        elif tag == "pre":
            self._pre(el, replace(ctx, pstyle=own or ctx.pstyle))
        elif tag == "hr":
            return
        else:  # generic containers: div, section, article, header, footer, dd, ...
            if own:
                ctx = replace(ctx, pstyle=own, inherit=own)
            self._children(el, ctx)
        if "cover" in classes:  # whatever follows the cover starts on a new page
            self._break_pending = True

    def _heading_style(self, level: int) -> str | None:
        for candidate in range(level, 0, -1):
            found = self.styles.find("paragraph", f"heading {candidate}")
            if found and (candidate == level or candidate <= 4):
                return found
        return None

    def _pre(self, el: Element, ctx: _Ctx) -> None:
        segs: list[Seg] = []
        self._inline_children(el, ctx.fmt, segs)
        lines: list[Seg] = []
        for kind, value, fmt in segs:
            if kind != "t":
                lines.append((kind, value, fmt))
                continue
            for index, line in enumerate(value.split("\n")):
                if index:
                    lines.append(("br", "", fmt))
                if line:
                    lines.append(("t", line, fmt))
        self._paragraph(ctx.pstyle, lines, item=ctx.item, preserve=True)

    # ----------------------------------------------------------------- lists

    def _list(self, el: Element, ctx: _Ctx) -> None:
        ordered = el.tag == "ol"
        ilvl = min(ctx.depth, 8)
        start = 1
        if ordered and (el.get("start") or "").strip().isdigit():
            start = int(el.get("start").strip())
        num_id = self.numbering.new_list(ordered, ilvl, start)
        own = self.styles.for_classes("paragraph", _classes(el))
        default = self.style_number if ordered else self.style_bullet
        inner = replace(ctx, depth=ctx.depth + 1, item=None)
        if el.get("lang") is not None:
            inner = replace(inner, fmt=replace(inner.fmt, lang=_lang_of(el, inner.fmt.lang)))
        for child in el:
            if not isinstance(child.tag, str) or _is_skipped(child):
                continue
            classes = _classes(child)
            if "page-break" in classes or "chapter" in classes:
                self._break_pending = True
            if child.tag == "li":
                if child.get("id"):
                    self._queue_bookmark(child.get("id"))
                style = (
                    self.styles.for_classes("paragraph", classes) or own or ctx.inherit or default
                )
                item_ctx = replace(inner, pstyle=style, item=_Item(num_id, ilvl))
                if child.get("lang") is not None:
                    lang = _lang_of(child, inner.fmt.lang)
                    item_ctx = replace(item_ctx, fmt=replace(item_ctx.fmt, lang=lang))
                self._children(child, item_ctx)
            elif child.tag in ("ul", "ol"):
                self._list(child, replace(inner, pstyle=ctx.pstyle))
            else:
                self._block(child, replace(inner, pstyle=own or ctx.pstyle))

    # ----------------------------------------------------------------- paragraphs and runs

    def _queue_bookmark(self, html_id: str) -> None:
        name = self.bookmarks.get(html_id)
        if name is None or name in self._emitted_bookmarks:
            return
        self._emitted_bookmarks.add(name)
        self._pending_bookmarks.append(name)

    def _bookmark_pair(self, name: str) -> tuple[Element, Element]:
        bookmark_id = str(self._bookmark_id)
        self._bookmark_id += 1
        start = etree.Element(W_BM_START)
        start.set(_w("id"), bookmark_id)
        start.set(_w("name"), name)
        end = etree.Element(W_BM_END)
        end.set(_w("id"), bookmark_id)
        return start, end

    def _bookmarks_into(self, p: Element, at_start: bool = True) -> None:
        """Wrap the finished paragraph's content in the pending bookmarks (or, with
        ``at_start=False``, put them at its end)."""
        if not self._pending_bookmarks:
            return
        ppr = p.find(W_PPR)
        anchor_index = 0 if ppr is None else 1
        for name in self._pending_bookmarks:
            start, end = self._bookmark_pair(name)
            if at_start:
                p.insert(anchor_index, start)
                anchor_index += 1
            else:
                p.append(start)
            p.append(end)
        self._pending_bookmarks = []

    def _new_paragraph(
        self,
        style: str | None,
        *,
        item: _Item | None = None,
        tabs: Element = None,
        keep_next: bool = False,
    ) -> Element:
        in_body = self.out is self.body
        page_break = False
        if in_body and self._break_pending:
            page_break = self._last_body_block is not None
            self._break_pending = False
        p = etree.SubElement(self.out, W_P)
        if style or item or page_break or tabs is not None or keep_next:
            ppr = etree.SubElement(p, W_PPR)
            if style:
                etree.SubElement(ppr, W_PSTYLE).set(W_VAL, style)
            if keep_next:
                etree.SubElement(ppr, _w("keepNext"))
            if page_break:
                etree.SubElement(ppr, _w("pageBreakBefore"))
            if item is not None:
                num_pr = etree.SubElement(ppr, _w("numPr"))
                if item.first:
                    etree.SubElement(num_pr, _w("ilvl")).set(W_VAL, str(item.ilvl))
                    etree.SubElement(num_pr, _w("numId")).set(W_VAL, str(item.num_id))
                else:  # continuation paragraph of the same item: no number, same indent
                    etree.SubElement(num_pr, _w("numId")).set(W_VAL, "0")
            if tabs is not None:
                ppr.append(tabs)
            if item is not None:
                if not item.first:
                    etree.SubElement(ppr, _w("ind")).set(
                        _w("left"), str(_LIST_INDENT * (item.ilvl + 1))
                    )
                item.first = False
        if in_body:
            self._last_body_block = p
        return p

    def _paragraph(
        self,
        style: str | None,
        segs: list[Seg],
        *,
        item: _Item | None = None,
        preserve: bool = False,
    ) -> Element:
        segs = segs if preserve else _normalise_ws(segs)
        if not any(kind in ("t", "br") for kind, _, _ in segs):
            # nothing visible: keep any bookmarks for the next paragraph
            for kind, value, _ in segs:
                if kind == "bs" and value not in self._pending_bookmarks:
                    self._pending_bookmarks.append(value)
            return None
        p = self._new_paragraph(style, item=item)
        self._runs(p, segs)
        self._bookmarks_into(p)
        return p

    def _runs(self, p: Element, segs: list[Seg]) -> None:
        parent = p
        link: str | None = None
        open_inline: dict[str, str] = {}
        for kind, value, fmt in segs:
            if fmt.link != link:
                link = fmt.link
                if link is None:
                    parent = p
                else:
                    parent = etree.SubElement(p, W_HYPERLINK)
                    if link.startswith("r:"):
                        parent.set(f"{{{R_NS}}}id", link[2:])
                    else:
                        parent.set(_w("anchor"), link[2:])
                    parent.set(_w("history"), "1")
            if kind == "t":
                for script, chunk in split_scripts(value, fmt.lang):
                    self._run(parent, chunk, fmt, script)
            elif kind == "br":
                run = etree.SubElement(parent, W_R)
                self._add_rpr(run, fmt, "")
                etree.SubElement(run, W_BR)
            elif kind == "bs":
                start, end = self._bookmark_pair(value)
                open_inline[value] = end.get(_w("id"))
                parent.append(start)
            elif kind == "be" and value in open_inline:
                end = etree.SubElement(parent, W_BM_END)
                end.set(_w("id"), open_inline.pop(value))
            elif kind == "pageref":  # " (p. N)", N a field the office suite fills in
                bookmark, _, cached = value.partition("|")
                self._run(parent, " (p. ", fmt, "")
                _field(parent, f"PAGEREF {bookmark} \\h", cached or "?")
                self._run(parent, ")", fmt, "")
        for bookmark_id in open_inline.values():
            etree.SubElement(p, W_BM_END).set(_w("id"), bookmark_id)

    def _run(self, parent: Element, text: str, fmt: _Fmt, script: str) -> Element:
        run = etree.SubElement(parent, W_R)
        self._add_rpr(run, fmt, script)
        t = etree.SubElement(run, W_T)
        t.text = text
        if text[:1].isspace() or text[-1:].isspace():
            t.set(XML_SPACE, "preserve")
        return run

    def _add_rpr(self, run: Element, fmt: _Fmt, script: str) -> None:
        key = (fmt, script)
        cached = self._rpr_cache.get(key)
        if cached is None:
            cached = self._rpr_template(fmt, script)
            self._rpr_cache[key] = cached
        if cached:
            run.append(etree.fromstring(cached))

    def _rpr_template(self, fmt: _Fmt, script: str) -> bytes:
        rpr = etree.Element(W_RPR, nsmap={"w": W_NS})
        style = fmt.cstyle or (self.style_hyperlink if fmt.link else None)
        if style:
            etree.SubElement(rpr, W_RSTYLE).set(W_VAL, style)
        if script == "ja":
            fonts = etree.SubElement(rpr, _w("rFonts"))
            fonts.set(_w("eastAsia"), JA_FONT)
            fonts.set(_w("hint"), "eastAsia")
        elif script == "hi":
            etree.SubElement(rpr, _w("rFonts")).set(_w("cs"), HI_FONT)
        if fmt.bold:
            etree.SubElement(rpr, _w("b"))
            etree.SubElement(rpr, _w("bCs"))
        if fmt.italic:
            etree.SubElement(rpr, _w("i"))
            etree.SubElement(rpr, _w("iCs"))
        if fmt.vert:
            etree.SubElement(rpr, _w("vertAlign")).set(W_VAL, fmt.vert)
        if script == "ja":
            etree.SubElement(rpr, _w("lang")).set(_w("eastAsia"), "ja-JP")
        elif script == "hi":
            etree.SubElement(rpr, _w("lang")).set(_w("bidi"), "hi-IN")
        return etree.tostring(rpr) if len(rpr) else b""

    # ----------------------------------------------------------------- inline content

    def _text(self, text: str, fmt: _Fmt, segs: list[Seg]) -> None:
        _check_text(text, "text")
        segs.append(("t", text, fmt))

    def _inline_children(self, el: Element, fmt: _Fmt, segs: list[Seg]) -> None:
        if el.text:
            self._text(el.text, fmt, segs)
        for child in el:
            if isinstance(child.tag, str) and not _is_skipped(child):
                self._inline(child, fmt, segs)
            if child.tail:
                self._text(child.tail, fmt, segs)

    def _inline(self, el: Element, fmt: _Fmt, segs: list[Seg]) -> None:
        tag = el.tag
        if tag == "br":
            segs.append(("br", "", fmt))
            return
        fmt = self._inline_fmt(el, fmt)
        name = self._inline_bookmark(el)
        if name:
            segs.append(("bs", name, fmt))
        if tag == "q":
            segs.append(("t", "\u201c", fmt))
        self._inline_children(el, fmt, segs)
        if tag == "q":
            segs.append(("t", "\u201d", fmt))
        if tag == "a" and "pageref" in _classes(el):  # the page the PDF shows after the link
            target = self.bookmarks.get((el.get("href") or "").lstrip("#"))
            if target is not None:
                segs.append(("pageref", f"{target}|{el.get('data-page') or ''}", fmt))
        if name:
            segs.append(("be", name, fmt))

    def _inline_bookmark(self, el: Element) -> str | None:
        html_id = el.get("id")
        if not html_id:
            return None
        name = self.bookmarks.get(html_id)
        if name is None or name in self._emitted_bookmarks:
            return None
        self._emitted_bookmarks.add(name)
        return name

    def _inline_fmt(self, el: Element, fmt: _Fmt) -> _Fmt:
        tag = el.tag
        changes: dict[str, Any] = {}
        if tag in ("strong", "b"):
            changes["bold"] = True
        elif tag in ("em", "i", "cite", "dfn", "var"):
            changes["italic"] = True
        elif tag == "sup":
            changes["vert"] = "superscript"
        elif tag == "sub":
            changes["vert"] = "subscript"
        elif tag == "a":
            link = self._link_target(el.get("href") or "")
            if link is not None:
                changes["link"] = link
        if el.get("lang") is not None:
            changes["lang"] = _lang_of(el, fmt.lang)
        style = self.styles.for_classes("character", _classes(el))
        if style:
            changes["cstyle"] = style
        return replace(fmt, **changes) if changes else fmt

    def _link_target(self, href: str) -> str | None:
        href = href.strip()
        if href.startswith("#"):
            name = self.bookmarks.get(href[1:])
            return None if name is None else "a:" + name
        if _EXTERNAL_LINK.match(href):
            _check_text(href, "link")
            rid = self._external.get(href)
            if rid is None:  # python-docx's relate_to scans every relationship: too slow here
                rels = self.part.rels
                while f"rId{self._next_rid}" in rels:
                    self._next_rid += 1
                rid = f"rId{self._next_rid}"
                rels.add_relationship(RT_HYPERLINK, href, rid, is_external=True)
                self._external[href] = rid
            return "r:" + rid
        return None

    # ----------------------------------------------------------------- tables

    def _table(self, el: Element, ctx: _Ctx) -> None:
        rows: list[tuple[Element, bool]] = []
        for child in el:
            if not isinstance(child.tag, str) or _is_skipped(child):
                continue
            if child.tag == "caption":
                self._block(child, ctx)
            elif child.tag in ("thead", "tbody", "tfoot"):
                rows.extend((tr, child.tag == "thead") for tr in child if tr.tag == "tr")
            elif child.tag == "tr":
                rows.append((child, False))
        if not rows:
            return
        if not any(header for _, header in rows):  # leading rows made only of <th> are headers
            for index, (tr, _) in enumerate(rows):
                cells = [c for c in tr if c.tag in ("td", "th")]
                if not cells or any(c.tag != "th" for c in cells):
                    break
                rows[index] = (tr, True)

        # lay the cells out on a grid, honouring colspan and rowspan
        grid: list[list[tuple[int, int, Element, str]]] = []  # (col, span, cell|None, vmerge)
        carry: dict[int, tuple[int, int]] = {}  # col -> (rows still covered, span)
        for tr, _ in rows:
            placed: list[tuple[int, int, Element, str]] = []
            col = 0
            cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
            queue = list(cells)
            while queue or any(c >= col for c in carry):
                if col in carry:
                    remaining, span = carry[col]
                    placed.append((col, span, None, "continue"))
                    if remaining <= 1:
                        del carry[col]
                    else:
                        carry[col] = (remaining - 1, span)
                    col += span
                    continue
                if not queue:
                    col = min(c for c in carry if c >= col)
                    continue
                cell = queue.pop(0)
                span = _int_attr(cell, "colspan")
                rowspan = _int_attr(cell, "rowspan")
                placed.append((col, span, cell, "restart" if rowspan > 1 else ""))
                if rowspan > 1:
                    carry[col] = (rowspan - 1, span)
                col += span
            grid.append(placed)
        ncols = max((c + s for row in grid for c, s, _, _ in row), default=1)

        if self.out is self.body and self._break_pending:
            self._break_before_table()
        elif self.out is self.body and self._last_body_block is not None:
            _keep_with_next(self._last_body_block)  # what introduces a table stays with it
        own = self.styles.for_classes("table", _classes(el))
        tbl = etree.SubElement(self.out, _w("tbl"))
        tbl_pr = etree.SubElement(tbl, _w("tblPr"))
        if own or self.style_table:
            etree.SubElement(tbl_pr, _w("tblStyle")).set(W_VAL, own or self.style_table)
        width = etree.SubElement(tbl_pr, _w("tblW"))
        width.set(_w("w"), "5000")
        width.set(_w("type"), "pct")
        look = etree.SubElement(tbl_pr, _w("tblLook"))
        for attr, value in (
            ("val", "0420"),
            ("firstRow", "1"),
            ("lastRow", "0"),
            ("firstColumn", "0"),
            ("lastColumn", "0"),
            ("noHBand", "0"),
            ("noVBand", "1"),
        ):
            look.set(_w(attr), value)
        tbl_grid = etree.SubElement(tbl, _w("tblGrid"))
        widths = _column_widths(grid, ncols, self.text_width)
        for width_twips in widths:
            etree.SubElement(tbl_grid, _w("gridCol")).set(_w("w"), str(width_twips))
        if self.out is self.body:
            self._last_body_block = tbl

        for row_index, ((_, header), placed) in enumerate(zip(rows, grid, strict=True)):
            tr_el = etree.SubElement(tbl, _w("tr"))
            tr_pr = etree.SubElement(tr_el, _w("trPr"))
            etree.SubElement(tr_pr, _w("cantSplit"))
            if header:
                etree.SubElement(tr_pr, _w("tblHeader"))
            used = 0
            for col, span, cell, vmerge in placed:
                if col > used:  # holes left by short rows
                    self._empty_cell(tr_el, sum(widths[used:col]), col - used)
                tc = self._cell_shell(tr_el, span, sum(widths[col : col + span]), vmerge)
                if cell is not None:
                    fmt = ctx.fmt
                    if cell.tag == "th" and row_index > 0:
                        fmt = replace(fmt, bold=True)
                    if cell.get("lang") is not None:
                        fmt = replace(fmt, lang=_lang_of(cell, fmt.lang))
                    if cell.get("id"):
                        self._queue_bookmark(cell.get("id"))
                    style = self.styles.for_classes("paragraph", _classes(cell))
                    cell_ctx = _Ctx(pstyle=style, inherit=style, fmt=fmt)
                    with self._into(tc):
                        self._children(cell, cell_ctx)
                if tc[-1].tag != W_P:
                    etree.SubElement(tc, W_P)
                used = col + span
            if used < ncols:
                self._empty_cell(tr_el, sum(widths[used:]), ncols - used)

    def _cell_shell(self, tr: Element, span: int, width: int, vmerge: str) -> Element:
        tc = etree.SubElement(tr, _w("tc"))
        tc_pr = etree.SubElement(tc, _w("tcPr"))
        tc_w = etree.SubElement(tc_pr, _w("tcW"))
        tc_w.set(_w("w"), str(width))
        tc_w.set(_w("type"), "dxa")
        if span > 1:
            etree.SubElement(tc_pr, _w("gridSpan")).set(W_VAL, str(span))
        if vmerge == "restart":
            etree.SubElement(tc_pr, _w("vMerge")).set(W_VAL, "restart")
        elif vmerge == "continue":
            etree.SubElement(tc_pr, _w("vMerge"))
        return tc

    def _empty_cell(self, tr: Element, width: int, span: int) -> None:
        tc = self._cell_shell(tr, span, width, "")
        etree.SubElement(tc, W_P)

    def _break_before_table(self) -> None:
        """A table cannot carry pageBreakBefore: end the previous paragraph with a page break."""
        self._break_pending = False
        last = self._last_body_block
        if last is None:
            return
        if last.tag != W_P:
            last = etree.SubElement(self.body, W_P)
        run = etree.SubElement(last, W_R)
        etree.SubElement(run, W_BR).set(_w("type"), "page")

    # ----------------------------------------------------------------- figures

    def _figure(self, el: Element, ctx: _Ctx, own: str | None) -> None:
        name = el.get("data-figure")
        if not name:
            self._children(el, replace(ctx, pstyle=own or ctx.pstyle))
            return
        data = self.figures.get(name)
        if data is None:
            raise ValueError(f"figure {name!r} is used by the HTML but no image was supplied")
        children = [c for c in el if isinstance(c.tag, str)]
        captions = [c for c in children if c.tag == "figcaption" and not _is_skipped(c)]
        caption_first = bool(captions) and children[0] is captions[0]
        alt = " ".join(" ".join("".join(c.itertext()).split()) for c in captions) or name
        if caption_first:
            for caption in captions:
                self._block(caption, ctx)
        self._picture(
            name,
            data,
            self.style_figure or own,
            alt,
            keep_next=bool(captions) and not caption_first,
        )
        if not caption_first:
            for caption in captions:
                self._block(caption, ctx)

    def _picture(
        self, name: str, data: bytes, style: str | None, alt: str, keep_next: bool
    ) -> None:
        from docx.oxml.shape import CT_Inline
        from docx.shared import Emu

        try:
            rid, image = self.part.get_or_add_image(io.BytesIO(data))
        except Exception as exc:  # python-docx raises its own error types for unreadable images
            raise ValueError(f"figure {name!r} is not a readable image: {exc}") from exc
        px_w, px_h = max(1, image.px_width), max(1, image.px_height)
        cx = self.text_width * _EMU_PER_TWIP
        cy = cx * px_h // px_w
        max_cy = int(self.text_height * 0.75) * _EMU_PER_TWIP
        if cy > max_cy:
            cx, cy = cx * max_cy // cy, max_cy
        self._shape_id += 1
        inline = CT_Inline.new_pic_inline(self._shape_id, rid, f"{name}.png", Emu(cx), Emu(cy))
        inline.docPr.set("descr", alt)
        p = self._new_paragraph(style, keep_next=keep_next and style is None)
        run = etree.SubElement(p, W_R)
        etree.SubElement(run, _w("drawing")).append(inline)
        self._bookmarks_into(p)

    # ----------------------------------------------------------------- table of contents

    def _toc(self, nav: Element, ctx: _Ctx) -> None:
        for child in nav:
            if not isinstance(child.tag, str) or _is_skipped(child):
                continue
            if child.tag in _HEADINGS:
                if child.get("id"):
                    self._queue_bookmark(child.get("id"))
                own = self.styles.for_classes("paragraph", _classes(child))
                self._children(child, replace(ctx, pstyle=own or self.style_toc_heading))
            elif child.tag in ("ol", "ul"):
                self._toc_field(list(_toc_entries(child, 1)), ctx)
            else:
                self._block(child, ctx)

    def _toc_field(self, entries: list[tuple[int, Element]], ctx: _Ctx) -> None:
        def field_run(parent: Element, kind: str, dirty: bool = False) -> None:
            char = etree.SubElement(etree.SubElement(parent, W_R), W_FLDCHAR)
            char.set(_w("fldCharType"), kind)
            if dirty:
                char.set(_w("dirty"), "true")

        def instr_run(parent: Element, text: str) -> None:
            instr = etree.SubElement(etree.SubElement(parent, W_R), W_INSTR)
            instr.set(XML_SPACE, "preserve")
            instr.text = text

        def tabs() -> Element:
            tabs_el = etree.Element(_w("tabs"))
            tab = etree.SubElement(tabs_el, W_TAB)
            tab.set(W_VAL, "right")
            tab.set(_w("leader"), "dot")
            tab.set(_w("pos"), str(self.text_width))
            return tabs_el

        if not entries:
            p = self._new_paragraph(self.style_toc[0])
            field_run(p, "begin", dirty=True)
            instr_run(p, TOC_INSTRUCTION)
            field_run(p, "separate")
            field_run(p, "end")
            return
        for index, (level, li) in enumerate(entries):
            style = self.style_toc[min(level, 3) - 1] or self.style_toc[0]
            p = self._new_paragraph(style, tabs=tabs())
            if index == 0:
                field_run(p, "begin", dirty=True)
                instr_run(p, TOC_INSTRUCTION)
                field_run(p, "separate")
            anchor_el = li.find(".//a[@href]")
            target = None
            if anchor_el is not None:
                href = anchor_el.get("href").strip()
                if href.startswith("#"):
                    target = self.bookmarks.get(href[1:])
            label_segs: list[Seg] = []
            if anchor_el is not None:
                self._inline_children(anchor_el, ctx.fmt, label_segs)
            else:
                self._toc_label(li, ctx.fmt, label_segs)
            label_segs = [s for s in _normalise_ws(label_segs) if s[0] == "t"]
            page = ""
            for span in li.iter("span"):
                if "toc-page" in _classes(span):
                    page = " ".join("".join(span.itertext()).split())
                    _check_text(page, "TOC page number")
                    break
            if target is not None:
                parent = etree.SubElement(p, W_HYPERLINK)
                parent.set(_w("anchor"), target)
                parent.set(_w("history"), "1")
            else:
                parent = p
            for _, value, fmt in label_segs:
                for script, chunk in split_scripts(value, fmt.lang):
                    self._run(parent, chunk, replace(fmt, link=None), script)
            etree.SubElement(etree.SubElement(parent, W_R), W_TAB)
            if target is not None:
                field_run(parent, "begin")
                instr_run(parent, f" PAGEREF {target} \\h ")
                field_run(parent, "separate")
                if page:
                    self._run(parent, page, _PLAIN, "")
                field_run(parent, "end")
            elif page:
                self._run(parent, page, _PLAIN, "")
            if index == len(entries) - 1:
                field_run(p, "end")
            if index == 0:
                self._bookmarks_into(p)

    def _toc_label(self, li: Element, fmt: _Fmt, segs: list[Seg]) -> None:
        """Entry text of a TOC item without a link: its text minus page number and sub-lists."""
        if li.text:
            self._text(li.text, fmt, segs)
        for child in li:
            if (
                isinstance(child.tag, str)
                and not _is_skipped(child)
                and child.tag not in ("ol", "ul")
                and "toc-page" not in _classes(child)
            ):
                self._inline(child, fmt, segs)
            if child.tail:
                self._text(child.tail, fmt, segs)


def _toc_entries(list_el: Element, depth: int) -> Iterator[tuple[int, Element]]:
    for li in list_el:
        if not isinstance(li.tag, str) or li.tag != "li" or _is_skipped(li):
            continue
        level_attr = (li.get("data-level") or "").strip()
        level = int(level_attr) if level_attr.isdigit() and int(level_attr) > 0 else depth
        yield level, li
        for nested in li:
            if isinstance(nested.tag, str) and nested.tag in ("ol", "ul"):
                yield from _toc_entries(nested, depth + 1)


def _column_widths(
    grid: list[list[tuple[int, int, Element, str]]], ncols: int, total: int
) -> list[int]:
    """Share the text width by how much text each column holds (long prose gets room, a date
    column stays narrow), never narrower than the column's longest word; sums to ``total``."""
    lengths: list[list[int]] = [[] for _ in range(ncols)]
    longest = [3] * ncols
    for row in grid:
        for col, span, cell, _ in row:
            if cell is None or span != 1:
                continue
            words = "".join(cell.itertext()).split()
            if "date" in _classes(cell):  # "7 October 2020" on one line: a word of its own
                words = [" ".join(words)]
            lengths[col].append(sum(len(w) + 1 for w in words))
            longest[col] = max([longest[col], *(min(len(w), 30) for w in words)])
    weights = [  # x1.4: bold or small-caps words (headers, statuses) set wider
        max(longest[c] * 1.4, min(sum(lengths[c]) / len(lengths[c]), 60.0) if lengths[c] else 8.0)
        for c in range(ncols)
    ]
    widths = [int(total * w / sum(weights)) for w in weights]
    widths[-1] += total - sum(widths)  # columns fill the text width exactly
    return widths


def _paragraph_properties(p: Element) -> Element:
    """Paragraph ``p``'s w:pPr, made as its first child if it has none."""
    ppr = p.find(W_PPR)
    if ppr is None:
        ppr = etree.Element(W_PPR)
        p.insert(0, ppr)
    return ppr


def _keep_with_next(p: Element) -> None:
    if p.tag != W_P:
        return
    ppr = _paragraph_properties(p)
    if ppr.find(_w("keepNext")) is None:
        keep = etree.Element(_w("keepNext"))
        style = ppr.find(W_PSTYLE)
        if style is None:
            ppr.insert(0, keep)
        else:
            style.addnext(keep)


def _set_outline_level(p: Element, level: int) -> None:
    """Give paragraph ``p`` an outline level (0 for level 1) after its other properties."""
    if p.tag != W_P:
        return
    ppr = _paragraph_properties(p)
    # w:outlineLvl comes after spacing, indentation and alignment, before w:rPr
    follows = {_w(n) for n in ("divId", "cnfStyle", "pPrChange", "rPr", "sectPr")}
    outline = etree.Element(_w("outlineLvl"))
    outline.set(W_VAL, str(level))
    later = next((child for child in ppr if child.tag in follows), None)
    if later is None:
        ppr.append(outline)
    else:
        later.addprevious(outline)


def _int_attr(el: Element, name: str) -> int:
    value = (el.get(name) or "").strip()
    return max(1, min(int(value), 63)) if value.isdigit() else 1


def _normalise_ws(segs: list[Seg]) -> list[Seg]:
    """Collapse HTML whitespace across runs and trim it at paragraph and line ends."""
    out: list[list[Any]] = []
    space_before = True
    for kind, value, fmt in segs:
        if kind == "t":
            text = _HTML_WS.sub(" ", value)
            if space_before and text.startswith(" "):
                text = text[1:]
            if not text:
                continue
            space_before = text.endswith(" ")
            if out and out[-1][0] == "t" and out[-1][2] == fmt:
                out[-1][1] += text
            else:
                out.append(["t", text, fmt])
        else:
            if kind == "br":
                _trim_end(out)
                space_before = True
            out.append([kind, value, fmt])
    _trim_end(out)
    return [(kind, value, fmt) for kind, value, fmt in out if kind != "t" or value]


def _trim_end(out: list[list[Any]]) -> None:
    for seg in reversed(out):
        if seg[0] == "br":
            return
        if seg[0] == "t":
            seg[1] = seg[1].rstrip(" ")
            if seg[1]:
                return


# --------------------------------------------------------------------------- document parts


def _apply_scale(styles_el: Element, scale: float) -> None:
    """Multiply font sizes, paragraph spacing and line spacing of every style by ``scale``."""
    if scale == 1.0:
        return
    for size in styles_el.iter(_w("sz"), _w("szCs")):
        value = size.get(W_VAL)
        if value and value.isdigit():
            size.set(W_VAL, str(max(2, round(int(value) * scale))))
    for spacing in styles_el.iter(_w("spacing")):
        if spacing.getparent().tag != W_PPR:
            continue  # w:rPr/w:spacing is letter spacing
        for attr in ("before", "after"):
            value = spacing.get(_w(attr))
            if value and value.isdigit():
                spacing.set(_w(attr), str(round(int(value) * scale)))
        # exact/atLeast lines are in twips; auto lines (240ths of a line) tighten too, as the
        # PDF's line-height does when it fits a page
        line = spacing.get(_w("line"))
        if line and line.isdigit():
            spacing.set(_w("line"), str(round(int(line) * scale)))


def _field(parent: Element, instruction: str, cached: str) -> None:
    for kind in ("begin", "instr", "separate", "text", "end"):
        run = etree.SubElement(parent, W_R)
        if kind == "instr":
            instr = etree.SubElement(run, W_INSTR)
            instr.set(XML_SPACE, "preserve")
            instr.text = f" {instruction} "
        elif kind == "text":
            etree.SubElement(run, W_T).text = cached
        else:
            etree.SubElement(run, W_FLDCHAR).set(_w("fldCharType"), kind)


def _plain_run(parent: Element, text: str, converter: _Converter) -> None:
    for script, chunk in split_scripts(text):
        converter._run(parent, chunk, _PLAIN, script)


def _is_blank_paragraph(p: Element) -> bool:
    return p.tag == W_P and not any(
        el.tag in (W_T, _w("drawing"), _w("pict"), _w("fldSimple"), W_INSTR) for el in p.iter()
    )


def _apply_header_footer(document: Any, meta: DocxMeta, converter: _Converter) -> None:
    section = document.sections[-1]
    header_style = converter.styles.find("paragraph", "header")
    footer_style = converter.styles.find("paragraph", "footer")

    if meta.header_text is None:
        section.header.is_linked_to_previous = True
    else:
        header = section.header
        header.is_linked_to_previous = False
        hdr = header._element
        paragraphs = hdr.findall(W_P)
        p = paragraphs[0] if paragraphs else etree.SubElement(hdr, W_P)
        ppr = _paragraph_properties(p)
        if ppr.find(W_PSTYLE) is None and header_style:
            pstyle = etree.Element(W_PSTYLE)
            pstyle.set(W_VAL, header_style)
            ppr.insert(0, pstyle)
        # the header text goes first; a banner or logo after a tab in the reference stays put
        holder = etree.Element(W_P)
        _plain_run(holder, meta.header_text, converter)
        anchor = ppr
        for run in list(holder):
            anchor.addnext(run)
            anchor = run
        for text in hdr.iter(W_T):
            if text.text and "{project}" in text.text:
                text.text = text.text.replace("{project}", meta.project)

    if meta.page_x_of_y or meta.footer_text or meta.classification:
        footer = section.footer
        footer.is_linked_to_previous = False
        ftr = footer._element
        for p in ftr.findall(W_P):
            if _is_blank_paragraph(p):
                ftr.remove(p)
        p = etree.SubElement(ftr, W_P)
        ppr = etree.SubElement(p, W_PPR)
        if footer_style:
            etree.SubElement(ppr, W_PSTYLE).set(W_VAL, footer_style)
        width = int(section.page_width - section.left_margin - section.right_margin) // 635
        tabs = etree.SubElement(ppr, _w("tabs"))
        for kind, position in (("center", width // 2), ("right", width)):
            tab = etree.SubElement(tabs, _w("tab"))
            tab.set(W_VAL, kind)
            tab.set(_w("pos"), str(position))
        etree.SubElement(ppr, _w("jc")).set(W_VAL, "left")
        if meta.footer_text:
            _plain_run(p, meta.footer_text, converter)
        etree.SubElement(etree.SubElement(p, W_R), _w("tab"))
        if meta.page_x_of_y:
            converter._run(p, "Page ", _PLAIN, "")
            _field(p, "PAGE", "1")
            converter._run(p, " of ", _PLAIN, "")
            _field(p, "NUMPAGES", "1")
        etree.SubElement(etree.SubElement(p, W_R), _w("tab"))
        if meta.classification:
            _plain_run(p, meta.classification.upper(), converter)

    section.different_first_page_header_footer = meta.cover
    if meta.cover:  # the cover page gets an empty header and footer
        for part in (section.first_page_header, section.first_page_footer):
            part.is_linked_to_previous = False
            root = part._element
            for child in list(root):
                root.remove(child)
            etree.SubElement(root, W_P)  # unstyled: no header rule on the cover


_SETTINGS_AFTER_UPDATE_FIELDS = frozenset(
    {
        "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
        "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
        "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
        "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags",
        "decimalSymbol", "listSeparator",
    }
)  # fmt: skip


def _apply_settings(settings_el: Element) -> None:
    """Ask Word to refresh fields (TOC page numbers, NUMPAGES) when the file is opened."""
    for old in settings_el.findall(_w("updateFields")):
        settings_el.remove(old)
    update = etree.Element(_w("updateFields"))
    update.set(W_VAL, "true")
    for child in settings_el:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.localname in _SETTINGS_AFTER_UPDATE_FIELDS or qname.namespace != W_NS:
            child.addprevious(update)
            return
    settings_el.append(update)


def _apply_core_properties(document: Any, meta: DocxMeta) -> None:
    created = meta.created
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    props = document.core_properties
    props.title = meta.title
    props.subject = meta.subject
    props.author = meta.author
    props.keywords = ", ".join(meta.keywords)
    props.last_modified_by = meta.author
    props.comments = ""
    props.category = ""
    props.content_status = ""
    props.identifier = ""
    props.language = ""
    props.version = ""
    props.revision = 1
    props.created = created
    props.modified = created
    props.last_printed = created
