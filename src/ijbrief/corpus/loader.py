"""Read seeds/ and briefs/ into a validated Corpus: schema, cross-references and provenance.

One pass over every file of a project, which is why it is one module of some 700 lines: reading
(bounded, inside the project), validating against the model and the cross-checks between records
all report into one collector, so that ``check`` lists every problem at once, and a long-lived
process re-parses only the files that changed. What stands on its own is elsewhere: the loaded
Corpus (``collection``), quotations against their sources (``quotations``), whether every printed
statement is supported (``fidelity``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ijbrief.corpus.collection import Corpus as Corpus
from ijbrief.corpus.collection import normalise_quote as normalise_quote
from ijbrief.corpus.model import (
    Agreement,
    Catalogue,
    Countries,
    Glossary,
    Meeting,
    People,
    ProjectSpec,
    Record,
    Source,
    Topics,
    iso_prefix,
)
from ijbrief.corpus.project import (
    COUNTRIES,
    NO_PROJECT_NOTE,
    PROJECT,
    country_index,
    default_spec,
    script_info,
)
from ijbrief.corpus.project import fallback_countries as _fallback_countries
from ijbrief.corpus.quotations import enclosed, nearest, normalised_source
from ijbrief.corpus.yamlio import Document, YamlPath, os_reason, parse_bytes, read_bytes, read_text
from ijbrief.errors import InputError, Location, Problem

CATALOGUE = Path("seeds/catalogue.yaml")
PEOPLE = Path("briefs/people.yaml")
TOPICS = Path("briefs/topics.yaml")
GLOSSARY = Path("briefs/glossary.yaml")
MEETINGS = Path("briefs/meetings")
AGREEMENTS = Path("briefs/agreements")

# A source text is a speech or a statement: a few hundred kilobytes at most. Quotations are
# searched for in it and a departure diagnosed, which should take a moment, not minutes.
MAX_SEED_BYTES = 4 * 1024 * 1024
# C0/C1 controls other than tab and newline, lone surrogates and the two non-characters.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same in source texts, where a carriage return may end lines (a file saved on Windows).
_FORBIDDEN_IN_SEEDS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
R = TypeVar("R", bound=Record)
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
T = TypeVar("T")


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
    except (RuntimeError, OSError):
        # A symbolic link loop leads nowhere, so not outside: reading it says what it is.
        return True
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
    return _load(root.resolve(), remember)


def _load(root: Path, remember: bool) -> Corpus:
    c = _Collector(root)
    spec, countries = _load_project(c, root)
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
        try:
            listed = sorted((root / folder).iterdir())
        except OSError as exc:
            c.add(Location(str(folder)), f"cannot read the folder: {os_reason(exc)}")
            c.unavailable.add(kind)
            continue
        for path in listed:
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
        countries=country_index(countries) if countries else {},
        project=spec,
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
    corpus.documents = c.documents
    _check_references(c, corpus, catalogue, str(CATALOGUE))
    _check_registries(c, corpus, people, glossary)
    _check_countries(c, corpus, spec, people)
    for meeting in corpus.meetings.values():
        _check_meeting(c, corpus, meeting, c.documents[corpus.files[meeting.id]])
    for agreement in corpus.agreements.values():
        _check_agreement(c, corpus, agreement, c.documents[corpus.files[agreement.id]])
    # What would be printed: quoted phrases verbatim, no source ids.
    from ijbrief.corpus.fidelity import printed_problems

    c.problems.extend(printed_problems(corpus))

    if remember:
        global _last_loaded, _last_references
        _last_loaded = (root, c.parsed)
        _last_references = c.references
    corpus.warnings = sorted(p for p in c.problems if p.warning)
    errors = sorted(p for p in c.problems if not p.warning)
    if errors:
        raise InputError(errors + corpus.warnings)
    return corpus


def _load_project(c: _Collector, root: Path) -> tuple[ProjectSpec, Countries | None]:
    """project.yaml and briefs/countries.yaml; a folder without project.yaml gets the default
    project with a note, one without countries.yaml the project's parties as its countries."""
    if (root / PROJECT).exists() or (root / PROJECT).is_symlink():
        _, spec = c.load(PROJECT, ProjectSpec)
        if spec is None:
            spec = default_spec()
    elif not (root / "briefs").exists() and not (root / "seeds").exists():
        raise InputError(
            [
                Problem(
                    Location(str(root)),
                    "not an ijbrief project (no project.yaml, briefs/ or "
                    "seeds/); start one with `ijbrief init`",
                )
            ]
        )
    else:
        spec = default_spec()
        c.add(Location(str(PROJECT)), NO_PROJECT_NOTE.format(title=spec.title), warning=True)
    if (root / COUNTRIES).exists() or (root / COUNTRIES).is_symlink():
        _, countries = c.load(COUNTRIES, Countries)
        if countries is None:
            c.unavailable.add("country")
        else:
            _index(c, countries.countries, str(COUNTRIES), ("countries",))
    else:
        countries = _fallback_countries(spec)
    return spec, countries


