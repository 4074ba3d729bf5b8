"""Word styles and numbering: the reference document's style names, one numbering definition
per kind of list, and the scale a brief is set at."""

from __future__ import annotations

from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from ijbrief.writers.docx_base import _BULLETS, _LIST_INDENT, W_NS, W_PPR, W_RPR, W_VAL, Element, _w


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

        # Each style's own Latin face and the style it is based on, for the face a run's text
        # is set in (a name in Japanese or Devanagari takes the matching serif or sans).
        self._fonts: dict[str, str | None] = {}
        self._based: dict[str, str] = {}
        self._default_paragraph: str | None = None
        for style in styles_el.iterchildren(_w("style")):
            style_id = style.get(_w("styleId"))
            if style_id is None:
                continue
            fonts = style.find(f"{W_RPR}/{_w('rFonts')}")
            self._fonts[style_id] = None if fonts is None else fonts.get(_w("ascii"))
            based = style.find(_w("basedOn"))
            if based is not None:
                self._based[style_id] = based.get(W_VAL, "")
            if style.get(_w("type")) == "paragraph" and style.get(_w("default")) in ("1", "true"):
                self._default_paragraph = style_id
        defaults = styles_el.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{W_RPR}/{_w('rFonts')}")
        self._default_font = None if defaults is None else defaults.get(_w("ascii"))

    def face(self, pstyle: str | None, cstyle: str | None) -> str | None:
        """The Latin face of text in character style ``cstyle`` in a paragraph of ``pstyle``."""
        for start in (cstyle, pstyle or self._default_paragraph):
            seen: set[str] = set()
            style_id = start
            while style_id and style_id not in seen:
                seen.add(style_id)
                font = self._fonts.get(style_id)
                if font:
                    return font
                style_id = self._based.get(style_id)
        return self._default_font

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


def _apply_language(styles_el: Element, lang: str | None) -> str:
    """Make the document's default language (``w:lang`` in the defaults) the HTML's, keeping the
    reference's own tag when it names the same language more closely ("en-GB" for "en"); the
    language it gives, for the core properties ("" when neither says)."""
    lang = (lang or "").strip()
    defaults = styles_el.find(_w("docDefaults"))
    if defaults is None:
        defaults = etree.Element(_w("docDefaults"))
        styles_el.insert(0, defaults)
    rpr_default = defaults.find(_w("rPrDefault"))
    if rpr_default is None:
        rpr_default = etree.Element(_w("rPrDefault"))
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(W_RPR)
    if rpr is None:
        rpr = etree.SubElement(rpr_default, W_RPR)
    lang_el = rpr.find(_w("lang"))
    current = "" if lang_el is None else lang_el.get(W_VAL, "")
    if not lang or current.split("-")[0].lower() == lang.split("-")[0].lower():
        return current or lang
    if lang_el is None:
        # w:lang comes last in a w:rPr but for the revision marks and East Asian layout
        lang_el = etree.Element(_w("lang"))
        later = next(
            (c for c in rpr if c.tag in {_w("eastAsianLayout"), _w("specVanish"), _w("oMath")}),
            None,
        )
        if later is None:
            rpr.append(lang_el)
        else:
            later.addprevious(lang_el)
    lang_el.set(W_VAL, lang)
    return lang


# LibreOffice tags a paragraph in its tagged PDF by its style's name: a style called "Figure"
# makes every paragraph of it a Figure (with no alternative text) around the image it holds.
_STRUCTURE_TYPES = frozenset(
    {"figure", "formula", "form", "table", "link", "annot", "note", "reference", "index"}
)


def _rename_structure_styles(styles_el: Element) -> None:
    """Rename styles named like a PDF structure type ("Figure" becomes "Figure Paragraph")."""
    for style in styles_el.iterchildren(_w("style")):
        name = style.find(_w("name"))
        if name is not None and name.get(W_VAL, "").lower() in _STRUCTURE_TYPES:
            kind = "Paragraph" if style.get(_w("type"), "paragraph") == "paragraph" else "Style"
            name.set(W_VAL, f"{name.get(W_VAL)} {kind}")
