"""What the index page lists: the manifest's files grouped by document (a brief or a dossier of
one audience), what each is (title, date, the filters a dossier was built with) and the name it
is downloaded under."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ijbrief.compose import formats as output_formats
from ijbrief.compose.select import VENUE_NOT_REPORTED, Filters
from ijbrief.compose.textfmt import format_date, format_days, iso_prefix, status_label
from ijbrief.corpus.loader import Corpus
from ijbrief.errors import IjbriefError

_ISO = r"\d{4}-\d{2}-\d{2}"
_SLUG_DATES = re.compile(
    rf"(?P<rest>.*?)(?:-since-(?P<since>{_ISO}))?(?:-until-(?P<until>{_ISO}))?"
)


@dataclass(frozen=True)
class AudienceInfo:
    """What the page shows about an audience."""

    name: str
    label: str
    description: str = ""
    dossier_title: str = ""
    accent: str = "#1F3A5F"
    classification: str = ""
    restricted: bool = False  # the edition may hold more than public material


@dataclass
class Document:
    """One brief or dossier of one audience, with its file in every format that was built."""

    audience: str
    kind: str  # meeting | agreement | dossier
    ident: str
    stem: str
    title: str
    day: dt.date | None
    date_text: str
    note: str
    files: dict[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)


def audience_info(root: Path, names: Iterable[str]) -> dict[str, AudienceInfo]:
    """Labels, descriptions and colours of the named audiences; a broken one gets its name only."""
    from ijbrief.compose.audiences import load_audience

    info: dict[str, AudienceInfo] = {}
    for name in names:
        try:
            audience = load_audience(root, name)
        except IjbriefError:
            info[name] = AudienceInfo(name, name.replace("-", " ").title())
            continue
        spec = audience.spec
        info[name] = AudienceInfo(
            name,
            spec.label,
            spec.description,
            spec.dossier.title,
            spec.branding.accent,
            spec.classification,
            any(level != "public" for level in spec.admits),
        )
    return info


# --- What a file is: filters of a dossier, its span, a meaningful download name ---------------


def filters_of(relpath: str, entry: Mapping[str, Any], corpus: Corpus | None) -> Filters | None:
    """The filters a dossier was built with: from the manifest when it records them, else read
    back from the file name (``<audience>-dossier-<topics>-<ids>-since-…-until-…``)."""
    recorded = entry.get("filters")
    if isinstance(recorded, Mapping):
        try:
            return Filters(
                tuple(recorded.get("only") or ()),
                _date(recorded.get("since")),
                _date(recorded.get("until")),
                tuple(recorded.get("topics") or ()),
            )
        except (TypeError, ValueError):
            return None
    prefix = f"{entry.get('audience', '')}-dossier"
    stem = PurePosixPath(relpath).stem
    if not stem.startswith(prefix):
        return None
    slug = stem[len(prefix) :]
    match = _SLUG_DATES.fullmatch(slug)
    if match is None:
        return None
    rest = match["rest"]
    if rest and (corpus is None or not rest.startswith("-")):
        return None
    words = rest[1:].split("-") if rest else []
    parsed = _parse_ids(words, corpus) if corpus is not None else []
    if parsed is None:
        return None
    try:
        since = dt.date.fromisoformat(match["since"]) if match["since"] else None
        until = dt.date.fromisoformat(match["until"]) if match["until"] else None
    except ValueError:
        return None
    topics = tuple(i for kind, i in parsed if kind == "topic")
    only = tuple(i for kind, i in parsed if kind == "id")
    return Filters(only, since, until, topics)


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _parse_ids(words: list[str], corpus: Corpus) -> list[tuple[str, str]] | None:
    """Split hyphen-joined ids back into topics (first) and meeting/agreement ids (then)."""
    ids = set(corpus.meetings) | set(corpus.agreements)

    def parse(start: int, phase: str) -> list[tuple[str, str]] | None:
        if start == len(words):
            return []
        for end in range(len(words), start, -1):
            candidate = "-".join(words[start:end])
            for kind in ("topic", "id") if phase == "topic" else ("id",):
                known = corpus.topics if kind == "topic" else ids
                if candidate in known:
                    tail = parse(end, kind)
                    if tail is not None:
                        return [(kind, candidate), *tail]
        return None

    return parse(0, "topic")


def dossier_span(corpus: Corpus, filters: Filters) -> tuple[str, str] | None:
    """The ISO dates (as precise as the records) of the first and last meeting a dossier covers."""
    meetings = sorted(
        (m for m in corpus.meetings.values() if filters.meeting(m)), key=lambda m: m.date
    )
    if meetings:
        first, last = meetings[0], meetings[-1]
        return (
            iso_prefix(first.date, first.date_precision),
            iso_prefix(last.date, last.date_precision),
        )
    if filters.since or filters.until:
        return (
            filters.since.isoformat() if filters.since else "start",
            filters.until.isoformat() if filters.until else "end",
        )
    return None


def download_name(relpath: str, entry: Mapping[str, Any] | None, corpus: Corpus | None) -> str:
    """A file name that says what the file is, e.g. ``ijbrief-minister-2020-10-07-fmsd-13.pdf``
    or ``ijbrief-analyst-dossier-2020-10-07_2026-01-16-cybersecurity.pdf``."""
    path = PurePosixPath(relpath)
    suffix = path.suffix
    if not entry:
        return f"ijbrief-{path.name}"
    audience = str(entry.get("audience", ""))
    if entry.get("kind") != "dossier":
        return f"ijbrief-{audience}-{path.stem}{suffix}"
    filters = filters_of(relpath, entry, corpus)
    if corpus is None or filters is None:
        return f"ijbrief-{path.name}"
    parts = [f"ijbrief-{audience}-dossier"]
    span = dossier_span(corpus, filters)
    if span:
        parts.append(span[0] if span[0] == span[1] else f"{span[0]}_{span[1]}")
    named = [*filters.topics, *filters.only]
    if len(named) > 4:
        named = [*named[:3], f"and-{len(named) - 3}-more"]
    parts += named
    return "-".join(parts) + suffix


def describe_filters(filters: Filters | None, corpus: Corpus | None) -> str:
    """``All meetings and agreements`` or e.g. ``Cybersecurity, 5G · from 1 October 2020``."""
    if filters is None:
        return "Filtered selection"
    if not filters.active:
        return "All meetings and agreements"
    bits: list[str] = []
    if filters.topics:
        topics = corpus.topics if corpus else {}
        bits.append(", ".join(topics[t].label if t in topics else t for t in filters.topics))
    if filters.only:
        bits.append("only " + ", ".join(filters.only))
    if filters.since:
        bits.append(f"from {format_date(filters.since)}")
    if filters.until:
        bits.append(f"until {format_date(filters.until)}")
    return " · ".join(bits)


def documents(
    corpus: Corpus | None, manifest: Mapping[str, Any], audiences: Mapping[str, AudienceInfo]
) -> list[Document]:
    """The manifest's files grouped by document (one row per brief or dossier)."""
    docs: dict[tuple[str, str], Document] = {}
    for relpath, entry in sorted(manifest.items()):
        if not isinstance(entry, Mapping) or entry.get("format") not in output_formats.names():
            continue
        audience = str(entry.get("audience", ""))
        stem = relpath.rsplit(".", 1)[0]
        doc = docs.get((audience, stem))
        if doc is None:
            doc = _describe(corpus, relpath, entry, audiences.get(audience))
            docs[(audience, stem)] = doc
        doc.files[str(entry["format"])] = (relpath, entry)
    return list(docs.values())


