"""The DOCX files as Word and LibreOffice users get them: styles, one-page briefs, TOC, parity."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from ijbrief.build.pipeline import BuildOptions, build

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="session")
def office_pdfs(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every DOCX output converted by LibreOffice (headless), as a user's office suite lays it out."""
    target = tmp_path_factory.mktemp("office")
    profile = tmp_path_factory.mktemp("lo-profile")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by `.ci/setup --test`"
    for audience in ("analyst", "minister", "student"):
        files = sorted((built / "out" / audience).rglob("*.docx"))
        folder = target / audience
        folder.mkdir()
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(folder), *map(str, files)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return target


def all_docx(built: Path) -> list[Path]:
    return sorted((built / "out").rglob("*.docx"))


def test_python_docx_reads_every_output(built: Path) -> None:
    files = all_docx(built)
    assert len(files) == 3 * 17
    for path in files:
        document = docx.Document(str(path))
        assert document.paragraphs, path


def test_libreoffice_converts_every_output(built: Path, office_pdfs: Path) -> None:
    converted = sorted(office_pdfs.rglob("*.pdf"))
    assert len(converted) == len(all_docx(built))


def test_every_brief_is_one_page_in_libreoffice(office_pdfs: Path) -> None:
    over = {
        str(pdf.relative_to(office_pdfs)): len(PdfReader(pdf).pages)
        for pdf in office_pdfs.rglob("*.pdf")
        if "dossier" not in pdf.name and len(PdfReader(pdf).pages) != 1
    }
    assert over == {}


def test_dossier_toc_is_visible_in_libreoffice(office_pdfs: Path) -> None:
    reader = PdfReader(office_pdfs / "analyst" / "analyst-dossier.pdf")
    front = " ".join(reader.pages[i].extract_text() for i in range(3))
    assert "Contents" in front
    for entry in (
        "Overview",
        "13th India–Japan Foreign Ministers' Strategic Dialogue",
        "Agreements tracker",
        "Glossary",
    ):
        assert entry in front
    assert re.search(r"Agreements tracker\s*\.*\s*\d+", front)


def test_headings_lists_tables_quotes_use_named_styles(built: Path) -> None:
    document = docx.Document(str(built / "out/analyst/analyst-dossier.docx"))
    styles = {p.style.name for p in document.paragraphs}
    assert {"Heading 1", "Heading 2", "Quote"} <= styles
    assert any(name.startswith("TOC") for name in styles)
    assert document.tables and all(
        t.style is not None and t.style.name == "Brief Table" for t in document.tables
    )
    body = document.element.body
    assert body.findall(f".//{W}numPr"), "lists use Word numbering"
    # Named styles, not direct formatting: no run sets its own size or colour.
    assert not body.findall(f".//{W}r/{W}rPr/{W}sz")
    assert not body.findall(f".//{W}r/{W}rPr/{W}color")


def test_dossier_has_cover_header_footer_fields_and_properties(built: Path) -> None:
    path = built / "out/minister/minister-dossier.docx"
    document = docx.Document(str(path))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert "RESTRICTED — FOR MINISTERIAL USE" in section.header.paragraphs[0].text
    assert "India–Japan: ministerial dossier" in section.footer.paragraphs[-1].text
    with zipfile.ZipFile(path) as archive:
        footers = " ".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("word/footer")
        )
        document_xml = archive.read("word/document.xml").decode()
        settings = archive.read("word/settings.xml").decode()
    assert "PAGE" in footers and "NUMPAGES" in footers
    assert "TOC \\o" in document_xml and 'w:dirty="true"' in document_xml
    assert "updateFields" in settings
    assert "w:anchor=" in document_xml  # internal links from the index and tracker
    properties = document.core_properties
    assert properties.title == "India–Japan: ministerial dossier"
    assert properties.author and "India" in properties.keywords
    assert properties.created is not None and properties.created.year == 2026