def _check_countries(
    c: _Collector, corpus: Corpus, spec: ProjectSpec, people: People | None
) -> None:
    """The parties of project.yaml, people's ``country`` and participants' ``side`` each name a
    country of the registry."""
    if "country" in c.unavailable:
        return
    known = sorted({country.name for country in corpus.countries.values()})

    def check(doc: Document | None, path: YamlPath, name: str) -> None:
        if doc is not None and name not in corpus.countries:
            hint = _suggest(name, sorted(corpus.countries)) or f" (known: {', '.join(known)})"
            c.add(doc.locate(path), f"unknown country {name!r}{hint}")

    project_doc = c.documents.get(str(PROJECT))
    for index, party in enumerate(spec.parties):
        check(project_doc, ("parties", index, "id"), party.id)
    people_doc = c.documents.get(str(PEOPLE))
    for index, person in enumerate(people.people if people else []):
        check(people_doc, ("people", index, "country"), person.country)
    for meeting in corpus.meetings.values():
        doc = c.documents[corpus.files[meeting.id]]
        for index, participant in enumerate(meeting.participants):
            check(doc, ("participants", index, "side"), participant.side)


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
        if not path.exists() and not path.is_symlink():
            c.add(where, f"seed file seeds/{source.file} does not exist")
            continue
        try:
            text = read_text(path, f"seeds/{source.file}", MAX_SEED_BYTES)
        except InputError as exc:
            # Said at the catalogue entry, which is what the user edits to fix it.
            for problem in exc.problems:
                at = problem.location
                spot = f" (line {at.line}, column {at.column})" if at.line else ""
                c.add(where, f"seed file {at.path}{spot}: {problem.message}")
            continue
        if bad := _FORBIDDEN_IN_SEEDS.search(text):
            line = text.count("\n", 0, bad.start()) + 1
            column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
            c.add(
                where,
                f"seed file seeds/{source.file} (line {line}, column {column}): "
                f"{_describe(bad.group())} is not allowed in a source text",
            )
            continue
        texts[source.id] = text
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
            hint = _suggest(ref, list(known)) + _WHERE_DEFINED.get(kind, "")
            c.add(doc.locate(path), f"unknown {kind} id {ref!r}{hint}")


# Where a new user adds what an unknown id names.
_WHERE_DEFINED = {
    "person": (
        "; people are defined in briefs/people.yaml: add one with id, name, country and "
        "offices (each office's title and start date)"
    ),
    "source": (
        "; sources are defined in seeds/catalogue.yaml: add the text as seeds/<name>.txt and "
        "an entry with id, file, title, kind and covers"
    ),
    "topic": "; topics are defined in briefs/topics.yaml",
}


def _declared_langs(spec: ProjectSpec | None) -> list[str]:
    scripts = spec.scripts if spec is not None else []
    return [entry if isinstance(entry, str) else entry.lang for entry in scripts]


