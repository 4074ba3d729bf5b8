"""The DOCX files as Word and LibreOffice users get them: styles, one-page briefs, TOC, parity."""

from __future__ import annotations

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
    assert "India–Japan: ministerial dossier" in section.header.paragraphs[0].text
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
    """Compare text as both engines lay it out: no whitespace, citation marks, list markers or case.
    PDF extraction drops reordered Devanagari vowel signs (सिंह → संह), so those go on both sides."""
    text = re.sub(r"(?:^|\s)(?:•|\d+\.)(?=\s|$)", " ", text)
    text = re.sub(r"[\u093e-\u094c]", "", text)
    return re.sub(r"\[\d+(,\d+)*\]|\s+", "", text).casefold()


def _docx_text(path: Path) -> str:
    """Every paragraph, in tables too, in document order."""
    body = docx.Document(str(path)).element.body
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in body.iter(f"{W}p"))


@pytest.mark.parametrize("audience", ["analyst", "minister", "student"])
def test_docx_and_pdf_say_the_same_things(built: Path, audience: str) -> None:
    for pdf in sorted((built / "out" / audience / "briefs").glob("*.pdf")):
        pdf_text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
        pdf_text = re.sub(r"Prepared \d+ \w+ \d{4} · ijbrief · .*", "", pdf_text)  # page furniture
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
