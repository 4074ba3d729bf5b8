"""One embedded program per font in a merged PDF: each part embeds its own subset of the same font
(WeasyPrint keeps glyph ids when it subsets), so the subsets can be joined glyph by glyph."""

from __future__ import annotations

import copy
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

import fontTools
import pikepdf
from fontTools.ttLib import TTFont


class JoinedFonts(Protocol):
    """Where joined programs are kept between builds, by the programs they were joined from."""

    def get_blob(self, key: str) -> bytes | None: ...

    def put_blob(self, key: str, data: bytes) -> None: ...


def share_fonts(pdf: pikepdf.Pdf, kept: JoinedFonts | None = None) -> list[str]:
    """Point every font descriptor of the same font at one program holding all their glyphs;
    return the keys of the joined programs used (found in or added to ``kept``)."""
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        fonts: Any = page.obj.get("/Resources", pikepdf.Dictionary()).get("/Font", {})
        for font in fonts.values():
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is None or descriptor.objgen in seen:
                    continue
                seen.add(descriptor.objgen)
                for key in ("/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        name = str(descriptor.get("/FontName", "")).partition("+")[2]
                        groups[(name, key)].append(descriptor)
    used: list[str] = []
    for (_, key), descriptors in groups.items():
        programs: dict[str, Any] = {}
        for descriptor in descriptors:
            stream = descriptor[key]
            programs.setdefault(hashlib.sha256(stream.read_raw_bytes()).hexdigest(), stream)
        if len(programs) == 1:
            shared = next(iter(programs.values()))
        else:
            # fontTools joins them: another version may join them otherwise.
            joined_by = fontTools.version + "".join(sorted(programs))
            blob_key = "font-" + hashlib.sha256(joined_by.encode()).hexdigest()
            data = kept.get_blob(blob_key) if kept else None
            if data is None:
                data = (
                    _joined_truetype(list(programs.items()))
                    if key == "/FontFile2"
                    else _joined_cff(list(programs.values()))
                )
                if data is None:
                    continue  # programs that cannot be joined stay one per part
                if kept:
                    kept.put_blob(blob_key, data)
            used.append(blob_key)
            if key == "/FontFile2":
                shared = pdf.make_stream(data, Length1=len(data))
            else:
                shared = pdf.make_stream(data, Subtype=pikepdf.Name.OpenType)
        for descriptor in descriptors:
            descriptor[key] = shared
    return used


def _joined_truetype(programs: list[tuple[str, Any]]) -> bytes:
    """A TrueType program with every glyph that any of the subsets (by digest) has. The one with
    the most glyph slots takes, slot by slot, the glyphs it lacks from the first subset that
    draws them; only those subsets are parsed, and a long-lived process keeps them parsed."""
    streams = dict(programs)
    slots = {digest: _glyph_slots(digest, stream) for digest, stream in programs}
    base_digest = max(slots, key=lambda digest: slots[digest].count)
    base = _font(streams[base_digest])
    order = base.getGlyphOrder()
    glyf, hmtx = base["glyf"], base["hmtx"]
    drawn = set(slots[base_digest].drawn)
    for digest, subset in slots.items():
        lacking = [gid for gid in subset.drawn if gid not in drawn]
        if not lacking:
            continue
        drawn.update(lacking)
        font = _parsed(digest, streams[digest])
        other_order, other_glyf, other_hmtx = font.getGlyphOrder(), font["glyf"], font["hmtx"]
        for gid in lacking:
            name, other_name = order[gid], other_order[gid]
            glyph = other_glyf[other_name]
            if glyph.isComposite():
                glyph = copy.deepcopy(glyph)  # its components are renamed for the base
                glyph.expand(other_glyf)
                for component in glyph.components:
                    component.glyphName = order[font.getGlyphID(component.glyphName)]
            glyf[name] = glyph
            hmtx[name] = other_hmtx[other_name]
    return _saved(base)


@dataclass(frozen=True)
class _Slots:
    """A subset's glyph slots: how many, and which hold a glyph (the rest are left empty)."""

    count: int
    drawn: tuple[int, ...]


# What joining learnt of each subset, by digest. A long-lived process joins a font again whenever
# an edit changes the glyphs one part uses: parsing every subset again took most of that.
_SLOTS: dict[str, _Slots] = {}
_PARSED: dict[str, Any] = {}
MAX_KEPT = 4096


def _glyph_slots(digest: str, stream: Any) -> _Slots:
    """Read from the glyph locations alone: an empty slot has no bytes (a tenth of the time of
    parsing the glyphs)."""
    slots = _SLOTS.get(digest)
    if slots is None:
        if len(_SLOTS) >= MAX_KEPT:
            _SLOTS.clear()
        locations = _font(stream)["loca"].locations
        drawn = (gid for gid in range(len(locations) - 1) if locations[gid + 1] > locations[gid])
        slots = _SLOTS[digest] = _Slots(len(locations) - 1, tuple(drawn))
    return slots


def _parsed(digest: str, stream: Any) -> Any:
    font = _PARSED.get(digest)
    if font is None:
        if len(_PARSED) >= MAX_KEPT:
            _PARSED.clear()
        font = _PARSED[digest] = _font(stream)
    return font


def _joined_cff(streams: list[Any]) -> bytes | None:
    """An OpenType (CFF) program with every glyph that any of the subsets has, or None if the
    subsets do not share their font dictionaries (the glyphs could not be moved between them)."""
    fonts = [_font(stream) for stream in streams]
    if any("CFF " not in font for font in fonts):
        return None
    base = max(fonts, key=lambda font: font["maxp"].numGlyphs)
    top = base["CFF "].cff.topDictIndex[0]
    charstrings = top.CharStrings.charStringsIndex
    if not hasattr(charstrings, "offsets"):
        return None
    sizes = [charstrings.offsets[i + 1] - charstrings.offsets[i] for i in range(len(charstrings))]
    dictionaries = _font_dictionaries(top)
    for font in fonts:
        if font is base:
            continue
        other = font["CFF "].cff.topDictIndex[0]
        other_charstrings = other.CharStrings.charStringsIndex
        if _font_dictionaries(other) != dictionaries or not hasattr(other_charstrings, "offsets"):
            return None
        offsets = other_charstrings.offsets
        for gid in range(len(other_charstrings)):
            size = offsets[gid + 1] - offsets[gid]
            # An unused glyph is kept as an empty charstring: the longer one is the real glyph.
            if size > sizes[gid]:
                charstrings[gid] = other_charstrings[gid]
                sizes[gid] = size
                if dictionaries:
                    top.FDSelect[gid] = other.FDSelect[gid]
    return _saved(base)


def _font_dictionaries(top: Any) -> list[str]:
    """The names of a CID-keyed font's sub-fonts, in order (empty for a name-keyed font)."""
    return [str(getattr(fd, "FontName", "")) for fd in getattr(top, "FDArray", [])]


def _font(stream: Any) -> Any:
    # Bounding boxes are in the PDF's font descriptor already (recomputing them takes most of
    # the time), and a timestamp in the program would make every build differ.
    return TTFont(io.BytesIO(stream.read_bytes()), recalcBBoxes=False, recalcTimestamp=False)


def _saved(font: Any) -> bytes:
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
