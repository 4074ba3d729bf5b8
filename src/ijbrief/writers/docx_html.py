"""The HTML walk: blocks, headings, lists and containers of the composed HTML become Word
paragraphs; tables, figures and the contents are written by the classes this one joins."""

from __future__ import annotations

from dataclasses import replace

from ijbrief.writers.docx_base import (
    _BLOCK_TAGS,
    _BODY_RELATIONSHIPS,
    _HEADINGS,
    R_NS,
    W_P,
    Element,
    Seg,
    _bookmark_name,
    _classes,
    _Ctx,
    _Fmt,
    _is_skipped,
    _Item,
    _lang_of,
    _set_outline_level,
    _starts_page,
    _w,
)
from ijbrief.writers.docx_fields import _TocWriter
from ijbrief.writers.docx_tables import _TableWriter


class _Converter(_TableWriter, _TocWriter):
    # ----------------------------------------------------------------- driver

    def convert(self, body_html: Element) -> None:
        self._heading_level = 0
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
                self._id_elements[html_id] = el
            stack.extend(reversed(el))

    # ----------------------------------------------------------------- blocks

    def _children(self, el: Element, ctx: _Ctx) -> None:
        """Convert the content of a block element: runs of inline content become paragraphs."""
        segs: list[Seg] = []
        if el.text:
            self._text(el.text, ctx.fmt, segs)
        for child in el:
            if isinstance(child.tag, str) and not _is_skipped(child):
                classes = _classes(child)
                breaks = _starts_page(classes)
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
            if "cover-title" not in classes:  # a real heading, at its level
                # one level below the last heading at most: the navigation pane, and the tagged
                # PDF an office suite exports, then have no gaps (h1 then h3 reads as h1, h2)
                outline = min(level, self._heading_level + 1)
                self._heading_level = outline
                if own or style is None or outline != level:
                    for p in self.out[start:]:
                        _set_outline_level(p, outline - 1)
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
            if _starts_page(classes):
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
