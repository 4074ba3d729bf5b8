"""Pick and order what one audience and one filter set may see, as plain views for templates.

Over 500 lines because the views of meetings, agreements and the dossier share one Edition
(what the audience admits, and the record of what it leaves out): splitting them would pass
that state between modules for no reader's gain."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from ijbrief.compose.audiences import Audience
from ijbrief.compose.textfmt import format_date, format_days, iso_prefix, md_inline, status_label
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.model import (
    PRECISIONS,
    Agreement,
    Basis,
    Meeting,
    Quote,
    Statement,
    Visibility,
)

VENUE_NOT_REPORTED = "Venue not reported"
# The marks a reader sees beside what the cited sources do not say in so many words, and the
# legend that explains them (in every brief that uses one, and in every dossier).
BASIS_MARKS = {"public-record": "\u2020", "inferred": "\u2021", "analysis": "Assessment:"}
BASIS_LEGEND = {
    "public-record": "public record, not in the cited sources",
    "inferred": "inferred from the cited sources, not stated in them",
    "analysis": "the desk's own assessment, not reporting",
}


@dataclass(frozen=True)
class Filters:
    """What a build is restricted to: ids, a date range, topics."""

    only: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    topics: tuple[str, ...] = ()
    drafts: bool = False  # dossiers take in meetings still marked `status: draft`

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
        if self.drafts:
            parts.append("drafts")
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
    """Numbers sources in the order a document first cites them; templates call it as ``cite``.
    Given an item's ``basis`` too, it puts the item's basis mark before the number, and
    remembers which marks the document used, for its legend."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.numbers: dict[str, int] = {}
        self.used: dict[str, None] = {}

    def __call__(self, sources: Iterable[str], basis: Any = None) -> Markup:
        numbers = {self.numbers.setdefault(source, len(self.numbers) + 1) for source in sources}
        # Each number links to its entry in the sources list. The word joiner keeps the marker
        # (and a basis mark) on the line of the word before it. Digits and commas only: nothing
        # to escape.
        links = ",".join(f'<a href="#source-{n}">{n}</a>' for n in sorted(numbers))
        number = Markup(f'<sup class="citation">[{links}]</sup>')
        return Markup("\u2060") + self.mark(basis) + number

    def mark(self, basis: Any) -> Markup:
        """The mark of a public-record or inferred basis (analysis is marked before the text,
        by the view); remembers it for the legend."""
        if not basis:
            return Markup("")
        kind = basis["kind"]
        self.used.setdefault(kind, None)
        if kind == "analysis":
            return Markup("")
        return Markup('<span class="basis basis-{}" title="{}">{}</span>').format(
            kind, BASIS_LEGEND[kind], BASIS_MARKS[kind]
        )

    def legend(self, everything: bool = False) -> list[dict[str, str]]:
        """The marks this document used (or all of them), each with what it means."""
        kinds = BASIS_MARKS if everything else self.used
        return [
            {"mark": BASIS_MARKS[k], "meaning": BASIS_LEGEND[k]} for k in BASIS_MARKS if k in kinds
        ]

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
        "url": source.url or "",
        "translation": source.translation or "",
        "kind": source.kind,
        "file": source.file,
    }


Omission = dict[str, str]  # record, file, field, reason, detail: one item an edition left out


def omission(record: str, file: str, field: str, reason: str, detail: str) -> Omission:
    """One item left out of an output, as the manifest lists it. ``reason`` is one of
    ``sensitivity``, ``audience`` (both for the whole edition), ``limit`` and ``fit`` (a brief)."""
    return {"record": record, "file": file, "field": field, "reason": reason, "detail": detail}


# A clause that says what the sources do not record: advice to whoever reads the sources (an
# analyst), not to whoever acts on the brief.
SOURCE_GAP = re.compile(
    r"\b(?:(?:is|are|was|were) not (?:reported|stated|recorded)|no exact (?:date|day) is"
    r"|not (?:stated|reported|given) in the (?:sources|reports|seeds)"
    r"|the (?:sources|reports) (?:record only|give no|do not|don't|name no|say only))\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?<=[.;])\s+")


def without_source_gaps(text: str) -> str:
    """``text`` less its sentences and clauses (after a ";") that name a gap in the sources."""
    kept = [c for c in _CLAUSE.split(text.strip()) if not SOURCE_GAP.search(c)]
    if not kept:
        return text
    joined = " ".join(kept)
    return joined[:-1] + "." if joined.endswith(";") else joined


def omission_key(item: Omission) -> tuple[str, ...]:
    return (item["file"], item["field"], item["reason"])


