"""Paragraphs, runs, bookmarks and links: the pieces the HTML walk (:mod:`docx_html`) makes
Word paragraphs of, with the writer's state (styles, numbering, relationships)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from ijbrief.writers.docx_base import (
    _A4_TEXT_TWIPS,
    _EXTERNAL_LINK,
    _LIST_INDENT,
    R_NS,
    RT_HYPERLINK,
    SCRIPTS,
    W_BM_END,
    W_BM_START,
    W_BR,
    W_HYPERLINK,
    W_NS,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_R,
    W_RPR,
    W_RSTYLE,
    W_T,
    W_VAL,
    XML_SPACE,
    Element,
    Seg,
    _check_text,
    _classes,
    _Ctx,
    _field,
    _Fmt,
    _is_serif,
    _is_skipped,
    _Item,
    _lang_of,
    _normalise_ws,
    _set_bidi,
    _w,
    _wholly_rtl,
    split_scripts,
)
from ijbrief.writers.docx_styles import _Numbering, _Styles


class _RunWriter(ABC):
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
        self._rpr_cache: dict[tuple[_Fmt, str, bool], bytes] = {}
        self._tooltips: dict[str, str] = {}  # a link's screen tip, by its target
        self._id_elements: dict[str, Element] = {}
        self._serif_cache: dict[tuple[str | None, str | None], bool] = {}
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

    @contextmanager
    def _into(self, container: Element) -> Iterator[None]:
        saved = self.out
        self.out = container
        try:
            yield
        finally:
            self.out = saved

    # The HTML walk (docx_html._Converter) converts blocks; tables, figures and the contents
    # call back into it for what their cells, captions and headings hold.
    @abstractmethod
    def _children(self, el: Element, ctx: _Ctx) -> None: ...

    @abstractmethod
    def _block(self, el: Element, ctx: _Ctx) -> None: ...

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
        if _wholly_rtl(segs):
            _set_bidi(p)
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
                    tip = self._tooltips.get(link)
                    if tip:
                        parent.set(_w("tooltip"), tip)
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
        self._add_rpr(run, fmt, script, script in SCRIPTS and self._serif_around(parent, fmt))
        t = etree.SubElement(run, W_T)
        t.text = text
        if text[:1].isspace() or text[-1:].isspace():
            t.set(XML_SPACE, "preserve")
        return run

    def _serif_around(self, parent: Element, fmt: _Fmt) -> bool:
        """Whether the text a run sits in is set in a serif face (its character style's, else
        its paragraph's), so that a name in another script matches it."""
        p = parent
        while p is not None and p.tag != W_P:
            p = p.getparent()
        pstyle_el = None if p is None else p.find(f"{W_PPR}/{W_PSTYLE}")
        pstyle = None if pstyle_el is None else pstyle_el.get(W_VAL)
        cstyle = fmt.cstyle or (self.style_hyperlink if fmt.link else None)
        key = (pstyle, cstyle)
        serif = self._serif_cache.get(key)
        if serif is None:
            serif = self._serif_cache[key] = _is_serif(self.styles.face(pstyle, cstyle))
        return serif

    def _add_rpr(self, run: Element, fmt: _Fmt, script: str, serif: bool = False) -> None:
        key = (fmt, script, serif)
        cached = self._rpr_cache.get(key)
        if cached is None:
            cached = self._rpr_template(fmt, script, serif)
            self._rpr_cache[key] = cached
        if cached:
            run.append(etree.fromstring(cached))

    def _rpr_template(self, fmt: _Fmt, script: str, serif: bool) -> bytes:
        rpr = etree.Element(W_RPR, nsmap={"w": W_NS})
        style = fmt.cstyle or (self.style_hyperlink if fmt.link else None)
        if style:
            etree.SubElement(rpr, W_RSTYLE).set(W_VAL, style)
        spec = SCRIPTS.get(script)
        if spec is not None:
            fonts = etree.SubElement(rpr, _w("rFonts"))
            fonts.set(_w(spec.slot), spec.serif if serif else spec.sans)
            if spec.slot == "eastAsia":
                fonts.set(_w("hint"), "eastAsia")
        if fmt.bold:
            etree.SubElement(rpr, _w("b"))
            etree.SubElement(rpr, _w("bCs"))
        if fmt.italic:
            etree.SubElement(rpr, _w("i"))
            etree.SubElement(rpr, _w("iCs"))
        if fmt.vert:
            etree.SubElement(rpr, _w("vertAlign")).set(W_VAL, fmt.vert)
        if spec is not None and spec.rtl:
            etree.SubElement(rpr, _w("rtl"))
            etree.SubElement(rpr, _w("cs"))  # format it with its complex-script properties
        if spec is not None:
            slot = "eastAsia" if spec.slot == "eastAsia" else "bidi"
            etree.SubElement(rpr, _w("lang")).set(_w(slot), spec.lang)
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
        if not (tag == "a" and fmt.link is not None and self._link_words(el, fmt, segs)):
            self._inline_children(el, fmt, segs)
        if tag == "q":
            segs.append(("t", "\u201d", fmt))
        if tag == "a" and "pageref" in _classes(el):  # the page the PDF shows after the link
            target = self.bookmarks.get((el.get("href") or "").lstrip("#"))
            if target is not None:
                segs.append(("pageref", f"{target}|{el.get('data-page') or ''}", fmt))
        if name:
            segs.append(("be", name, fmt))

    def _link_words(self, el: Element, fmt: _Fmt, segs: list[Seg]) -> bool:
        """Links a reader can tell apart: a link's ``title``, or what it leads to, becomes its
        screen tip; a bare address as a link's text is replaced by the site's name (the whole
        address stays in the screen tip). True if the link's text was written here."""
        link = fmt.link or ""
        words = " ".join("".join(el.itertext()).split())
        href = (el.get("href") or "").strip()
        tip = " ".join((el.get("title") or "").split())
        written = False
        if link.startswith("r:") and _same_address(words, href):
            host = urlsplit(href).hostname or href
            host = host.removeprefix("www.")
            segs.append(("t", tip or host, replace(fmt, lang=None)))
            tip, written = href, True
        elif not tip and link.startswith("a:") and link not in self._tooltips and len(words) <= 3:
            # a citation marker "[1]" or a letter: say what it leads to
            target = self._id_elements.get(href.lstrip("#"))
            if target is not None:  # a section by its heading, anything else by its text
                heading = next(target.iter("h1", "h2", "h3", "h4", "h5", "h6"), target)
                tip = " ".join("".join(heading.itertext()).split())[:160]
        if tip:
            self._tooltips.setdefault(link, tip)
        return written

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


def _same_address(text: str, href: str) -> bool:
    """Whether a link's text is its own address ("https://x.org/a" for "x.org/a/")."""

    def bare(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("https://", "http://", "mailto:", "www."):
            value = value.removeprefix(prefix)
        return value.rstrip("/")

    return bool(text) and bare(text) == bare(href)
