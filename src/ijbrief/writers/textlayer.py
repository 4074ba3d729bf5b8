"""A text layer that says what the page shows, for scripts whose shaping reorders or shares
glyphs (Devanagari and the other Brahmic scripts).

WeasyPrint (up to 70 at least, upstream issue #2841) maps each glyph id to the text of the first
cluster it was drawn in, and gives the other glyphs of a cluster the empty string. In सिंह the
vowel sign ि is drawn before स, in one cluster with it: ि gets "", and स, already drawn in
सुब्रह्मण्यम as "स", keeps that, so pdftotext, pypdf, search and screen readers read "संह".

The fix rewrites the PDF after WeasyPrint: the text boxes holding such a script are shaped
again (the same Pango layout WeasyPrint drew from), each cluster's text is spread over its
glyphs in drawing order, and every (glyph, text) pair that the font's ToUnicode map does not
already say gets a character code of its own: a new CID drawn with the same glyph
(CIDToGIDMap), with the glyph's width and its own ToUnicode entry.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

# Brahmic scripts (Devanagari to Sinhala), whose syllables reorder and merge glyphs.
_NEEDS_CLUSTERS = re.compile("[\u0900-\u0dff\ua8e0-\ua8ff\u1cd0-\u1cff]")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.DOTALL)
_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")
MAX_CID = 0xFFFF

Glyphs = list[tuple[int, str]]  # glyph id and the text it stands for, in drawing order


def exact_text_layer(document: Any, data: bytes) -> bytes:
    """``data`` (the PDF WeasyPrint wrote for ``document``) with a text layer that reads as the
    source text; the same bytes when no page holds a script that needs it."""
    wanted = [_boxes_needing_clusters(page) for page in document.pages]
    if not any(wanted):
        return data
    pdf = pikepdf.open(io.BytesIO(data))
    fonts: dict[tuple[int, int], _Font] = {}
    for page, boxes in zip(pdf.pages, wanted, strict=True):
        if boxes:
            _recode_page(pdf, page, boxes, fonts)
    if not any(font.added for font in fonts.values()):
        return data
    for font in fonts.values():
        font.finish(pdf)
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _boxes_needing_clusters(page: Any) -> dict[tuple[float, float], Glyphs]:
    """Where (the text matrix's origin) each text box that needs it is drawn, and its glyphs."""
    from weasyprint.formatting_structure.boxes import TextBox

    found: dict[tuple[float, float], Glyphs] = {}
    for box in page._page_box.descendants():
        if not isinstance(box, TextBox) or not _NEEDS_CLUSTERS.search(box.text):
            continue
        if box.style["visibility"] != "visible":
            continue
        glyphs = _shaped(box)
        if glyphs:
            found[_origin(box.position_x, box.position_y + box.baseline)] = glyphs
    return found


def _origin(x: float, y: float) -> tuple[float, float]:
    return (round(float(x), 2), round(float(y), 2))


def _shaped(box: Any) -> Glyphs | None:
    """The glyphs WeasyPrint draws for ``box`` (its layout's first line, as it draws it), each
    with its share of its cluster's text; None if a glyph is missing from the fonts."""
    from weasyprint.text.ffi import ffi, pango

    layout = box.pango_layout
    layout.reactivate(box.style)
    try:
        line, _ = layout.get_first_line()
        utf8 = layout.text.encode()
        out: Glyphs = []
        carrier: int | None = None  # the last glyph that advances, in this run
        run = line.runs[0] if line.runs != ffi.NULL else ffi.NULL
        while run != ffi.NULL:
            item = run.data
            run = run.next
            strings = item.glyphs
            count = strings.num_glyphs
            clusters = [strings.log_clusters[i] for i in range(count)]
            ids = [strings.glyphs[i].glyph for i in range(count)]
            advances = [strings.glyphs[i].geometry.width for i in range(count)]
            if item.item.analysis.level % 2:  # right to left: not a script this handles
                return None
            offset, length = item.item.offset, item.item.length
            carrier = None
            index = 0
            while index < count:
                end = index
                while end < count and clusters[end] == clusters[index]:
                    end += 1
                stop = clusters[end] if end < count else length
                text = utf8[offset + clusters[index] : offset + stop].decode()
                members = [
                    (g, a)
                    for g, a in zip(ids[index:end], advances[index:end], strict=True)
                    if g != pango.PANGO_GLYPH_EMPTY
                ]
                if any(g & pango.PANGO_GLYPH_UNKNOWN_FLAG for g, _ in members):
                    return None
                if members and carrier is not None and not any(a > 0 for _, a in members):
                    # a cluster of marks alone reads with the letter before it
                    out[carrier] = (out[carrier][0], out[carrier][1] + text)
                    out.extend((g, "") for g, _ in members)
                else:
                    start = len(out)
                    out.extend(_spread(text, members))
                    advancing = [start + i for i, (_, a) in enumerate(members) if a > 0]
                    carrier = advancing[-1] if advancing else carrier
                index = end
        return out
    finally:
        layout.deactivate()


def _spread(text: str, members: list[tuple[int, int]]) -> Glyphs:
    """A cluster's text over its glyphs (id, advance), so that read in drawing order they give
    the text: one character to each glyph that advances, the rest to the last of them. A mark
    drawn without advance (an anusvara over its consonant) reads as nothing: given a letter, it
    would sit apart from its neighbours and text extraction would see a word space."""
    carriers = [i for i, (_, advance) in enumerate(members) if advance > 0] or list(
        range(len(members))
    )
    shares = dict.fromkeys(range(len(members)), "")
    for order, i in enumerate(carriers):
        last = order == len(carriers) - 1
        shares[i] = text[order:] if last else text[order : order + 1]
    return [(glyph, shares[i]) for i, (glyph, _) in enumerate(members)]


class _Font:
    """One Type0 font of the PDF: its ToUnicode map, and the codes added to it."""

    def __init__(self, font: Any) -> None:
        self.font = font
        self.descendant = font.DescendantFonts[0]
        self.map: dict[int, str] = {}
        for block in _BFCHAR.findall(font.ToUnicode.read_bytes()):
            for code, text in _PAIR.findall(block):
                self.map[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
        self.widths = cid_widths(self.descendant)
        self.codes: dict[tuple[int, str], int] = {}
        self.added: dict[int, tuple[int, str]] = {}  # new CID: (glyph id, text)
        self.next = max([*self.map, *self.widths, 0]) + 1

    @staticmethod
    def usable(font: Any) -> bool:
        descendant = (font.get("/DescendantFonts") or [None])[0]
        return (
            font.get("/Subtype") == Name.Type0
            and font.get("/Encoding") == Name("/Identity-H")
            and "/ToUnicode" in font
            and descendant is not None
            and descendant.get("/Subtype") == Name.CIDFontType2
            and descendant.get("/CIDToGIDMap", Name.Identity) == Name.Identity
        )

    def code(self, glyph: int, text: str) -> int | None:
        """The code that draws ``glyph`` and reads as ``text``; None if none can be added."""
        if self.map.get(glyph) == text:
            return glyph
        if (glyph, text) not in self.codes:
            if self.next > MAX_CID:
                return None
            self.codes[(glyph, text)] = self.next
            self.added[self.next] = (glyph, text)
            self.next += 1
        return self.codes[(glyph, text)]

    def finish(self, pdf: pikepdf.Pdf) -> None:
        if not self.added:
            return
        top = max(self.added)
        gids = bytearray()
        for cid in range(top + 1):
            gids += self.added.get(cid, (cid, ""))[0].to_bytes(2, "big")
        self.descendant.CIDToGIDMap = pdf.make_stream(bytes(gids))
        widths = list(self.descendant.get("/W", Array()))
        for cid, (glyph, _) in sorted(self.added.items()):
            widths += [cid, Array([self.widths.get(glyph, 0)])]
        self.descendant.W = Array(widths)
        entries = b"".join(
            b"<%04x> <%s>\n" % (cid, text.encode("utf-16-be").hex().encode())
            for cid, (_, text) in sorted(self.added.items())
        )
        cmap = self.font.ToUnicode.read_bytes()
        block = b"%d beginbfchar\n%sendbfchar\n" % (len(self.added), entries)
        at = cmap.rfind(b"endcmap")
        self.font.ToUnicode = pdf.make_stream(cmap[:at] + block + cmap[at:])


def cid_widths(descendant: Any) -> dict[int, float]:
    """Each glyph id's advance in a CID font's descendant (its /W array), the /DW for others."""
    widths: dict[int, float] = {}
    entries, index = list(descendant.get("/W", [])), 0
    while index + 1 < len(entries):
        first = int(entries[index])
        if isinstance(entries[index + 1], Array):
            for offset, value in enumerate(entries[index + 1]):
                widths[first + offset] = float(value)
            index += 2
        else:
            last, value = int(entries[index + 1]), float(entries[index + 2])
            widths.update(dict.fromkeys(range(first, last + 1), value))
            index += 3
    default = float(descendant.get("/DW", 1000))
    return defaultdict(lambda: default, widths)


def _recode_page(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    boxes: dict[tuple[float, float], Glyphs],
    fonts: dict[Any, _Font],
) -> None:
    """Re-encode the text objects drawn at the boxes' origins; a text object whose glyphs are not
    the ones expected is left as it was."""
    resources: Any = page.obj.get("/Resources", Dictionary()).get("/Font", Dictionary())
    instructions = list(pikepdf.parse_content_stream(page))
    changed = False
    index = 0
    while index < len(instructions):
        if str(instructions[index].operator) != "BT":
            index += 1
            continue
        end = index
        while end < len(instructions) and str(instructions[end].operator) != "ET":
            end += 1
        block = instructions[index : end + 1]
        origin = next(
            (
                _origin(float(i.operands[4]), float(i.operands[5]))
                for i in block
                if str(i.operator) == "Tm"
            ),
            None,
        )
        glyphs = boxes.get(origin) if origin is not None else None
        if glyphs is not None:
            recoded = _recode_block(block, glyphs, resources, fonts)
            if recoded is not None:
                instructions[index : end + 1] = recoded
                changed = True
        index = end + 1
    if changed:
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))


