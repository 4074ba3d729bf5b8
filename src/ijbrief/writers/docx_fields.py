"""Fields and page furniture: the table of contents (a TOC field with PAGEREF entries), the
header and footer (PAGE, NUMPAGES) and the settings that have Word refresh them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from ijbrief.writers.docx_base import (
    _HEADINGS,
    _PLAIN,
    TOC_INSTRUCTION,
    W_FLDCHAR,
    W_HYPERLINK,
    W_INSTR,
    W_NS,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_R,
    W_T,
    W_TAB,
    W_VAL,
    XML_SPACE,
    DocxMeta,
    Element,
    Seg,
    _check_text,
    _classes,
    _Ctx,
    _field,
    _Fmt,
    _is_skipped,
    _normalise_ws,
    _paragraph_properties,
    _w,
    split_scripts,
)
from ijbrief.writers.docx_runs import _RunWriter


class _TocWriter(_RunWriter):
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


def _plain_run(parent: Element, text: str, converter: _RunWriter) -> None:
    for script, chunk in split_scripts(text):
        converter._run(parent, chunk, _PLAIN, script)


def _is_blank_paragraph(p: Element) -> bool:
    return p.tag == W_P and not any(
        el.tag in (W_T, _w("drawing"), _w("pict"), _w("fldSimple"), W_INSTR) for el in p.iter()
    )


def _apply_header_footer(document: Any, meta: DocxMeta, converter: _RunWriter) -> None:
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