@dataclass
class Edition:
    """What one audience may see; records what it left out, for the manifest."""

    audience: Audience
    omitted: list[Omission] = field(default_factory=list)

    def visible(self, item: Visibility, record: str, file: str, where: str) -> bool:
        spec = self.audience.spec
        if item.audiences is not None and self.audience.name not in item.audiences:
            detail = f"only for {', '.join(item.audiences)}"
            self.omitted.append(omission(record, file, where, "audience", detail))
            return False
        if item.sensitivity not in spec.admits:
            detail = f"{item.sensitivity}; {self.audience.name} admits {', '.join(spec.admits)}"
            self.omitted.append(omission(record, file, where, "sensitivity", detail))
            return False
        return True

    def gaps_told(self, text: str) -> str:
        """``text`` as this edition prints it: without its clauses on what the sources leave out
        ("…; no exact date is reported") where the audience does not show source gaps."""
        if self.audience.spec.show_source_gaps:
            return text
        return without_source_gaps(text)

    def statements(
        self, items: Sequence[Statement], record: str, file: str, name: str
    ) -> list[dict[str, Any]]:
        return [
            statement_view(s, f"{name}[{i}]")
            for i, s in enumerate(items)
            if self.visible(s, record, file, f"{name}[{i}]")
        ]


def basis_view(basis: Basis | None) -> dict[str, str] | None:
    """A basis as templates pass it to ``cite``: its kind and its note."""
    if basis is None:
        return None
    return {"kind": basis.kind, "note": basis.note or ""}


_ASSESSMENT = f'<span class="assessment">{BASIS_MARKS["analysis"]}</span> '


def _marked_html(text: str, basis: Basis | None) -> Markup:
    """A statement's HTML, led by "Assessment:" when it is the desk's own analysis."""
    html = md_inline(text)
    if basis is not None and basis.kind == "analysis":
        return Markup(_ASSESSMENT) + html
    return html


def statement_view(statement: Statement, where: str = "") -> dict[str, Any]:
    """A statement as templates use it: its HTML, its plain text, its sources and its basis (and,
    for an item of a list, where it is in its record, which names it if a brief leaves it out)."""
    view: dict[str, Any] = {
        "html": _marked_html(statement.text, statement.basis),
        "text": statement.text,
        "sources": statement.sources,
        "basis": basis_view(statement.basis),
    }
    if where:
        view["field"] = where
    return view


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
    """Title and status (current, or as of a date) of an agreement, for lists and tables. Before
    its first recorded step an agreement has no status: none is shown from the future."""
    steps = [s for s in agreement.status_history if as_of is None or s.date <= as_of]
    step = steps[-1] if steps else None
    return {
        "id": agreement.id,
        "title": agreement.short_title,
        "acronym": agreement.acronym or "",
        "status": status_label(step.status) if step else "No status yet recorded",
        "status_key": step.status if step else "",
        "status_date": format_date(step.date, step.date_precision) if step else "",
        "sources": step.sources if step else [],
        "basis": basis_view(step.basis) if step else None,
    }


