"""Cutting a dossier into parts, numbering pages across them, and the store of laid-out parts."""

from __future__ import annotations

from pathlib import Path

from ijbrief.build.assemble import _LOADED, PartStore, Placeholders
from ijbrief.build.parts import ROWS_PER_PART, cut, page_numbers
from ijbrief.compose.runs import run_starts
from ijbrief.writers.layout import PartLayout

HEAD = '<html><head><style>p{}</style></head><body class="dossier">\n'
TAIL = "\n</body></html>"


def dossier(chapters: list[str], overview: str = "<section>overview</section>") -> str:
    body = "<!--ijbrief:part front-->\n<section>cover</section>\n"
    body += f"<!--ijbrief:part overview-->\n{overview}\n"
    for ident in chapters:
        body += f'<!--ijbrief:part chapter {ident}-->\n<section id="ch-{ident}">{ident}</section>\n'
    body += "<!--ijbrief:part tracker-->\n<section>tracker</section>\n"
    body += "<!--ijbrief:part end-->"
    return HEAD + body + TAIL


def test_parts_in_order_with_the_shared_head_and_tail() -> None:
    parts = cut(dossier(["a", "b"]), chapters_per_part=10)
    assert parts is not None
    assert [p.name for p in parts.parts] == ["front", "overview", "chapters a to b", "tracker"]
    html = parts.html(parts.parts[2])
    assert html.startswith(HEAD) and html.endswith(TAIL)
    assert 'id="ch-a"' in html and 'id="ch-b"' in html and "cover" not in html


def test_a_part_the_audience_does_not_show_is_no_part() -> None:
    parts = cut(dossier(["a"], overview="  \n"), chapters_per_part=10)
    assert parts is not None
    assert [p.name for p in parts.parts] == ["front", "chapters a to a", "tracker"]


def test_without_part_marks_there_is_nothing_to_cut() -> None:
    assert cut(HEAD + "<section>whole</section>" + TAIL, 10) is None
    # marks without the closing one: an audience replaced the end of the body
    assert cut(HEAD + "<!--ijbrief:part front-->x" + TAIL, 10) is None


def chapter_groups(ids: list[str], size: int) -> list[str]:
    parts = cut(dossier(ids), chapters_per_part=size)
    assert parts is not None
    return [p.body for p in parts.parts if p.name.startswith("chapters")]


def test_groups_are_about_the_size_asked_for() -> None:
    ids = [f"meeting-{n:04d}" for n in range(400)]
    groups = chapter_groups(ids, 20)
    sizes = [group.count("<section") for group in groups]
    assert sum(sizes) == 400
    assert max(sizes) <= 40 and min(sizes[:-1]) >= 10
    assert 8 <= len(groups) <= 40


def test_a_new_meeting_changes_only_its_own_group() -> None:
    ids = [f"meeting-{n:04d}" for n in range(300)]
    before = chapter_groups(ids, 20)
    after = chapter_groups([*ids[:150], "meeting-new", *ids[150:]], 20)
    # Its own group changes, and at most the next one (when the group was at its size limit);
    # the other groups, before and after, are the same text and so stay cached.
    assert 1 <= len(set(after) - set(before)) <= 2
    assert 1 <= len(set(before) - set(after)) <= 2
    assert len(before) >= 8


def test_page_numbers_count_on_from_part_to_part() -> None:
    front = PartLayout(b"", 2, {"cover": (0, 0, 0), "contents": (1, 0, 0)})
    chapters = PartLayout(b"", 3, {"ch-a": (0, 0, 0), "ch-b": (2, 0, 0), "cover": (0, 0, 0)})
    back = PartLayout(b"", 1, {"sources": (0, 0, 0)})
    numbers = page_numbers([front, chapters, back])
    assert numbers == {"cover": 1, "contents": 2, "ch-a": 3, "ch-b": 5, "sources": 6}


def test_the_store_keeps_parts_and_refuses_damaged_ones(tmp_path: Path) -> None:
    store = PartStore(tmp_path / "parts")
    layout = PartLayout(
        b"%PDF-1.7 part",
        2,
        {"ch-a": (1, 10.0, 20.5)},
        [(1, "A meeting", 0, 0.0, 5.0)],
    )
    store.put("k1", layout)
    assert store.get("k1") == layout
    assert store.get("missing") is None
    _LOADED.clear()  # a new process reads the part from disk
    assert PartStore(tmp_path / "parts").get("k1") == layout
    (tmp_path / "parts" / "k1.pdf").write_bytes(b"%PDF-1.7 par")  # truncated
    assert store.get("k1") == layout  # this process knows it already
    _LOADED.clear()
    assert PartStore(tmp_path / "parts").get("k1") is None
    (tmp_path / "parts" / "k1.json").write_text("{not json", encoding="utf-8")
    assert PartStore(tmp_path / "parts").get("k1") is None
    store.put("k2", layout)
    store.put("k3", layout)
    store.prune({"k3"})
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["k3.json", "k3.pdf"]


