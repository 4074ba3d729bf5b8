"""Cut a dossier's HTML into parts that are laid out separately, and number pages across them."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ijbrief.compose.runs import starts_group
from ijbrief.writers.layout import FOOTER_SAMPLE, PartLayout

_MARK = re.compile(r"<!--ijbrief:part (\w+)(?: ([^>]*?))?-->")

# A long table (the overview has a row per meeting) is cut between rows, so that changing one
# row lays out a few pages again rather than all of them. Its marks: where the table starts (the
# markup from there to the first row opens each later part), each row, and the end of the rows
# (the markup from there to where the table ends closes each earlier part).
ROWS_PER_PART = 48
_TABLE = "<!--ijbrief:table-->"
_ROW = re.compile(r"<!--ijbrief:row ([^>]*?)-->")
_ROWS_END = "<!--ijbrief:rows-end-->"
_TABLE_END = "<!--ijbrief:table-end-->"


@dataclass(frozen=True)
class Part:
    """A stretch of the dossier's body laid out as a document of its own."""

    name: str
    body: str


@dataclass(frozen=True)
class Cut:
    """A dossier cut at its part marks: what every part shares around its body, and the parts."""

    prefix: str
    suffix: str
    parts: tuple[Part, ...]

    def html(self, part: Part) -> str:
        """A part as a document: the dossier's head and styles around the part's body."""
        return self.prefix + part.body + self.suffix


def footer_sample(cut: Cut) -> str:
    """A one-page document with the dossier's head and styles whose footer is FOOTER_SAMPLE."""
    style = (
        f'<style>@page {{ @bottom-center {{ content: "{FOOTER_SAMPLE}" !important; }} }}</style>'
    )
    return cut.prefix + style + cut.suffix


def cut(html: str, chapters_per_part: int, rows_per_part: int = ROWS_PER_PART) -> Cut | None:
    """The dossier in parts: front, overview (a long one in stretches of about
    ``rows_per_part`` rows), groups of about ``chapters_per_part`` chapters, tracker, back.
    None if the template has no part marks (an audience replaced the body)."""
    marks = list(_MARK.finditer(html))
    if not marks or marks[-1].group(1) != "end":
        return None
    pieces = [
        (mark.group(1), mark.group(2) or "", html[mark.end() : following.start()])
        for mark, following in itertools.pairwise(marks)
    ]
    parts: list[Part] = []
    chapters: list[tuple[str, str]] = []

    def close_chapters() -> None:
        if chapters:
            name = f"chapters {chapters[0][0]} to {chapters[-1][0]}"
            parts.append(Part(name, "".join(body for _, body in chapters)))
            chapters.clear()

    for kind, ident, body in pieces:
        if not body.strip():
            continue  # a part the audience does not show
        if kind == "chapter":
            if chapters and starts_group(ident, len(chapters), chapters_per_part):
                close_chapters()
            chapters.append((ident, body))
            continue
        close_chapters()
        parts += _table_parts(kind, body, rows_per_part)
    close_chapters()
    return Cut(html[: marks[0].start()], html[marks[-1].end() :], tuple(parts))


def _table_parts(name: str, body: str, rows_per_part: int) -> list[Part]:
    """A part, or a part whose table is long enough cut into several: each later one starts on
    a new page with the table's head again."""
    rows = list(_ROW.finditer(body))
    start, end = body.find(_TABLE), body.find(_ROWS_END)
    if (
        len(rows) <= rows_per_part
        or not 0 <= start < rows[0].start()
        or end < rows[-1].end()
        or _TABLE_END not in body[end:]
    ):
        return [Part(name, body)]
    head, tail = body[: rows[0].start()], body[end:]
    opening = head[start + len(_TABLE) :]
    closing = tail[: tail.find(_TABLE_END)]
    groups: list[list[re.Match[str]]] = []
    for row in rows:
        if not groups or starts_group(row.group(1), len(groups[-1]), rows_per_part):
            groups.append([])
        groups[-1].append(row)
    parts = []
    for number, group in enumerate(groups):
        last = number == len(groups) - 1
        following = end if last else groups[number + 1][0].start()
        text = (head if number == 0 else opening) + body[group[0].start() : following]
        label = name if number == 0 else f"{name}, rows {group[0].group(1)} to {group[-1].group(1)}"
        parts.append(Part(label, text + (tail if last else closing)))
    return parts


def part_key(salt: str, html: str) -> str:
    """The cache key of a part: its full HTML and what renders it."""
    return hashlib.sha256((salt + "\0" + html).encode()).hexdigest()


def page_numbers(layouts: Sequence[PartLayout]) -> dict[str, int]:
    """Page number (from 1) of every anchor in the assembled document; the first part wins."""
    numbers: dict[str, int] = {}
    offset = 0
    for layout in layouts:
        for anchor, (page, _, _) in layout.anchors.items():
            numbers.setdefault(anchor, offset + page + 1)
        offset += layout.pages
    return numbers
