"""``ijbrief new meeting --from SRC-ID``: a first draft of a meeting, pre-filled from its source.

Every pre-filled value is marked ``# REVIEW`` with what it was found from; the record carries
``status: draft`` until someone has read it against the source, so that it stays out of the
dossiers and ``check --strict`` refuses it. Quotations are copied exactly, so ``check`` verifies
them like any other.

About 520 lines: each field it pre-fills (date with its basis, place, participants with their
office that day, quotations with their speaker, topics, agreements) is a small recogniser, and
they read the same source text and registries; they are kept together so a reviewer of a draft
can see in one place what each REVIEW mark was found from.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ijbrief.corpus.loader import CATALOGUE, Corpus, normalise_quote
from ijbrief.corpus.model import Agreement, Catalogue, Person, Topic
from ijbrief.corpus.yamlio import parse
from ijbrief.errors import IjbriefError, Location, Problem

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = tuple(name.lower() for name in calendar.month_name[1:])  # in English, always
_MONTH = r"(?P<month>" + "|".join(m[:3] + f"(?:{m[3:]})?" for m in MONTHS) + r")\.?"
_STATED = [
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)? " + _MONTH + r",? (?P<year>\d{4})\b", re.I),
    re.compile(r"\b" + _MONTH + r" (?P<day>\d{1,2})(?:st|nd|rd|th)?,? (?P<year>\d{4})\b", re.I),
    re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b"),
]
_WEEKDAY = re.compile(r"\b(?:on|last|this) (" + "|".join(WEEKDAYS) + r")\b", re.I)
# "today" alone is too often not a day ("today's global landscape", "we have today").
_RELATIVE = re.compile(r"\b(yesterday|earlier today|later today)\b", re.I)
# Quoted passages: typographic pairs, or straight double quotes. An opening “ closed by a single
# quote before a space is taken too: copied and translated texts have them ("…projects. ‘ Last").
_QUOTED = re.compile(r"“([^”\"]{3,1500}?)(?:[”\"]|[‘’](?=\s|$))|\"([^\"\n]{3,1500})\"")
_PLACE = re.compile(
    r"\b(?:in|at) ((?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?: [A-Z][a-z]+){0,2})(?= on\b|,|\.)"
)
_PRONOUN = re.compile(
    r"\b(he|she|they) (?:said|added|explained|stated|noted|told)\b|"
    r"\b(?:said|added|explained|stated|noted)(?: that)? (he|she)\b",
    re.I,
)
_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b")
MIN_QUOTE_WORDS = 3


@dataclass(frozen=True)
class Passage:
    """A passage in quotation marks, where it is in the text, and who likely said it."""

    text: str
    start: int
    speaker: str | None = None
    speaker_basis: str = ""


@dataclass(frozen=True)
class DateCandidate:
    day: dt.date
    method: str  # stated | resolved | dateline
    note: str


@dataclass
class Draft:
    """What was found in the source, before it is written out."""

    source: str
    title: str
    reference: dt.date | None
    reference_basis: str
    dates: list[DateCandidate] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    people: list[tuple[Person, str]] = field(default_factory=list)  # person, the name as found
    passages: list[Passage] = field(default_factory=list)
    topics: list[tuple[Topic, str]] = field(default_factory=list)  # topic, the sentence found in
    agreements: list[tuple[Agreement, str]] = field(default_factory=list)  # agreement, as named


def quoted_passages(text: str) -> list[Passage]:
    """Every passage of at least three words in quotation marks, with trailing commas dropped
    (they belong to the sentence that quotes, not to the quotation)."""
    found = []
    for match in _QUOTED.finditer(text):
        group = 1 if match.group(1) is not None else 2
        inner = match.group(group).strip().rstrip(",;:")
        if len(inner.split()) >= MIN_QUOTE_WORDS and len(inner) >= 8:
            found.append(Passage(inner, match.start(group)))
    return found


def _paragraph_bounds(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n\n", 0, at)
    end = text.find("\n\n", at)
    return (0 if start < 0 else start + 2), (len(text) if end < 0 else end)


def _mentions(text: str, people: dict[str, Person]) -> list[tuple[int, Person, str]]:
    """Where each person of the registry is named in the text: full name, romanised or native
    name, or family name (the last word of the name, when it is long enough to be telling)."""
    found: list[tuple[int, Person, str]] = []
    for person in people.values():
        names = {
            person.name,
            person.name.replace(".", ""),
            person.romanised or "",
            person.native_name or "",
        }
        words = person.name.replace(".", " ").split()
        if len(words) > 1 and len(words[-1]) >= 4:
            names.add(words[-1])
        if person.romanised and len(person.romanised.split()[0]) >= 4:
            names.add(person.romanised.split()[0])  # family name first (Motegi Toshimitsu)
        for name in sorted((n for n in names if n), key=len, reverse=True):
            for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
                found.append((match.start(), person, name))
    found.sort(key=lambda item: item[0])
    return found


def _speaker(text: str, passage: Passage, mentions: list[tuple[int, Person, str]]) -> Passage:
    """The person named closest to a passage in its paragraph (after it first: "…," said X), or
    for "he said" the person last named before it."""
    start, end = _paragraph_bounds(text, passage.start)
    close = passage.start + len(passage.text)
    inside = [
        (at, p, n) for at, p, n in mentions if start <= at < end and not passage.start <= at < close
    ]
    after = [m for m in inside if close <= m[0] <= close + 80]
    before = [m for m in inside if m[0] < passage.start]
    tail = text[close : min(end, close + 40)]
    if after:
        _, person, name = after[0]
        return Passage(passage.text, passage.start, person.id, f"named after it ({name})")
    if before and not _PRONOUN.search(tail):
        _, person, name = before[-1]
        return Passage(passage.text, passage.start, person.id, f"named before it ({name})")
    earlier = [m for m in mentions if m[0] < passage.start]
    if earlier:
        _, person, name = earlier[-1]
        said = "a pronoun after it" if _PRONOUN.search(tail) else "the last person named"
        return Passage(passage.text, passage.start, person.id, f"{said}: {name}")
    return passage


def _reference_date(
    corpus: Corpus,
    source_id: str,
    text: str,
    given: dt.date | None,
) -> tuple[dt.date | None, str]:
    if given:
        return given, f"the date given with --published ({given.isoformat()})"
    source = corpus.sources[source_id]
    if source.published:
        return source.published, f"{source_id}'s published date ({source.published.isoformat()})"
    for line in text.splitlines()[:5]:
        match = re.match(r"\s*(?:date|published|dated)\s*:?\s*(\d{4}-\d{2}-\d{2})\b", line, re.I)
        if match:
            day = dt.date.fromisoformat(match.group(1))
            return day, f"the dateline of {source_id} ({day.isoformat()})"
    return None, f"{source_id} has no published date or dateline"


def _month(name: str) -> int:
    return next(i + 1 for i, m in enumerate(MONTHS) if m.startswith(name.lower()[:3]))


def date_candidates(text: str, reference: dt.date | None, basis: str) -> list[DateCandidate]:
    """Dates the text states, then days it names relative to the reference ("on Friday":
    the Friday on or before the day the source was published)."""
    found: list[tuple[int, DateCandidate]] = []
    for pattern in _STATED:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["mon"]) if parts.get("mon") else _month(parts["month"])
            try:
                day = dt.date(int(parts["year"]), month, int(parts["day"]))
            except ValueError:
                continue
            found.append(
                (
                    match.start(),
                    DateCandidate(
                        day, "stated", f'The source states the date: "{match.group(0)}".'
                    ),
                )
            )
    if reference is not None:
        for match in _WEEKDAY.finditer(text):
            weekday = WEEKDAYS.index(match.group(1).lower())
            day = reference - dt.timedelta(days=(reference.weekday() - weekday) % 7)
            note = (
                f'The source says "{match.group(0)}"; the {match.group(1).capitalize()} on '
                f"or before {basis} is {day.isoformat()}."
            )
            found.append((match.start(), DateCandidate(day, "resolved", note)))
        for match in _RELATIVE.finditer(text):
            back = 1 if match.group(1).lower() == "yesterday" else 0  # "earlier today": 0
            day = reference - dt.timedelta(days=back)
            note = f'The source says "{match.group(0)}", against {basis}: {day.isoformat()}.'
            found.append((match.start(), DateCandidate(day, "resolved", note)))
        note = f"Only the source's own date is known: {basis}."
        found.append((len(text), DateCandidate(reference, "dateline", note)))
    # A day the source resolves to relative words comes first: news reports name the meeting's
    # day that way, and state other dates for background.
    order = {"resolved": 0, "stated": 1, "dateline": 2}
    unique: dict[dt.date, DateCandidate] = {}
    for _, candidate in sorted(found, key=lambda f: (order[f[1].method], f[0])):
        unique.setdefault(candidate.day, candidate)
    return list(unique.values())


_BULLET = re.compile(r"^\s*[•*\u2022\u25aa-]\s+")
_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”]))\s+(?=[A-Z“\"])")


def _sentences(text: str) -> list[str]:
    """Whole sentences of the text, and the items of its lists; headings (no closing stop) are
    left out. Paragraphs and list items never run into each other."""
    found = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[•*\u2022\u25aa-]\s)", text):
        if _BULLET.match(block):
            item = " ".join(_BULLET.sub("", block).split())
            if len(item.split()) >= 3:
                found.append(item)
            continue
        for sentence in _END.split(" ".join(block.split())):
            if len(sentence.split()) >= 5 and sentence[-1] in '.!?"”':
                found.append(sentence)
    return found


def _topic_hits(text: str, topics: dict[str, Topic]) -> list[tuple[Topic, str]]:
    sentences = _sentences(text)
    scored: list[tuple[int, int, Topic, str]] = []
    for index, topic in enumerate(topics.values()):
        words = [topic.label, *topic.keywords]
        patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.I) for w in words if w]
        hits = [s for s in sentences if any(p.search(s) for p in patterns)]
        if hits:
            # A sentence that quotes someone is a quotation's place, not an outcome's.
            plain = [s for s in hits if not _QUOTED.search(s)] or hits
            scored.append((-len(hits), index, topic, plain[0]))
    return [(topic, sentence) for _, _, topic, sentence in sorted(scored, key=lambda s: s[:2])]


def _agreement_names(agreement: Agreement, parties: list[str]) -> list[str]:
    names = []
    for name in (agreement.title, agreement.short_title):
        plain = re.sub(r"\s*\([^)]*\)", "", name).strip()
        for party in parties:  # "A–B Joint Working Group…" is named without its parties
            plain = re.sub(rf"^(?:{re.escape(party)}[–-])+\w+\s+", "", plain)
        names += [name, plain]
    return [n for n in dict.fromkeys(names) if len(n) >= 6]


def _agreements_named(text: str, corpus: Corpus, parties: list[str]) -> list[tuple[Agreement, str]]:
    flat = normalise_quote(text).casefold()
    found = []
    for agreement in corpus.agreements.values():
        for name in _agreement_names(agreement, parties):
            if normalise_quote(name).casefold() in flat:
                found.append((agreement, name))
                break
        else:
            if agreement.acronym and re.search(
                rf"(?<!\w){re.escape(agreement.acronym)}(?!\w)", text
            ):
                found.append((agreement, agreement.acronym))
    return found


def analyse(corpus: Corpus, source_id: str, title: str | None, published: dt.date | None) -> Draft:
    """Read a catalogued source for what a meeting record needs."""
    from ijbrief.corpus.project import party_names, read_project

    if source_id not in corpus.sources:
        from difflib import get_close_matches

        close = get_close_matches(source_id, list(corpus.sources), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise IjbriefError(f"--from: unknown source id {source_id!r}{hint}")
    text = corpus.seed_texts[source_id]
    reference, basis = _reference_date(corpus, source_id, text, published)
    draft = Draft(source_id, title or corpus.sources[source_id].title, reference, basis)
    draft.dates = date_candidates(text, reference, basis)
    draft.places = list(dict.fromkeys(m.group(1) for m in _PLACE.finditer(text)))[:5]
    mentions = _mentions(text, corpus.people)
    seen: dict[str, tuple[Person, str]] = {}
    for _, person, name in mentions:
        seen.setdefault(person.id, (person, name))
    draft.people = list(seen.values())
    draft.passages = [_speaker(text, p, mentions) for p in quoted_passages(text)]
    draft.topics = _topic_hits(text, corpus.topics)
    draft.agreements = _agreements_named(text, corpus, party_names(read_project(corpus.root)))
    return draft


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return " ".join(text.split())


def render(draft: Draft, ident: str, corpus: Corpus) -> str:
    """The draft as a commented meeting file."""
    src = draft.source
    chosen = draft.dates[0] if draft.dates else None
    day = chosen.day if chosen else dt.date.today()
    number = _ORDINAL.search(draft.title)
    out = [
        "# yaml-language-server: $schema=../schema/meeting.schema.json",
        f"# A DRAFT pre-filled from {src} by `ijbrief new meeting --from`. Every line marked REVIEW",
        "# was found in the source by rule, not by a reader: check each against the source, write",
        "# the statements in your own words, then delete `status: draft` (drafts stay out of the",
        "# dossiers and fail `ijbrief check --strict`).",
        f"id: {ident}",
        "status: draft",
        f"title: {_q(draft.title)}  # REVIEW: from the source's title",
        f"short_title: {_q(draft.title)}  # REVIEW",
        f"series: {ident}  # REVIEW: the series id it shares with earlier meetings of its kind",
    ]
    if number:
        out.append(f"number: {number.group(1)}  # REVIEW: the ordinal in the title")
    if chosen:
        out.append(f"date: {day.isoformat()}  # REVIEW: {chosen.method}; see date_basis")
    else:
        out.append(f"date: {day.isoformat()}  # REVIEW: no date found in {src}: today's date")
    for other in draft.dates[1:6]:
        out.append(
            f"#   other date found: {other.day.isoformat()} ({other.method}): "
            f"{_comment(other.note)}"
        )
    note = chosen.note if chosen else f"No date was found in {src}; {draft.reference_basis}."
    out += [
        "date_basis:",
        f"  method: {chosen.method if chosen else 'stated'}  # REVIEW",
        f"  note: {_q(note)}",
        f"  sources: [{src}]",
    ]
    place = draft.places[0] if draft.places else "REVIEW: venue not found in the source"
    out.append(f"venue: {_q(place)}  # REVIEW: first place named after 'in' or 'at'")
    if draft.places[1:]:
        out.append(f"#   other places named: {', '.join(draft.places[1:])}")
    out.append("participants:")
    listed = 0
    for person, name in draft.people:
        offices = [o for o in person.offices if o.held_on(day)]
        if not offices:
            held = ", ".join(o.title for o in person.offices)
            out.append(
                f"#  - person: {person.id}  # named ({name!r}) but held no office of "
                f"people.yaml on {day.isoformat()} ({held})"
            )
            continue
        listed += 1
        out += [
            f"  - person: {person.id}  # REVIEW: named in the source as {name!r}",
            f"    office: {_q(offices[0].title)}  # held on {day.isoformat()} (people.yaml)",
            f"    side: {_q(person.country)}",
            f"    sources: [{src}]",
        ]
    if not listed:
        out.append("  []  # REVIEW: nobody of briefs/people.yaml is named in the source")
    first = _sentences(corpus.seed_texts[src])
    lead = next((s for s in first if len(s.split()) >= 8), first[0] if first else draft.title)
    out += [
        "summary:  # REVIEW: the source's first full sentence; put the bottom line in your words",
        f"  text: {_q(lead)}",
        f"  sources: [{src}]",
        "outcomes:  # REVIEW: topics suggested by their keywords, each with the sentence that "
        "matched; keep what the meeting decided, in your words",
    ]
    by_topic: dict[str, list[str]] = {}
    for agreement, _ in draft.agreements:
        for topic_id in agreement.topics:
            by_topic.setdefault(topic_id, []).append(agreement.id)
    used: set[str] = set()
    for topic, sentence in draft.topics:
        out += [f"  - topic: {topic.id}", f"    text: {_q(sentence)}"]
        named = [a for a in by_topic.get(topic.id, []) if a not in used]
        if named:
            used |= set(named)
            out.append(f"    agreements: [{', '.join(named)}]  # REVIEW: named in the source")
        out.append(f"    sources: [{src}]")
    if not draft.topics:
        out.append("  []  # REVIEW: no topic of briefs/topics.yaml matched (give topics keywords)")
    rest = [(a, n) for a, n in draft.agreements if a.id not in used]
    for agreement, name in rest:
        out.append(f"#   also named: agreement {agreement.id} (as {name!r})")
    out.append("quotes:  # verbatim from the source; REVIEW each speaker")
    for passage in draft.passages:
        out.append(f"  - text: {_q(passage.text)}")
        if passage.speaker:
            out.append(f"    speaker: {passage.speaker}  # REVIEW: {passage.speaker_basis}")
        else:
            out.append('    speaker_label: "REVIEW: speaker not recognised"')
        out.append(f"    source: {src}")
    if not draft.passages:
        out[-1] = "quotes: []  # no passage in quotation marks in the source"
    out += [
        "talking_points: []",
        "to_raise: []",
        "to_avoid: []",
        "background: []",
        "significance: []",
        "way_forward: []",
    ]
    return "\n".join(out) + "\n"


def new_draft(
    root: Path, source_id: str, *, title: str | None, ident: str | None, published: dt.date | None
) -> Path:
    """Write ``briefs/meetings/<date>-<id>.yaml`` drafted from a source; return its path."""
    from ijbrief.corpus.authoring import slugify
    from ijbrief.corpus.loader import load_corpus

    corpus = load_corpus(root)
    draft = analyse(corpus, source_id, title, published)
    ident = ident or slugify(draft.title)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", ident):
        raise IjbriefError(f"id {ident!r} must be lower-case letters, digits and hyphens")
    if ident in corpus.meetings or ident in corpus.agreements:
        raise IjbriefError(f"{corpus.files[ident]} already has the id {ident!r}; choose --id")
    day = draft.dates[0].day if draft.dates else dt.date.today()
    path = root / "briefs" / "meetings" / f"{day.isoformat()}-{ident}.yaml"
    if path.exists():
        raise IjbriefError(f"{path.relative_to(root)} already exists; choose --id")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(draft, ident, corpus), encoding="utf-8")
    # the source covers the meeting now: its dates bear out the draft's, `source list` shows it
    add_cover(root, source_id, ident)
    return path


def _catalogue(text: str) -> Catalogue:
    try:
        return Catalogue.model_validate(parse(text, str(CATALOGUE)).data)
    except Exception:
        raise IjbriefError(f"{CATALOGUE} does not validate; run `ijbrief check`") from None


def add_cover(root: Path, source_id: str, meeting_id: str) -> bool:
    """Add ``meeting_id`` to the source's ``covers`` in the catalogue, editing only that line
    (or adding one to the entry) so its layout and comments stay; False if already there."""
    text = (root / CATALOGUE).read_text(encoding="utf-8")
    source = next((s for s in _catalogue(text).sources if s.id == source_id), None)
    if source is None:
        raise IjbriefError(f"{CATALOGUE}: no source {source_id!r}")
    if meeting_id in source.covers:
        return False
    entry = re.search(
        rf"^(?P<indent>[ \t]*)-(?P<gap>[ \t]+)id:[ \t]*[\"']?{re.escape(source_id)}[\"']?"
        r"[ \t]*(?:#.*)?$",
        text,
        re.M,
    )
    if entry is None:
        raise IjbriefError(f"{CATALOGUE}: cannot find the entry of {source_id!r} to edit")
    key_indent = " " * (len(entry["indent"]) + 1 + len(entry["gap"]))
    # the entry runs to the first later line, not blank nor a comment, indented less than its keys
    end = len(text)
    at = entry.end() + 1
    for line in text[at:].splitlines(keepends=True):
        body = line.strip()
        if body and not body.startswith("#") and not line.startswith(key_indent):
            end = at
            break
        at += len(line)
    block = text[entry.end() : end]
    flow = re.search(rf"^{re.escape(key_indent)}covers:[ \t]*\[(?P<items>[^\]]*)\]", block, re.M)
    listed = re.search(rf"^{re.escape(key_indent)}covers:[ \t]*(?:#.*)?\n", block, re.M)
    if flow is not None:
        items = flow["items"].strip()
        joined = f"{items}, {meeting_id}" if items else meeting_id
        block = block[: flow.start("items")] + joined + block[flow.end("items") :]
    elif listed is not None:
        item = re.match(r"([ \t]*)-[ \t]", block[listed.end() :])
        dash = item.group(1) if item else key_indent + "  "
        at = listed.end()
        while (m := re.match(rf"{re.escape(dash)}-[ \t].*\n", block[at:])) is not None:
            at += m.end()
        block = block[:at] + f"{dash}- {meeting_id}\n" + block[at:]
    else:
        tail = block.rstrip("\n")
        block = tail + f"\n{key_indent}covers: [{meeting_id}]" + block[len(tail) :]
        if not block.endswith("\n"):
            block += "\n"
    updated = text[: entry.end()] + block + text[end:]
    check = next(s for s in _catalogue(updated).sources if s.id == source_id)
    if meeting_id not in check.covers:
        raise IjbriefError(f"{CATALOGUE}: could not add {meeting_id!r} to {source_id!r}'s covers")
    (root / CATALOGUE).write_text(updated, encoding="utf-8")
    return True


def draft_problems(corpus: Corpus) -> list[Problem]:
    """One warning per meeting still marked ``status: draft``, at that line."""
    from ijbrief.corpus.yamlio import load

    problems = []
    for meeting in corpus.meetings.values():
        if meeting.status != "draft":
            continue
        display = corpus.files[meeting.id]
        try:
            where = load(corpus.root / display, display).locate(("status",))
        except IjbriefError:
            where = Location(display)
        problems.append(
            Problem(
                where,
                f"{meeting.id} is a draft: review it, then delete "
                "`status: draft` (dossiers leave it out)",
                True,
            )
        )
    return problems
