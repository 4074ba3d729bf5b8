"""The DOCX writer: HTML in, a Word document with real styles, lists, fields and bookmarks out."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import docx
import pytest
from lxml import etree
from PIL import Image, ImageDraw
from pypdf import PdfReader

from ijbrief.writers.docx import DocxMeta, html_to_docx, split_scripts
from ijbrief.writers.docx_reference import AUDIENCES, make_reference

REPO = Path(__file__).resolve().parents[2]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
TEXT_WIDTH_EMU = (11906 - 2 * 907) * 635  # A4 less 16 mm side margins

MOTEGI = "茂木 敏充"
JAISHANKAR = "सुब्रह्मण्यम जयशंकर"
DIALOGUE = "13th India–Japan Foreign Ministers' Strategic Dialogue"
LONG_ID = "ag-" + "very-long-agreement-identifier-" * 3

SAMPLE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Head title must not appear</title>
<style>body {{ color: red; }} .secret::after {{ content: "STYLE TEXT"; }}</style>
<script>document.write("SCRIPT TEXT")</script></head>
<body class="dossier audience-minister">
<section class="cover" id="cover">
  <div class="banner">Restricted — for ministerial use</div>
  <h1 class="cover-title">India–Japan: ministerial dossier</h1>
  <p class="cover-subtitle">Meetings, commitments and where each stands</p>
</section>
<nav class="toc" id="contents">
  <h2>Contents</h2>
  <ol>
    <li data-level="1"><a href="#overview">Overview</a> <span class="toc-page">3</span></li>
    <li data-level="1"><a href="#ch-fmsd-13">13th India–Japan Foreign Ministers' Strategic Dialogue</a>
        <span class="toc-page">5</span></li>
    <li data-level="2"><a href="#{LONG_ID}">Acquisition and Cross-Servicing Agreement</a>
        <span class="toc-page">7</span></li>
  </ol>
</nav>
<section class="chapter" id="overview">
  <h1>Overview</h1>
  <p>This dossier covers <strong>four</strong> meetings; see the
     <a href="https://www.mea.gov.in/bilateral-documents.htm">MEA archive</a>,
     <a href="mailto:desk@example.org">the desk</a> and
     <a href="#ch-fmsd-13">the 13th dialogue</a>.<br>Second line of the same paragraph.</p>
  <figure class="timeline" data-figure="timeline">
    <svg width="10" height="10"><text>SVG TEXT</text></svg>
    <figcaption>Figure 1. The meetings in this dossier, by date.</figcaption>
  </figure>
  <svg><text>STRAY SVG</text></svg>
</section>
<section class="chapter meeting-chapter" id="ch-fmsd-13">
  <h1>13th India–Japan Foreign Ministers' Strategic Dialogue</h1>
  <p class="brief-meta">10 March 2025 · New Delhi</p>
  <div class="bottom-line">Both sides agreed to deepen cooperation.<span class="citation">[1]</span></div>
  <h2>Talking points</h2>
  <ol class="talking-point">
    <li>Welcome the <em>Special Strategic and Global Partnership</em>.</li>
    <li>Press for progress on
      <ul>
        <li>semiconductors</li>
        <li>critical minerals
          <ol><li>rare earths</li><li>lithium</li></ol>
        </li>
      </ul>
    </li>
  </ol>
  <h3>Next steps</h3>
  <ol><li>First again</li><li>Second again</li></ol>
  <h2>Participants</h2>
  <table class="participants">
    <thead><tr><th>Side</th><th>Name</th><th>Office</th></tr></thead>
    <tbody>
      <tr><td>Japan</td><td>Toshimitsu Motegi <span class="native-name" lang="ja">{MOTEGI}</span></td>
          <td>Minister for Foreign Affairs</td></tr>
      <tr><td>India</td><td>S. Jaishankar <span class="native-name" lang="hi">{JAISHANKAR}</span></td>
          <td>External Affairs Minister <sup>1</sup></td></tr>
      <tr><td colspan="2">Both delegations</td><td>H<sub>2</sub> meeting room</td></tr>
    </tbody>
  </table>
  <blockquote>
    <p>“India and Japan share a vision of a free and open Indo-Pacific.”</p>
    <footer>— S. Jaishankar, External Affairs Minister</footer>
  </blockquote>
  <p class="pdf-only">PDF ONLY TEXT</p>
  <p class="docx-only">Only in Word.</p>
</section>
<div class="page-break"></div>
<section id="tracker">
  <h1>Agreements tracker</h1>
  <h2 id="{LONG_ID}">Acquisition and Cross-Servicing Agreement</h2>
  <h2 id="9-starts-with-digit">Status <span class="status">in force</span></h2>
  <p>Mixed 日本語とEnglish text, Hindi हिन्दी text, <b>bold</b> and <i>italic</i>.</p>
</section>
</body></html>
"""