def _describe(
    corpus: Corpus | None, relpath: str, entry: Mapping[str, Any], info: AudienceInfo | None
) -> Document:
    audience = str(entry.get("audience", ""))
    kind = str(entry.get("kind", ""))
    ident = str(entry.get("id", ""))
    stem = relpath.rsplit(".", 1)[0]
    if kind == "dossier":
        filters = filters_of(relpath, entry, corpus)
        title = (info.dossier_title if info else "") or "Dossier"
        day: dt.date | None = None
        covers = ""
        if corpus is not None and filters is not None:
            chosen = sorted(
                (m for m in corpus.meetings.values() if filters.meeting(m)), key=lambda m: m.date
            )
            if chosen:
                day = chosen[-1].date
                first = format_date(chosen[0].date, chosen[0].date_precision)
                last = format_date(chosen[-1].date, chosen[-1].date_precision)
                count = f"{len(chosen)} meeting{'s' * (len(chosen) != 1)}"
                covers = f"{first} – {last} · {count}" if len(chosen) > 1 else f"{first} · {count}"
            else:
                covers = "no meetings"
        return Document(
            audience, kind, ident, stem, title, day, covers, describe_filters(filters, corpus)
        )
    if corpus is not None and kind == "meeting" and ident in corpus.meetings:
        meeting = corpus.meetings[ident]
        date_text = format_days(meeting.date, meeting.end_date, meeting.date_precision)
        return Document(
            audience,
            kind,
            ident,
            stem,
            meeting.title,
            meeting.date,
            date_text,
            meeting.venue or VENUE_NOT_REPORTED,
        )
    if corpus is not None and kind == "agreement" and ident in corpus.agreements:
        agreement = corpus.agreements[ident]
        step = agreement.current
        note = f"{agreement.kind.capitalize()} · {status_label(step.status)}"
        return Document(
            audience,
            kind,
            ident,
            stem,
            agreement.title,
            step.date,
            format_date(step.date, step.date_precision),
            note,
        )
    return Document(audience, kind, ident, stem, ident, None, "", kind.capitalize())


def size_text(n: int) -> str:
    """``18 KB``, ``1.4 MB``."""
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / 1024 / 1024:.1f} MB"