def meeting_view(corpus: Corpus, meeting: Meeting, edition: Edition) -> dict[str, Any]:
    """Everything a meeting brief or dossier chapter can show, filtered for the audience."""
    where = corpus.files[meeting.id]
    outcomes: list[tuple[str, dict[str, Any]]] = [
        (
            o.topic,
            {
                "html": _marked_html(o.text, o.basis),
                "text": o.text,
                "sources": o.sources,
                "basis": basis_view(o.basis),
                "agreements": o.agreements,
                "field": f"outcomes[{i}]",
            },
        )
        for i, o in enumerate(meeting.outcomes)
        if edition.visible(o, meeting.id, where, f"outcomes[{i}]")
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
        {**_quote_view(corpus, q, meeting.date), "field": f"quotes[{i}]"}
        for i, q in enumerate(meeting.quotes)
        if edition.visible(q, meeting.id, where, f"quotes[{i}]")
    ]
    view: dict[str, Any] = {
        "kind": "meeting",
        "id": meeting.id,
        "draft": meeting.status == "draft",
        "title": meeting.title,
        "short_title": meeting.short_title,
        "date": meeting.date,
        "date_display": format_days(meeting.date, meeting.end_date, meeting.date_precision),
        "date_iso": iso_prefix(meeting.date, meeting.date_precision),
        "date_basis": {
            "method": meeting.date_basis.method,
            "as_stated": meeting.date_basis.as_stated or "",
            "sources": meeting.date_basis.sources,
        },
        "date_note": _date_note(meeting),
        "venue": meeting.venue or VENUE_NOT_REPORTED,
        "venue_reported": meeting.venue is not None,
        "series": meeting.series,
        "number": meeting.number,
        "participants": [
            {
                **_person_view(corpus, p.person),
                "office": p.office,
                "side": p.side,
                "role": p.role or "",
                "sources": p.sources,
                "basis": basis_view(p.basis),
                "field": f"participants[{i}]",
            }
            for i, p in enumerate(meeting.participants)
        ],
        "summary": statement_view(meeting.summary),
        "outcomes": [
            {"topic": corpus.topics[t].label, "topic_id": t, "items": items}
            for t, items in by_topic.items()
        ],
        "key_points": [item for _, item in outcomes],
        "quotes": quotes,
        # As the agreements stood at this meeting, not as they stand now.
        "agreements": [
            agreement_summary(corpus, corpus.agreements[a], meeting.date) for a in touched
        ],
        "talking_points": edition.statements(
            meeting.talking_points, meeting.id, where, "talking_points"
        ),
        "to_raise": edition.statements(meeting.to_raise, meeting.id, where, "to_raise"),
        "to_avoid": edition.statements(meeting.to_avoid, meeting.id, where, "to_avoid"),
        "background": edition.statements(meeting.background, meeting.id, where, "background"),
        "significance": edition.statements(meeting.significance, meeting.id, where, "significance"),
        "way_forward": edition.statements(meeting.way_forward, meeting.id, where, "way_forward"),
        "changes": _changes(corpus, meeting, by_topic),
        "topics": list(by_topic),
    }
    view["glossary"] = glossary_for(corpus, _all_text(view), edition)
    _mark_sources(corpus, meeting.id, where, view)
    return view


@dataclass
class _Kept:
    meeting: Meeting
    where: str
    previous: Meeting | None
    view: dict[str, Any]
    omitted: list[Omission]


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


def _date_note(meeting: Meeting) -> str:
    """How the sources give a date that was worked out rather than stated, e.g. 'reported as
    “on Friday”' (empty when the date is stated as printed)."""
    basis = meeting.date_basis
    if basis.method == "resolved" and basis.as_stated:
        return f"reported as \u201c{basis.as_stated}\u201d"
    if basis.method == "resolved":
        return "worked out from the reports\u2019 context"
    return ""


def _missing_between(previous: Meeting, meeting: Meeting) -> str:
    """The numbered meetings of a series that fall between two in this record, e.g. '14th–17th'."""
    if previous.number is None or meeting.number is None or meeting.number - previous.number < 2:
        return ""
    first, last = previous.number + 1, meeting.number - 1
    return _ordinal(first) if first == last else f"{_ordinal(first)}\u2013{_ordinal(last)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _changes(corpus: Corpus, meeting: Meeting, by_topic: dict[str, Any]) -> dict[str, Any] | None:
    """What changed since the previous meeting of the series in this record. The agenda is
    compared only when that record is full and no numbered meeting lies between the two: a
    topic absent from a sparse record, or from the meetings in between, was not "new"."""
    previous = corpus.previous_in_series(meeting)
    if previous is None:
        return None
    missing = _missing_between(previous, meeting)
    compare = previous.coverage == "full" and not missing
    before = {o.topic for o in previous.outcomes}
    moved: list[dict[str, Any]] = [
        {
            "agreement": corpus.agreements[a.id].short_title,
            "status": status_label(step.status),
            "date": format_date(step.date, step.date_precision),
            "sources": step.sources,
            "basis": basis_view(step.basis),
        }
        for a, step in corpus.steps_since_previous(meeting)
    ]
    if not compare and not moved:
        return None
    return {
        "previous_title": previous.short_title,
        "previous_date": format_days(previous.date, previous.end_date, previous.date_precision),
        "previous_id": previous.id,
        "missing": missing,
        "previous_sparse": previous.coverage == "sparse",
        "new_topics": [corpus.topics[t].label for t in by_topic if t not in before]
        if compare
        else [],
        "dropped_topics": (
            [corpus.topics[t].label for t in sorted(before) if t not in by_topic] if compare else []
        ),
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
            "html": _marked_html(edition.gaps_told(s.note), s.basis),
            "sources": s.sources,
            "basis": basis_view(s.basis),
            "field": f"status_history[{i}]",
        }
        for i, s in enumerate(agreement.status_history)
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
        "status_basis": basis_view(current.basis),
        "steps": steps,
        "meetings": [
            {
                "id": m.id,
                "title": m.short_title,
                "date_display": format_days(m.date, m.end_date, m.date_precision),
            }
            for m in corpus.meetings_moving(agreement)
        ],
        "key_points": edition.statements(agreement.key_points, agreement.id, where, "key_points"),
        "to_raise": edition.statements(agreement.to_raise, agreement.id, where, "to_raise"),
        "to_avoid": edition.statements(agreement.to_avoid, agreement.id, where, "to_avoid"),
        "background": edition.statements(agreement.background, agreement.id, where, "background"),
        "significance": edition.statements(
            agreement.significance, agreement.id, where, "significance"
        ),
        "way_forward": edition.statements(
            agreement.way_forward, agreement.id, where, "way_forward"
        ),
    }
    view["glossary"] = glossary_for(corpus, _all_text(view), edition)
    _mark_sources(corpus, agreement.id, where, view)
    return view


