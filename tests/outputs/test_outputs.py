"""The PDFs a user gets: one page per brief, the expected text, a dossier with real navigation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

AUDIENCES = ("analyst", "minister", "student")


def text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def flat(content: str) -> str:
    """Text with line breaks folded and case ignored (headings are upper-cased by CSS)."""
    return " ".join(content.split()).casefold()


def fonts(pdf: Path) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(pdf).pages:
        resources = page["/Resources"].get_object()
        for font in resources.get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_brief_is_exactly_one_page(built: Path, audience: str) -> None:
    briefs = sorted((built / "out" / audience / "briefs").glob("*.pdf"))
    assert len(briefs) == 16  # 4 meetings and 12 agreements
    for pdf in briefs:
        assert len(PdfReader(pdf).pages) == 1, pdf.name


def test_brief_file_names_start_with_the_iso_date(built: Path) -> None:
    names = {p.name for p in (built / "out" / "analyst" / "briefs").glob("*.pdf")}
    assert "2020-10-07-fmsd-13.pdf" in names
    assert "2022-09-08-two-plus-two-2.pdf" in names
    assert "2026-01-16-sd-18.pdf" in names
    assert "2019-11-two-plus-two-1.pdf" in names  # month precision: the seeds say "November 2019"
    assert all(re.match(r"\d{4}(-\d{2}){0,2}-[a-z0-9-]+\.pdf$", n) for n in names)


def test_meeting_brief_shows_what_the_issue_asks(built: Path) -> None:
    content = text(built / "out" / "analyst" / "briefs" / "2020-10-07-fmsd-13.pdf")
    for expected in (
        "13th India–Japan Foreign Ministers' Strategic Dialogue",  # title
        "7 October 2020",  # date
        "Tokyo",  # venue
        "FOR OFFICIAL USE",  # classification line
        "SUMMARY",  # bottom line
        "PARTICIPANTS",
        "OUTCOMES BY TOPIC",
        "Cybersecurity",  # outcomes grouped by topic
        "Information as of 16 January 2026",  # the latest date in the data, apart from "Prepared"
        "SOURCES",
        "茂木 敏充",
        "सुब्रह्मण्यम जयशंकर",
    ):
        assert expected in content, expected
    assert "“welcomed the finalisation of the text of the cybersecurity agreement." in content


def test_audiences_see_different_substance(built: Path) -> None:
    name = "2026-01-16-sd-18.pdf"
    minister = text(built / "out" / "minister" / "briefs" / name)
    analyst = text(built / "out" / "analyst" / "briefs" / name)
    student = text(built / "out" / "student" / "briefs" / name)
    assert "TALKING POINTS" in minister and "TO AVOID" in minister
    assert "TALKING POINTS" not in analyst and "OUTCOMES BY TOPIC" in analyst
    assert "WHY IN NEWS" in student and "SIGNIFICANCE" in student
    assert "TALKING POINTS" not in student and "TO AVOID" not in student


def test_agreement_brief_shows_status_history_and_meetings(built: Path) -> None:
    content = text(built / "out" / "analyst" / "briefs" / "2020-10-07-cyber-moc.pdf")
    assert "STATUS HISTORY" in content
    assert "Text finalised" in content and "7 October 2020" in content
    assert "MEETINGS THAT MOVED IT" in content
    assert "13th Foreign Ministers' Strategic Dialogue" in content


def test_japanese_and_devanagari_render_with_real_fonts(built: Path) -> None:
    pdf = built / "out" / "analyst" / "briefs" / "2022-09-08-two-plus-two-2.pdf"
    content = text(pdf)
    # Extraction drops a reordered vowel sign (सिंह comes out as संह) although the glyph is drawn,
    # so the Devanagari check uses names without one.
    for name in ("林 芳正", "浜田 靖一", "सुब्रह्मण्यम जयशंकर", "राजनाथ"):
        assert name in content
    embedded = " ".join(fonts(pdf))
    assert "CJK" in embedded  # Noto Sans CJK JP, not a fallback with empty boxes
    assert "Devanagari" in embedded


def test_dossier_toc_page_numbers_match_where_chapters_start(built: Path) -> None:
    reader = PdfReader(built / "out" / "analyst" / "analyst-dossier.pdf")
    toc = reader.pages[1].extract_text()
    entries = re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)$", toc, flags=re.M)
    assert len(entries) >= 10
    pages = [p.extract_text() for p in reader.pages]
    for title, number in entries:
        assert flat(title)[:30] in flat(pages[int(number) - 1]), (title, number)


def test_dossier_has_bookmarks_matching_its_chapters(built: Path) -> None:
    reader = PdfReader(built / "out" / "minister" / "minister-dossier.pdf")
    top = [item for item in reader.outline if not isinstance(item, list)]
    titles = [item.title for item in top]
    assert titles[0] == "Overview"
    assert "13th India–Japan Foreign Ministers' Strategic Dialogue" in titles
    for needed in ("Agreements tracker", "Topic index", "Glossary", "Sources"):
        assert needed in titles
    for item in top:
        page = reader.get_destination_page_number(item)
        assert flat(item.title)[:25] in flat(reader.pages[page].extract_text())


def test_dossier_has_page_x_of_y_but_not_on_the_cover(built: Path) -> None:
    reader = PdfReader(built / "out" / "student" / "student-dossier.pdf")
    total = len(reader.pages)
    assert "Page" not in reader.pages[0].extract_text()
    assert f"Page 2 of {total}" in reader.pages[1].extract_text()
    assert f"Page {total} of {total}" in reader.pages[-1].extract_text()
    assert "India–Japan relations: study notes" in reader.pages[3].extract_text()  # running header


def test_dossier_parts_and_topic_index_page_numbers(built: Path) -> None:
    content = text(built / "out" / "analyst" / "analyst-dossier.pdf")
    for part in ("Overview", "Agreements tracker", "Topic index", "Glossary", "Sources"):
        assert part in content
    assert re.search(r"13th Foreign Ministers' Strategic\s+Dialogue \(p\. \d+\)", content)
    assert "Figure 1" in content


def test_timeline_is_vector(built: Path) -> None:
    html = (built / "out" / "analyst" / "analyst-dossier.html").read_text(encoding="utf-8")
    assert "<svg" in html and "18th Strategic Dialogue" in html


def test_manifest_lists_every_output_with_hash_and_pages(built: Path) -> None:
    import hashlib

    out = built / "out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    files = {
        str(p.relative_to(out))
        for suffix in ("pdf", "docx", "html")
        for p in out.rglob(f"*.{suffix}")
        if p.name != "index.html"
    }
    assert set(manifest) == files
    for relpath, entry in manifest.items():
        data = (out / relpath).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
        assert entry["pages"] >= 1
        assert entry["inputs"]
    brief = manifest["analyst/briefs/2026-01-16-sd-18.pdf"]
    assert brief["fit"]["layouts"] >= 1
    assert brief["inputs"] == ["briefs/meetings/2026-01-16-sd-18.yaml"]


def test_sensitive_items_are_left_out_and_recorded(built: Path) -> None:
    out = built / "out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    student = manifest["student/briefs/2026-01-16-sd-18.pdf"]["omitted"]
    assert {  # restricted: students may not see it
        "record": "sd-18",
        "file": "briefs/meetings/2026-01-16-sd-18.yaml",
        "field": "to_avoid[0]",
        "reason": "sensitivity",
        "detail": "restricted; student admits public",
    } in student
    # The analyst sees everything, but its brief shows three of the four quotations.
    analyst = manifest["analyst/briefs/2026-01-16-sd-18.pdf"]["omitted"]
    assert [(o["field"], o["reason"]) for o in analyst] == [("quotes[3]", "limit")]
    assert manifest["analyst/analyst-dossier.pdf"]["omitted"] == []  # the dossier has no limit
    minister = manifest["minister/briefs/2026-01-16-sd-18.pdf"]["omitted"]
    assert any(o["field"].startswith("outcomes") and o["reason"] == "audience" for o in minister)


def test_html_is_self_contained(built: Path) -> None:
    path = built / "out" / "minister" / "briefs" / "2020-10-07-fmsd-13.html"
    html = path.read_text()
    assert "<style>" in html
    # the only relative links are the screen bar's: the index and this brief's other formats
    relative = re.findall(
        r"""(?<![\w-])(?:src|href)=["'](?!#|data:|https?://|mailto:)([^"']*)""", html
    )  # data-src (where a passage came from, for `ijbrief review`) is no link
    assert sorted(relative) == ["../../index.html", path.stem + ".docx", path.stem + ".pdf"]
    assert all((path.parent / link).is_file() for link in relative)


def test_a_table_row_is_never_split_across_pages(built: Path) -> None:
    from weasyprint import HTML
    from weasyprint.formatting_structure.boxes import TableRowBox

    html = (built / "out" / "analyst" / "analyst-dossier.html").read_text(encoding="utf-8")
    body = re.search(r'(<table class="overview">.*?<tbody>)(.*?)(</tbody>)', html, re.DOTALL)
    assert body is not None and body.group(2).count("<tr>") == 4
    # 30 times the overview's rows: a table over several pages, with three-line rows.
    long_table = html[: body.start(2)] + body.group(2) * 30 + html[body.end(2) :]
    document = HTML(string=long_table, base_url=str(built / "templates")).render()
    pages_of: dict[int, set[int]] = {}
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            # the head's row repeats on every page, as it should
            if isinstance(box, TableRowBox) and box.element.find("td") is not None:
                pages_of.setdefault(id(box.element), set()).add(number)
    spread = {len(pages) for pages in pages_of.values()}
    assert len({p for pages in pages_of.values() for p in pages}) >= 4
    assert spread == {1}, "a row was split across pages"