def test_scripts_carry_east_asian_and_complex_fonts(built: Path) -> None:
    path = built / "out/analyst/briefs/2022-09-08-two-plus-two-2.docx"
    body = docx.Document(str(path)).element.body
    japanese = [
        r for r in body.iter(f"{W}r") if "林" in "".join(t.text or "" for t in r.iter(f"{W}t"))
    ]
    devanagari = [
        r for r in body.iter(f"{W}r") if "राजनाथ" in "".join(t.text or "" for t in r.iter(f"{W}t"))
    ]
    assert japanese and devanagari
    assert japanese[0].find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia")
    assert devanagari[0].find(f"{W}rPr/{W}rFonts").get(f"{W}cs")


def _sentences(text: str) -> list[str]:
    text = re.sub(r"(?:^|\s)(?:•|\d+\.)(?=\s|$)", " ", text)
    return [s for s in re.split(r"(?<=[.!?”])\s+", " ".join(text.split())) if len(s) > 20]


def _squash(text: str) -> str:
    """Compare text as both engines lay it out: no whitespace, word joiners, citation marks, list
    markers or case."""
    text = re.sub(r"(?:^|\s)(?:•|\d+\.)(?=\s|$)", " ", text)
    return re.sub(r"\[\d+(,\d+)*\]|\s+|\u2060", "", text).casefold()


def _docx_text(path: Path) -> str:
    """Every paragraph, in tables too, in document order."""
    body = docx.Document(str(path)).element.body
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in body.iter(f"{W}p"))


@pytest.mark.parametrize("audience", ["analyst", "minister", "student"])
def test_docx_and_pdf_say_the_same_things(built: Path, audience: str) -> None:
    for pdf in sorted((built / "out" / audience / "briefs").glob("*.pdf")):
        pdf_text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
        pdf_text = re.sub(
            r"Prepared \d+ \w+ \d{4} · (Information as of [^·]+ · )?ijbrief · .*", "", pdf_text
        )  # page furniture
        docx_text = _docx_text(pdf.with_suffix(".docx"))
        in_pdf, in_docx = _squash(pdf_text), _squash(docx_text)
        missing_in_pdf = [s for s in _sentences(docx_text) if _squash(s) not in in_pdf]
        missing_in_docx = [s for s in _sentences(pdf_text) if _squash(s) not in in_docx]
        assert not missing_in_pdf, (pdf.name, missing_in_pdf)
        assert not missing_in_docx, (pdf.name, missing_in_docx)


def test_docx_is_byte_identical_for_the_same_inputs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    for out in ("a", "b"):
        build(
            BuildOptions(
                root=project,
                formats=("docx",),
                audiences=("student",),
                out=project / out,
                jobs=2,
                quiet=True,
            )
        )
    first = sorted((project / "a").rglob("*.docx"))
    assert first
    for path in first:
        assert (
            path.read_bytes() == (project / "b" / path.relative_to(project / "a")).read_bytes()
        ), path.name


def _outline_levels(path: Path) -> list[tuple[int, str]]:
    """(outline level from 1, text) of every paragraph that has one, from itself or its style."""
    document = docx.Document(str(path))
    by_style: dict[str, int] = {}
    for style in document.styles.element.iter(f"{W}style"):
        level = style.find(f"{W}pPr/{W}outlineLvl")
        if level is not None and int(level.get(f"{W}val")) < 9:
            by_style[style.get(f"{W}styleId")] = int(level.get(f"{W}val")) + 1
    found = []
    for p in document.element.body.iter(f"{W}p"):
        own = p.find(f"{W}pPr/{W}outlineLvl")
        style = p.find(f"{W}pPr/{W}pStyle")
        level = (
            int(own.get(f"{W}val")) + 1
            if own is not None
            else by_style.get(style.get(f"{W}val") if style is not None else "", 0)
        )
        if 0 < level < 10:
            found.append((level, "".join(t.text or "" for t in p.iter(f"{W}t"))))
    return found


