"""What a professional reader checks in the documents: markings on every page, furniture in
Word as on paper, a text layer that says what the page shows."""

from __future__ import annotations

import datetime as dt
import html as html_text
import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from pypdf import PdfReader

# "Prepared" is the day of the build (the session's shared build ran today).
_TODAY = dt.datetime.now(dt.UTC).date()
PREPARED = f"Prepared {_TODAY.day} {_TODAY:%B %Y}"

AUDIENCES = ("analyst", "minister", "student")
CLASSIFICATION = {
    "analyst": "FOR OFFICIAL USE — ANALYSIS",
    "minister": "RESTRICTED — FOR MINISTERIAL USE",
    "student": "PUBLIC — STUDY NOTES",
}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _band(pdf: Path, page: int, top: bool) -> str:
    """The text in the top or bottom 16 mm of a page (the page margins), as poppler reads it."""
    height = 45  # points
    y = 0 if top else 842 - height
    result = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y", str(y), "-W", "595",
         "-H", str(height), "-layout", str(pdf), "-"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_dossier_page_but_the_cover_is_marked_top_and_bottom(
    built: Path, audience: str
) -> None:
    pdf = built / "out" / audience / f"{audience}-dossier.pdf"
    total = len(PdfReader(pdf).pages)
    marking = CLASSIFICATION[audience]
    for page in range(2, total + 1):
        assert marking in _band(pdf, page, top=True).upper(), (audience, page, "header")
        bottom = _band(pdf, page, top=False)
        assert marking in bottom.upper(), (audience, page, "footer")
        assert f"Page {page} of {total}" in bottom
        assert PREPARED in bottom


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_brief_is_marked_top_and_bottom(built: Path, audience: str) -> None:
    marking = CLASSIFICATION[audience]
    for pdf in sorted((built / "out" / audience / "briefs").glob("*.pdf")):
        assert marking in _band(pdf, 1, top=False).upper(), pdf.name
        # the banner, the first line of the page
        assert marking in PdfReader(pdf).pages[0].extract_text().upper().split("\n")[0], pdf.name