def png_bytes(width: int = 1200, height: int = 300) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.line((50, height // 2, width - 50, height // 2), fill=(31, 58, 95), width=6)
    for x in range(100, width - 50, 300):
        draw.ellipse((x - 15, height // 2 - 15, x + 15, height // 2 + 15), fill=(31, 58, 95))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(300, 300))
    return buffer.getvalue()


META = DocxMeta(
    title="India–Japan: ministerial dossier",
    subject="Minister's brief: India–Japan dossier",
    author="ijbrief — Minister's brief",
    keywords=["India", "Japan", "minister", "dossier"],
    created=datetime(2025, 3, 1, 9, 30),
    header_text="India–Japan: ministerial dossier",
    page_x_of_y=True,
    cover=True,
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "reference.docx"
    make_reference(
        path,
        body_font="Noto Serif",
        heading_font="Noto Sans",
        accent="1F3A5F",
        banner="India–Japan · Ministerial brief",
    )
    return path


@pytest.fixture(scope="module")
def figures() -> dict[str, bytes]:
    return {"timeline": png_bytes()}


@pytest.fixture(scope="module")
def output(reference: Path, figures: dict[str, bytes]) -> bytes:
    return html_to_docx(SAMPLE, reference, META, figures)


@pytest.fixture(scope="module")
def document(output: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(output))


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read(name))


def body_of(data: bytes) -> etree._Element:
    return part(data, "word/document.xml").find("w:body", NS)


def text_of(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(f"{{{W}}}t"))


def paragraph(data: bytes, containing: str) -> etree._Element:
    """The paragraph whose text is exactly ``containing``, else the first that contains it."""
    paragraphs = list(body_of(data).iter(f"{{{W}}}p"))
    for p in paragraphs:
        if text_of(p) == containing:
            return p
    for p in paragraphs:
        if containing in text_of(p):
            return p
    raise AssertionError(f"no paragraph contains {containing!r}")


def style_of(p: etree._Element) -> str | None:
    found = p.find("w:pPr/w:pStyle", NS)
    return None if found is None else found.get(f"{{{W}}}val")


def styles_by_id(document: docx.document.Document) -> dict[str, str]:
    return {s.style_id: s.name for s in document.styles}


# ---------------------------------------------------------------- structure and styles


def test_headings_use_word_heading_styles(document: docx.document.Document) -> None:
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Overview"] == "Heading 1"
    assert styles["13th India–Japan Foreign Ministers' Strategic Dialogue"] == "Heading 1"
    assert styles["Talking points"] == "Heading 2"
    assert styles["Next steps"] == "Heading 3"
    assert styles["Contents"] == "TOC Heading"  # the TOC's own title stays out of the TOC


def test_css_classes_become_named_styles(output: bytes, document: docx.document.Document) -> None:
    names = styles_by_id(document)
    assert names[style_of(paragraph(output, "Restricted — for ministerial use"))] == "Banner"
    assert names[style_of(paragraph(output, "India–Japan: ministerial dossier"))] == "Cover Title"
    assert names[style_of(paragraph(output, "10 March 2025"))] == "Brief Meta"
    assert names[style_of(paragraph(output, "Both sides agreed"))] == "Bottom Line"
    citation = paragraph(output, "Both sides agreed").find("w:r/w:rPr/w:rStyle", NS)
    assert names[citation.get(f"{{{W}}}val")] == "Citation"
    status = paragraph(output, "Status in force").findall("w:r", NS)[-1]
    assert names[status.find("w:rPr/w:rStyle", NS).get(f"{{{W}}}val")] == "Status"


def test_head_script_style_svg_and_pdf_only_are_skipped(output: bytes) -> None:
    text = text_of(body_of(output))
    for absent in ("Head title", "SCRIPT TEXT", "STYLE TEXT", "SVG TEXT", "STRAY SVG", "PDF ONLY"):
        assert absent not in text
    assert "Only in Word." in text


def test_line_break_and_inline_formatting(output: bytes) -> None:
    p = paragraph(output, "This dossier covers")
    assert p.find(".//w:br", NS) is not None
    assert "Second line of the same paragraph." in text_of(p)
    bold = [r for r in p.iter(f"{{{W}}}r") if r.find("w:rPr/w:b", NS) is not None]
    assert [text_of(r) for r in bold] == ["four"]
    room = paragraph(output, "meeting room")
    sub = [r for r in room.iter(f"{{{W}}}r") if r.find("w:rPr/w:vertAlign", NS) is not None]
    assert text_of(sub[0]) == "2"
    assert sub[0].find("w:rPr/w:vertAlign", NS).get(f"{{{W}}}val") == "subscript"


def test_lists_use_real_numbering(output: bytes, document: docx.document.Document) -> None:
    numbering = part(output, "word/numbering.xml")
    formats = {
        a.get(f"{{{W}}}abstractNumId"): a.find("w:lvl/w:numFmt", NS).get(f"{{{W}}}val")
        for a in numbering.findall("w:abstractNum", NS)
    }
    abstract_of = {
        n.get(f"{{{W}}}numId"): n.find("w:abstractNumId", NS).get(f"{{{W}}}val")
        for n in numbering.findall("w:num", NS)
    }

    def num(text: str) -> tuple[str, str, str]:
        num_pr = paragraph(output, text).find("w:pPr/w:numPr", NS)
        assert num_pr is not None, text
        num_id = num_pr.find("w:numId", NS).get(f"{{{W}}}val")
        level = num_pr.find("w:ilvl", NS).get(f"{{{W}}}val")
        return num_id, level, formats[abstract_of[num_id]]

    first, second = num("Welcome the"), num("Press for progress")
    assert first == second and first[1:] == ("0", "decimal")
    assert num("semiconductors")[1:] == ("1", "bullet")
    assert num("rare earths")[1:] == ("2", "decimal")
    restarted = num("First again")
    assert restarted[1:] == ("0", "decimal") and restarted[0] != first[0]
    # a new <ol> restarts at 1
    for num_id in (first[0], restarted[0], num("rare earths")[0]):
        override = numbering.find(f"w:num[@w:numId='{num_id}']/w:lvlOverride/w:startOverride", NS)
        assert override is not None and override.get(f"{{{W}}}val") == "1"
    # list paragraphs carry a list style (or the list's class style)
    names = styles_by_id(document)
    assert names[style_of(paragraph(output, "Welcome the"))] == "Talking Point"
    assert names[style_of(paragraph(output, "semiconductors"))] == "List Bullet"
    assert names[style_of(paragraph(output, "First again"))] == "List Number"
    # abstract numbering definitions come before every w:num, as the schema requires
    tags = [etree.QName(child).localname for child in numbering]
    assert tags.index("num") > max(i for i, t in enumerate(tags) if t == "abstractNum")


def test_table_has_named_style_repeated_header_and_colspan(
    output: bytes, document: docx.document.Document
) -> None:
    table = document.tables[0]
    assert table.style.name == "Brief Table"
    tbl = body_of(output).find("w:tbl", NS)
    rows = tbl.findall("w:tr", NS)
    assert rows[0].find("w:trPr/w:tblHeader", NS) is not None
    assert rows[1].find("w:trPr/w:tblHeader", NS) is None
    assert [text_of(tc) for tc in rows[0].findall("w:tc", NS)] == ["Side", "Name", "Office"]
    span = rows[3].find("w:tc/w:tcPr/w:gridSpan", NS)
    assert span is not None and span.get(f"{{{W}}}val") == "2"
    widths = [int(c.get(f"{{{W}}}w")) for c in tbl.findall("w:tblGrid/w:gridCol", NS)]
    assert sum(widths) == TEXT_WIDTH_EMU // 635


def test_blockquote_and_attribution_styles(output: bytes, document: docx.document.Document) -> None:
    names = styles_by_id(document)
    assert names[style_of(paragraph(output, "share a vision"))] == "Quote"
    assert names[style_of(paragraph(output, "— S. Jaishankar"))] == "Quote Attribution"


def test_figure_is_an_inline_picture_at_text_width_with_caption(
    output: bytes, document: docx.document.Document, figures: dict[str, bytes]
) -> None:
    shapes = document.inline_shapes
    assert len(shapes) == 1
    assert shapes[0].width == TEXT_WIDTH_EMU
    assert shapes[0].height == TEXT_WIDTH_EMU * 300 // 1200  # aspect kept
    body = list(body_of(output))
    picture_index = next(i for i, el in enumerate(body) if el.find(".//w:drawing", NS) is not None)
    caption = body[picture_index + 1]
    assert style_of(caption) == "Caption"
    assert text_of(caption) == "Figure 1. The meetings in this dossier, by date."
    with zipfile.ZipFile(io.BytesIO(output)) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert [package.read(n) for n in media] == [figures["timeline"]]


def test_missing_figure_is_an_error(reference: Path) -> None:
    with pytest.raises(ValueError, match="timeline"):
        html_to_docx(SAMPLE, reference, META, {})


def test_page_breaks_before_chapters_and_page_break_elements(output: bytes) -> None:
    def breaks(text: str) -> bool:
        return paragraph(output, text).find("w:pPr/w:pageBreakBefore", NS) is not None

    assert breaks("Overview") and breaks(DIALOGUE)
    assert breaks("Agreements tracker")  # after <div class="page-break">
    assert breaks("Contents")  # the cover ends its page
    assert not breaks("Restricted — for ministerial use")  # nothing before the first page
    assert not breaks("Talking points")


# ---------------------------------------------------------------- links, bookmarks and the TOC


def bookmarks(data: bytes) -> dict[str, etree._Element]:
    return {b.get(f"{{{W}}}name"): b for b in body_of(data).iter(f"{{{W}}}bookmarkStart")}


def test_ids_become_bookmarks_with_word_safe_names(output: bytes) -> None:
    names = bookmarks(output)
    assert {"overview", "ch_fmsd_13", "contents", "cover", "tracker"} <= set(names)
    long_name = next(n for n in names if n.startswith("ag_very_long"))
    assert len(long_name) <= 40
    assert "b_9_starts_with_digit" in names
    for name in names:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", name), name
    ids = [b.get(f"{{{W}}}id") for b in names.values()]
    assert len(set(ids)) == len(ids)
    ends = {e.get(f"{{{W}}}id") for e in body_of(output).iter(f"{{{W}}}bookmarkEnd")}
    assert set(ids) <= ends
    # the heading carries the bookmark of its section, around its text
    heading = [etree.QName(el).localname for el in paragraph(output, DIALOGUE)]
    assert heading == ["pPr", "bookmarkStart", "r", "bookmarkEnd"]
    assert "ch_fmsd_13" in {
        b.get(f"{{{W}}}name") for b in paragraph(output, DIALOGUE).iter(f"{{{W}}}bookmarkStart")
    }


def test_external_and_internal_hyperlinks(output: bytes, document: docx.document.Document) -> None:
    links = {text_of(h): h for h in body_of(output).iter(f"{{{W}}}hyperlink")}
    external = links["MEA archive"].get(f"{{{R}}}id")
    rel = document.part.rels[external]
    assert rel.is_external
    assert rel.target_ref == "https://www.mea.gov.in/bilateral-documents.htm"
    assert document.part.rels[links["the desk"].get(f"{{{R}}}id")].target_ref.startswith("mailto:")
    assert links["the 13th dialogue"].get(f"{{{W}}}anchor") == "ch_fmsd_13"
    for name in ("MEA archive", "the 13th dialogue"):
        style = links[name].find("w:r/w:rPr/w:rStyle", NS).get(f"{{{W}}}val")
        assert style == "Hyperlink"
    targets = {
        h.get(f"{{{W}}}anchor") for h in links.values() if h.get(f"{{{W}}}anchor") is not None
    }
    assert targets <= set(bookmarks(output))


def test_toc_is_a_dirty_field_with_cached_entries(output: bytes) -> None:
    body = body_of(output)
    toc = [p for p in body.iter(f"{{{W}}}p") if style_of(p) in ("TOC1", "TOC2")]
    assert [style_of(p) for p in toc] == ["TOC1", "TOC1", "TOC2"]
    begin = toc[0].find("w:r/w:fldChar", NS)
    assert begin.get(f"{{{W}}}fldCharType") == "begin"
    assert begin.get(f"{{{W}}}dirty") == "true"
    assert toc[0].find("w:r/w:instrText", NS).text.strip() == 'TOC \\o "1-2" \\h \\z'
    assert toc[-1].findall("w:r/w:fldChar", NS)[-1].get(f"{{{W}}}fldCharType") == "end"
    expected = [
        ("Overview", "overview", "3"),
        ("13th India–Japan Foreign Ministers' Strategic Dialogue", "ch_fmsd_13", "5"),
        ("Acquisition and Cross-Servicing Agreement", None, "7"),
    ]
    names = bookmarks(output)
    for p, (label, anchor, page) in zip(toc, expected, strict=True):
        tab = p.find("w:pPr/w:tabs/w:tab", NS)
        assert tab.get(f"{{{W}}}val") == "right" and tab.get(f"{{{W}}}leader") == "dot"
        link = p.find("w:hyperlink", NS)
        target = link.get(f"{{{W}}}anchor")
        assert target in names
        if anchor:
            assert target == anchor
        assert text_of(link) == label + page
        assert link.find("w:r/w:tab", NS) is not None
        instr = [i.text.strip() for i in link.iter(f"{{{W}}}instrText")]
        assert instr == [f"PAGEREF {target} \\h"]
    settings = part(output, "word/settings.xml")
    update = settings.find("w:updateFields", NS)
    assert update is not None and update.get(f"{{{W}}}val") == "true"


# ---------------------------------------------------------------- scripts


def test_split_scripts_keeps_names_together() -> None:
    assert split_scripts("plain text") == [("", "plain text")]
    assert split_scripts(f"Motegi ({MOTEGI}) said") == [
        ("", "Motegi ("),
        ("ja", MOTEGI),
        ("", ") said"),
    ]
    assert split_scripts(f"{JAISHANKAR} and {MOTEGI}") == [
        ("hi", JAISHANKAR),
        ("", " and "),
        ("ja", MOTEGI),
    ]
    assert split_scripts("日本語とEnglish") == [("ja", "日本語と"), ("", "English")]


def run_of(data: bytes, text: str) -> etree._Element:
    for r in body_of(data).iter(f"{{{W}}}r"):
        if text_of(r) == text:
            return r
    raise AssertionError(f"no run is exactly {text!r}")


def test_the_other_declarable_scripts_get_their_fonts_and_language(reference: Path) -> None:
    """A Korean, Thai, Bengali or Tamil name in Word: its own face and language, as the PDF."""
    names = {"ko": ("홍길동", "eastAsia", "Noto Sans CJK KR", "ko-KR"),
             "th": ("สมชาย", "cs", "Noto Sans Thai", "th-TH"),
             "bn": ("রবীন্দ্রনাথ", "cs", "Noto Sans Bengali", "bn-IN"),
             "ta": ("வள்ளுவர்", "cs", "Noto Sans Tamil", "ta-IN")}  # fmt: skip
    body = "".join(f'<h2>Names</h2><p><span lang="{code}">{n[0]}</span> met.</p>'
                   for code, n in names.items())  # fmt: skip
    data = html_to_docx(f"<html><body>{body}</body></html>", reference, META, {})
    for name, slot, face, tag in names.values():
        rpr = run_of(data, name).find("w:rPr", NS)
        assert rpr.find("w:rFonts", NS).get(f"{{{W}}}{slot}") in (
            face,
            face.replace("Sans", "Serif"),
        )
        language = "eastAsia" if slot == "eastAsia" else "bidi"
        assert rpr.find("w:lang", NS).get(f"{{{W}}}{language}") == tag


def test_a_chinese_name_is_chinese_though_its_ideographs_are_japanese_too(reference: Path) -> None:
    """Han ideographs in an element marked Chinese take Chinese faces and zh-CN; unmarked, the
    same ideographs stay Japanese (code points alone cannot tell the two apart)."""
    body = '<p><span lang="zh">习近平</span> met <span>岸田文雄</span> in Tokyo.</p>'
    data = html_to_docx(f"<html><body>{body}</body></html>", reference, META, {})
    chinese = run_of(data, "习近平").find("w:rPr", NS)
    assert chinese.find("w:rFonts", NS).get(f"{{{W}}}eastAsia") in (
        "Noto Sans CJK SC",
        "Noto Serif CJK SC",
    )
    assert chinese.find("w:lang", NS).get(f"{{{W}}}eastAsia") == "zh-CN"
    japanese = run_of(data, "岸田文雄").find("w:rPr", NS)
    assert japanese.find("w:lang", NS).get(f"{{{W}}}eastAsia") == "ja-JP"
    assert split_scripts("习近平 主席", prefer="zh") == [("zh", "习近平 主席")]


def test_arabic_runs_are_right_to_left_and_a_wholly_arabic_paragraph_too(
    reference: Path,
) -> None:
    """An Arabic name in English text is a right-to-left run in an LTR paragraph; a paragraph
    wholly in Arabic is laid out right to left (w:bidi, in its schema place in w:pPr)."""
    name, line = "محمد بن سلمان", "وزير الخارجية، الرياض."
    body = (f'<h2>Names</h2><p><span lang="ar">{name}</span> met the minister.</p>'
            f'<p lang="ar">{line}</p>')  # fmt: skip
    data = html_to_docx(f"<html><body>{body}</body></html>", reference, META, {})
    rpr = run_of(data, name).find("w:rPr", NS)
    assert rpr.find("w:rFonts", NS).get(f"{{{W}}}cs") in ("Noto Sans Arabic", "Noto Naskh Arabic")
    assert rpr.find("w:rtl", NS) is not None and rpr.find("w:cs", NS) is not None
    assert rpr.find("w:lang", NS).get(f"{{{W}}}bidi") == "ar-SA"
    order = [etree.QName(child).localname for child in rpr]
    assert order.index("rtl") < order.index("cs") < order.index("lang")
    mixed = run_of(data, name).getparent()
    assert mixed.find("w:pPr/w:bidi", NS) is None
    whole = next(p for p in body_of(data).iter(f"{{{W}}}p") if text_of(p) == line)
    ppr = [etree.QName(child).localname for child in whole.find("w:pPr", NS)]
    assert "bidi" in ppr
    after = {"spacing", "ind", "jc", "outlineLvl", "rPr"}
    assert all(ppr.index("bidi") < ppr.index(tag) for tag in after if tag in ppr)
    assert run_of(data, " met the minister.").find("w:rPr/w:rtl", NS) is None


def test_japanese_and_devanagari_runs_get_their_fonts(output: bytes) -> None:
    # the reference's body is Noto Serif: names in its paragraphs take the matching serif faces
    for text in (MOTEGI, "日本語と"):
        rpr = run_of(output, text).find("w:rPr", NS)
        fonts = rpr.find("w:rFonts", NS)
        assert fonts.get(f"{{{W}}}eastAsia") == "Noto Serif CJK JP"
        assert fonts.get(f"{{{W}}}hint") == "eastAsia"
        assert rpr.find("w:lang", NS).get(f"{{{W}}}eastAsia") == "ja-JP"
    for text in (JAISHANKAR, "हिन्दी"):
        rpr = run_of(output, text).find("w:rPr", NS)
        assert rpr.find("w:rFonts", NS).get(f"{{{W}}}cs") == "Noto Serif Devanagari"
        assert rpr.find("w:lang", NS).get(f"{{{W}}}bidi") == "hi-IN"
    latin = run_of(output, "English text, Hindi ")
    assert latin.find("w:rPr/w:rFonts", NS) is None
    assert run_of(output, MOTEGI).find("w:rPr/w:rStyle", NS).get(f"{{{W}}}val") == "NativeName"


def test_no_direct_run_formatting(output: bytes) -> None:
    body = body_of(output)
    for tag in ("sz", "szCs", "color", "highlight", "shd"):
        assert body.find(f".//w:rPr/w:{tag}", NS) is None, tag


def test_control_characters_are_refused(reference: Path) -> None:
    with pytest.raises(ValueError, match="U\\+0007"):
        html_to_docx("<p>bell \x07 here</p>", reference, META, {})
    with pytest.raises(ValueError, match="U\\+0001"):
        html_to_docx("<p>escaped &#1; here</p>", reference, META, {})


# ---------------------------------------------------------------- page furniture and metadata


def test_header_footer_and_cover(output: bytes, document: docx.document.Document) -> None:
    section = document.sections[0]
    assert section.different_first_page_header_footer  # w:titlePg
    header = section.header
    assert header.paragraphs[0].style.name == "Header"
    assert (
        header.paragraphs[0].text
        == "India–Japan: ministerial dossier\tIndia–Japan · Ministerial brief"
    )
    footer = section.footer._element
    instructions = [i.text.strip() for i in footer.iter(f"{{{W}}}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "Page 1 of 1" in "".join(t.text or "" for t in footer.iter(f"{{{W}}}t"))
    assert section.footer.paragraphs[-1].style.name == "Footer"
    assert all(not p.text for p in section.first_page_header.paragraphs)
    assert all(not p.text for p in section.first_page_footer.paragraphs)
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def test_no_header_and_no_cover(reference: Path, figures: dict[str, bytes]) -> None:
    meta = replace(META, header_text=None, page_x_of_y=False, cover=False)
    data = html_to_docx(SAMPLE, reference, meta, figures)
    section = docx.Document(io.BytesIO(data)).sections[0]
    assert section.header.is_linked_to_previous  # no header definition at all
    assert section.footer.is_linked_to_previous
    assert not section.different_first_page_header_footer
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert not [n for n in package.namelist() if "header" in n or "footer" in n]


def test_core_properties(document: docx.document.Document) -> None:
    props = document.core_properties
    assert props.title == META.title
    assert props.subject == META.subject
    assert props.author == META.author
    assert props.keywords == "India, Japan, minister, dossier"
    for stamp in (props.created, props.modified, props.last_printed):
        assert stamp.replace(tzinfo=None) == META.created
    assert props.revision == 1
    assert props.last_modified_by == META.author


def test_output_is_byte_identical_and_zip_is_normalised(
    output: bytes, reference: Path, figures: dict[str, bytes]
) -> None:
    assert html_to_docx(SAMPLE, reference, META, figures) == output
    with zipfile.ZipFile(io.BytesIO(output)) as package:
        infos = package.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
    names = [i.filename for i in infos]
    assert names[2:] == sorted(names[2:])
    assert b"rsid" not in b"".join(zipfile.ZipFile(io.BytesIO(output)).read(n) for n in names)


def style_sizes(data: bytes) -> dict[str, int]:
    styles = part(data, "word/styles.xml")
    sizes = {"defaults": int(styles.find(".//w:docDefaults//w:sz", NS).get(f"{{{W}}}val"))}
    for style in styles.findall("w:style", NS):
        size = style.find("w:rPr/w:sz", NS)
        if size is not None:
            sizes[style.get(f"{{{W}}}styleId")] = int(size.get(f"{{{W}}}val"))
    return sizes


def test_scale_shrinks_style_sizes_not_runs(
    output: bytes, reference: Path, figures: dict[str, bytes]
) -> None:
    scaled = html_to_docx(SAMPLE, reference, replace(META, scale=0.9), figures)
    before, after = style_sizes(output), style_sizes(scaled)
    assert before["defaults"] == 20 and after["defaults"] == 18
    assert after["Heading1"] == round(before["Heading1"] * 0.9)
    assert all(after[k] < before[k] for k in before)
    spacing = part(scaled, "word/styles.xml").find(
        "w:style[@w:styleId='Heading1']/w:pPr/w:spacing", NS
    )
    assert spacing.get(f"{{{W}}}before") == str(round(200 * 0.9))
    normal = part(scaled, "word/styles.xml").find(".//w:docDefaults//w:spacing", NS)
    assert normal.get(f"{{{W}}}line") == str(round(240 * 0.9))
    assert body_of(scaled).find(".//w:rPr/w:sz", NS) is None


def test_five_hundred_chapters_build_quickly(reference: Path) -> None:
    chapter = (
        '<section class="chapter" id="ch-{i}"><h1>Meeting {i}</h1>'
        '<div class="bottom-line">{text}</div><h2>Points</h2><ol>{items}</ol>'
        "<table><thead><tr><th>A</th><th>B</th></tr></thead>"
        "<tbody><tr><td>{name}</td><td>x</td></tr></tbody></table>"
        '<p>{text} <a href="https://example.org/{i}">source</a> <a href="#ch-0">top</a></p>'
        "<p>{text}</p></section>"
    )
    text = " ".join(["India and Japan agreed on cooperation"] * 12)
    items = "".join(f"<li>{text[:120]}</li>" for _ in range(5))
    html = (
        "<body>"
        + "".join(chapter.format(i=i, text=text, items=items, name=MOTEGI) for i in range(500))
        + "</body>"
    )
    started = time.perf_counter()
    data = html_to_docx(html, reference, replace(META, cover=False), {})
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"500 chapters took {elapsed:.1f} s"
    assert len(bookmarks(data)) == 500


def test_any_reference_works_and_keeps_its_header_logo(tmp_path: Path) -> None:
    """A plain python-docx document (no numbering part, none of our class styles) as reference,
    with a logo in its header: the conversion falls back to built-in styles and keeps the logo."""
    plain = docx.Document()
    for rid, rel in list(plain.part.rels.items()):
        if rel.reltype.endswith("/numbering"):
            del plain.part.rels[rid]
    plain.add_paragraph("sample body text that must disappear")
    plain.sections[0].header.paragraphs[0].add_run().add_picture(
        io.BytesIO(png_bytes(200, 50)), width=docx.shared.Cm(2)
    )
    path = tmp_path / "plain.docx"
    plain.save(str(path))
    data = html_to_docx(SAMPLE, path, META, {"timeline": png_bytes()})
    document = docx.Document(io.BytesIO(data))
    assert "sample body text" not in text_of(body_of(data))
    assert {p.style.name for p in document.paragraphs if p.text == "Overview"} == {"Heading 1"}
    assert paragraph(data, "Welcome the").find("w:pPr/w:numPr", NS) is not None
    header = document.sections[0].header
    assert header.paragraphs[0].text.startswith(META.header_text or "")
    assert header._element.find(f".//{{{W}}}drawing") is not None
    assert len(document.inline_shapes) == 1  # the figure; the header logo lives in the header


# ---------------------------------------------------------------- reference documents


def test_reference_document_defines_every_style(reference: Path) -> None:
    document = docx.Document(str(reference))
    names = {s.name for s in document.styles}
    required = {
        "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "Normal",
        "Quote", "Quote Attribution", "Caption", "TOC Heading", "toc 1", "toc 2", "Header",
        "Footer", "Hyperlink", "List Bullet", "List Number", "Brief Table", "Banner",
        "Brief Meta", "Bottom Line", "Section Label", "Source List", "Small", "Cover Title",
        "Cover Subtitle", "Prepared", "Timeline", "Citation", "Native Name", "Status",
        "Talking Point", "Avoid", "Raise", "Glossary Term",
    }  # fmt: skip
    assert required <= names, required - names
    kinds = {s.name: s.type for s in document.styles}
    for character in ("Hyperlink", "Citation", "Native Name", "Status", "Glossary Term"):
        assert kinds[character] == docx.enum.style.WD_STYLE_TYPE.CHARACTER, character
    assert kinds["Brief Table"] == docx.enum.style.WD_STYLE_TYPE.TABLE
    styles = part(reference.read_bytes(), "word/styles.xml")
    fonts = styles.find("w:docDefaults//w:rFonts", NS)
    assert fonts.get(f"{{{W}}}eastAsia") == "Noto Sans CJK JP"
    assert fonts.get(f"{{{W}}}cs") == "Noto Sans Devanagari"
    assert styles.find("w:docDefaults//w:sz", NS).get(f"{{{W}}}val") == "20"  # 10 pt
    header_row = styles.find(
        "w:style[@w:styleId='BriefTable']/w:tblStylePr[@w:type='firstRow']", NS
    )
    assert header_row.find("w:tcPr/w:shd", NS).get(f"{{{W}}}fill") == "1F3A5F"
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm, 1) == 1.6 and round(section.top_margin.cm, 1) == 1.7
    with zipfile.ZipFile(reference) as package:
        names_in_zip = package.namelist()
    assert not any("thumbnail" in n or "customXml" in n for n in names_in_zip)


def test_reference_is_reproducible(reference: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.docx"
    make_reference(
        again,
        body_font="Noto Serif",
        heading_font="Noto Sans",
        accent="1F3A5F",
        banner="India–Japan · Ministerial brief",
    )
    assert again.read_bytes() == reference.read_bytes()
    with pytest.raises(ValueError, match="hex"):
        make_reference(again, body_font="x", heading_font="y", accent="navy", banner=None)


def unzipped(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {n: package.read(n) for n in package.namelist()}


@pytest.mark.parametrize("audience", sorted(AUDIENCES))
def test_committed_references_match_the_generator(audience: str, tmp_path: Path) -> None:
    committed = REPO / "templates" / audience / "reference.docx"
    look = AUDIENCES[audience]
    fresh = tmp_path / "reference.docx"
    make_reference(
        fresh,
        body_font=look.body_font,
        heading_font=look.heading_font,
        accent=look.accent,
        banner=look.banner,
    )
    assert unzipped(committed) == unzipped(fresh), (
        f"regenerate with: python -m ijbrief.writers.docx_reference templates ({audience})"
    )


# ---------------------------------------------------------------- what a reader sees


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_renders_toc_and_names(output: bytes, tmp_path: Path) -> None:
    source = tmp_path / "dossier.docx"
    source.write_bytes(output)
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    reader = PdfReader(tmp_path / "dossier.pdf")
    pages = [page.extract_text() for page in reader.pages]
    flat = " ".join(" ".join(pages).split())
    assert "Contents" in pages[1]
    toc_page = " ".join(pages[1].split())
    for entry in ("Overview", "Foreign Ministers' Strategic Dialogue", "Cross-Servicing Agreement"):
        assert entry in toc_page, entry
    assert re.search(r"Overview\.{3,}\s*3", toc_page)
    assert MOTEGI in flat
    assert JAISHANKAR in flat
    # the cover has no running header or page number; the pages after it have both
    assert "ministerial brief" not in pages[0].casefold() and "Page" not in pages[0]
    assert "ministerial brief" in pages[1].casefold()
    assert f"Page 2 of {len(reader.pages)}" in flat
    assert len(reader.pages) >= 4


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_sets_chinese_and_arabic_names_in_their_faces(
    reference: Path, tmp_path: Path
) -> None:
    """LibreOffice lays the Chinese name out in real glyphs and the Arabic in an Arabic face: the
    runs' languages and fonts reach the office suite, not only the XML."""
    body = (
        '<h2>Names</h2><p><span lang="zh">习近平</span> met <span>岸田文雄</span> there.</p>'
        '<p>The envoy, <span lang="ar">محمد بن سلمان</span>, spoke.</p>'
    )
    source = tmp_path / "scripts.docx"
    source.write_bytes(html_to_docx(f"<html><body>{body}</body></html>", reference, META, {}))
    assert SOFFICE is not None
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "scripts.pdf")], check=True, capture_output=True, text=True
    ).stdout
    # (LibreOffice 7.4 names every face of the CJK collection file after its Japanese one)
    assert "Arabic" in fonts, fonts
    text = " ".join(PdfReader(tmp_path / "scripts.pdf").pages[0].extract_text().split())
    assert "习近平" in text and "岸田文雄" in text


# ---------------------------------------------------------------- accessibility

A11Y = f"""<!DOCTYPE html>
<html lang="en"><body>
<h1 id="top">Overview <span lang="ja">{MOTEGI}</span></h1>
<h3>Skipped a level</h3>
<p>Body</p>
<section id="back"><h2>Back at two</h2>
<h4>Two below</h4><p>Text of the section.</p></section>
<h2>Sources</h2>
<p>Reported by <a href="https://www.mea.gov.in/bilateral-documents.htm">https://www.mea.gov.in/bilateral-documents.htm</a>
 and <a href="https://example.org/" title="The example archive">example.org</a>; see
 <a href="#back">§2</a>.<sup>[<a href="#source-1">1</a>]</sup></p>
<ol><li id="source-1">Joint Statement — Ministry of External Affairs, 8 September 2022</li></ol>
<figure class="timeline" data-figure="timeline">
<svg role="img" aria-label="Timeline of meetings"><text>2019</text>
<a href="#top"><text>1st 2+2</text><text>November 2019</text></a>
<a href="#top"><circle><title>13th dialogue, 7 October 2020</title></circle></a></svg>
<figcaption>Figure 1. The meetings, by date.</figcaption>
</figure>
</body></html>
"""


@pytest.fixture(scope="module")
def accessible(reference: Path, figures: dict[str, bytes]) -> bytes:
    return html_to_docx(A11Y, reference, META, figures)


def outline_levels(data: bytes) -> list[tuple[str, int]]:
    """(text, level from 1) of each paragraph that has an outline level, its own or its style's."""
    styles = part(data, "word/styles.xml")
    by_style = {
        s.get(f"{{{W}}}styleId"): int(o.get(f"{{{W}}}val"))
        for s in styles.iter(f"{{{W}}}style")
        if (o := s.find("w:pPr/w:outlineLvl", NS)) is not None
    }
    found = []
    for p in body_of(data).iter(f"{{{W}}}p"):
        own = p.find("w:pPr/w:outlineLvl", NS)
        level = int(own.get(f"{{{W}}}val")) if own is not None else by_style.get(style_of(p))
        if level is not None and level < 9:
            found.append((text_of(p), level + 1))
    return found


def test_heading_levels_have_no_gaps_and_keep_their_look(accessible: bytes) -> None:
    assert [level for _, level in outline_levels(accessible)] == [1, 2, 2, 3, 2]
    assert style_of(paragraph(accessible, "Skipped a level")) == "Heading3"  # the look stays


def test_native_names_in_a_sans_heading_take_the_sans_faces(accessible: bytes) -> None:
    fonts = run_of(accessible, MOTEGI).find("w:rPr/w:rFonts", NS)
    assert fonts.get(f"{{{W}}}eastAsia") == "Noto Sans CJK JP"


def test_a_sans_body_keeps_the_sans_faces(tmp_path: Path, figures: dict[str, bytes]) -> None:
    path = tmp_path / "reference.docx"
    look = AUDIENCES["student"]
    make_reference(
        path,
        body_font=look.body_font,
        heading_font=look.heading_font,
        accent=look.accent,
        banner=look.banner,
    )
    data = html_to_docx(SAMPLE, path, META, figures)
    assert run_of(data, MOTEGI).find("w:rPr/w:rFonts", NS).get(f"{{{W}}}eastAsia") == (
        "Noto Sans CJK JP"
    )
    assert run_of(data, JAISHANKAR).find("w:rPr/w:rFonts", NS).get(f"{{{W}}}cs") == (
        "Noto Sans Devanagari"
    )


def test_figure_has_a_title_and_a_description_of_what_it_shows(accessible: bytes) -> None:
    doc_pr = body_of(accessible).find(".//wp:docPr", {"wp": WP})
    assert doc_pr.get("title") == "Figure 1. The meetings, by date."
    assert doc_pr.get("descr") == (
        "Timeline of meetings: 2 marks, left to right: 1st 2+2, November 2019; "
        "13th dialogue, 7 October 2020."
    )


def test_an_image_alt_is_the_figure_description(reference: Path, figures: dict[str, bytes]) -> None:
    html = (
        '<html><body><figure data-figure="timeline"><img alt="Four meetings, 2019 to 2026">'
        "<figcaption>Figure 1.</figcaption></figure></body></html>"
    )
    doc_pr = body_of(html_to_docx(html, reference, META, figures)).find(".//wp:docPr", {"wp": WP})
    assert doc_pr.get("descr") == "Four meetings, 2019 to 2026"


def test_links_have_readable_text_and_screen_tips(accessible: bytes) -> None:
    links = {text_of(h): h for h in body_of(accessible).iter(f"{{{W}}}hyperlink")}
    assert "https://www.mea.gov.in/bilateral-documents.htm" not in links
    bare = links["mea.gov.in"]
    assert bare.get(f"{{{W}}}tooltip") == "https://www.mea.gov.in/bilateral-documents.htm"
    # a bare address with a title: the title is the text
    assert links["The example archive"].get(f"{{{W}}}tooltip") == "https://example.org/"
    assert links["§2"].get(f"{{{W}}}tooltip") == "Back at two"  # a section by its heading
    assert links["1"].get(f"{{{W}}}tooltip") == (
        "Joint Statement — Ministry of External Affairs, 8 September 2022"
    )


def test_document_language_in_defaults_and_core_properties(
    reference: Path, figures: dict[str, bytes], accessible: bytes
) -> None:
    def default_lang(data: bytes) -> str:
        lang = part(data, "word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        return lang.get(f"{{{W}}}val")

    # the reference names the HTML's language more closely: its tag stays
    assert default_lang(accessible) == "en-GB"
    assert docx.Document(io.BytesIO(accessible)).core_properties.language == "en-GB"
    french = html_to_docx(A11Y.replace('lang="en"', 'lang="fr"'), reference, META, figures)
    assert default_lang(french) == "fr"
    assert docx.Document(io.BytesIO(french)).core_properties.language == "fr"


def test_no_style_is_named_like_a_pdf_structure_type(accessible: bytes) -> None:
    # LibreOffice would tag each paragraph of a "Figure" style a Figure without alternative text
    names = {s.name.lower() for s in docx.Document(io.BytesIO(accessible)).styles}
    assert "figure" not in names
    assert "figure paragraph" in names


def keeps_with_next(data: bytes, p: etree._Element) -> bool:
    if p.find("w:pPr/w:keepNext", NS) is not None:
        return True
    styles = {
        s.get(f"{{{W}}}styleId"): s for s in part(data, "word/styles.xml").iter(f"{{{W}}}style")
    }
    style_id = style_of(p)
    while style_id:
        style = styles[style_id]
        if style.find("w:pPr/w:keepNext", NS) is not None:
            return True
        based = style.find("w:basedOn", NS)
        style_id = None if based is None else based.get(f"{{{W}}}val")
    return False


def test_headings_keep_with_what_follows(output: bytes) -> None:
    body = list(body_of(output))
    levels = {text for text, _ in outline_levels(output)}
    checked = {"table": 0, "paragraph": 0}
    for p, following in itertools.pairwise(body):
        if p.tag != f"{{{W}}}p" or text_of(p) not in levels:
            continue
        assert keeps_with_next(output, p), text_of(p)
        checked["table" if following.tag == f"{{{W}}}tbl" else "paragraph"] += 1
    assert checked["table"] >= 1 and checked["paragraph"] >= 3