def _check_registries(
    c: _Collector, corpus: Corpus, people: People | None, glossary: Glossary | None
) -> None:
    doc = c.documents.get(str(PEOPLE))
    # A name in a script the project does not declare gets no font check from `doctor` and no
    # face of its own in the documents: it may print as empty boxes.
    declared = {entry.split("-")[0] for entry in _declared_langs(corpus.project)}
    for index, person in enumerate(people.people if people else []):
        if doc and bool(person.native_name) != bool(person.native_script):
            c.add(
                doc.locate(("people", index)),
                "native_name and native_script go together: give both or neither",
            )
        script = person.native_script
        if doc and script and script.split("-")[0] not in declared:
            listed = ", ".join([*_declared_langs(corpus.project), script])
            name = script_info(script).name
            named = f" ({name})" if name != script else ""
            c.add(
                doc.locate(("people", index, "native_script")),
                f"native_script {script!r}{named} is not declared in {PROJECT}: add it to its "
                f"scripts (scripts: [{listed}]) so that `ijbrief doctor` checks a font for it "
                "and the documents set the name in it",
                warning=True,
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


def _check_file_name(c: _Collector, doc: Document, expected: str, what: str) -> None:
    """Warn when a file's name no longer says what its record does (an id or date changed and
    the file was not renamed): outputs are named from the record, people look by the file."""
    name = Path(doc.path).name
    if Path(name).stem != expected:
        c.add(
            doc.locate(("id",)),
            f"the file is named {name} but its {what} make it {expected}.yaml: rename the file",
            warning=True,
        )


def _check_meeting(c: _Collector, corpus: Corpus, meeting: Meeting, doc: Document) -> None:
    _check_references(c, corpus, meeting, doc.path)
    date = iso_prefix(meeting.date, meeting.date_precision)
    _check_file_name(c, doc, f"{date}-{meeting.id}", "date and id")
    if meeting.end_date is not None and (
        meeting.end_date <= meeting.date or meeting.date_precision != "day"
    ):
        c.add(
            doc.locate(("end_date",)),
            f"end_date {meeting.end_date} must be after the date, {meeting.date}, given to the day",
        )
    for index, participant in enumerate(meeting.participants):
        person = corpus.people.get(participant.person)
        if person is None:
            continue
        side, home = (corpus.countries.get(n) for n in (participant.side, person.country))
        # An unknown country is reported once, by the countries check; spellings of one country
        # (its id, name or short name) are the same side.
        if side is not None and home is not None and side is not home:
            c.add(
                doc.locate(("participants", index, "side")),
                f"{person.name} is on the {person.country} side (country in briefs/people.yaml), "
                f"not {participant.side}",
            )
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
        if enclosed(quote.text):
            c.add(
                doc.locate(("quotes", index, "text")),
                f"the quotation is written inside its own quotation marks "
                f"({quote.text.strip()[0]}…{quote.text.strip()[-1]}): write only the words, "
                "as the templates add the marks",
            )
        text = corpus.seed_texts.get(quote.source)
        if text is None:
            continue
        if normalise_quote(quote.text) in normalised_source(text):
            corpus.quotations_verified += 1
        else:
            c.add(
                doc.locate(("quotes", index, "text")),
                f"quotation does not occur verbatim in {quote.source} "
                f"(seeds/{corpus.sources[quote.source].file}){nearest(quote.text, text)}",
            )


def _check_agreement(c: _Collector, corpus: Corpus, agreement: Agreement, doc: Document) -> None:
    _check_references(c, corpus, agreement, doc.path)
    _check_file_name(c, doc, agreement.id, "id")
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
        last = (meeting.end_date or meeting.date) if meeting else None
        if (
            meeting
            and last
            and not meeting.date <= step.date <= last
            and step.date_precision == "day"
        ):
            c.add(
                doc.locate(("status_history", index, "date")),
                f"step dated {step.date} but meeting {meeting.id!r} was on {meeting.date}"
                + (f" to {meeting.end_date}" if meeting.end_date else ""),
            )
