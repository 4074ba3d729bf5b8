"""Pick and order what one audience and one filter set may see, as plain views for templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ijbrief.compose.audiences import Audience
from ijbrief.compose.textfmt import format_date, iso_prefix, md_inline, status_label
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.model import Agreement, Meeting, Quote, Statement, Visibility


@dataclass(frozen=True)
class Filters:
    """What a build is restricted to: ids, a date range, topics."""

    only: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    topics: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.only or self.since or self.until or self.topics)

    def slug(self) -> str:
        """A file-name suffix that says what the filters are, e.g. ``-5g-cybersecurity-since-2020-01-01``."""
        parts = [*self.topics, *self.only]
        if self.since:
            parts.append(f"since-{self.since.isoformat()}")
        if self.until:
            parts.append(f"until-{self.until.isoformat()}")
        return "".join(f"-{p}" for p in parts)

    def meeting(self, meeting: Meeting) -> bool:
        return (
            (not self.only or meeting.id in self.only)
            and (self.since is None or meeting.date >= self.since)
            and (self.until is None or meeting.date <= self.until)
            and (not self.topics or any(o.topic in self.topics for o in meeting.outcomes))
        )

    def agreement(self, agreement: Agreement) -> bool:
        dates = [s.date for s in agreement.status_history]
        return (
            (not self.only or agreement.id in self.only)
            and (self.since is None or max(dates) >= self.since)
            and (self.until is None or min(dates) <= self.until)
            and (not self.topics or any(t in self.topics for t in agreement.topics))
        )


class Citations:
    """Numbers sources in the order a document first cites them; templates call it as ``cite``."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.numbers: dict[str, int] = {}

    def __call__(self, sources: Iterable[str]) -> Markup:
        numbers = {self.numbers.setdefault(source, len(self.numbers) + 1) for source in sources}
        # Digits and commas only: nothing to escape.
        return Markup(f'<sup class="citation">[{",".join(map(str, sorted(numbers)))}]</sup>')

    def listing(self) -> list[dict[str, Any]]:
        """The cited sources, numbered, for the sources section."""
        return [
            {"number": number, **source_view(self.corpus, sid)}
            for sid, number in self.numbers.items()
        ]


def source_view(corpus: Corpus, source_id: str) -> dict[str, Any]:
    source = corpus.sources[source_id]
    return {
        "id": source.id,
        "title": source.title,
        "outlet": source.outlet or "",
        "published": format_date(source.published) if source.published else "",
        "translation": source.translation or "",
        "kind": source.kind,
        "file": source.file,
    }


@dataclass
class Edition:
    """What one audience may see; records what it left out, for the manifest."""

    audience: Audience
    omitted: list[str] = field(default_factory=list)

    def visible(self, item: Visibility, where: str) -> bool:
        allowed = (
            item.audiences is None or self.audience.name in item.audiences
        ) and item.sensitivity in self.audience.spec.admits
        if not allowed:
            self.omitted.append(where)
        return allowed

    def statements(self, items: Sequence[Statement], where: str) -> list[dict[str, Any]]:
        return [statement_view(s) for i, s in enumerate(items) if self.visible(s, f"{where}[{i}]")]


def statement_view(statement: Statement) -> dict[str, Any]:
    """A statement as templates use it: its HTML, its plain text and its sources."""
    return {"html": md_inline(statement.text), "text": statement.text, "sources": statement.sources}


def _person_view(corpus: Corpus, person_id: str) -> dict[str, Any]:
    person = corpus.people[person_id]
    return {
        "id": person.id,
        "name": person.name,
        "native_name": person.native_name or "",
        "native_script": person.native_script or "",
        "country": person.country,
    }


def _quote_view(corpus: Corpus, quote: Quote, on: dt.date) -> dict[str, Any]:
    speaker = _person_view(corpus, quote.speaker) if quote.speaker else None
    office = ""
    if quote.speaker:
        held = [o.title for o in corpus.people[quote.speaker].offices if o.held_on(on)]
        office = held[0] if held else ""
    source = corpus.sources[quote.source]
    return {
        "text": quote.text,
        "speaker": speaker,
        "speaker_label": quote.speaker_label or (speaker["name"] if speaker else ""),
        "office": office,
        "context": quote.context or "",
        "sources": [quote.source],
        "translated": bool(source.translation),
    }