def test_placeholders_are_filled_with_the_numbers_or_left_empty() -> None:
    numbers = Placeholders()
    html = f"<a>{numbers.get('ch-a', '')}</a><b>{numbers['ch-b']}</b><i>{numbers.get('ch-a')}</i>"
    assert numbers.quoted_in(html) and not numbers.quoted_in("<p>no page numbers</p>")
    assert numbers.fill(html, {"ch-a": 3}) == "<a>3</a><b></b><i>3</i>"
    assert numbers.fill(html, {"ch-a": 3, "ch-b": 12}) == "<a>3</a><b>12</b><i>3</i>"


def overview_table(ids: list[str]) -> str:
    rows = "".join(f"<!--ijbrief:row {i}-->\n<tr><td>{i}</td></tr>\n" for i in ids)
    return (
        '<section id="overview"><h1>Overview</h1><p>intro</p>\n'
        "<!--ijbrief:table--><table><thead><tr><th>Meeting</th></tr></thead>\n<tbody>\n"
        f"{rows}<!--ijbrief:rows-end-->\n</tbody>\n</table><!--ijbrief:table-end-->\n</section>"
    )


def overview_parts(ids: list[str]) -> list[str]:
    parts = cut(dossier(["a"], overview=overview_table(ids)), chapters_per_part=10)
    assert parts is not None
    return [p.body for p in parts.parts if p.name.startswith("overview")]


def test_a_long_table_is_cut_between_rows_each_part_a_whole_table() -> None:
    ids = [f"meeting-{n:04d}" for n in range(500)]
    parts = overview_parts(ids)
    assert 5 <= len(parts) <= 2 * 500 // ROWS_PER_PART
    assert parts[0].count("<h1>Overview</h1>") == 1 and "<h1>" not in "".join(parts[1:])
    assert parts[-1].rstrip().endswith("</section>")
    for body in parts:
        assert body.count("<table>") == body.count("</table>") == 1
        assert body.count("<thead>") == 1
        assert 0 < body.count("<tr><td>") <= 2 * ROWS_PER_PART
    # every row once, in order
    shown = [i for body in parts for i in ids if f"<td>{i}</td>" in body]
    assert shown == ids


def test_a_short_table_or_one_without_its_marks_stays_whole() -> None:
    assert len(overview_parts([f"m{n}" for n in range(ROWS_PER_PART)])) == 1
    # A hundred rows are cut: an edit to one lays out about half of them again, not all.
    assert len(overview_parts([f"m{n}" for n in range(100)])) >= 2
    unmarked = overview_table([f"m{n}" for n in range(500)]).replace("<!--ijbrief:table-end-->", "")
    parts = cut(dossier(["a"], overview=unmarked), chapters_per_part=10)
    assert parts is not None
    assert [p.name for p in parts.parts].count("overview") == 1


def test_a_new_row_changes_only_its_own_part() -> None:
    ids = [f"meeting-{n:04d}" for n in range(500)]
    before = overview_parts(ids)
    after = overview_parts([*ids[:250], "meeting-0249-extra", *ids[250:]])
    assert 1 <= len(set(after) - set(before)) <= 2
    assert len(before) >= 5


def test_parts_are_cut_where_the_composer_starts_a_run_of_chapters() -> None:
    """The composer marks which chapters start a page (the rest run on); the parts must start
    exactly there, or a dossier laid out in parts would break pages the whole does not."""
    ids = [f"meeting-{n:04d}" for n in range(60)]
    for size in (1, 2, 4, 7):
        starts = run_starts(ids, size)
        firsts = [
            body.split('id="ch-', 1)[1].split('"', 1)[0] for body in chapter_groups(ids, size)
        ]
        assert firsts == [ident for ident, start in zip(ids, starts, strict=True) if start]
    assert all(run_starts(ids, 1))
    assert 5 < sum(run_starts(ids, 4)) < 30
