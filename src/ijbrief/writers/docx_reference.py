"""Generate the default reference DOCX files (styles, A4 page setup, header) for each audience.

Some 530 lines because a reference document is a whole style sheet made in code (every paragraph,
character, table and numbering style Word shows by name, for three looks); splitting it by style
family would scatter one audience's look over several files."""

from __future__ import annotations

import argparse
import functools
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from ijbrief.writers.docx import HI_FONT, JA_FONT, W_NS, normalise_zip

__all__ = ["AUDIENCES", "Look", "look_of", "main", "make_reference", "reference_bytes"]

# A4 with the PDF's margins (17 mm top, 18 mm bottom, 16 mm sides) so both formats break lines
# alike; header and footer 8 mm from the edge. In twentieths of a point (1 mm = 56.7).
PAGE_W, PAGE_H = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE, HEADER_GAP = 964, 1020, 907, 454
TEXT_W = PAGE_W - 2 * MARGIN_SIDE
GREY, DARK, RULE = "595959", "262626", "BFBFBF"
RAISE_COLOUR, AVOID_COLOUR = "2E7D32", "A23B2A"

# Fixed so that regenerating a reference gives the same bytes.
REFERENCE_DATE = datetime(2024, 1, 1)


@dataclass(frozen=True)
class Look:
    """The visual identity of one audience's reference document."""

    body_font: str
    heading_font: str
    accent: str
    banner: str | None


# Fonts and accents follow each audience's branding in templates/<audience>/audience.yaml.
# The DOCX writer puts the project's title (project.yaml) for {project} in a banner.
AUDIENCES: dict[str, Look] = {
    "minister": Look("Noto Serif", "Noto Sans", "1F3A5F", "{project} · Ministerial brief"),
    "analyst": Look("Noto Serif", "Noto Sans", "0F5257", "{project} · Analyst brief"),
    "student": Look("Noto Sans", "Noto Sans", "5B2A86", "{project} · Student brief"),
}

_HEX = re.compile(r"[0-9A-Fa-f]{6}")


def look_of(spec: Any) -> Look:
    """The look an audience's audience.yaml asks for (``spec`` an AudienceSpec): its fonts, its
    accent and, in the header, its label."""
    branding = spec.branding
    banner = f"{{project}} · {spec.label}"  # the DOCX writer fills in the project's title
    return Look(branding.body_font, branding.heading_font, branding.accent[1:].upper(), banner)


def matches(look: Look, other: Look) -> bool:
    """Whether two looks give the same styles (a built-in's banner is its own wording)."""
    return (look.body_font, look.heading_font, look.accent.upper()) == (
        other.body_font,
        other.heading_font,
        other.accent.upper(),
    )


def _tint(colour: str, amount: float) -> str:
    """Mix ``colour`` with white; ``amount`` 0 keeps the colour, 1 gives white."""
    channels = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return "".join(f"{round(c + (255 - c) * amount):02X}" for c in channels)


