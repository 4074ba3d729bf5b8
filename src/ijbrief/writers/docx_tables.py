"""Tables (a grid of cells with spans, header rows, column widths) and figures."""

from __future__ import annotations

import io
from dataclasses import replace

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from ijbrief.writers.docx_base import (
    _EMU_PER_TWIP,
    W_BR,
    W_P,
    W_R,
    W_VAL,
    Element,
    _classes,
    _Ctx,
    _int_attr,
    _is_skipped,
    _keep_with_next,
    _lang_of,
    _w,
)
from ijbrief.writers.docx_runs import _RunWriter


class _TableWriter(_RunWriter):
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
        caption_text = " ".join(_words(c) for c in captions)
        title = caption_text or name
        alt = _description(el) or title
        if caption_first:
            for caption in captions:
                self._block(caption, ctx)
        self._picture(
            name,
            data,
            self.style_figure or own,
            (title, alt),
            keep_next=bool(captions) and not caption_first,
        )
        if not caption_first:
            for caption in captions:
                self._block(caption, ctx)

    def _picture(
        self, name: str, data: bytes, style: str | None, alt: tuple[str, str], keep_next: bool
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
        # what a screen reader says of the image (Word's alt text), and its short name
        inline.docPr.set("title", alt[0])
        inline.docPr.set("descr", alt[1])
        p = self._new_paragraph(style, keep_next=keep_next and style is None)
        run = etree.SubElement(p, W_R)
        etree.SubElement(run, _w("drawing")).append(inline)
        self._bookmarks_into(p)


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


def _words(el: Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _description(figure: Element) -> str:
    """What a figure shows, in words: an image's ``alt``, an SVG's ``<desc>`` or a long
    ``aria-label``; else, for an SVG of linked marks (the timeline), its label and each mark's
    text in order ("Timeline of meetings: 4 marks, left to right: 1st 2+2, November 2019; ...")."""
    for img in figure.iter("img"):
        if (img.get("alt") or "").strip():
            return " ".join(img.get("alt").split())
    svg = next(figure.iter("svg"), None)
    if svg is None:
        return ""
    desc = next(svg.iter("desc"), None)
    if desc is not None and _words(desc):
        return _words(desc)
    label = " ".join((svg.get("aria-label") or "").split())
    if len(label.split()) > 8:  # a sentence or more: already a description, not a name
        return label
    marks = [
        ", ".join(text for text in (_words(part) for part in a.iter("text", "title")) if text)
        for a in svg.iter("a")
    ]
    marks = [mark for mark in marks if mark]
    if not marks:
        return label
    count = f"{len(marks)} marks" if len(marks) != 1 else "1 mark"
    return f"{label or 'Figure'}: {count}, left to right: {'; '.join(marks)}."