def _footer_and_header(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as archive:
        document = docx.Document(str(path))
        section = document.sections[0]
        header = "".join(t.text or "" for t in section.header._element.iter(f"{W}t"))
        footer = "".join(t.text or "" for t in section.footer._element.iter(f"{W}t"))
        assert any(n.startswith("word/footer") for n in archive.namelist())
    return header, footer


@pytest.mark.parametrize("audience", AUDIENCES)
def test_word_dossiers_and_briefs_carry_the_marking_and_prepared_date(
    built: Path, audience: str
) -> None:
    marking = CLASSIFICATION[audience]
    files = [built / "out" / audience / f"{audience}-dossier.docx"]
    files += sorted((built / "out" / audience / "briefs").glob("*.docx"))
    assert len(files) == 17
    for path in files:
        header, footer = _footer_and_header(path)
        assert marking in header.upper(), path.name
        assert marking in footer.upper(), path.name
        assert PREPARED in footer, path.name


def _native_names() -> set[str]:
    people = yaml.safe_load((Path(__file__).parents[2] / "briefs" / "people.yaml").read_text())
    return {p["native_name"] for p in people["people"] if p.get("native_name")}


# A name in Devanagari or in Japanese script, with the spaces inside it.
_NATIVE = re.compile(
    "[\u0900-\u097f]+(?: [\u0900-\u097f]+)*|[\u3040-\u30ff\u3400-\u9fff]+(?: [\u3040-\u30ff\u3400-\u9fff]+)*"
)


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_every_native_name_extracts_from_every_pdf_as_the_yaml_spells_it(built: Path) -> None:
    names = _native_names()
    pdfs = sorted((built / "out").rglob("*.pdf"))
    assert len(pdfs) == 51
    seen: set[str] = set()
    shown_anywhere: set[str] = set()
    for pdf in pdfs:
        html = pdf.with_suffix(".html").read_text()
        shown = {n for n in names if n in html}
        shown_anywhere |= shown
        for reader, content in (
            ("pypdf", "\n".join(p.extract_text() for p in PdfReader(pdf).pages)),
            ("pdftotext", _pdftotext(pdf)),
        ):
            found = set(_NATIVE.findall(content))
            assert found <= names, (pdf.name, reader, found - names)
            assert shown <= found, (pdf.name, reader, shown - found)
            seen |= found
    assert "राजनाथ सिंह" in seen and seen == shown_anywhere


def test_the_index_marks_each_restricted_file(built: Path) -> None:
    import lxml.html

    page = lxml.html.fromstring((built / "out" / "index.html").read_bytes())
    # one edition's files: a cell of the meetings-by-edition table, or a dossier's row
    editions = "contains(concat(' ', @class, ' '), ' edition ')"
    rows = [
        row for row in page.xpath(f"//*[{editions}]") if row.xpath(".//a[contains(@class, 'file')]")
    ]
    assert rows
    for row in rows:
        href = row.xpath(".//a[contains(@class, 'file')]/@href")[0]
        audience = href.split("/")[0]
        marks = row.xpath(".//*[contains(@class, 'marking')]")
        assert len(marks) == 1, href
        assert marks[0].text_content().upper() == CLASSIFICATION[audience], href
        restricted = "restricted" in marks[0].get("class", "").split()
        assert restricted == (audience != "student"), href


def _internal_links(pdf: Path) -> list[tuple[int, int]]:
    """(page with the link, page it lands on) of every internal link annotation."""
    reader = PdfReader(pdf)
    names = reader.named_destinations
    found = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link" or "/URI" in annotation.get("/A", {}):
                continue
            destination = annotation.get("/Dest") or annotation["/A"]["/D"]
            if isinstance(destination, str):
                target = reader.get_destination_page_number(names[destination])
            else:
                target = reader.get_page_number(destination[0].get_object())
            found.append((number, target))
    return found


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_citation_marker_links_to_its_source_entry(built: Path, audience: str) -> None:
    import lxml.html

    folder = built / "out" / audience
    for html in [folder / f"{audience}-dossier.html", *sorted((folder / "briefs").glob("*.html"))]:
        page = lxml.html.fromstring(html.read_bytes())
        markers = page.xpath("//sup[contains(@class, 'citation')]")
        assert markers, html.name
        count = 0
        for marker in markers:
            numbers = re.findall(r"\d+", marker.text_content())
            links = marker.xpath("./a")
            assert [a.text for a in links] == numbers, (html.name, marker.text_content())
            for link in links:
                target = page.get_element_by_id(link.get("href")[1:])
                assert target.tag == "li" and target.xpath("ancestor::ol[@class='sources']")
                count += 1
        # the PDF has a link annotation for each, landing on the sources list's page
        pdf = html.with_suffix(".pdf")
        reader = PdfReader(pdf)
        sources_page = max(
            i for i, p in enumerate(reader.pages) if "SOURCES" in p.extract_text().upper()
        )
        landing = [t for _, t in _internal_links(pdf) if t == sources_page]
        assert len(landing) >= count, (pdf.name, len(landing), count)


def test_every_source_entry_gives_title_outlet_and_date_or_undated(built: Path) -> None:
    import lxml.html

    catalogue = yaml.safe_load((built / "seeds" / "catalogue.yaml").read_text())["sources"]
    page = lxml.html.fromstring((built / "out/analyst/analyst-dossier.html").read_bytes())
    entries = [li.text_content() for li in page.xpath("//section[@id='sources']//ol/li")]
    assert len(entries) == len(catalogue)
    for source in catalogue:
        entry = next(e for e in entries if e.startswith(source["title"]))
        if source.get("outlet"):
            assert source["outlet"] in entry
        assert ("undated" in entry) == ("published" not in source), entry


def test_no_citation_marker_starts_a_line(built: Path) -> None:
    for pdf in sorted((built / "out").rglob("*.pdf")):
        lines = _pdftotext(pdf).splitlines()
        alone = [line for line in lines if re.match(r"\s*\[\d+(,\d+)*\]", line)]
        assert not alone, (pdf.name, alone)


def _smallest_type(pdf: Path) -> float:
    """The smallest size, in points, at which any text of the PDF is set."""
    smallest = 100.0
    for page in PdfReader(pdf).pages:

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
            nonlocal smallest
            if text.strip():
                a, b, c, d = (
                    tm[0] * cm[0] + tm[1] * cm[2],
                    tm[0] * cm[1] + tm[1] * cm[3],
                    tm[2] * cm[0] + tm[3] * cm[2],
                    tm[2] * cm[1] + tm[3] * cm[3],
                )
                smallest = min(smallest, size * abs(a * d - b * c) ** 0.5)

        page.extract_text(visitor_text=visit)
    return smallest


def test_no_text_is_set_below_7_pt(built: Path) -> None:
    for pdf in sorted((built / "out").rglob("*.pdf")):
        assert _smallest_type(pdf) >= 6.99, (pdf.name, round(_smallest_type(pdf), 2))


@pytest.mark.parametrize("audience", ["analyst", "minister"])  # serif bodies (students: no names)
def test_native_names_take_the_face_of_the_body(built: Path, audience: str) -> None:
    face = "Serif"
    pdf = built / "out" / audience / f"{audience}-dossier.pdf"
    fonts = {
        str(f.get_object()["/BaseFont"]).partition("+")[2]
        for page in PdfReader(pdf).pages
        for f in page["/Resources"]["/Font"].values()
    }
    assert f"Noto-{face}-CJK-JP" in fonts and f"Noto-{face}-Devanagari" in fonts, fonts


def test_html_documents_are_made_for_the_screen(built: Path) -> None:
    import lxml.html

    pages = sorted((built / "out").glob("*/*.html")) + sorted(
        (built / "out").glob("*/briefs/*.html")
    )
    assert len(pages) == 51
    for path in pages:
        page = lxml.html.fromstring(path.read_bytes())
        assert page.xpath("//meta[@name='viewport']/@content") == [
            "width=device-width, initial-scale=1"
        ]
        screen = page.xpath("//style[@media='screen']")
        assert screen and "max-width" in screen[0].text_content()
        bar = page.xpath("//body/*[1][contains(@class, 'screen-bar')]")
        assert bar, path.name
        back = bar[0].xpath(".//a[contains(@class, 'back')]/@href")[0]
        assert (path.parent / back).resolve() == (built / "out" / "index.html").resolve()
        targets = bar[0].xpath(".//span[@class='downloads']/a/@href")
        assert sorted(Path(t).suffix for t in targets) == [".docx", ".pdf"], path.name
        assert all((path.parent / t).is_file() for t in targets)


def test_the_index_opens_pdf_and_html_in_the_browser_with_a_download_beside(built: Path) -> None:
    import lxml.html

    page = lxml.html.fromstring((built / "out" / "index.html").read_bytes())
    chips = page.xpath("//a[contains(@class, 'file')]")
    assert chips
    for chip in chips:
        href = chip.get("href")
        if href.endswith(".docx"):
            assert chip.get("download"), href
            continue
        assert chip.get("download") is None, href  # opens in the browser
        button = chip.getnext()
        assert button is not None and button.get("class") == "dl", href
        assert button.get("href") == href and button.get("download"), href


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_tracker_heading_is_stranded_from_its_table(built: Path, audience: str) -> None:
    import lxml.html

    page = lxml.html.fromstring(
        (built / "out" / audience / f"{audience}-dossier.html").read_bytes()
    )
    titles = [" ".join(h.text_content().split()).upper() for h in page.xpath("//h2[@class='bm']")]
    pdf = built / "out" / audience / f"{audience}-dossier.pdf"
    pages = [" ".join(p.extract_text().split()).upper() for p in PdfReader(pdf).pages]
    start = next(i for i, text in enumerate(pages) if "EACH AGREEMENT OR INITIATIVE WITH" in text)
    tracker = pages[start:]
    for title in titles:
        holding = [text for text in tracker if title[:40] in text]
        assert holding, title
        after = holding[0][holding[0].index(title[:40]) :]
        assert "DATE STATUS" in after, (audience, title)


def test_the_index_links_each_meeting_to_its_briefs_and_can_be_filtered(built: Path) -> None:
    import lxml.html

    page = lxml.html.fromstring((built / "out" / "index.html").read_bytes())
    row = page.get_element_by_id("m-fmsd-13")
    cells = row.xpath(".//td[contains(@class, 'edition')]/@id")
    assert cells == ["analyst-fmsd-13", "minister-fmsd-13", "student-fmsd-13"]
    for cell in cells:
        assert page.get_element_by_id(cell).xpath(".//a[contains(@class, 'file')]")
    assert page.xpath("//input[@id='filter' and @type='search']")
    script = page.xpath("//script")[0].text_content()
    assert "main tbody tr" in script and "hidden" in script


def test_the_minister_dossier_opens_on_asks_and_open_items(built: Path) -> None:
    reader = PdfReader(built / "out" / "minister" / "minister-dossier.pdf")
    overview = " ".join(reader.pages[2].extract_text().split())
    assert "ASKS AND OPEN ITEMS" in overview.upper()
    assert "Fix a date and agenda for the critical-minerals working group" in overview
    for pending in ("Supply Chain Resilience Initiative", "Proposed", "Text finalised"):
        assert pending in overview, pending
    for other in ("analyst", "student"):
        page = (built / "out" / other / f"{other}-dossier.html").read_text()
        assert "Asks and open items" not in page


def test_student_notes_carry_the_exam_hooks(built: Path) -> None:
    content = " ".join(
        p.extract_text() for p in PdfReader(built / "out/student/student-dossier.pdf").pages
    )
    flat = " ".join(content.split())
    assert flat.count("GS Paper II: International Relations") == 4  # one per meeting chapter
    assert flat.upper().count("PRELIMS FACTS") == 4
    assert flat.count("Practice questions written from this record, not from past papers.") == 4
    assert "When and where: 8 September 2022, Tokyo" in flat
    for other in ("analyst", "minister"):
        page = (built / "out" / other / f"{other}-dossier.html").read_text()
        assert "Practice questions" not in page and "GS Paper II" not in page


def test_minister_agreement_briefs_say_what_to_raise_and_avoid_on_one_page(built: Path) -> None:
    agreements = {p.stem for p in (built / "briefs" / "agreements").glob("*.yaml")}
    briefs = [
        pdf
        for pdf in sorted((built / "out" / "minister" / "briefs").glob("*.pdf"))
        if any(pdf.stem.endswith(f"-{ident}") for ident in agreements)
    ]
    assert len(briefs) == len(agreements) == 12
    for pdf in briefs:
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1, pdf.name
        text = _pdftotext(pdf)
        assert "TO RAISE" in text and "TO AVOID" in text, pdf.name
    # the analyst's edition has no such sections
    analyst = _pdftotext(built / "out" / "analyst" / "briefs" / "2020-10-07-cyber-moc.pdf")
    assert "TO RAISE" not in analyst


def _filled(pdf: Path) -> list[float]:
    """How far down each page's body the text reaches, from 0 (empty) to 1 (the foot of the
    text area), read from poppler's word boxes; the header and footer bands are left out."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    top, bottom = 17 / 25.4 * 72, 842 - 18 / 25.4 * 72  # print.css's page margins
    filled = []
    for page in re.findall(r"<page .*?</page>", xml, re.S):
        ends = [
            float(y_max)
            for y_min, y_max in re.findall(r'<word [^>]*yMin="([\d.]+)"[^>]*yMax="([\d.]+)"', page)
            if float(y_min) >= top - 2 and float(y_max) <= bottom + 2
        ]
        filled.append((max(ends, default=top) - top) / (bottom - top))
    return filled


def _starts_a_page(reader: PdfReader) -> dict[str, bool]:
    """Each bookmark's title, and whether what it marks starts its page (its heading is at the
    top of the text area) or runs on below what came before."""
    top = 842 - 17 / 25.4 * 72
    return {
        item.title: float(item.top) >= top - 30
        for item in reader.outline
        if not isinstance(item, list)
    }


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_dossier_page_is_left_near_empty_but_before_a_new_part(
    built: Path, audience: str
) -> None:
    """A page is at least half full unless it is the cover, the contents or the last page, or
    the page after it opens a part that starts a page of its own (a run of chapters, the
    overview, the tracker, the glossary, the index: each part is laid out on its own pages).
    A chapter that runs on below the one before exempts no page."""
    pdf = built / "out" / audience / f"{audience}-dossier.pdf"
    reader = PdfReader(pdf)
    starts = _starts_a_page(reader)
    opens_a_part = {
        reader.get_destination_page_number(item)
        for item in reader.outline
        if not isinstance(item, list) and starts[item.title]
    }
    filled = _filled(pdf)
    assert len(filled) == len(reader.pages) > 10
    for index, share in enumerate(filled[:-1]):
        if index < 2 or index + 1 in opens_a_part:
            continue
        assert share >= 0.5, (audience, f"page {index + 1} is {share:.0%} full")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_chapters_run_on_in_the_pdf_and_in_word_as_the_html_says(
    built: Path, audience: str
) -> None:
    """A chapter marked to run on (class ``flows``) follows the chapter before it without a page
    break, in Word always and in the PDF unless that page is full; every other chapter starts a
    page in both."""
    stem = built / "out" / audience / f"{audience}-dossier"
    html = stem.with_suffix(".html").read_text(encoding="utf-8")
    chapters = re.findall(
        r'<section class="chapter meeting-chapter( flows)?" id="ch-[^"]+">\s*<h1>([^<]+)</h1>', html
    )
    runs_on = {html_text.unescape(title): bool(flag) for flag, title in chapters}
    assert any(runs_on.values()) and not all(runs_on.values()), runs_on
    starts = _starts_a_page(PdfReader(stem.with_suffix(".pdf")))
    assert any(not starts[title] for title, flows in runs_on.items() if flows), audience
    headings = {
        paragraph.text: paragraph.paragraph_format.page_break_before is True
        for paragraph in docx.Document(str(stem.with_suffix(".docx"))).paragraphs
        if paragraph.style.name == "Heading 1"
    }
    for title, flows in runs_on.items():
        if not flows:
            assert starts[title], (audience, title, "PDF")
        assert headings[title] is not flows, (audience, title, "Word")