def agreement_summary(
    corpus: Corpus, agreement: Agreement, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Title and status (current, or as of a date) of an agreement, for lists and tables."""
    steps = [s for s in agreement.status_history if as_of is None or s.date <= as_of]
    step = steps[-1] if steps else agreement.status_history[0]
    return {
        "id": agreement.id,
        "title": agreement.short_title,
        "acronym": agreement.acronym or "",
        "status": status_label(step.status),
        "status_key": step.status,
        "status_date": format_date(step.date, step.date_precision),
        "sources": step.sources,
    }


def meeting_view(corpus: Corpus, meeting: Meeting, edition: Edition) -> dict[str, Any]:
    """Everything a meeting brief or dossier chapter can show, filtered for the audience."""
    where = corpus.files[meeting.id]
    outcomes = [
        (
            o.topic,
            {
                "html": md_inline(o.text),
                "text": o.text,
                "sources": o.sources,
                "agreements": o.agreements,
            },
        )
        for i, o in enumerate(meeting.outcomes)
        if edition.visible(o, f"{where}: outcomes[{i}]")
    ]
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for topic, item in outcomes:
        by_topic.setdefault(topic, []).append(item)
    touched: list[str] = []
    for _, item in outcomes:
        touched += [a for a in item["agreements"] if a not in touched]
    touched += [
        a.id
        for a in corpus.agreements.values()
        if a.id not in touched and any(s.meeting == meeting.id for s in a.status_history)
    ]
    quotes = [
        _quote_view(corpus, q, meeting.date)
        for i, q in enumerate(meeting.quotes)
        if edition.visible(q, f"{where}: quotes[{i}]")
    ]
    view: dict[str, Any] = {
        "kind": "meeting",
        "id": meeting.id,
        "title": meeting.title,
        "short_title": meeting.short_title,
        "date": meeting.date,
        "date_display": format_date(meeting.date, meeting.date_precision),
        "date_iso": iso_prefix(meeting.date, meeting.date_precision),
        "date_basis": {
            "method": meeting.date_basis.method,
            "note": md_inline(meeting.date_basis.note),
            "sources": meeting.date_basis.sources,
        },
        "venue": meeting.venue,
        "series": meeting.series,
        "number": meeting.number,
        "participants": [
            {
                **_person_view(corpus, p.person),
                "office": p.office,
                "side": p.side,
                "role": p.role or "",
                "sources": p.sources,
            }
            for p in meeting.participants
        ],
        "summary": statement_view(meeting.summary),
        "outcomes": [
            {"topic": corpus.topics[t].label, "topic_id": t, "items": items}
            for t, items in by_topic.items()
        ],
        "key_points": [item for _, item in outcomes],
        "quotes": quotes,
        "agreements": [agreement_summary(corpus, corpus.agreements[a]) for a in touched],
        "talking_points": edition.statements(meeting.talking_points, f"{where}: talking_points"),
        "to_raise": edition.statements(meeting.to_raise, f"{where}: to_raise"),
        "to_avoid": edition.statements(meeting.to_avoid, f"{where}: to_avoid"),
        "background": edition.statements(meeting.background, f"{where}: background"),
        "significance": edition.statements(meeting.significance, f"{where}: significance"),
        "way_forward": edition.statements(meeting.way_forward, f"{where}: way_forward"),
        "changes": _changes(corpus, meeting, by_topic),
        "topics": list(by_topic),
    }
    view["glossary"] = glossary_for(corpus, _all_text(view))
    return view


@dataclass
class _Kept:
    meeting: Meeting
    where: str
    previous: Meeting | None
    view: dict[str, Any]
    omitted: list[str]


class KeptViews:
    """One audience's meeting views, kept by a long-lived process from one build to the next.
    A view is made again only when something it shows may have changed: its meeting's record
    or file name, or which record is the previous meeting of its series (a file that did not
    change loads as the same frozen record). A change to the registries, to any agreement or to
    the audience makes every view again."""

    def __init__(self) -> None:
        self.shared: tuple[Any, ...] = ()
        self.kept: dict[str, _Kept] = {}

    def views(
        self, corpus: Corpus, meetings: Iterable[Meeting], edition: Edition
    ) -> dict[str, dict[str, Any]]:
        """The views of ``meetings``, in order; what they leave out is added to ``edition``."""
        shared = (edition.audience.spec, *corpus.registries, *corpus.agreements.values())
        same = len(shared) == len(self.shared) and shared[0] == self.shared[0]
        if not (same and all(a is b for a, b in zip(shared[1:], self.shared[1:], strict=True))):
            self.kept = {}
        kept: dict[str, _Kept] = {}
        for meeting in meetings:
            where = corpus.files[meeting.id]
            previous = corpus.previous_in_series(meeting)
            entry = self.kept.get(meeting.id)
            if (
                entry is None
                or entry.meeting is not meeting
                or entry.where != where
                or entry.previous is not previous
            ):
                start = len(edition.omitted)
                view = meeting_view(corpus, meeting, edition)
                entry = _Kept(meeting, where, previous, view, edition.omitted[start:])
            else:
                edition.omitted.extend(entry.omitted)
            kept[meeting.id] = entry
        self.shared, self.kept = shared, kept
        return {ident: entry.view for ident, entry in kept.items()}


def _changes(corpus: Corpus, meeting: Meeting, by_topic: dict[str, Any]) -> dict[str, Any] | None:
    previous = corpus.previous_in_series(meeting)
    if previous is None:
        return None
    before = {o.topic for o in previous.outcomes}
    moved = [
        {
            "agreement": corpus.agreements[a.id].short_title,
            "status": status_label(step.status),
            "date": format_date(step.date, step.date_precision),
            "sources": step.sources,
        }
        for a, step in corpus.steps_since_previous(meeting)
    ]
    return {
        "previous_title": previous.short_title,
        "previous_date": format_date(previous.date, previous.date_precision),
        "previous_id": previous.id,
        "new_topics": [corpus.topics[t].label for t in by_topic if t not in before],
        "dropped_topics": [corpus.topics[t].label for t in sorted(before) if t not in by_topic],
        "moved": moved,
        "sources": sorted({s for m in moved for s in m["sources"]} | set(meeting.summary.sources)),
    }


def agreement_view(corpus: Corpus, agreement: Agreement, edition: Edition) -> dict[str, Any]:
    """Everything an agreement brief or tracker row can show, filtered for the audience."""
    where = corpus.files[agreement.id]
    steps = [
        {
            "status": status_label(s.status),
            "status_key": s.status,
            "date": s.date,
            "date_display": format_date(s.date, s.date_precision),
            "meeting": (
                {"id": s.meeting, "title": corpus.meetings[s.meeting].short_title}
                if s.meeting
                else None
            ),
            "html": md_inline(s.note),
            "sources": s.sources,
        }
        for s in agreement.status_history
    ]
    current = agreement.current
    view: dict[str, Any] = {
        "kind": "agreement",
        "id": agreement.id,
        "title": agreement.title,
        "short_title": agreement.short_title,
        "acronym": agreement.acronym or "",
        "type": agreement.kind,
        "parties": agreement.parties,
        "topics": [corpus.topics[t].label for t in agreement.topics],
        "topic_ids": list(agreement.topics),
        "date": current.date,
        "date_display": format_date(current.date, current.date_precision),
        "date_iso": iso_prefix(current.date, current.date_precision),
        "status": status_label(current.status),
        "status_key": current.status,
        "purpose": statement_view(agreement.purpose),
        "steps": steps,
        "meetings": [
            {
                "id": m.id,
                "title": m.short_title,
                "date_display": format_date(m.date, m.date_precision),
            }
            for m in corpus.meetings_moving(agreement)
        ],
        "key_points": edition.statements(agreement.key_points, f"{where}: key_points"),
        "background": edition.statements(agreement.background, f"{where}: background"),
        "significance": edition.statements(agreement.significance, f"{where}: significance"),
        "way_forward": edition.statements(agreement.way_forward, f"{where}: way_forward"),
    }
    view["glossary"] = glossary_for(corpus, _all_text(view))
    return view


def _all_text(value: Any) -> str:
    """Every string in a view but its HTML and source ids, for finding glossary terms."""
    texts: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k not in ("html", "sources"))
        elif isinstance(item, list):
            stack.extend(item)
    return " ".join(texts)


def glossary_for(corpus: Corpus, text: str) -> list[dict[str, str]]:
    """Glossary terms that occur (as whole words) in ``text``, alphabetically."""
    found = [term for term in corpus.terms.values() if _mentions(text, term.term)]
    return [
        {"term": t.term, "expansion": t.expansion, "html": md_inline(t.explanation)}
        for t in sorted(found, key=lambda t: t.term.casefold())
    ]


def _mentions(text: str, term: str) -> bool:
    """Whether ``term`` occurs in ``text`` with no letter, digit, underscore or hyphen either
    side (a search for the literal first: a regular expression starting with a look-behind
    tries every position of a long text)."""
    start = text.find(term)
    while start != -1:
        end = start + len(term)
        if not (start and _joins(text[start - 1])) and not (end < len(text) and _joins(text[end])):
            return True
        start = text.find(term, start + 1)
    return False


def _joins(char: str) -> bool:
    return char.isalnum() or char in "_-"


def prepared_date(corpus: Corpus) -> dt.date:
    """The data's own date: the latest meeting or status step, so builds don't depend on the clock."""
    dates = [m.date for m in corpus.meetings.values()]
    dates += [s.date for a in corpus.agreements.values() for s in a.status_history]
    return max(dates, default=dt.date(2000, 1, 1))
