"""The corpus as loaded: every record by id, the seeds' texts, where each value was written, and
the indexes over the meetings a composition asks for again and again. ``loader`` makes one; the
support check (``fidelity``) and every stage above read it."""

from __future__ import annotations

import bisect
import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from ijbrief.corpus.model import (
    Agreement,
    Country,
    Meeting,
    Person,
    ProjectSpec,
    Source,
    StatusStep,
    Term,
    Topic,
)
from ijbrief.corpus.yamlio import Document
from ijbrief.errors import Problem

T = TypeVar("T")
# A series' meetings in date order, and their dates.
_Series = tuple[list[Meeting], list[dt.date]]
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u2026": "...", "\u00a0": " ",
    }
)  # fmt: skip


def normalise_quote(text: str) -> str:
    """The form in which a quotation and its source are compared: typography and spacing unified."""
    text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY).replace("**", "")
    return " ".join(text.split())


@dataclass
class Corpus:
    """Everything the briefs are made from, validated and cross-referenced."""

    root: Path
    sources: dict[str, Source]
    seed_texts: dict[str, str]
    people: dict[str, Person]
    topics: dict[str, Topic]
    terms: dict[str, Term]
    meetings: dict[str, Meeting]
    agreements: dict[str, Agreement]
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    quotations_verified: int = 0
    # Each loaded file as parsed, by its path: where each value was written (for the support
    # check's messages).
    documents: dict[str, Document] = field(default_factory=dict, repr=False)
    # Each country by id, name and short name (briefs/countries.yaml, or the project's parties).
    countries: dict[str, Country] = field(default_factory=dict)
    project: ProjectSpec | None = None
    # The registry files' records as loaded: a long-lived process gets the same objects for
    # files that did not change (see KeptViews).
    registries: tuple[object, ...] = ()
    # Indexes over the meetings, with the meetings dict each was made from (see _indexed).
    _indexes: dict[str, tuple[tuple[int, int], Any]] = field(
        default_factory=dict, init=False, repr=False
    )

    def previous_in_series(self, meeting: Meeting) -> Meeting | None:
        """The latest earlier meeting of the same series, if the corpus has one (of two on the
        same day, the first in the corpus's order)."""
        meetings, dates = self._series()[meeting.series]
        before = bisect.bisect_left(dates, meeting.date)
        if not before:
            return None
        return meetings[bisect.bisect_left(dates, dates[before - 1])]

    def _indexed(self, name: str, make: Callable[[], T]) -> T:
        """An index over the meetings, asked for every meeting: made once, and again only when
        the meetings dict changed (the loader fills one, then replaces it, sorted)."""
        key = (id(self.meetings), len(self.meetings))
        known = self._indexes.get(name)
        if known is None or known[0] != key:
            known = self._indexes[name] = (key, make())
        return cast(T, known[1])

    def _series(self) -> dict[str, _Series]:
        def by_series() -> dict[str, _Series]:
            groups: dict[str, list[Meeting]] = {}
            # Sorting is stable: meetings on the same day keep the corpus's order.
            for m in sorted(self.meetings.values(), key=lambda m: m.date):
                groups.setdefault(m.series, []).append(m)
            return {name: (group, [m.date for m in group]) for name, group in groups.items()}

        return self._indexed("series", by_series)

    def steps_since_previous(self, meeting: Meeting) -> list[tuple[Agreement, StatusStep]]:
        """Every agreement's status steps after the previous meeting of the series, up to this
        one: what changed in between (none without a previous meeting)."""
        previous = self.previous_in_series(meeting)
        if previous is None:
            return []
        return [
            (agreement, step)
            for agreement in self.agreements.values()
            for step in agreement.status_history
            if previous.date < step.date <= meeting.date
        ]

    def meetings_moving(self, agreement: Agreement) -> list[Meeting]:
        """Meetings at which a status step of ``agreement`` happened or which touched it."""
        ids = {step.meeting for step in agreement.status_history if step.meeting}
        ids |= self._touching().get(agreement.id, set())
        return sorted((self.meetings[i] for i in ids), key=lambda m: m.date)

    def _touching(self) -> dict[str, set[str]]:
        """The meetings whose outcomes name each agreement."""

        def by_agreement() -> dict[str, set[str]]:
            touching: dict[str, set[str]] = {}
            for m in self.meetings.values():
                for outcome in m.outcomes:
                    for agreement in outcome.agreements:
                        touching.setdefault(agreement, set()).add(m.id)
            return touching

        return self._indexed("touching", by_agreement)
