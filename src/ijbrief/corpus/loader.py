"""Read seeds/ and briefs/ into a validated Corpus: schema, cross-references and provenance."""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from ijbrief.corpus.model import (
    Agreement,
    Catalogue,
    Glossary,
    Meeting,
    People,
    Person,
    Record,
    Source,
    StatusStep,
    Term,
    Topic,
    Topics,
)
from ijbrief.corpus.yamlio import Document, YamlPath, parse_bytes, read_bytes
from ijbrief.errors import InputError, Location, Problem
from ijbrief.heap import collector_paused

CATALOGUE = Path("seeds/catalogue.yaml")
PEOPLE = Path("briefs/people.yaml")
TOPICS = Path("briefs/topics.yaml")
GLOSSARY = Path("briefs/glossary.yaml")
MEETINGS = Path("briefs/meetings")
AGREEMENTS = Path("briefs/agreements")

# C0/C1 controls other than tab and newline, lone surrogates and the two non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
R = TypeVar("R", bound=Record)
T = TypeVar("T")
# A series' meetings in date order, and their dates.
_Series = tuple[list[Meeting], list[dt.date]]
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
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


@dataclass(frozen=True)
class _Parsed:
    """One file as last loaded: its bytes, and what parsing and validating them gave."""

    raw: bytes
    model: type[Record]
    doc: Document | None
    record: Any
    problems: list[Problem]


# The files of the last project loaded in this process, by path. Records are frozen, so a
# long-lived process (serve, build --watch) shares them between loads and parses only what changed.
# Each load reads this and replaces it whole, so loads in two threads never share a dict.
_last_loaded: tuple[Path, dict[str, _Parsed]] | None = None
_last_references: dict[int, tuple[Any, list[tuple[YamlPath, str, str]]]] = {}


