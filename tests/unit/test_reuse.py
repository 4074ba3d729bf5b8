"""A long-lived process's dossier chapters, reused: the same HTML as a dossier composed afresh,
after any edit, and a chapter that shows another meeting is composed again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ijbrief.build.assemble import Placeholders
from ijbrief.compose.audiences import load_audience
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.reuse import ChapterReuse
from ijbrief.compose.select import Filters, KeptViews
from ijbrief.corpus.loader import load_corpus

FIRST = "briefs/meetings/2019-11-two-plus-two-1.yaml"
FMSD_13 = "briefs/meetings/2020-10-07-fmsd-13.yaml"
SD_18 = "briefs/meetings/2026-01-16-sd-18.yaml"  # the last of its series: no other view shows it
STAMP = Stamp(dt.date(2026, 1, 16), dt.datetime(2026, 1, 16, tzinfo=dt.UTC))
MEETINGS = 4


def compose(project: Path, kept: tuple[KeptViews, ChapterReuse] | None = None) -> str:
    """The analyst dossier as composed for its parts; with ``kept``, as a long-lived process."""
    corpus = load_corpus(project, remember=True)
    audience = load_audience(project, "analyst")
    composer = Composer(project, corpus, audience, STAMP, Filters(), *(kept or (None, None)))
    return composer.dossier_html(Placeholders(), literal_pages=True)


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        # The meeting's own text.
        (FMSD_13, "Welcomed the finalised text", "Welcomed the final text"),
        # Which sources the first meeting cites: how sources are numbered everywhere after it.
        (FIRST, "  sources: [src-002, src-004]\n\noutcomes:", "  sources: [src-001]\n\noutcomes:"),
        # A registry every view shows.
        ("briefs/topics.yaml", "label: Defence", "label: Defence and security"),
    ],
)
def test_reused_chapters_make_the_dossier_composed_afresh(
    project: Path, edit_yaml: Any, path: str, old: str, new: str
) -> None:
    kept = (KeptViews(), ChapterReuse())
    compose(project, kept)
    assert compose(project, kept) == compose(project)
    assert kept[1].reused == MEETINGS  # nothing changed: every chapter is reused

    edit_yaml(project / path, old, new)
    assert compose(project, kept) == compose(project)


def test_only_the_edited_meetings_chapter_is_composed_again(project: Path, edit_yaml: Any) -> None:
    kept = (KeptViews(), ChapterReuse())
    compose(project, kept)
    edit_yaml(project / SD_18, "AI strategic dialogue", "dialogue on AI")
    assert "dialogue on AI" in compose(project, kept)
    assert kept[1].reused == MEETINGS - 1


@pytest.mark.parametrize(
    "shows",
    [
        "{{ dossier.meetings[0].short_title }}",  # another meeting, through the dossier
        "{% for m in dossier.meetings %}{{ m.short_title }}{% endfor %}",
        # A neighbour, through the loop.
        "{% if not loop.first %}{{ loop.previtem.short_title }}{% endif %}",
        "{% for k, v in dossier.items() if k == 'meetings' %}{{ v[0].short_title }}{% endfor %}",
        "{{ toc_pages.get('probe-' ~ brief.id) }}",  # a page number
        "{{ dossier }}",  # everything, printed
        "{{ dossier.copy().meetings[0].short_title }}",
        '{% include "probe.html.j2" %}',  # a template that sees the loop
    ],
)
def test_a_chapter_that_shows_something_else_is_composed_again(
    project: Path, edit_yaml: Any, shows: str
) -> None:
    (project / "templates" / "analyst" / "dossier.html.j2").write_text(
        '{% extends "base/dossier.html.j2" %}\n'
        "{% block chapter scoped %}"
        '<section class="chapter" id="ch-{{ brief.id }}"><h1>{{ brief.title }}</h1>'
        f"<p>{shows}</p></section>"
        "{% endblock %}\n",
        encoding="utf-8",
    )
    (project / "templates" / "analyst" / "probe.html.j2").write_text(
        "{% if not loop.first %}{{ loop.previtem.short_title }}{% endif %}", encoding="utf-8"
    )
    kept = (KeptViews(), ChapterReuse())
    compose(project, kept)
    edit_yaml(project / FIRST, "short_title: 1st India–Japan 2+2", "short_title: The first 2+2")
    assert compose(project, kept) == compose(project)


def test_a_chapter_that_shows_only_its_own_meeting_and_place_is_reused(project: Path) -> None:
    (project / "templates" / "analyst" / "dossier.html.j2").write_text(
        '{% extends "base/dossier.html.j2" %}\n'
        "{% block chapter scoped %}"
        '<section class="chapter" id="ch-{{ brief.id }}"><h1>{{ loop.index }}. {{ brief.title }}'
        "</h1>{{ cite(brief.summary.sources) }}</section>"
        "{% endblock %}\n",
        encoding="utf-8",
    )
    kept = (KeptViews(), ChapterReuse())
    compose(project, kept)
    assert compose(project, kept) == compose(project)
    assert kept[1].reused == MEETINGS