def _styles_xml(body: str, heading: str, accent: str) -> str:
    """The complete styles.xml: document defaults, Word's built-in styles and the class styles."""
    tint = _tint(accent, 0.9)
    band = _tint(accent, 0.95)
    hfont = f'<w:rFonts w:ascii="{heading}" w:hAnsi="{heading}"/>'
    right_tab = f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_W}"/></w:tabs>'

    def style(
        kind: str,
        style_id: str,
        name: str,
        *,
        ppr: str = "",
        rpr: str = "",
        based: str | None = "Normal",
        next_id: str | None = None,
        extra: str = "",
        flags: str = "<w:qFormat/>",
        default: bool = False,
        aliases: str = "",
    ) -> str:
        head = f'<w:style w:type="{kind}" w:styleId="{style_id}"'
        head += ' w:default="1">' if default else ">"
        head += f'<w:name w:val="{name}"/>'
        if aliases:
            head += f'<w:aliases w:val="{aliases}"/>'
        if based:
            head += f'<w:basedOn w:val="{based}"/>'
        if next_id:
            head += f'<w:next w:val="{next_id}"/>'
        head += flags
        if ppr:
            head += f"<w:pPr>{ppr}</w:pPr>"
        if rpr:
            head += f"<w:rPr>{rpr}</w:rPr>"
        return head + extra + "</w:style>"

    def para(style_id: str, name: str, ppr: str = "", rpr: str = "", **kw: Any) -> str:
        return style("paragraph", style_id, name, ppr=ppr, rpr=rpr, **kw)

    def char(style_id: str, name: str, rpr: str, aliases: str = "") -> str:
        return style(
            "character", style_id, name, rpr=rpr, based="DefaultParagraphFont", aliases=aliases
        )

    def sz(half_points: int) -> str:
        return f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'

    def colour(value: str) -> str:
        return f'<w:color w:val="{value}"/>'

    def spacing(before: int = 0, after: int = 0) -> str:
        return f'<w:spacing w:before="{before}" w:after="{after}"/>'

    def bar(colour_value: str) -> str:
        return (
            f'<w:pBdr><w:left w:val="single" w:sz="18" w:space="6" w:color="{colour_value}"/>'
            "</w:pBdr>"
        )

    box = "".join(
        f'<w:{side} w:val="single" w:sz="6" w:space="4" w:color="{accent}"/>'
        for side in ("top", "left", "bottom", "right")
    )
    heading_ppr = "<w:keepNext/><w:keepLines/>"

    styles = [
        # ---- defaults Word expects
        style(
            "paragraph",
            "Normal",
            "Normal",
            based=None,
            default=True,
            ppr="<w:widowControl/>",
            rpr=(
                f'<w:rFonts w:ascii="{body}" w:eastAsia="{JA_FONT}" w:hAnsi="{body}" '
                f'w:cs="{HI_FONT}"/>'
            ),
        ),
        style(
            "character",
            "DefaultParagraphFont",
            "Default Paragraph Font",
            based=None,
            default=True,
            flags='<w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/>',
        ),
        style(
            "table",
            "TableNormal",
            "Normal Table",
            based=None,
            default=True,
            flags='<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>',
            extra=(
                '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
                '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
                '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
                "</w:tblCellMar></w:tblPr>"
            ),
        ),
        style(
            "numbering",
            "NoList",
            "No List",
            based=None,
            default=True,
            flags='<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/>',
        ),
        # ---- built-in paragraph styles
        para(
            "Title", "Title", spacing(0, 60), hfont + "<w:b/>" + colour(accent) + sz(40),
            next_id="Normal",
        ),
        para(
            "Subtitle", "Subtitle", spacing(0, 160), hfont + colour(GREY) + sz(26),
            next_id="Normal",
        ),
        para(
            "Heading1", "heading 1", heading_ppr + spacing(200, 80) + '<w:outlineLvl w:val="0"/>',
            hfont + "<w:b/>" + colour(accent) + sz(30), next_id="Normal",
        ),
        para(
            "Heading2", "heading 2", heading_ppr + spacing(160, 40) + '<w:outlineLvl w:val="1"/>',
            hfont + "<w:b/>" + colour(accent) + sz(24), next_id="Normal",
        ),
        para(
            "Heading3", "heading 3", heading_ppr + spacing(60, 20) + '<w:outlineLvl w:val="2"/>',
            hfont + "<w:b/>" + colour(DARK) + sz(20), next_id="Normal",
        ),
        para(
            "Heading4", "heading 4", heading_ppr + spacing(80, 20) + '<w:outlineLvl w:val="3"/>',
            hfont + "<w:b/><w:i/>" + colour(DARK) + sz(19), next_id="Normal",
        ),
        para(
            "Quote", "Quote",
            bar(accent) + spacing(40, 20) + '<w:ind w:left="340" w:right="284"/>',
            "<w:i/><w:iCs/>" + colour(DARK),
        ),
        para(
            "QuoteAttribution", "Quote Attribution",
            spacing(0, 60) + '<w:ind w:left="340" w:right="284"/><w:jc w:val="right"/>',
            "<w:smallCaps/>" + colour(GREY) + sz(17),
        ),
        para(
            "Caption", "caption", spacing(40, 160), "<w:i/>" + colour(GREY) + sz(16),
            next_id="Normal",
        ),
        para("Figure", "Figure", "<w:keepNext/>" + spacing(120, 40) + '<w:jc w:val="center"/>',
             next_id="Caption"),
        para(
            "TOCHeading", "TOC Heading",
            "<w:keepNext/>" + spacing(0, 160) + '<w:outlineLvl w:val="9"/>',
            hfont + "<w:b/>" + colour(accent) + sz(28), next_id="Normal",
        ),
        para("TOC1", "toc 1", right_tab + spacing(80, 20), "<w:b/>", next_id="Normal",
             flags='<w:uiPriority w:val="39"/><w:unhideWhenUsed/>'),
        para(
            "TOC2", "toc 2", right_tab + spacing(0, 20) + '<w:ind w:left="284"/>',
            next_id="Normal", flags='<w:uiPriority w:val="39"/><w:unhideWhenUsed/>',
        ),
        para(
            "Header", "header",
            f'<w:pBdr><w:bottom w:val="single" w:sz="4" w:space="4" w:color="{accent}"/></w:pBdr>'
            f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_W}"/></w:tabs>' + spacing(0, 0),
            hfont + colour(GREY) + sz(16), flags='<w:uiPriority w:val="99"/><w:unhideWhenUsed/>',
        ),
        para(
            "Footer", "footer", spacing(0, 0) + '<w:jc w:val="center"/>',
            hfont + colour(GREY) + sz(16), flags='<w:uiPriority w:val="99"/><w:unhideWhenUsed/>',
        ),
        para("ListBullet", "List Bullet", spacing(0, 20)),
        para("ListNumber", "List Number", spacing(0, 20)),
        # ---- the project's class styles (class "bottom-line" -> style "Bottom Line")
        para(
            "Banner", "Banner", spacing(0, 80) + '<w:jc w:val="center"/>',
            hfont + "<w:b/><w:smallCaps/>" + colour(accent) + '<w:spacing w:val="20"/>' + sz(17),
        ),
        para("BriefMeta", "Brief Meta", spacing(0, 100), colour(GREY) + sz(17),
             aliases="Meta,Chapter Meta"),
        para(
            "BottomLine", "Bottom Line",
            f'<w:pBdr>{box}</w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="{tint}"/>'
            + spacing(60, 120) + '<w:ind w:left="85" w:right="85"/>',
        ),
        para(
            "SectionLabel", "Section Label", "<w:keepNext/>" + spacing(100, 30),
            hfont + "<w:b/><w:caps/>" + colour(accent) + '<w:spacing w:val="10"/>' + sz(16),
            next_id="Normal", aliases="Kicker",
        ),
        para("SourceList", "Source List", spacing(0, 10), colour(DARK) + sz(15), aliases="Sources"),
        para("Small", "Small", spacing(0, 60), sz(16)),
        para(
            "CoverTitle", "Cover Title", spacing(2835, 240),
            hfont + "<w:b/>" + colour(accent) + sz(56), next_id="CoverSubtitle",
        ),
        para("CoverSubtitle", "Cover Subtitle", spacing(0, 480), hfont + colour(GREY) + sz(28)),
        para("Prepared", "Prepared", spacing(240, 60), hfont + colour(GREY) + sz(18),
             aliases="Cover Meta"),
        para(
            "Timeline", "Timeline",
            f'<w:pBdr><w:left w:val="single" w:sz="8" w:space="6" w:color="{RULE}"/></w:pBdr>'
            + spacing(0, 40) + '<w:ind w:left="170"/>',
            sz(19),
        ),
        para(
            "TalkingPoint", "Talking Point", bar(accent) + spacing(0, 30) + '<w:ind w:left="170"/>'
        ),
        para("Raise", "Raise", bar(RAISE_COLOUR) + spacing(0, 30) + '<w:ind w:left="170"/>'),
        para("Avoid", "Avoid", bar(AVOID_COLOUR) + spacing(0, 30) + '<w:ind w:left="170"/>'),
        # ---- character styles
        style(
            "character", "Hyperlink", "Hyperlink", based="DefaultParagraphFont",
            flags='<w:uiPriority w:val="99"/><w:unhideWhenUsed/>',
            rpr=colour(accent) + '<w:u w:val="single"/>',
        ),
        char("Citation", "Citation", colour(GREY) + '<w:vertAlign w:val="superscript"/>'),
        char("NativeName", "Native Name", "<w:noProof/>", aliases="Native"),
        char("Status", "Status", "<w:b/><w:bCs/><w:smallCaps/>" + colour(accent)),
        char("GlossaryTerm", "Glossary Term", "<w:b/><w:bCs/>"),
        char("Label", "Label", hfont + "<w:b/><w:bCs/><w:smallCaps/>" + colour(accent)),
        # ---- table style: accent rules, shaded header row repeated on each page
        style(
            "table", "BriefTable", "Brief Table", based="TableNormal",
            ppr='<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>',
            rpr=sz(18),
            extra=(
                "<w:tblPr><w:tblBorders>"
                f'<w:top w:val="single" w:sz="8" w:space="0" w:color="{accent}"/>'
                f'<w:bottom w:val="single" w:sz="8" w:space="0" w:color="{accent}"/>'
                f'<w:insideH w:val="single" w:sz="4" w:space="0" w:color="{RULE}"/>'
                "</w:tblBorders><w:tblCellMar>"
                '<w:top w:w="20" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
                '<w:bottom w:w="20" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
                "</w:tblCellMar></w:tblPr>"
                '<w:tblStylePr w:type="firstRow"><w:pPr><w:keepNext/></w:pPr>'
                '<w:rPr><w:rFonts w:ascii="' + heading + '" w:hAnsi="' + heading + '"/>'
                '<w:b/><w:bCs/><w:color w:val="FFFFFF"/></w:rPr>'
                "<w:trPr><w:tblHeader/></w:trPr>"
                f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{accent}"/></w:tcPr>'
                "</w:tblStylePr>"
                '<w:tblStylePr w:type="band2Horz">'
                f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{band}"/></w:tcPr>'
                "</w:tblStylePr>"
            ),
        ),
    ]  # fmt: skip
    defaults = (
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'<w:rFonts w:ascii="{body}" w:eastAsia="{JA_FONT}" w:hAnsi="{body}" w:cs="{HI_FONT}"/>'
        + sz(20)
        + '<w:lang w:val="en-GB" w:eastAsia="ja-JP" w:bidi="hi-IN"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
        '<w:spacing w:after="60" w:line="240" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    return f'<w:styles xmlns:w="{W_NS}">{defaults}{"".join(styles)}</w:styles>'


_FONT_FAMILIES = {"Noto Serif": "roman", "Noto Sans": "swiss"}


def _font_table_xml(fonts: list[str]) -> str:
    entries = "".join(
        f'<w:font w:name="{name}"><w:charset w:val="{"80" if name == JA_FONT else "00"}"/>'
        f'<w:family w:val="{_FONT_FAMILIES.get(name, "auto")}"/><w:pitch w:val="variable"/>'
        "</w:font>"
        for name in fonts
    )
    return f'<w:fonts xmlns:w="{W_NS}">{entries}</w:fonts>'


_XML_DECLARATION = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
_APP_XML = _XML_DECLARATION + (
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Template>Normal.dotm</Template><TotalTime>0</TotalTime><Application>ijbrief</Application>"
    b"<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
    b"<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    b"<AppVersion>16.0000</AppVersion></Properties>"
)

_DROPPED_RELATIONSHIPS = ("/thumbnail", "/stylesWithEffects", "/customXml")


def _replace_children(root: Any, xml: str) -> None:
    for child in list(root):
        root.remove(child)
    for child in etree.fromstring(xml):
        root.append(child)


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _clean_settings(settings: Any) -> None:
    """Drop editing history (rsids, document id, preview picture); use Word 2013+ layout."""
    for child in list(settings):
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in ("rsids", "docId", "savePreviewPicture", "attachedTemplate", "proofState"):
            settings.remove(child)
    for compat in settings.iter(_w("compatSetting")):
        if compat.get(_w("name")) == "compatibilityMode":
            compat.set(_w("val"), "15")


def _specimen(document: Any) -> None:
    """A short page showing every style, so the reference can be reviewed in Word."""
    document.add_paragraph("Reference document: style specimen", style="Title")
    document.add_paragraph("Each paragraph below is set in the style it names.", style="Subtitle")
    document.add_paragraph("Restricted · for official use", style="Banner")
    document.add_paragraph("Brief Meta: 2024-08-20 · New Delhi · 2+2 Dialogue", style="Brief Meta")
    for level in (1, 2, 3, 4):
        document.add_paragraph(f"Heading {level}", style=f"Heading {level}")
    document.add_paragraph(
        "Bottom Line: the one paragraph a reader must take away.", style="Bottom Line"
    )
    document.add_paragraph("Section Label", style="Section Label")
    body = document.add_paragraph("Normal text with a ")
    body.add_run("Hyperlink", style="Hyperlink")
    body.add_run(", a citation")
    body.add_run("[1]", style="Citation")
    body.add_run(", a ")
    body.add_run("Status", style="Status")
    body.add_run(", a ")
    body.add_run("Glossary Term", style="Glossary Term")
    body.add_run(" and a native name: ")
    body.add_run("茂木 敏充", style="Native Name")
    body.add_run(" / ")
    body.add_run("सुब्रह्मण्यम जयशंकर", style="Native Name")
    body.add_run(".")
    document.add_paragraph("List Bullet (the writer adds the bullets)", style="List Bullet")
    document.add_paragraph("List Number (the writer adds the numbers)", style="List Number")
    document.add_paragraph("Quote: words spoken at the meeting.", style="Quote")
    document.add_paragraph("— Quote Attribution", style="Quote Attribution")
    document.add_paragraph("Talking Point", style="Talking Point")
    document.add_paragraph("Raise", style="Raise")
    document.add_paragraph("Avoid", style="Avoid")
    document.add_paragraph("Timeline: 2022-03-19 — Annual summit, New Delhi", style="Timeline")
    table = document.add_table(rows=3, cols=3)
    table.style = document.styles["Brief Table"]
    for row_index, row in enumerate(table.rows):
        for col_index, cell in enumerate(row.cells):
            cell.text = "Brief Table header" if row_index == 0 else f"Cell {row_index}.{col_index}"
    document.add_paragraph("Caption: Figure 1. Bilateral trade, 2014–2024.", style="Caption")
    document.add_paragraph(
        "Source List: [1] Ministry of External Affairs, 2024.", style="Source List"
    )
    document.add_paragraph("Small: fine print.", style="Small")
    document.add_paragraph(
        "Prepared by the ijbrief editors. (Cover Title and Cover Subtitle start a dossier's"
        " first page and are not shown here.)",
        style="Prepared",
    )


def make_reference(
    path: Path, *, body_font: str, heading_font: str, accent: str, banner: str | None
) -> None:
    """Write a reference DOCX: A4, 2 cm margins, every style ijbrief uses, optional header banner.

    The banner sits after a right-aligned tab in the header, so the DOCX writer can put the
    running header text in front of it on the same line.
    """
    data = reference_bytes(Look(body_font, heading_font, accent, banner))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@functools.lru_cache(maxsize=16)
def reference_bytes(look: Look) -> bytes:
    """The reference DOCX of ``look``, as bytes (see ``make_reference``)."""
    import docx
    from docx.shared import RGBColor, Twips

    body_font, heading_font, banner = look.body_font, look.heading_font, look.banner
    if not _HEX.fullmatch(look.accent):
        raise ValueError(f"accent must be six hex digits like 1F3A5F, got {look.accent!r}")
    accent = look.accent.upper()
    document = docx.Document()
    package = document.part.package

    for rels in (package.rels, document.part.rels):
        for rid in [r for r, rel in rels.items() if rel.reltype.endswith(_DROPPED_RELATIONSHIPS)]:
            del rels[rid]
    _replace_children(document.styles.element, _styles_xml(body_font, heading_font, accent))
    numbering = document.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    _clean_settings(document.settings.element)
    for part in package.iter_parts():
        if part.partname == "/docProps/app.xml":
            part._blob = _APP_XML
        elif part.partname == "/word/fontTable.xml":
            fonts = sorted({body_font, heading_font, JA_FONT, HI_FONT})
            part._blob = _XML_DECLARATION + _font_table_xml(fonts).encode()

    section = document.sections[0]
    sect_pr = section._sectPr
    for attr in list(sect_pr.attrib):
        if etree.QName(attr).localname.startswith("rsid"):
            del sect_pr.attrib[attr]
    section.page_width, section.page_height = Twips(PAGE_W), Twips(PAGE_H)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin = section.right_margin = Twips(MARGIN_SIDE)
    section.header_distance = Twips(HEADER_GAP)
    section.footer_distance = Twips(HEADER_GAP)
    if banner:
        header_p = section.header.paragraphs[0]
        header_p.style = document.styles["Header"]
        run = header_p.add_run("\t" + banner)
        run.font.small_caps = True
        run.font.color.rgb = RGBColor.from_string(accent)

    _specimen(document)

    props = document.core_properties
    props.title = "ijbrief reference document"
    props.subject = "Styles and page setup for ijbrief DOCX output"
    props.author = props.last_modified_by = "ijbrief"
    props.comments = props.keywords = props.category = ""
    props.revision = 1
    props.created = props.modified = props.last_printed = REFERENCE_DATE

    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    """``python -m ijbrief.writers.docx_reference templates`` writes the built-in audiences'
    references (a project's own audience gets one with ``ijbrief templates reference NAME``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("templates", type=Path, nargs="?", default=Path("templates"))
    args = parser.parse_args(argv)
    for audience, look in AUDIENCES.items():
        target = args.templates / audience / "reference.docx"
        make_reference(
            target,
            body_font=look.body_font,
            heading_font=look.heading_font,
            accent=look.accent,
            banner=look.banner,
        )
        print(target)


if __name__ == "__main__":
    main()