class _Collector:
    """Gathers problems across all files so that a check reports everything at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        last = _last_loaded
        self.known = last[1] if last is not None and last[0] == root else {}
        self.parsed: dict[str, _Parsed] = {}
        # The ids each record names, by record: a record parsed at the last load is not walked
        # again (the ids it names are still checked, against this load's registries).
        self.known_references = _last_references if self.known else {}
        self.references: dict[int, tuple[Any, list[tuple[YamlPath, str, str]]]] = {}
        self.problems: list[Problem] = []
        self.folders: dict[Path, bool] = {}
        self.documents: dict[str, Document] = {}
        # Kinds of id whose registry could not be loaded: references to them are not checked,
        # so one broken registry does not bury its own error under hundreds of "unknown id"s.
        self.unavailable: set[str] = set()
        # Meeting/agreement files that failed to load: their ids (or file stems when unreadable).
        self.broken: dict[str, set[str]] = {"meeting": set(), "agreement": set()}

    def add(self, location: Location, message: str, *, warning: bool = False) -> None:
        self.problems.append(Problem(location, message, warning))

    def load(self, relpath: Path, model: type[R]) -> tuple[Document | None, R | None]:
        """Read, parse and validate one file; its problems go to the collector. A file whose
        bytes are what they were at the last load in this process is not parsed again."""
        path = self.root / relpath
        display = str(relpath)
        if not self.inside(path):
            self.add(Location(display), "refused: the file lies outside the project (symlink?)")
            return None, None
        try:
            raw = read_bytes(path, display)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None, None
        known = self.known.get(display)
        if known is None or known.raw != raw or known.model is not model:
            start = len(self.problems)
            doc: Document | None = None
            try:
                doc = parse_bytes(raw, display)
            except InputError as exc:
                self.problems.extend(exc.problems)
            if doc is not None:
                self.scan_text(doc, doc.data, ())
            known = _Parsed(raw, model, doc, self.validate(doc, model), self.problems[start:])
        else:
            self.problems.extend(known.problems)
        self.parsed[display] = known
        if known.doc is not None:
            self.documents[display] = known.doc
        return known.doc, known.record

    def inside(self, path: Path) -> bool:
        """Whether a file of the project resolves inside it: its folder is resolved once a load,
        the file itself only when it is a link."""
        if path.is_symlink():
            return _inside(path, self.root)
        inside = self.folders.get(path.parent)
        if inside is None:
            inside = self.folders[path.parent] = _inside(path.parent, self.root)
        return inside

    def scan_text(self, doc: Document, value: Any, path: YamlPath) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if bad := _FORBIDDEN.search(key):
                    self.add(
                        doc.locate((*path, key), key=True),
                        f"key {key!r}: {_describe(bad.group())} is not allowed in a key",
                    )
                self.scan_text(doc, item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.scan_text(doc, item, (*path, index))
        elif isinstance(value, str):
            name = _dotted(path)
            if bad := _FORBIDDEN.search(value):
                self.add(
                    doc.locate(path), f"{name}: {_describe(bad.group())} is not allowed in text"
                )
            if bidi := _BIDI.search(value):
                self.add(
                    doc.locate(path),
                    f"{name}: bidi control U+{ord(bidi.group()):04X} may hide what the text says",
                    warning=True,
                )

    def is_broken(self, kind: str, ref: str) -> bool:
        """Whether ``ref`` may name a record that exists but failed to load."""
        if kind in self.unavailable:
            return True
        broken = self.broken.get(kind, set())
        return ref in broken or any(stem.endswith(f"-{ref}") for stem in broken)

    def validate(self, doc: Document | None, model: type[R]) -> R | None:
        if doc is None:
            return None
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            self.report(doc, model, exc)
            return None

    def report(self, doc: Document, model: type[Record], exc: ValidationError) -> None:
        seen: set[tuple[Location, str]] = set()
        errors = exc.errors(include_url=False)
        for error in errors:
            path = _data_path(doc.data, error["loc"])
            kind = error["type"]
            if kind == "none_required" and len(errors) > 1:
                continue  # the other branch of an `X | None` explains the problem better
            if kind == "string_unicode":
                continue  # lone surrogates: already reported, by field, by scan_text()
            if kind == "extra_forbidden":
                key = str(path[-1])
                hint = _suggest(key, _field_names(model, path[:-1]))
                message = f"unknown key {key!r}{hint}"
                location = doc.locate(path, key=True)
            elif kind == "missing":
                missing = str(error["loc"][-1])
                parent = path[:-1] if path and path[-1] == missing else path
                where = f"{_dotted(parent)}: " if parent else ""
                message = f"{where}missing required key {missing!r}"
                location = doc.locate(path, key=True)
            else:
                msg = error["msg"].removeprefix("Value error, ")
                if kind in ("bool_type", "int_type") and isinstance(error["input"], str):
                    got = (
                        error["input"] if len(error["input"]) <= 40 else error["input"][:37] + "..."
                    )
                    msg += f" (got text {got!r}; YAML 1.2 spellings only)"
                message = f"{_dotted(path)}: {msg}"
                location = doc.locate(path)
            if (location, message) not in seen:
                seen.add((location, message))
                self.add(location, message)


def _describe(char: str) -> str:
    """Name a forbidden character for a message."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        kind = "lone surrogate"
    elif code in (0xFFFE, 0xFFFF):
        kind = "non-character"
    else:
        kind = "control character"
    return f"{kind} U+{code:04X}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _dotted(path: YamlPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _data_path(data: Any, loc: tuple[int | str, ...]) -> YamlPath:
    """Keep the parts of a pydantic error location that address real data (drop union tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str)
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if (in_dict and part in node) or in_list:
            node = node[part]
            path.append(part)
        else:
            if in_dict:
                path.append(part)  # a missing key: name it, located at its parent
            break
    return tuple(path)


def _field_names(model: type[BaseModel], path: YamlPath) -> list[str]:
    """The keys a mapping at ``path`` may have, for suggesting a fix to a typo."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        current = _record_type(info.annotation)
        if current is None:
            return []
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _record_type(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _record_type(arg)
        if found is not None:
            return found
    return None


def _suggest(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


_REFERENCE_FIELDS = {
    "sources": "source",
    "source": "source",
    "topic": "topic",
    "topics": "topic",
    "agreements": "agreement",
    "person": "person",
    "speaker": "person",
    "meeting": "meeting",
    "covers": "meeting",
}


def _references(record: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, str, str]]:
    """Every id a record refers to: (path, kind, id)."""
    if isinstance(record, BaseModel):
        for name in type(record).model_fields:
            value = getattr(record, name)
            kind = _REFERENCE_FIELDS.get(name)
            if kind and isinstance(value, str):
                yield (*path, name), kind, value
            elif kind and isinstance(value, list) and all(isinstance(i, str) for i in value):
                for index, item in enumerate(value):
                    yield (*path, name, index), kind, item
            else:  # records, and lists of records (the catalogue's `sources:` is one)
                yield from _references(value, (*path, name))
    elif isinstance(record, list):
        for index, item in enumerate(record):
            yield from _references(item, (*path, index))


def load_corpus(root: Path, *, remember: bool = False) -> Corpus:
    """Load and validate the whole corpus under ``root``; raise InputError listing every problem.
    With ``remember``, keep the parsed files for the next load in this process (a long-lived
    process); a short one would only pay for freeing them at exit."""
    with collector_paused():
        return _load(root.resolve(), remember)


def _load(root: Path, remember: bool) -> Corpus:
    c = _Collector(root)
    _, catalogue = c.load(CATALOGUE, Catalogue)
    _, people = c.load(PEOPLE, People)
    _, topics = c.load(TOPICS, Topics)
    _, glossary = c.load(GLOSSARY, Glossary)
    for kind, registry in (("source", catalogue), ("person", people), ("topic", topics)):
        if registry is None:
            c.unavailable.add(kind)
    meetings: list[tuple[Meeting, str]] = []
    agreements: list[tuple[Agreement, str]] = []
    for folder, model, bucket, kind in (
        (MEETINGS, Meeting, meetings, "meeting"),
        (AGREEMENTS, Agreement, agreements, "agreement"),
    ):
        if not (root / folder).is_dir():
            c.add(Location(str(folder)), "folder is missing")
            c.unavailable.add(kind)
            continue
        for path in sorted((root / folder).iterdir()):
            if path.suffix in (".yaml", ".yml"):
                relpath = folder / path.name
                doc, record = c.load(relpath, model)
                if record is not None:
                    bucket.append((record, str(relpath)))  # type: ignore[arg-type]
                else:
                    raw = doc.data.get("id") if doc is not None else None
                    c.broken[kind].add(path.stem)
                    if isinstance(raw, str):
                        c.broken[kind].add(raw)
            elif not path.name.startswith("."):
                c.add(Location(str(folder / path.name)), "not a .yaml file; ignored", warning=True)

    sources = _index(c, catalogue.sources if catalogue else [], str(CATALOGUE), ("sources",))
    corpus = Corpus(
        root=root,
        sources=sources,
        seed_texts=_read_seeds(c, root, catalogue.sources if catalogue else []),
        people=_index(c, people.people if people else [], str(PEOPLE), ("people",)),
        topics=_index(c, topics.topics if topics else [], str(TOPICS), ("topics",)),
        terms=_index(c, glossary.terms if glossary else [], str(GLOSSARY), ("terms",)),
        meetings={},
        agreements={},
    )
    for bucket, target in ((meetings, corpus.meetings), (agreements, corpus.agreements)):
        for record, display in bucket:
            other = corpus.files.get(record.id)
            if other is not None:
                c.add(
                    c.documents[display].locate(("id",)),
                    f"duplicate id {record.id!r} (also used by {other})",
                )
                continue
            corpus.files[record.id] = display
            target[record.id] = record  # type: ignore[assignment]
    corpus.meetings = dict(sorted(corpus.meetings.items(), key=lambda kv: (kv[1].date, kv[0])))
    corpus.agreements = dict(
        sorted(corpus.agreements.items(), key=lambda kv: (kv[1].status_history[0].date, kv[0]))
    )

    corpus.registries = (catalogue, people, topics, glossary)
    _check_references(c, corpus, catalogue, str(CATALOGUE))
    _check_registries(c, corpus, people, glossary)
    for meeting in corpus.meetings.values():
        _check_meeting(c, corpus, meeting, c.documents[corpus.files[meeting.id]])
    for agreement in corpus.agreements.values():
        _check_agreement(c, corpus, agreement, c.documents[corpus.files[agreement.id]])

    if remember:
        global _last_loaded, _last_references
        _last_loaded = (root, c.parsed)
        _last_references = c.references
    corpus.warnings = sorted(p for p in c.problems if p.warning)
    errors = sorted(p for p in c.problems if not p.warning)
    if errors:
        raise InputError(errors + corpus.warnings)
    return corpus


def _index(c: _Collector, items: list[R], display: str, at: YamlPath) -> dict[str, R]:
    out: dict[str, R] = {}
    for index, item in enumerate(items):
        key = str(getattr(item, "id"))  # noqa: B009 - every registry record has an id
        if key in out:
            c.add(c.documents[display].locate((*at, index, "id")), f"duplicate id {key!r}")
            continue  # the first entry stands; later ones would silently replace it
        out[key] = item
    return out


def _read_seeds(c: _Collector, root: Path, sources: list[Source]) -> dict[str, str]:
    texts: dict[str, str] = {}
    seen: set[str] = set()
    doc = c.documents.get(str(CATALOGUE))
    for index, source in enumerate(sources):
        if source.id in seen:
            continue  # a duplicate id, reported by _index()
        seen.add(source.id)
        path = root / "seeds" / source.file
        where = doc.locate(("sources", index, "file")) if doc else Location(str(CATALOGUE))
        if not _inside(path, root):
            c.add(where, f"seed {source.file} lies outside the project")
            continue
        if path.exists() and not path.is_file():  # a folder, or a FIFO that would block
            c.add(where, f"seed file seeds/{source.file} is not a regular file")
            continue
        try:
            texts[source.id] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            c.add(where, f"seed file seeds/{source.file} does not exist")
        except (OSError, UnicodeDecodeError) as exc:
            c.add(where, f"seed file seeds/{source.file} cannot be read: {exc}")
    return texts


def _known(corpus: Corpus, kind: str) -> dict[str, Any]:
    tables: dict[str, dict[str, Any]] = {
        "source": corpus.sources,
        "topic": corpus.topics,
        "agreement": corpus.agreements,
        "person": corpus.people,
        "meeting": corpus.meetings,
    }
    return tables[kind]


def _check_references(c: _Collector, corpus: Corpus, record: Any, display: str) -> None:
    if record is None or display not in c.documents:
        return
    doc = c.documents[display]
    known_references = c.known_references.get(id(record))
    if known_references is None or known_references[0] is not record:
        known_references = (record, list(_references(record)))
    c.references[id(record)] = known_references
    for path, kind, ref in known_references[1]:
        known = _known(corpus, kind)
        if ref not in known and not c.is_broken(kind, ref):
            hint = _suggest(ref, list(known))
            c.add(doc.locate(path), f"unknown {kind} id {ref!r}{hint}")


def _check_registries(
    c: _Collector, corpus: Corpus, people: People | None, glossary: Glossary | None
) -> None:
    doc = c.documents.get(str(PEOPLE))
    for index, person in enumerate(people.people if people else []):
        if doc and bool(person.native_name) != bool(person.native_script):
            c.add(
                doc.locate(("people", index)),
                "native_name and native_script go together: give both or neither",
            )
        for o_index, office in enumerate(person.offices):
            if office.start and office.end and office.end < office.start and doc:
                c.add(
                    doc.locate(("people", index, "offices", o_index, "end")),
                    "office ends before it starts",
                )
    glossary_doc = c.documents.get(str(GLOSSARY))
    if glossary_doc and glossary:
        for index, term in enumerate(glossary.terms):
            for s_index, ref in enumerate(term.sources):
                if ref not in corpus.sources and not c.is_broken("source", ref):
                    c.add(
                        glossary_doc.locate(("terms", index, "sources", s_index)),
                        f"unknown source id {ref!r}",
                    )


def _check_meeting(c: _Collector, corpus: Corpus, meeting: Meeting, doc: Document) -> None:
    _check_references(c, corpus, meeting, doc.path)
    for index, participant in enumerate(meeting.participants):
        person = corpus.people.get(participant.person)
        if person is None:
            continue
        if not any(
            o.title.casefold() == participant.office.casefold() and o.held_on(meeting.date)
            for o in person.offices
        ):
            held = [o.title for o in person.offices if o.held_on(meeting.date)]
            then = f"; on that date they held: {', '.join(held)}" if held else ""
            c.add(
                doc.locate(("participants", index, "office")),
                f"{person.name} was not {participant.office!r} on {meeting.date}{then}",
            )
    for index, quote in enumerate(meeting.quotes):
        if quote.speaker is None and quote.speaker_label is None:
            c.add(doc.locate(("quotes", index)), "a quotation needs a speaker or a speaker_label")
        text = corpus.seed_texts.get(quote.source)
        if text is None:
            continue
        if normalise_quote(quote.text) in _normalised_source(text):
            corpus.quotations_verified += 1
        else:
            c.add(
                doc.locate(("quotes", index, "text")),
                f"quotation does not occur verbatim in {quote.source} "
                f"(seeds/{corpus.sources[quote.source].file}){_nearest(quote.text, text)}",
            )


# The same few source texts are searched for every quotation in the corpus.
_normalised_source = functools.lru_cache(maxsize=32)(normalise_quote)


def _nearest(quote: str, text: str) -> str:
    """Point at the first word where the quotation departs from its closest match in the source."""
    q, t = normalise_quote(quote), normalise_quote(text)
    matcher = difflib.SequenceMatcher(None, q, t, autojunk=False)
    block = matcher.find_longest_match(0, len(q), 0, len(t))
    if block.size < 12:
        return ""
    start, end = block.a, block.a + block.size
    if end >= len(q):  # the longest agreeing run ends the quotation: it departs just before it
        return f"; it differs just before {q[start : start + 30]!r}"
    return f"; it differs just after {q[max(start, end - 30) : end]!r}"


def _check_agreement(c: _Collector, corpus: Corpus, agreement: Agreement, doc: Document) -> None:
    _check_references(c, corpus, agreement, doc.path)
    steps = agreement.status_history
    for index in range(1, len(steps)):
        if steps[index].date < steps[index - 1].date:
            c.add(
                doc.locate(("status_history", index, "date")),
                f"status steps must be in date order (oldest first): this step, dated "
                f"{steps[index].date}, follows one dated {steps[index - 1].date}",
            )
    for index, step in enumerate(steps):
        meeting = corpus.meetings.get(step.meeting) if step.meeting else None
        if meeting and meeting.date != step.date and step.date_precision == "day":
            c.add(
                doc.locate(("status_history", index, "date")),
                f"step dated {step.date} but meeting {meeting.id!r} was on {meeting.date}",
            )
