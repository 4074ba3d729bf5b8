"""A dossier laid out in parts and merged reads exactly like the same dossier laid out whole."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from tests.conftest import copy_project, edit

from ijbrief.build.assemble import PARTS_DIR
from ijbrief.build.pipeline import BuildOptions, build
from ijbrief.build.progress import Progress
from ijbrief.compose.runs import run_starts
from ijbrief.errors import RenderError

DOSSIER = Path("analyst") / "analyst-dossier.pdf"
ANALYST_CHAPTERS = ["two-plus-two-1", "fmsd-13", "two-plus-two-2", "sd-18"]


def build_in_parts(
    root: Path, out: Path, jobs: int = 2, rows_per_part: int = 48, chapters_per_part: int = 1
) -> Path:
    # In parts, by default one meeting a part (every chapter then starts a page).
    build(
        BuildOptions(
            root=root,
            formats=("pdf",),
            audiences=("analyst",),
            out=out,
            jobs=jobs,
            quiet=True,
            whole_up_to=0,
            chapters_per_part=chapters_per_part,
            rows_per_part=rows_per_part,
        )
    )
    return out / DOSSIER


@pytest.fixture(scope="module")
def whole_and_parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = copy_project(tmp_path_factory.mktemp("parts"))
    whole_out = root / "whole"
    # Runs of one to four chapters (compose/runs.py), the same in both: the parts are the runs.
    build(
        BuildOptions(
            root=root,
            formats=("pdf",),
            audiences=("analyst",),
            out=whole_out,
            quiet=True,
            chapters_per_part=2,
        )
    )
    return root, whole_out / DOSSIER, build_in_parts(root, root / "out", chapters_per_part=2)


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def link_targets(reader: PdfReader) -> Counter[tuple[int, int]]:
    """(page with the link, page it goes to), counted, for every internal link."""
    targets: Counter[tuple[int, int]] = Counter()
    names = reader.named_destinations
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link" or "/URI" in annotation.get("/A", {}):
                continue
            destination = annotation.get("/Dest")
            if destination is None:
                destination = annotation["/A"]["/D"]
            if isinstance(destination, str):
                target = reader.get_destination_page_number(names[destination])
            else:
                target = reader.get_page_number(destination[0].get_object())
            targets[(number, target)] += 1
    return targets


def test_the_parts_path_was_taken(whole_and_parts: tuple[Path, Path, Path]) -> None:
    root, _, _ = whole_and_parts
    parts = list((root / "out" / PARTS_DIR).glob("*.pdf"))
    # front, overview, the chapters' runs, tracker, glossary and sources, index, and the
    # footer's sample; the analyst's 4 chapters run in twos
    assert run_starts(ANALYST_CHAPTERS, 2) == [True, False, True, False]
    assert len(parts) == 6 + 2


def test_same_pages_contents_and_bookmarks(whole_and_parts: tuple[Path, Path, Path]) -> None:
    _, whole_pdf, parts_pdf = whole_and_parts
    whole, parts = PdfReader(whole_pdf), PdfReader(parts_pdf)
    assert len(parts.pages) == len(whole.pages) > 10

    # The contents page, page numbers included, reads the same; the stamped "Page X of Y" is
    # drawn after the rest of the footer, so the footer's words are compared in any order.
    def lines(reader: PdfReader) -> tuple[list[str], list[str]]:
        text = reader.pages[1].extract_text().replace("Page ", " Page ").splitlines()
        return [t for t in text if "Page " not in t], sorted(
            " ".join(t for t in text if "Page " in t).split()
        )

    assert lines(parts) == lines(whole)
    assert outline(parts) == outline(whole)
    assert len(outline(parts)) > 20
    assert parts.metadata is not None and whole.metadata is not None
    assert parts.metadata.title == whole.metadata.title == "India–Japan: the record"


def test_links_go_where_they_go_in_the_whole_document(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    _, whole_pdf, parts_pdf = whole_and_parts
    expected = link_targets(PdfReader(whole_pdf))
    assert sum(expected.values()) > 100
    # A link broken over two lines is two rectangles, and the index's columns may differ by a
    # hair (whole, WeasyPrint sizes them before it knows the page numbers): compare where links
    # go from each page, not how many rectangles they take.
    assert set(link_targets(PdfReader(parts_pdf))) == set(expected)


def test_page_x_of_y_labels_and_named_destinations(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    _, _, parts_pdf = whole_and_parts
    reader = PdfReader(parts_pdf)
    total = len(reader.pages)
    assert "Page" not in reader.pages[0].extract_text()
    for number in range(2, total + 1):
        assert f"Page {number} of {total}" in reader.pages[number - 1].extract_text()
    assert reader.page_labels[:3] == ["Cover", "2", "3"]
    assert reader.page_labels[-1] == str(total)
    chapter = reader.named_destinations["ch-sd-18"]
    assert (
        "18th India–Japan Strategic Dialogue"
        in reader.pages[reader.get_destination_page_number(chapter)].extract_text()
    )


def font_programs(reader: PdfReader) -> Counter[str]:
    """How many distinct embedded programs each font has."""
    programs: dict[str, set[str]] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                program = (descriptor.get("/FontFile2") or descriptor["/FontFile3"]).get_object()
                digest = hashlib.sha256(program.get_data()).hexdigest()
                name = str(descriptor["/FontName"]).partition("+")[2]
                programs.setdefault(name, set()).add(digest)
    return Counter({name: len(digests) for name, digests in programs.items()})


def test_each_font_is_embedded_once_and_the_file_stays_small(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    _, whole_pdf, parts_pdf = whole_and_parts
    programs = font_programs(PdfReader(parts_pdf))
    assert "Noto-Serif-CJK-JP" in programs and "Noto-Serif" in programs  # names beside serif
    assert set(programs.values()) == {1}
    assert parts_pdf.stat().st_size <= 1.5 * whole_pdf.stat().st_size


def truetype_glyphs(pdf: Path) -> dict[str, dict[int, bytes]]:
    """Each embedded TrueType font's drawn glyphs, by font name and glyph id, as compiled."""
    import io

    from fontTools.ttLib import TTFont

    found: dict[str, dict[int, bytes]] = {}
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" not in descriptor:
                    continue
                program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
                glyf = program["glyf"]
                glyphs = found.setdefault(str(descriptor["/FontName"]).partition("+")[2], {})
                for gid, name in enumerate(program.getGlyphOrder()):
                    if glyf[name].numberOfContours:
                        glyphs.setdefault(gid, glyf[name].compile(glyf))
    return found