@pytest.mark.parametrize("audience", ["analyst", "minister", "student"])
def test_word_headings_step_down_one_level_at_a_time(built: Path, audience: str) -> None:
    files = [built / "out" / audience / f"{audience}-dossier.docx"]
    files += sorted((built / "out" / audience / "briefs").glob("*.docx"))
    for path in files:
        levels = _outline_levels(path)
        assert levels and levels[0][0] == 1, path.name
        for (before, _), (level, text) in itertools.pairwise(levels):
            assert level <= before + 1, (path.name, before, level, text)
    labels = {text.upper() for level, text in _outline_levels(files[0]) if level == 2}
    if audience == "analyst":
        assert {
            "PARTICIPANTS",
            "OUTCOMES BY TOPIC",
            "ON THE RECORD",
            "AGREEMENTS TOUCHED",
        } <= labels


def test_the_word_cover_uses_the_title_style(built: Path) -> None:
    document = docx.Document(str(built / "out/analyst/analyst-dossier.docx"))
    titled = [p for p in document.paragraphs if p.style is not None and p.style.name == "Title"]
    assert [p.text for p in titled] == ["India–Japan: the record"]


def test_word_topic_index_gives_page_numbers(built: Path) -> None:
    with zipfile.ZipFile(built / "out/analyst/analyst-dossier.docx") as archive:
        body = archive.read("word/document.xml").decode()
    index = body[body.rindex("Topic index") :]
    assert index.count("PAGEREF") >= 10
    assert "(p. " in index


def test_date_cells_keep_to_one_line_in_libreoffice(built: Path, office_pdfs: Path) -> None:
    import lxml.html

    page = lxml.html.fromstring((built / "out/analyst/analyst-dossier.html").read_bytes())
    dates = [" ".join(td.text_content().split()) for td in page.xpath("//td[@class='date']")]
    dates = [re.sub(r"\u2060?[†‡]?(?:\[[\d,]+\])?$", "", d) for d in dates]
    assert len(dates) > 20
    office = office_pdfs / "analyst" / "analyst-dossier.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(office), "-"], check=True, capture_output=True, text=True
    ).stdout
    for date in set(dates):
        # a cell of its own: at a line's start or 2+ spaces from the text before it, and whole
        cells = re.findall(
            rf"(?m)(?:^|\s{{2}})\s*{re.escape(date)}(?=\s{{2}}|\[|\u2060|[†‡]|$)", text
        )
        assert len(cells) == dates.count(date), (date, len(cells), dates.count(date))


@pytest.mark.parametrize("audience", ["analyst", "minister", "student"])
def test_word_contents_give_the_pages_libreoffice_lays_the_headings_on(
    built: Path, office_pdfs: Path, audience: str
) -> None:
    path = built / "out" / audience / f"{audience}-dossier.docx"
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode()
    toc = body[body.index("TOC \\o") : body.index('w:fldCharType="end"/></w:r></w:p>')]
    entries = re.findall(
        r"PAGEREF (\S+) \\h.*?w:fldCharType=\"separate\"/></w:r><w:r>(?:<w:rPr>.*?</w:rPr>)?"
        r"<w:t>(\d+)</w:t>",
        body[body.index("TOC \\o") :],
    )
    assert len(entries) >= 10, toc[:200]
    office = PdfReader(office_pdfs / audience / f"{audience}-dossier.pdf")
    texts = [flat for flat in (" ".join(p.extract_text().split()).casefold() for p in office.pages)]
    document = docx.Document(str(path))
    headings = {
        b.get(f"{W}name"): "".join(t.text or "" for t in b.getparent().iter(f"{W}t"))
        for b in document.element.body.iter(f"{W}bookmarkStart")
    }
    for bookmark, number in entries[: len(re.findall("PAGEREF", toc))]:
        title = " ".join(headings[bookmark].split()).casefold()[:25]
        page = int(number)
        assert title in texts[page - 1], (audience, bookmark, page, title)
    manifest = json.loads((built / "out" / "manifest.json").read_text())["outputs"]
    entry = manifest[f"{audience}/{audience}-dossier.docx"]
    assert entry["pages_from"] == "libreoffice" and entry["pages"] == len(office.pages)
