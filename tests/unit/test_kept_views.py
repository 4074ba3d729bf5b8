"""A long-lived process's kept meeting views: after any edit, the same as views made afresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ijbrief.compose.audiences import load_audience
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.select import Filters, KeptViews
from ijbrief.corpus.loader import load_corpus

TWO_PLUS_TWO_1 = "briefs/meetings/2019-11-two-plus-two-1.yaml"
STAMP = Stamp(dt.date(2026, 1, 16), dt.datetime(2026, 1, 16, tzinfo=dt.UTC))


def views(project: Path, kept: KeptViews | None) -> tuple[dict[str, Any], list[str]]:
    corpus = load_corpus(project, remember=True)
    composer = Composer(project, corpus, load_audience(project, "student"), STAMP, Filters(), kept)
    return composer.meetings, composer.edition.omitted


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        # The previous meeting of a series: the next one's "what changed since" lists its topics.
        (TWO_PLUS_TWO_1, "  - topic: strategic-partnership", "  - topic: cybersecurity"),
        # An agreement: meetings list the agreements they moved, with their status.
        ("briefs/agreements/ssgp.yaml", "short_title: ", "short_title: The "),
        # A registry: topic labels appear in every meeting's view.
        ("briefs/topics.yaml", "label: Defence", "label: Defence and security"),
        # An item's audiences: what the view leaves out.
        (
            "briefs/meetings/2022-09-08-two-plus-two-2.yaml",
            "audiences: [analyst]",
            "audiences: null",
        ),
        # The audience: what it admits.
        ("templates/student/audience.yaml", "admits: [public]", "admits: [public, restricted]"),
    ],
)
def test_kept_views_are_the_views_made_afresh(
    project: Path, edit_yaml: Any, path: str, old: str, new: str
) -> None:
    kept = KeptViews()
    first, _ = views(project, kept)
    edit_yaml(project / path, old, new)
    remade, omitted = views(project, kept)
    fresh, fresh_omitted = views(project, None)
    assert remade == fresh
    assert omitted == fresh_omitted
    assert remade != first  # the edit shows in some view


def test_a_view_nothing_changed_for_is_kept(project: Path, edit_yaml: Any) -> None:
    kept = KeptViews()
    first, omitted = views(project, kept)
    edit_yaml(project / TWO_PLUS_TWO_1, "  - topic: strategic-partnership", "  - topic: defence")
    again, omitted_again = views(project, kept)
    assert again["sd-18"] is first["sd-18"]  # another series, nothing it shows changed
    assert again["two-plus-two-2"] is not first["two-plus-two-2"]  # its previous meeting did
    assert omitted_again == omitted