def test_the_joined_fonts_draw_every_glyph_of_every_part(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    """Each part's subset draws some glyphs; the one program the merged file embeds for that
    font draws all of them, each as the subset did (WeasyPrint keeps glyph ids)."""
    root, _, parts_pdf = whole_and_parts
    in_parts: dict[str, dict[int, bytes]] = {}
    for part in sorted((root / "out" / PARTS_DIR).glob("*.pdf")):
        for name, glyphs in truetype_glyphs(part).items():
            in_parts.setdefault(name, {}).update(glyphs)
    joined = truetype_glyphs(parts_pdf)
    assert "Noto-Serif" in joined and "Noto-Sans" in joined
    for name, glyphs in joined.items():
        assert glyphs == in_parts[name], name


def test_japanese_names_survive_the_font_merge(whole_and_parts: tuple[Path, Path, Path]) -> None:
    _, whole_pdf, parts_pdf = whole_and_parts
    for pdf in (whole_pdf, parts_pdf):
        # Motegi Toshimitsu, in the 18th Strategic Dialogue's chapter
        assert "茂木" in "".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_a_changed_meeting_lays_out_only_its_own_parts(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    first = build_in_parts(root, root / "out", jobs=1).read_bytes()
    store = root / "out" / PARTS_DIR
    before = {p.name for p in store.glob("*.pdf")}
    meeting = root / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml"
    edit(meeting, "finalised", "settled")
    second = build_in_parts(root, root / "out", jobs=1).read_bytes()
    after = {p.name for p in store.glob("*.pdf")}
    assert first != second
    new = after - before
    # The meeting's chapter, and the overview that quotes its bottom line; nothing else moved.
    assert 1 <= len(new) <= 2, new
    assert len(after) == len(before)  # the replaced parts were pruned
    # Joined font programs are kept for the next merge, and those in use survive the pruning.
    assert list(store.glob("font-*.bin"))


def test_a_long_lived_process_lays_out_even_a_small_dossier_in_parts(tmp_path: Path) -> None:
    """`build --watch` and `serve` rebuild after every edit: only the changed parts are laid out
    again, where a one-shot build lays out a dossier this small whole (it is quicker cold)."""
    root = copy_project(tmp_path)
    store = root / "out" / PARTS_DIR

    def build_it(warm: bool) -> None:
        build(
            BuildOptions(root=root, formats=("pdf",), audiences=("analyst",), quiet=True, warm=warm)
        )

    build_it(warm=False)
    assert not list(store.glob("*.pdf"))  # laid out whole
    edit(root / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml", "finalised", "settled")
    build_it(warm=True)
    before = {p.name for p in store.glob("*.pdf")}
    assert len(before) >= 3
    edit(root / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml", "settled", "agreed")
    build_it(warm=True)
    after = {p.name for p in store.glob("*.pdf")}
    assert 1 <= len(after - before) <= 2


def test_a_watcher_lays_out_a_whole_dossiers_parts_while_it_waits(tmp_path: Path) -> None:
    """After a one-shot build laid the dossier out whole, `build --watch` lays out its parts in
    the background once it is watching: the first rebuild after an edit lays out only the parts
    the edit changed, not all of them."""
    import ijbrief.build.pool as build_module

    root = copy_project(tmp_path)
    store = root / "out" / PARTS_DIR
    build(BuildOptions(root=root, formats=("pdf",), audiences=("analyst",), quiet=True))
    assert not list(store.glob("*.pdf"))
    watched = BuildOptions(
        root=root, formats=("pdf",), audiences=("analyst",), quiet=True, jobs=2, warm=True
    )
    try:
        build(watched)  # everything up to date
        build_module.warm_up(watched)
        for thread in build_module._AHEAD:
            thread.join(timeout=120)
        before = {p.name for p in store.glob("*.pdf")}
        assert len(before) >= 3
        # And merged once, as a rebuild will merge them: the fonts they share are joined.
        assert list(store.glob("font-*.bin"))
        edit(root / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml", "finalised", "settled")
        notes = Notes(quiet=True)
        build(watched, progress=notes)
        # The overview (the summary says "finalised") and the meeting's chapters, nothing else:
        # the contents' draft, and their layout with the real numbers, were laid out ahead.
        assert notes.of("dossier").endswith(" parts, 2 layouts")
        # Kept in parts now, contents included: nothing is left to lay out ahead.
        build_module._AHEAD.clear()
        build_module.warm_up(watched)
        assert not build_module._AHEAD
    finally:
        build_module.retire_resident()
    after = {p.name for p in store.glob("*.pdf")}
    # The meeting's chapters, and the overview and contents, laid out again; nothing else.
    assert 1 <= len(after - before) <= 3, after - before


class Notes(Progress):
    """The notes the build gives on each document (how many parts and layouts a dossier took)."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(quiet=quiet)
        self.notes: dict[str, str] = {}

    def done(self, result: Any) -> None:
        super().done(result)
        self.notes[result.task.kind] = result.note

    def of(self, kind: str) -> str:
        return self.notes.get(kind, "")


def test_parts_build_is_reproducible(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    one = build_in_parts(root, tmp_path / "one").read_bytes()
    shutil.rmtree(tmp_path / "one")
    two = build_in_parts(root, tmp_path / "two", jobs=1).read_bytes()
    assert one == two


def test_a_dossier_template_without_part_marks_is_laid_out_whole(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "proj")
    (root / "templates" / "analyst" / "dossier.html.j2").write_text(
        '{% extends "base/dossier.html.j2" %}\n'
        '{% block body %}<section class="chapter" id="all"><h1>All in one</h1>'
        "{% for m in dossier.meetings %}<p>{{ m.title }}</p>{% endfor %}</section>{% endblock %}\n",
        encoding="utf-8",
    )
    reader = PdfReader(build_in_parts(root, root / "out"))
    assert "All in one" in reader.pages[0].extract_text()
    assert not (root / "out" / PARTS_DIR).exists()


def test_a_part_that_fails_fails_the_build_and_keeps_the_last_good_dossier(
    tmp_path: Path,
) -> None:
    root = copy_project(tmp_path / "proj")
    good = build_in_parts(root, root / "out").read_bytes()
    style = root / "templates" / "analyst" / "style.css"
    style.write_text(
        style.read_text(encoding="utf-8")
        + "\n.meeting-chapter h1 { background: url(missing-texture.png); }\n",
        encoding="utf-8",
    )
    with pytest.raises(RenderError) as failure:
        build_in_parts(root, root / "out", jobs=1)
    assert "analyst/dossier, chapters" in str(failure.value)
    assert "missing-texture.png" in str(failure.value)
    assert (root / "out" / DOSSIER).read_bytes() == good


def test_a_long_overview_is_cut_between_rows_each_stretch_with_its_header(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    root, _, parts_pdf = whole_and_parts
    # One row a part: the overview's 4 rows make 4 parts, each starting a page.
    reader = PdfReader(build_in_parts(root, root / "rows", rows_per_part=1, chapters_per_part=2))
    texts = [page.extract_text() for page in reader.pages]
    with_rows = [number for number, text in enumerate(texts) if "DATE MEETING BOTTOM LINE" in text]
    assert len(with_rows) == 4
    assert with_rows == list(range(with_rows[0], with_rows[0] + 4))  # one after another
    assert texts[with_rows[0]].startswith("Overview\nThis dossier covers")
    for number in with_rows[1:]:
        assert texts[number].startswith("DATE MEETING BOTTOM LINE")  # the table's head again
        assert "ANALYSIS Overview" in texts[number]  # and the running header's chapter
    shown = "".join(texts[n] for n in with_rows)
    dates = ["November 2019", "7 October 2020", "8 September 2022", "16 January 2026"]  # no wrap
    starts = [re.search(rf"(?m)^{re.escape(date)}", shown) for date in dates]  # each a row's
    assert all(starts)
    assert [m.start() for m in starts if m] == sorted(m.start() for m in starts if m)
    # Each row still links to its chapter, and the page numbers count every page.
    chapters = {  # (the citations' links land on the sources list)
        target
        for (page, target) in link_targets(reader)
        if page in with_rows and "Numbers in square brackets" not in texts[target]
    }
    top = [(title, page) for depth, title, page in outline(reader) if depth == 0]
    names = [title for title, _ in top]
    between = top[names.index("Overview") + 1 : names.index("Agreements tracker")]
    assert chapters == {page for _, page in between}
    assert len(chapters) >= 3  # the chapters run in twos: two of them may share a page
    total = len(reader.pages)
    assert total == len(PdfReader(parts_pdf).pages) + 3
    assert f"Page {total} of {total}" in texts[-1]


def test_a_brief_that_fails_beside_a_dossier_in_parts_fails_the_build_cleanly(
    tmp_path: Path,
) -> None:
    root = copy_project(tmp_path / "proj")
    good = build_in_parts(root, root / "out").read_bytes()
    (root / "templates" / "analyst" / "brief-meeting.html.j2").write_text(
        '{% extends "base/brief-meeting.html.j2" %}\n'
        '{% block masthead %}<img src="missing-seal.png">{% endblock %}\n',
        encoding="utf-8",
    )
    edit(root / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml", "finalised", "settled")
    with pytest.raises(RenderError) as failure:
        build_in_parts(root, root / "out", jobs=2)
    assert "missing-seal.png" in str(failure.value)
    assert "analyst/meeting" in str(failure.value)
    assert (root / "out" / DOSSIER).read_bytes() == good


def footers(pdf: Path) -> list[tuple[str, str, float, float, float]]:
    """Each page's "Page X of Y": its text, font (without the subset tag), size in points and
    where it starts, in points from the bottom left."""
    found: list[tuple[str, str, float, float, float]] = []
    for page in PdfReader(pdf).pages:

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
            if text.startswith("Page ") and " of " in text:
                a, b, c, d = (
                    tm[0] * cm[0] + tm[1] * cm[2],
                    tm[0] * cm[1] + tm[1] * cm[3],
                    tm[2] * cm[0] + tm[3] * cm[2],
                    tm[2] * cm[1] + tm[3] * cm[3],
                )
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                name = str(font["/BaseFont"]).partition("+")[2]
                found.append((text.strip(), name, size * abs(a * d - b * c) ** 0.5, x, y))

        page.extract_text(visitor_text=visit)
    return found


def test_page_numbers_are_set_as_the_whole_dossier_sets_them(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    _, whole_pdf, parts_pdf = whole_and_parts
    whole, parts = footers(whole_pdf), footers(parts_pdf)
    assert len(parts) == len(whole) == len(PdfReader(whole_pdf).pages) - 1  # not on the cover
    for (text, font, size, x, y), (text2, font2, size2, x2, y2) in zip(whole, parts, strict=True):
        assert (text2, font2) == (text, font)
        assert font == "Noto-Sans"  # the heading font, embedded, not a stand-in
        assert abs(size2 - size) < 0.01 and abs(y2 - y) < 0.05
        assert abs(x2 - x) < 1.0  # centred alike (the whole one is kerned)


def test_a_long_lived_process_rebuilds_in_its_own_workers_as_a_fresh_build_would(
    tmp_path: Path,
) -> None:
    import dataclasses

    from ijbrief.build import pool as building

    root = copy_project(tmp_path / "proj")
    options = BuildOptions(
        root=root,
        formats=("pdf",),
        audiences=("analyst",),
        jobs=2,
        quiet=True,
        whole_up_to=0,
        chapters_per_part=1,
        warm=True,
    )
    try:
        build(options)
        building.warm_up(options)
        assert str(root) in building._RESIDENT  # build --watch, after its first build
        first = (root / "out" / DOSSIER).read_bytes()
        meeting = root / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml"
        edit(meeting, "finalised", "settled")
        build(options)
        edit(meeting, "settled", "finalised")
        build(options)
        assert (root / "out" / DOSSIER).read_bytes() == first
        edit(meeting, "finalised", "settled")
        build(options)
    finally:
        building.retire_resident()
    fresh = dataclasses.replace(options, out=tmp_path / "fresh", warm=False)
    build(fresh)
    assert (root / "out" / DOSSIER).read_bytes() == (tmp_path / "fresh" / DOSSIER).read_bytes()


def test_the_parts_after_the_last_chapter_are_placed_ahead_in_their_place(
    whole_and_parts: tuple[Path, Path, Path],
) -> None:
    import io
    import json

    from ijbrief.build.assemble import PartStore
    from ijbrief.writers.pdf_merge import Merging, OpenParts, merge

    root, _, parts_pdf = whole_and_parts
    kept = json.loads((root / "out" / ".ijbrief-cache.json").read_text())["parts"]
    record = kept[str(DOSSIER.with_suffix(""))]
    keys, ahead = record["parts"], record["ahead"]
    assert ahead == keys[-3:]  # the tracker, the glossary and sources, the index
    store = PartStore(root / "out" / ".ijbrief-parts")
    layouts = [store.get(key) for key in keys]
    footer = store.get(record["footer"][0])
    assert footer is not None and None not in layouts

    def merged(placed: int) -> bytes:
        pdf, _ = merge(layouts, keys, opened=OpenParts(), footer_sample=footer.pdf, ahead=placed)
        return pdf

    in_order = PdfReader(io.BytesIO(merged(0)))
    placed = PdfReader(io.BytesIO(merged(len(ahead))))
    texts = [page.extract_text() for page in in_order.pages]
    assert [page.extract_text() for page in placed.pages] == texts
    assert outline(placed) == outline(in_order)
    assert merged(len(ahead)) == parts_pdf.read_bytes()  # as the build merged it

    merging = Merging(OpenParts(), footer.pdf)
    for key, layout in zip(ahead, layouts[-3:], strict=True):
        merging.place_ahead(key, layout)
    with pytest.raises(ValueError, match="placed ahead"):
        merging.add(ahead[1], layouts[-2])
