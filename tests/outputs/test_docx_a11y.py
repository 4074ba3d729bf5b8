"""The Word files for people who use a screen reader: metadata, language, structure, alt text,
links; and the tagged PDF LibreOffice makes of a dossier keeps that structure."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from ijbrief.build.pipeline import BuildOptions, build

REPO = Path(__file__).resolve().parents[2]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS = {"w": W, "wp": WP}
URL = "https://www.mea.gov.in/bilateral-documents.htm"
JA = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")
HI = re.compile("[\u0900-\u097f]")
TAGGED = 'pdf:writer_pdf_Export:{"UseTaggedPDF":{"type":"boolean","value":"true"}}'


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project, one source given its address, built in Word as a user's build is (with
    LibreOffice setting the dossiers' page numbers)."""
    root = tmp_path_factory.mktemp("a11y")
    for folder in ("seeds", "briefs", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy2(REPO / "project.yaml", root / "project.yaml")
    catalogue = root / "seeds" / "catalogue.yaml"
    text = catalogue.read_text(encoding="utf-8")
    first = "    kind: news report\n"
    assert first in text
    catalogue.write_text(text.replace(first, f"{first}    url: {URL}\n", 1), encoding="utf-8")
    previous = os.environ.get("IJBRIEF_OFFICE_PAGES")
    os.environ["IJBRIEF_OFFICE_PAGES"] = "1"
    try:
        build(BuildOptions(root=root, formats=("docx",), jobs=2, quiet=True))
    finally:
        os.environ["IJBRIEF_OFFICE_PAGES"] = previous or "0"
    return root


def every_docx(project: Path) -> list[Path]:
    files = sorted((project / "out").rglob("*.docx"))
    assert len(files) == 3 * 17
    return files


def xml(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(name))


def text_of(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(f"{{{W}}}t"))


def outline(path: Path) -> list[tuple[str, int]]:
    """(text, level from 1) of every paragraph with an outline level, its own or its style's."""
    by_style = {
        s.get(f"{{{W}}}styleId"): int(o.get(f"{{{W}}}val"))
        for s in xml(path, "word/styles.xml").iter(f"{{{W}}}style")
        if (o := s.find("w:pPr/w:outlineLvl", NS)) is not None
    }
    found = []
    for p in xml(path, "word/document.xml").iter(f"{{{W}}}p"):
        own = p.find("w:pPr/w:outlineLvl", NS)
        style = p.find("w:pPr/w:pStyle", NS)
        level = (
            int(own.get(f"{{{W}}}val"))
            if own is not None
            else by_style.get(None if style is None else style.get(f"{{{W}}}val"))
        )
        if level is not None and level < 9:
            found.append((text_of(p), level + 1))
    return found


def test_core_properties_and_default_language(project: Path) -> None:
    for path in every_docx(project):
        core = xml(path, "docProps/core.xml")
        values = {etree.QName(el).localname: (el.text or "") for el in core}
        for field in ("title", "subject", "creator", "language"):
            assert values[field].strip(), (path.name, field)
        default = xml(path, "word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
        assert default.get(f"{{{W}}}val") == values["language"]
        assert values["language"].split("-")[0] == "en"  # the HTML's language


def test_japanese_and_devanagari_runs_say_their_language(project: Path) -> None:
    seen = {"ja": 0, "hi": 0}
    for path in every_docx(project):
        for run in xml(path, "word/document.xml").iter(f"{{{W}}}r"):
            text = text_of(run)
            lang = run.find("w:rPr/w:lang", NS)
            if JA.search(text):
                assert lang.get(f"{{{W}}}eastAsia") == "ja-JP", text
                seen["ja"] += 1
            if HI.search(text):
                assert lang.get(f"{{{W}}}bidi") == "hi-IN", text
                seen["hi"] += 1
    assert seen["ja"] and seen["hi"]


def test_names_take_the_face_of_the_text_around_them(project: Path) -> None:
    """Serif bodies (analyst, minister) set names in Noto Serif CJK JP and Noto Serif Devanagari;
    the student's sans body (whose edition prints no native names) no serif face."""
    serif = {"Noto Serif CJK JP", "Noto Serif Devanagari"}
    for audience in ("analyst", "minister", "student"):
        used = set()
        for path in sorted((project / "out" / audience).rglob("*.docx")):
            for fonts in xml(path, "word/document.xml").iter(f"{{{W}}}rFonts"):
                used |= {fonts.get(f"{{{W}}}eastAsia"), fonts.get(f"{{{W}}}cs")} - {None}
        if audience == "student":
            assert not used & serif
        else:
            assert serif <= used, (audience, used)


def test_the_timeline_image_says_what_it_shows(project: Path) -> None:
    for audience in ("analyst", "minister", "student"):
        path = project / "out" / audience / f"{audience}-dossier.docx"
        pictures = list(xml(path, "word/document.xml").iter(f"{{{WP}}}docPr"))
        assert len(pictures) == 1
        title, descr = pictures[0].get("title"), pictures[0].get("descr")
        assert title.startswith("Figure 1.")
        assert descr.startswith("Timeline of meetings:")
        # every meeting on it, with its date
        marks = descr.split(": ", 2)[2].rstrip(".").split("; ")
        assert len(marks) >= 4
        for mark in marks:
            assert re.search(r"\b(19|20)\d\d$", mark), mark


def test_heading_levels_have_no_gaps(project: Path) -> None:
    for path in every_docx(project):
        levels = [level for _, level in outline(path)]
        assert levels and levels[0] == 1, path.name
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, path.name


def test_table_header_rows_repeat(project: Path) -> None:
    for path in every_docx(project):
        for table in xml(path, "word/document.xml").iter(f"{{{W}}}tbl"):
            first = table.find("w:tr", NS)
            assert first.find("w:trPr/w:tblHeader", NS) is not None, (path.name, text_of(first))


def test_links_have_readable_text(project: Path) -> None:
    bare, tips = 0, 0
    for path in every_docx(project):
        for link in xml(path, "word/document.xml").iter(f"{{{W}}}hyperlink"):
            text = text_of(link).strip()
            assert text, path.name
            assert not re.search(r"https?://|www\.", text), (path.name, text)
            if link.get(f"{{{W}}}tooltip") == URL:
                bare += 1
                assert text == "mea.gov.in"
            if re.fullmatch(r"\d+", text):  # a citation marker says what it leads to
                assert len(link.get(f"{{{W}}}tooltip") or "") > 10, (path.name, text)
                tips += 1
    assert bare and tips


@pytest.fixture(scope="module")
def tagged(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """LibreOffice's tagged PDF of the analyst dossier."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by `.ci/setup --test`"
    target = tmp_path_factory.mktemp("tagged")
    profile = tmp_path_factory.mktemp("lo-profile")
    source = project / "out" / "analyst" / "analyst-dossier.docx"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         TAGGED, "--outdir", str(target), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target / "analyst-dossier.pdf"


def structure(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found: list[pikepdf.Dictionary] = []
    stack = [pdf.Root.StructTreeRoot.K]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(reversed(list(node)))
        elif isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                found.append(node)
            if "/K" in node:
                stack.append(node.K)
    return found


def test_libreoffice_keeps_the_structure_in_a_tagged_pdf(tagged: Path) -> None:
    with pikepdf.open(tagged) as pdf:
        assert pdf.Root.MarkInfo.Marked
        assert str(pdf.Root.Lang).startswith("en")
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert str(pdf.docinfo.Title) == "India–Japan: the record"
        elements = structure(pdf)
        role = {str(k): str(v) for k, v in pdf.Root.StructTreeRoot.get("/RoleMap", {}).items()}

        def kind(el: pikepdf.Dictionary) -> str:
            name = str(el.S)
            return role.get(name, name)

        kinds = [kind(el) for el in elements]
        headings = [int(k[2:]) for k in kinds if re.fullmatch(r"/H[1-6]", k)]
        assert headings[0] == 1 and {1, 2, 3} <= set(headings)
        assert all(b <= a + 1 for a, b in itertools.pairwise(headings))
        assert kinds.count("/Table") >= 10 and kinds.count("/TH") >= kinds.count("/Table")
        figures = [el for el in elements if kind(el) == "/Figure"]
        assert figures
        for figure in figures:  # none without alternative text
            assert "Timeline of meetings:" in str(figure.get("/Alt", "")), figure.get("/Alt")
        langs = {str(el.Lang) for el in elements if "/Lang" in el}
        assert {"ja-JP", "hi-IN"} <= langs
        fonts = {
            str(font.get("/BaseFont", ""))
            for page in pdf.pages
            for font in page.Resources.get("/Font", {}).values()
        }
        assert any("SerifCJK" in f for f in fonts) and any("SerifDevanagari" in f for f in fonts)


def test_no_heading_ends_a_page_in_libreoffice(project: Path, tagged: Path) -> None:
    """Headings keep with what follows them: no page's last line of text is a heading."""
    path = project / "out" / "analyst" / "analyst-dossier.docx"
    headings = {" ".join(text.split()) for text, _ in outline(path) if text.strip()}
    stranded = [
        (number, last)
        for number, last in enumerate(last_lines(tagged), start=1)
        if any(last == h or (len(last) > 12 and h.startswith(last)) for h in headings)
    ]
    assert stranded == []


def last_lines(pdf: Path) -> list[str]:
    """The last line of text of each page of ``pdf`` but the last, as pdftotext lays it out."""
    with pikepdf.open(pdf) as document:
        pages = len(document.pages)
    found = []
    for number in range(1, pages):
        out = subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(pdf), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        lines = [" ".join(line.split()) for line in out.splitlines() if line.strip()]
        body = [line for line in lines if not re.search(r"Page \d+ of \d+", line)]
        found.append(body[-1] if body else "")
    return found


def test_headings_keep_with_what_follows_in_libreoffice(tmp_path: Path) -> None:
    """Many short sections (a heading and one to three lines): without keep-with-next some
    heading would end a page; with it, none does."""
    from ijbrief.writers.docx import DocxMeta, html_to_docx
    from ijbrief.writers.docx_reference import AUDIENCES, make_reference

    look = AUDIENCES["analyst"]
    reference = tmp_path / "reference.docx"
    make_reference(
        reference,
        body_font=look.body_font,
        heading_font=look.heading_font,
        accent=look.accent,
        banner=look.banner,
    )
    words = "The ministers reviewed cooperation on supply chains and critical minerals. "
    sections = "".join(
        f"<h2>Heading number {i}</h2><p>{words * (1 + i % 3) * 2}</p>" for i in range(120)
    )
    html = f'<html lang="en"><body><h1>Sections</h1>{sections}</body></html>'
    meta = DocxMeta(
        title="Sections",
        subject="Sections",
        author="ijbrief",
        keywords=[],
        created=datetime(2025, 1, 1),
        header_text=None,
        page_x_of_y=True,
        cover=False,
    )
    source = tmp_path / "sections.docx"
    source.write_bytes(html_to_docx(html, reference, meta, {}))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    lasts = last_lines(tmp_path / "sections.pdf")
    assert len(lasts) >= 5
    assert [line for line in lasts if line.startswith("Heading number")] == []