def _recode_block(
    block: list[Any], glyphs: Glyphs, resources: Any, fonts: dict[Any, _Font]
) -> list[Any] | None:
    out: list[Any] = []
    font: _Font | None = None
    position = 0
    for instruction in block:
        operator, operands = str(instruction.operator), instruction.operands
        if operator == "Tf":
            pdf_font = resources.get(str(operands[0]))
            font = None
            if pdf_font is not None and _Font.usable(pdf_font):
                if pdf_font.objgen not in fonts:
                    fonts[pdf_font.objgen] = _Font(pdf_font)
                font = fonts[pdf_font.objgen]
        if operator not in ("TJ", "Tj"):
            out.append(instruction)
            continue
        items = list(operands[0]) if operator == "TJ" else [operands[0]]
        new_items: list[Any] = []
        for item in items:
            if not isinstance(item, String):
                new_items.append(item)
                continue
            raw = bytes(item)
            codes = bytearray()
            for at in range(0, len(raw), 2):
                glyph = int.from_bytes(raw[at : at + 2], "big")
                if position >= len(glyphs) or glyphs[position][0] != glyph:
                    return None  # not drawn as shaped here: leave it
                code = glyph if font is None else font.code(glyph, glyphs[position][1])
                if code is None:
                    return None
                codes += code.to_bytes(2, "big")
                position += 1
            new_items.append(String(bytes(codes)))
        if operator == "TJ":
            out.append(pikepdf.ContentStreamInstruction([Array(new_items)], pikepdf.Operator("TJ")))
        else:
            out.append(pikepdf.ContentStreamInstruction(new_items, pikepdf.Operator("Tj")))
    return out if position == len(glyphs) else None
