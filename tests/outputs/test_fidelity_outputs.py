"""What readers see, read back from every output (HTML, PDF text layer, DOCX): no internal
vocabulary, dates at their precision, marks for what the sources do not say, and their legend."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

INTERNAL = re.compile(r"src-\d|seeds|\.txt\b", re.IGNORECASE)


def pdf_text(path: Path) -> str:
    """The text layer in reading order (poppler's), and pypdf's reading of it too: a word must
    be in the PDF for either to find it."""
    poppler = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return poppler + "\n" + "\n".join(page.extract_text() for page in PdfReader(path).pages)


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


def html_text(path: Path) -> str:
    content = path.read_text(encoding="utf-8")
    content = re.sub(r"<style>.*?</style>", " ", content, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", content))


def read(path: Path) -> str:
    reader = {".pdf": pdf_text, ".docx": docx_text, ".html": html_text}[path.suffix]
    return " ".join(reader(path).split())


def outputs(built: Path) -> list[Path]:
    found = [p for p in (built / "out").rglob("*") if p.suffix in (".pdf", ".docx", ".html")]
    assert len(found) > 40  # every audience, every brief and dossier, three formats
    return sorted(found)


def test_no_rendered_text_names_a_source_id_or_a_seed_file(built: Path) -> None:
    # No exception, not even the analyst's: readers see sources by title, outlet and date.
    leaks = {}
    for path in outputs(built):
        found = INTERNAL.findall(read(path))
        if found:
            leaks[str(path.relative_to(built))] = found[:3]
    assert leaks == {}


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
def test_the_dossier_period_keeps_each_dates_precision(built: Path, suffix: str) -> None:
    for audience in ("analyst", "minister", "student"):
        text = read(built / "out" / audience / f"{audience}-dossier{suffix}")
        assert "November 2019 – 16 January 2026" in text, audience
        assert "1 November 2019" not in text, audience
        assert "Information as of 16 January 2026" in text, audience
        assert "Venue not reported" in text or audience != "analyst"


def test_prepared_is_the_build_date(built: Path) -> None:
    prepared = json.loads((built / "out" / "manifest.json").read_text())["prepared"]
    day = __import__("datetime").date.fromisoformat(prepared)
    shown = f"Prepared {day.day} {day.strftime('%B %Y')}"
    text = read(built / "out" / "analyst" / "briefs" / "2020-10-07-fmsd-13.pdf")
    assert shown in text and "Information as of 16 January 2026" in text


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
def test_inferred_participants_and_their_legend_are_visible(built: Path, suffix: str) -> None:
    text = read(built / "out" / "analyst" / "briefs" / f"2019-11-two-plus-two-1{suffix}")
    assert "Venue not reported" in text
    for name in ("S. Jaishankar", "Rajnath Singh", "Taro Kono"):
        assert re.search(re.escape(name) + r"\S* ?[^‡]{0,20}‡", text), name
    assert "‡ inferred from the cited sources, not stated in them" in text


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
@pytest.mark.parametrize("audience", ["analyst", "minister", "student"])
def test_the_dossier_explains_every_mark(built: Path, audience: str, suffix: str) -> None:
    text = read(built / "out" / audience / f"{audience}-dossier{suffix}")
    for legend in (
        "† public record, not in the cited sources",
        "‡ inferred from the cited sources, not stated in them",
        "Assessment: the desk's own assessment, not reporting",
    ):
        assert legend in text
    # the notes behind the marks, to weigh them: not in the minister's edition, whose
    # audience.yaml keeps notes on what the sources leave out for the desk (show_source_gaps)
    note = "this is the person who held the office in November 2019"
    assert (note in text) is (audience != "minister")


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
def test_analysis_is_never_disguised_as_reporting(built: Path, suffix: str) -> None:
    text = read(built / "out" / "student" / f"student-dossier{suffix}")
    assert "Assessment: Supply-chain resilience and economic security" in text


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".html"])
def test_a_chapter_shows_the_status_of_its_own_day(built: Path, suffix: str) -> None:
    text = read(built / "out" / "analyst" / "briefs" / f"2020-10-07-fmsd-13{suffix}")
    assert "Cybersecurity MoC Text finalised 7 October 2020" in text
    first = read(built / "out" / "analyst" / "briefs" / f"2019-11-two-plus-two-1{suffix}")
    # the partnership's row, as the 2019 meeting left it (not its 2022 step)
    row = re.search(r"Special Strategic and Global Partnership Reaffirmed ([^\[]+?) ?\[", first)
    assert row is not None and row.group(1).rstrip("\u2060") == "November 2019"


def test_quotation_context_is_shown(built: Path) -> None:
    text = read(built / "out" / "analyst" / "briefs" / "2026-01-16-sd-18.pdf")
    assert "During the discussions, on economic security" in text


def test_no_agenda_comparison_across_a_gap(built: Path) -> None:
    text = read(built / "out" / "analyst" / "analyst-dossier.pdf")
    assert re.search(r"the 14th–\s?17th meetings of the series are not in this record", text)
    assert "its record is sparse, so the agendas are not compared" in text