_STATEMENT_LISTS = (
    "key_points",
    "talking_points",
    "to_raise",
    "to_avoid",
    "background",
    "significance",
    "way_forward",
)
_FIELD_PART = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def field_path(field: str) -> tuple[str | int, ...]:
    """``outcomes[2].text`` as the YAML path ``("outcomes", 2, "text")``."""
    return tuple(name or int(index) for name, index in _FIELD_PART.findall(field))


def _mark_sources(corpus: Corpus, record: str, file: str, view: dict[str, Any]) -> None:
    """Give each item of ``view`` that prints a record's field the field's place: its HTML is
    wrapped in a span whose ``data-src`` names the record and field and ``data-src-at`` the
    file, line and column, which the DOCX writer turns into a bookmark (see docs/review.md).
    Quotations, whose text the templates print themselves, get the attributes as ``src``."""
    doc = corpus.documents.get(file)

    def attrs(field: str) -> Markup:
        at = doc.locate(field_path(field)) if doc is not None else None
        where = f"{at.path}:{at.line}:{at.column}" if at is not None else file
        return Markup(' data-src="{}:{}" data-src-at="{}"').format(record, field, where)

    def wrap(item: dict[str, Any], field: str) -> None:
        if id(item) in seen:
            return  # a meeting's outcomes are both its key points and its topics' items
        seen.add(id(item))
        html = str(item["html"])
        # "Assessment:" is the view's, not the field's: the span holds the field's text only.
        lead = html[: len(_ASSESSMENT)] if html.startswith(_ASSESSMENT) else ""
        body = Markup(html[len(lead) :])
        item["html"] = Markup(lead) + Markup("<span{}>{}</span>").format(attrs(field), body)

    seen: set[int] = set()
    for name in ("summary", "purpose"):
        if name in view:
            wrap(view[name], f"{name}.text")
    for name in _STATEMENT_LISTS:
        for item in view.get(name, ()):
            wrap(item, f"{item['field']}.text")
    for step in view.get("steps", ()):
        wrap(step, f"{step['field']}.note")
    for quote in view.get("quotes", ()):
        quote["src"] = attrs(f"{quote['field']}.text")


def _all_text(value: Any) -> str:
    """Every string in a view but its HTML, source ids and fields, for finding glossary terms."""
    texts: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            stack.extend(
                v for k, v in item.items() if k not in ("html", "sources", "basis", "field")
            )
        elif isinstance(item, list):
            stack.extend(item)
    return " ".join(texts)


def glossary_for(corpus: Corpus, text: str, edition: Edition) -> list[dict[str, str]]:
    """Glossary terms that occur (as whole words) in ``text``, alphabetically, each explained as
    ``edition`` prints it (without what the sources leave out, for an audience not told so)."""
    found = [term for term in corpus.terms.values() if _mentions(text, term.term)]
    return [
        {
            "term": t.term,
            "expansion": t.expansion,
            "html": md_inline(edition.gaps_told(t.explanation)),
        }
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
    """The data's own date: the latest meeting or status step (what the information is as of)."""
    dates = [m.date for m in corpus.meetings.values()]
    dates += [s.date for a in corpus.agreements.values() for s in a.status_history]
    return max(dates, default=dt.date(2000, 1, 1))


def information_as_of(corpus: Corpus) -> str:
    """The latest date in the data, as precisely as the data gives it ("Information as of")."""
    dated = [(m.date, m.date_precision) for m in corpus.meetings.values()]
    dated += [
        (s.date, s.date_precision) for a in corpus.agreements.values() for s in a.status_history
    ]
    if not dated:
        return ""
    latest = max(day for day, _ in dated)
    # Of the records on the latest day, the most precise one says how precisely it is known.
    precision = min((p for day, p in dated if day == latest), key=PRECISIONS.index)
    return format_date(latest, precision)
