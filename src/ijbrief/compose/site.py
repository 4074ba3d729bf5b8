"""The download page: out/index.html (static, relative links, no script) and the page that
``ijbrief serve`` shows (the same listing plus previews, a dossier form and build status)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from ijbrief import __version__
from ijbrief.compose import formats as output_formats
from ijbrief.compose.composer import Stamp
from ijbrief.compose.select import VENUE_NOT_REPORTED, Filters
from ijbrief.compose.textfmt import count_of, format_date, format_days, iso_prefix, status_label
from ijbrief.compose.timeline import Event, svg
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.project import read_project
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


def _marking(info: AudienceInfo | None) -> Markup:
    """The edition's classification, beside each of its files, as on the files' every page."""
    if info is None or not info.classification:
        return Markup("")
    return Markup('<span class="marking{}">{}</span>').format(
        " restricted" if info.restricted else "", info.classification
    )


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


# --- HTML ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Where the page's links point: relative paths (static page) or the server's routes."""

    files: str = ""
    preview: str | None = None

    def file(self, relpath: str) -> str:
        return self.files + quote(relpath)

    def previewing(self, relpath: str) -> str | None:
        return None if self.preview is None else self.preview + quote(relpath)


def size_text(n: int) -> str:
    """``18 KB``, ``1.4 MB``."""
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def index_html(corpus: Corpus, manifest: dict[str, Any], stamp: Stamp, out: Path) -> bytes:
    """The static out/index.html: self-contained, relative links, works from any static host."""
    audiences = audience_info(corpus.root, {str(e.get("audience", "")) for e in manifest.values()})
    docs = documents(corpus, manifest, audiences)
    body = _listing(corpus, docs, audiences, Links(), static=True)
    page = _page(
        title=f"{read_project(corpus.root).title} briefs and dossiers"
        if corpus
        else "Briefs and dossiers",
        subtitle=_subtitle(corpus, manifest, stamp.prepared),
        nav=_nav(audiences, docs),
        body=_FILTER + body,
        script=Markup("<script>{}</script>").format(Markup(_FILTER_SCRIPT)),
    )
    return page.encode("utf-8")


def live_html(
    corpus: Corpus | None,
    manifest: Mapping[str, Any],
    *,
    prepared: dt.date | None,
    audiences: Sequence[AudienceInfo],
    problems: Sequence[str],
    rebuild: Mapping[str, Any] | None,
    watching: str,
    generation: int,
    nonce: str,
    token: str = "",
) -> str:
    """The page ``ijbrief serve`` shows at ``/``; ``token`` goes with the form, so that the
    server knows a build request comes from its own page."""
    known = {a.name: a for a in audiences}
    listed = {str(e.get("audience", "")) for e in manifest.values() if isinstance(e, Mapping)}
    missing = sorted(listed - set(known))
    if missing and corpus is not None:
        known.update(audience_info(corpus.root, missing))
    parts = [_problems_card(problems)] if problems else []
    parts.append(_form_card(corpus, audiences, token))
    parts.append(_rebuild_card(rebuild, watching, problems))
    docs = documents(corpus, manifest, known)
    parts.append(_listing(corpus, docs, known, Links("/files/", "/preview/"), static=False))
    page = _page(
        title=f"{read_project(corpus.root).title} briefs and dossiers"
        if corpus
        else "Briefs and dossiers",
        subtitle=_subtitle(corpus, manifest, prepared),
        nav=_nav(known, docs, live=True),
        body=Markup("\n").join(parts),
        script=Markup('<script nonce="{}">{}</script>').format(nonce, Markup(_SCRIPT)),
        generation=generation,
    )
    return page


def job_html(job: Mapping[str, Any]) -> str:
    """A build's status as a page of its own (for browsers without script): refreshes until done."""
    state = str(job.get("state", ""))
    refresh = state in ("queued", "running")
    body = Markup(
        '<section class="card"><h2>{}</h2>{}<p><a href="/">Back to all files</a></p></section>'
    ).format(job.get("label", "Build"), _job_status(job))
    return _page(
        title="Building…" if refresh else "Build finished" if state == "done" else "Build failed",
        subtitle=Markup("ijbrief"),
        nav=Markup(""),
        body=body,
        refresh=refresh,
    )


def message_html(title: str, lines: Sequence[str]) -> str:
    """A plain page for a refused request, e.g. a form with a malformed date."""
    items = Markup("").join(Markup("<li>{}</li>").format(line) for line in lines)
    body = Markup(
        '<section class="card"><h2>{}</h2><ul class="messages">{}</ul>'
        '<p><a href="/">Back to all files</a></p></section>'
    ).format(title, items)
    return _page(title=title, subtitle=Markup("ijbrief"), nav=Markup(""), body=body)


def _subtitle(
    corpus: Corpus | None, manifest: Mapping[str, Any], prepared: dt.date | None
) -> Markup:
    bits = []
    if prepared:
        bits.append(f"Prepared {format_date(prepared)}")
    if corpus is not None:
        bits.append(count_of(len(corpus.meetings), "meeting", "meetings"))
        bits.append(count_of(len(corpus.agreements), "agreement", "agreements"))
    bits.append(f"{len(manifest)} file{'s' * (len(manifest) != 1)}")
    return Markup(" · ").join(bits)


def _nav(
    audiences: Mapping[str, AudienceInfo], docs: Sequence[Document], live: bool = False
) -> Markup:
    links = [Markup('<a href="#build">Build a dossier</a>')] if live else []
    links.append(Markup('<a href="#meetings">Meetings</a>'))
    if any(d.kind == "dossier" for d in docs):
        links.append(Markup('<a href="#dossiers">Dossiers</a>'))
    for name in sorted({d.audience for d in docs if d.kind != "dossier"}):
        info = audiences.get(name)
        links.append(
            Markup('<a href="#aud-{}">{}</a>').format(name, info.label if info else name.title())
        )
    return Markup('<nav class="jump">{}</nav>').format(Markup("").join(links))


def _listing(
    corpus: Corpus | None,
    docs: Sequence[Document],
    audiences: Mapping[str, AudienceInfo],
    links: Links,
    *,
    static: bool,
) -> Markup:
    parts = [_meetings_card(corpus, docs, audiences)]
    dossiers = [d for d in docs if d.kind == "dossier"]
    if dossiers:
        parts.append(_dossiers_card(corpus, dossiers, audiences, links))
    names = sorted({d.audience for d in docs if d.kind != "dossier"})
    for name in names:
        briefs = [d for d in docs if d.audience == name and d.kind != "dossier"]
        parts.append(_audience_card(corpus, name, briefs, audiences.get(name), links))
    if not docs:
        hint = (
            "Run <code>ijbrief build</code> to make them."
            if static
            else "Use the form above, or run <code>ijbrief build</code>."
        )
        parts.append(
            Markup(
                '<section class="card"><h2>Files</h2><p class="empty">{} {}</p></section>'
            ).format("Nothing has been built yet.", Markup(hint))
        )
    return Markup("\n").join(parts)


def _meetings_card(
    corpus: Corpus | None,
    docs: Sequence[Document] = (),
    audiences: Mapping[str, AudienceInfo] | None = None,
) -> Markup:
    if corpus is None:
        return Markup(
            '<section class="card" id="meetings"><h2>Meetings</h2>'
            '<p class="empty">The records cannot be read; see the problems above.</p></section>'
        )
    meetings = sorted(corpus.meetings.values(), key=lambda m: m.date, reverse=True)
    events = [
        Event(m.date, m.short_title, format_days(m.date, m.end_date, m.date_precision), f"m-{m.id}")
        for m in meetings
    ]
    # each meeting links to its brief in every edition that has one
    editions: dict[str, list[str]] = {}
    for doc in docs:
        if doc.kind == "meeting":
            editions.setdefault(doc.ident, []).append(doc.audience)
    rows = []
    for m in meetings:
        topics = sorted({o.topic for o in m.outcomes})
        labels = ", ".join(corpus.topics[t].label if t in corpus.topics else t for t in topics)
        briefs = Markup(" · ").join(
            Markup('<a href="#{}-{}">{}</a>').format(
                name, m.id, (audiences or {}).get(name, AudienceInfo(name, name.title())).label
            )
            for name in sorted(editions.get(m.id, []))
        )
        rows.append(
            Markup(
                '<tr id="m-{}"><td class="date">{}</td><td><strong>{}</strong>'
                '<div class="sub">{}</div>{}</td><td class="sub narrow-hide">{}</td></tr>'
            ).format(
                m.id,
                format_days(m.date, m.end_date, m.date_precision),
                m.title,
                m.venue or VENUE_NOT_REPORTED,
                Markup('<div class="sub briefs">Briefs: {}</div>').format(briefs) if briefs else "",
                labels,
            )
        )
    return Markup(
        '<section class="card" id="meetings"><h2>Meetings</h2>'
        '<p class="lede">Every meeting on record; select one on the timeline to find it below.</p>'
        '{}<table><thead><tr><th>Date</th><th>Meeting</th><th class="narrow-hide">Topics</th>'
        "</tr></thead>"
        "<tbody>{}</tbody></table></section>"
    ).format(svg(events) if events else Markup(""), Markup("").join(rows))


def _files(doc: Document, corpus: Corpus | None, links: Links) -> Markup:
    out = []
    for shown in output_formats.formats():
        fmt, label = shown.name, shown.label
        if fmt not in doc.files:
            continue
        relpath, entry = doc.files[fmt]
        facts = [size_text(int(entry.get("bytes", 0)))]
        pages = int(entry.get("pages", 0) or 0)
        if (fmt == "pdf" and pages) or (fmt == "docx" and pages == 1):
            facts.append(f"{pages} p.")
        elif fmt == "docx" and pages:
            facts.append(f"≈{pages} p.")  # as the PDF lays it out; Word paginates on its own
        name = download_name(relpath, entry, corpus)
        if not shown.in_browser:  # the chip downloads
            out.append(
                Markup(
                    '<a class="file {fmt}" href="{href}" download="{name}" title="Download {label}">'
                    "<b>{short}</b><span>{facts}</span></a>"
                ).format(
                    fmt=fmt,
                    href=links.file(relpath),
                    name=name,
                    label=label,
                    short=fmt.upper(),
                    facts=" · ".join(facts),
                )
            )
            continue
        # PDF and HTML open in the browser; the arrow beside downloads
        out.append(
            Markup(
                '<span class="pair"><a class="file {fmt}" href="{open}" title="Open {label}">'
                "<b>{short}</b><span>{facts}</span></a>"
                '<a class="dl" href="{href}" download="{name}" title="Download {label}" '
                'aria-label="Download {label}">↓</a></span>'
            ).format(
                fmt=fmt,
                open=links.previewing(relpath) or links.file(relpath),
                href=links.file(relpath),
                name=name,
                label=label,
                short=fmt.upper(),
                facts=" · ".join(facts),
            )
        )
    cells = Markup('<td class="files"><div class="chips">{}</div></td>').format(
        Markup("").join(out)
    )
    if links.preview is None:
        return cells
    target = _preview_target(doc)
    href = links.previewing(target) if target else None
    view = (
        Markup('<a class="preview" href="{}" target="_blank" rel="noopener">Preview</a>').format(
            href
        )
        if href
        else Markup("")
    )
    return cells + Markup('<td class="view">{}</td>').format(view)


def _head(links: Links, *columns: str) -> Markup:
    cells = Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)
    extra = Markup('<th class="view"><span class="hidden">Preview</span></th>')
    return Markup("<thead><tr>{}{}</tr></thead>").format(
        cells, extra if links.preview is not None else ""
    )


def _preview_target(doc: Document) -> str | None:
    for fmt in ("html", "pdf"):
        if fmt in doc.files:
            return doc.files[fmt][0]
    return None


def _dossiers_card(
    corpus: Corpus | None,
    dossiers: Sequence[Document],
    audiences: Mapping[str, AudienceInfo],
    links: Links,
) -> Markup:
    rows = []
    for doc in sorted(
        dossiers, key=lambda d: (d.audience, d.note != "All meetings and agreements", d.stem)
    ):
        info = audiences.get(doc.audience)
        rows.append(
            Markup(
                '<tr><td class="who"><span class="dot" style="background:{}"></span>{}</td>'
                '<td><strong>{}</strong> {}<div class="sub">{}</div></td>'
                '<td class="sub">{}</td>{}</tr>'
            ).format(
                info.accent if info else "#1F3A5F",
                info.label if info else doc.audience,
                doc.title,
                _marking(info),
                doc.note,
                doc.date_text,
                _files(doc, corpus, links),
            )
        )
    return Markup(
        '<section class="card" id="dossiers"><h2>Dossiers</h2>'
        '<p class="lede">Every meeting and agreement in one document per audience, with an '
        "overview, the timeline, a status tracker, a topic index and the sources.</p>"
        "<table>{}<tbody>{}</tbody></table></section>"
    ).format(_head(links, "Audience", "Dossier", "Covers", "Files"), Markup("").join(rows))


def _audience_card(
    corpus: Corpus | None,
    name: str,
    briefs: Sequence[Document],
    info: AudienceInfo | None,
    links: Links,
) -> Markup:
    ordered = sorted(
        briefs, key=lambda d: (d.day or dt.date.min, d.kind == "meeting", d.ident), reverse=True
    )
    marking = _marking(info)
    rows = [_brief_row(name, doc, corpus, links, marking) for doc in ordered]
    label = info.label if info else name.title()
    description = info.description if info else ""
    accent = info.accent if info else "#1F3A5F"
    count = len(briefs)
    return Markup(
        '<section class="card audience" id="aud-{}" style="--aud:{}">'
        '<h2>{} <span class="count">{} brief{}</span> {}</h2><p class="lede">{}</p>'
        "<table>{}<tbody>{}</tbody></table></section>"
    ).format(
        name,
        accent,
        label,
        count,
        "s" * (count != 1),
        _marking(info),
        description,
        _head(links, "Date", "Brief", "Files"),
        Markup("").join(rows),
    )


def _brief_row(
    name: str, doc: Document, corpus: Corpus | None, links: Links, marking: Markup
) -> Markup:
    """A brief's row, as made last time it showed the same: a long-lived process (serve, build
    --watch) makes again only the rows of what a build wrote."""
    files = tuple(
        (fmt, relpath, entry.get("bytes"), entry.get("pages"), entry.get("audience"))
        for fmt, (relpath, entry) in sorted(doc.files.items())
    )
    key = (name, doc.kind, doc.ident, doc.title, doc.date_text, doc.note, files, links, marking)
    row = _ROWS.get(key)
    if row is None:
        tag = "Meeting" if doc.kind == "meeting" else "Agreement" if doc.kind == "agreement" else ""
        row = Markup(
            '<tr id="{}"><td class="date">{}</td><td><strong>{}</strong>'
            '<div class="sub"><span class="tag {}">{}</span> {} {}</div></td>{}</tr>'
        ).format(
            f"{name}-{doc.ident}",
            doc.date_text,
            doc.title,
            doc.kind,
            tag,
            doc.note,
            marking,
            _files(doc, corpus, links),
        )
        if len(_ROWS) > MAX_ROWS_KEPT:
            _ROWS.clear()
        _ROWS[key] = row
    return row


# The static page's filter: rows whose text holds every word typed stay; plain script, no network.
_FILTER = Markup(
    '<section class="card filter"><label for="filter">Filter</label> '
    '<input type="search" id="filter" placeholder="meeting, agreement, topic, date…" '
    'autocomplete="off"> <span class="sub" id="filter-count"></span></section>\n'
)
_FILTER_SCRIPT = """
(function () {
  var box = document.getElementById("filter"), count = document.getElementById("filter-count");
  if (!box) return;
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean), shown = 0, all = 0;
    document.querySelectorAll("main tbody tr").forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep; all += 1; shown += keep ? 1 : 0;
    });
    count.textContent = words.length ? shown + " of " + all + " rows" : "";
  });
})();
"""

MAX_ROWS_KEPT = 50_000
_ROWS: dict[tuple[Any, ...], Markup] = {}


def _problems_card(problems: Sequence[str]) -> Markup:
    return Markup(
        '<section class="card alert" id="problems"><h2>The records have problems</h2>'
        '<p class="lede">Fix these in briefs/, seeds/ or templates/; the page updates by itself.</p>'
        '<pre class="problems">{}</pre></section>'
    ).format("\n".join(problems))


def _form_card(corpus: Corpus | None, audiences: Sequence[AudienceInfo], token: str = "") -> Markup:
    options = Markup("").join(
        Markup('<option value="{}">{}</option>').format(a.name, a.label) for a in audiences
    )
    formats = Markup("").join(
        Markup(
            '<label class="pill"><input type="radio" name="format" value="{}"{}> {}</label>'
        ).format(fmt, Markup(" checked") if fmt == "pdf" else "", label)
        for fmt, label in ((f.name, f.label) for f in output_formats.formats())
    )
    low = high = ""
    topics = Markup("")
    if corpus is not None:
        days = [m.date for m in corpus.meetings.values()]
        days += [s.date for a in corpus.agreements.values() for s in a.status_history]
        if days:
            low, high = min(days).isoformat(), max(days).isoformat()
        topics = Markup("").join(
            Markup(
                '<label class="check"><input type="checkbox" name="topic" value="{}"> {}</label>'
            ).format(t.id, t.label)
            for t in sorted(corpus.topics.values(), key=lambda t: t.label.casefold())
        )
    return Markup(
        '<section class="card" id="build"><h2>Build a dossier</h2>'
        '<p class="lede">Choose an audience, a format and, if you like, a period and topics. '
        "What is already built and up to date is reused.</p>"
        '<form id="build-form" class="build" method="post" action="/build">'
        '<input type="hidden" name="token" value="{token}">'
        '<div class="row">'
        '<label class="field"><span>Audience</span><select name="audience" required>{options}</select></label>'
        '<div class="field"><span>Format</span><div class="pills">{formats}</div></div>'
        '<label class="field"><span>From</span><input type="date" name="since" min="{low}" max="{high}"></label>'
        '<label class="field"><span>To</span><input type="date" name="until" min="{low}" max="{high}"></label>'
        "</div>"
        '<fieldset class="field"><legend>Topics <em>(none ticked: all topics)</em></legend>'
        '<div class="topics">{topics}</div></fieldset>'
        '<div class="actions"><button type="submit" class="primary">Build dossier</button></div>'
        "</form>"
        '<div id="build-status" class="status" aria-live="polite" hidden></div>'
        "</section>"
    ).format(options=options, formats=formats, low=low, high=high, topics=topics, token=token)


def _rebuild_card(
    rebuild: Mapping[str, Any] | None, watching: str, problems: Sequence[str]
) -> Markup:
    return Markup(
        '<div class="watch" id="rebuild"><span class="pulse"></span>'
        "<span>Watching <code>{}</code>: outputs rebuild automatically when they change.</span>"
        '<span id="rebuild-status">{}</span></div>'
    ).format(watching, _rebuild_text(rebuild, problems))


def _rebuild_text(rebuild: Mapping[str, Any] | None, shown: Sequence[str]) -> Markup:
    if not rebuild:
        return Markup("")
    state = rebuild.get("state")
    if state == "error":
        problems = [str(p) for p in rebuild.get("problems", [])]
        if problems and set(problems) <= set(shown):
            return Markup(
                '<strong class="bad">Last rebuild failed</strong>: see the problems above.'
            )
        return Markup(
            '<strong class="bad">Last rebuild failed</strong><pre class="problems">{}</pre>'
        ).format("\n".join(problems))
    if state in ("queued", "running"):
        return Markup("<strong>Rebuilding…</strong>")
    return Markup('<span class="good">{}</span>').format(rebuild.get("summary", "Rebuilt"))


def _job_status(job: Mapping[str, Any]) -> Markup:
    state = str(job.get("state", ""))
    done, total = int(job.get("done", 0)), int(job.get("total", 0))
    if state in ("queued", "running"):
        bar = Markup('<progress max="{}" value="{}"></progress>').format(max(total, 1), done)
        text = (
            "Waiting for another build to finish…"
            if state == "queued"
            else (f"Building {done} of {total}…" if total else "Starting…")
        )
        return Markup('<div class="status"><p>{}</p>{}</div>').format(text, bar)
    if state == "error":
        return Markup(
            '<div class="status error"><p><strong>The build failed.</strong></p>'
            '<pre class="problems">{}</pre></div>'
        ).format("\n".join(str(p) for p in job.get("problems", [])))
    download = job.get("download")
    if isinstance(download, Mapping):
        preview = download.get("preview")
        view = (
            Markup(' <a href="{}" target="_blank" rel="noopener">Preview</a>').format(preview)
            if preview
            else Markup("")
        )
        return Markup(
            '<div class="status ok"><p>{}</p><p><a class="button" id="download-link" href="{}" '
            'download="{}">Download {}</a> <span class="sub">{}</span>{}</p></div>'
        ).format(
            job.get("summary", "Done."),
            download.get("url", ""),
            download.get("name", ""),
            download.get("name", ""),
            download.get("facts", ""),
            view,
        )
    return Markup('<div class="status ok"><p>{}</p></div>').format(job.get("summary", "Done."))


def _page(
    *,
    title: str,
    subtitle: Markup,
    nav: Markup,
    body: Markup,
    script: Markup | None = None,
    refresh: bool = False,
    generation: int | None = None,
) -> str:
    head_extra = Markup('<meta http-equiv="refresh" content="1">') if refresh else Markup("")
    data = Markup(' data-generation="{}"').format(generation) if generation is not None else ""
    return _PAGE.format(
        title=escape(title),
        head_extra=head_extra,
        css=Markup(_CSS),
        subtitle=subtitle,
        nav=nav,
        body=body,
        data=data,
        script=script or Markup(""),
        version=escape(__version__),
    )


_CSS = """
:root { --ink: #17212e; --muted: #5b6675; --line: #e3e7ed; --bg: #f3f5f8; --card: #fff;
  --accent: #1F3A5F; --good: #1d6b3a; --bad: #a12626; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", Roboto,
  sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
code { font: .85em ui-monospace, "Noto Sans Mono", monospace; background: #eef1f5;
  padding: .05rem .3rem; border-radius: 4px; }
.wrap { max-width: 1060px; margin: 0 auto; padding: 0 1.5rem; }
header.top { background: linear-gradient(135deg, #1F3A5F, #15283f); color: #fff; }
header.top .wrap { padding-top: 1.6rem; padding-bottom: 1.1rem; }
header.top h1 { margin: 0; font-size: 1.55rem; font-weight: 650; letter-spacing: -.01em; }
header.top p { margin: .25rem 0 0; color: rgba(255,255,255,.8); font-size: .92rem; }
nav.jump { margin-top: 1rem; display: flex; gap: .45rem; flex-wrap: wrap; }
nav.jump a { color: #fff; text-decoration: none; padding: .18rem .75rem; font-size: .84rem;
  border: 1px solid rgba(255,255,255,.35); border-radius: 999px; }
nav.jump a:hover { background: rgba(255,255,255,.12); }
main.wrap { padding-top: 1.4rem; padding-bottom: 2rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 1.1rem 1.4rem 1.2rem; margin: 0 0 1.2rem; box-shadow: 0 1px 2px rgba(16,24,40,.05); }
.card h2 { font-size: 1.12rem; margin: 0 0 .15rem; }
.card .lede { color: var(--muted); margin: 0 0 .9rem; font-size: .88rem; }
.card.audience { border-top: 4px solid var(--aud, var(--accent)); }
.card.alert { border-color: #efc4c4; background: #fff8f8; }
h2 .count { font-size: .78rem; font-weight: 500; color: var(--muted); margin-left: .4rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th { text-align: left; font-size: .7rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); font-weight: 600; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
td { padding: .55rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
tbody tr:last-child td { border-bottom: 0; }
tr:target td { background: #fff7dc; }
td.date { white-space: nowrap; color: var(--muted); width: 9.5rem; }
td.who { white-space: nowrap; width: 11rem; }
.dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .45rem; }
.sub { color: var(--muted); font-size: .8rem; margin-top: .1rem; }
.tag { display: inline-block; font-size: .68rem; font-weight: 600; letter-spacing: .03em;
  padding: 0 .4rem; border-radius: 4px; background: #e8eef6; color: #2b4a72; margin-right: .2rem; }
.tag.agreement { background: #eef3ea; color: #3c5a2b; }
.card.filter { display: flex; gap: .6rem; align-items: center; padding: .7rem 1.4rem; }
.card.filter input { flex: 1; font: inherit; padding: .3rem .6rem; border: 1px solid var(--line);
  border-radius: 6px; }
.briefs a { margin: 0 .1rem; }
.marking { display: inline-block; font-size: .66rem; font-weight: 600; letter-spacing: .06em;
  text-transform: uppercase; padding: 0 .4rem; border-radius: 4px; border: 1px solid #b9c3cf;
  color: var(--muted); vertical-align: middle; }
.marking.restricted { border-color: #a12626; color: #a12626; background: #fff5f5; }
.chips { display: flex; flex-wrap: wrap; gap: .35rem .45rem; align-items: center; }
a.file { display: inline-flex; align-items: center; gap: .4rem; text-decoration: none;
  border: 1px solid var(--line); border-radius: 6px; padding: .12rem .5rem .12rem .25rem;
  color: var(--ink); font-size: .78rem; background: #fff; white-space: nowrap; }
a.file:hover { border-color: var(--accent); box-shadow: 0 0 0 2px rgba(31,58,95,.08); }
a.file b { font-size: .66rem; letter-spacing: .05em; color: #fff; background: #9b2c2c;
  border-radius: 3px; padding: .05rem .3rem; }
.pair { display: inline-flex; align-items: stretch; }
.pair a.file { border-top-right-radius: 0; border-bottom-right-radius: 0; }
a.dl { display: inline-flex; align-items: center; padding: 0 .4rem; border: 1px solid var(--line);
  border-left: 0; border-radius: 0 6px 6px 0; text-decoration: none; color: var(--ink);
  background: #fff; font-size: .8rem; }
a.dl:hover { border-color: var(--accent); }
a.file.docx b { background: #2B579A; } a.file.html b { background: #4d5866; }
a.file span { color: var(--muted); }
td.files { width: 18rem; }
td.view, th.view { width: 4.5rem; text-align: right; white-space: nowrap; }
.hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
a.preview { font-size: .8rem; text-decoration: none; }
a.preview:hover { text-decoration: underline; }
.timeline-svg { width: 100%; height: auto; display: block; margin: .2rem 0 1rem; }
.timeline-svg a:hover text { text-decoration: underline; }
form.build .row { display: grid; grid-template-columns: 1.4fr 1.3fr 1fr 1fr; gap: .9rem 1.1rem; }
.field > span, fieldset.field > legend { display: block; font-size: .7rem; font-weight: 600;
  text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin-bottom: .3rem; }
fieldset.field legend em { text-transform: none; letter-spacing: 0; font-weight: 400; }
select, input[type=date] { width: 100%; font: inherit; font-size: .9rem; padding: .38rem .5rem;
  border: 1px solid #cdd4de; border-radius: 6px; background: #fff; color: var(--ink); height: 2.3rem; }
.pills { display: flex; gap: .35rem; }
label.pill { display: inline-flex; align-items: center; gap: .3rem; border: 1px solid #cdd4de;
  border-radius: 6px; padding: 0 .7rem; height: 2.3rem; font-size: .88rem; cursor: pointer; background: #fff; }
label.pill:has(input:checked) { border-color: var(--accent); background: #eef3fa; }
input[type=radio], input[type=checkbox] { accent-color: var(--accent); margin: 0; }
fieldset.field { border: 0; padding: 0; margin: 1rem 0 0; }
.topics { display: grid; grid-template-columns: repeat(auto-fill, minmax(205px, 1fr)); gap: .2rem .9rem; }
label.check { display: flex; align-items: center; gap: .45rem; font-size: .87rem; padding: .12rem 0; cursor: pointer; }
.actions { margin-top: 1rem; }
button.primary, a.button { display: inline-block; background: var(--accent); color: #fff; border: 0;
  border-radius: 6px; padding: .5rem 1.1rem; font: inherit; font-weight: 600; font-size: .9rem;
  cursor: pointer; text-decoration: none; }
button.primary:disabled { opacity: .6; cursor: progress; }
.status { margin-top: 1rem; border-radius: 8px; padding: .7rem 1rem; background: #f4f7fb;
  border: 1px solid var(--line); font-size: .9rem; }
.status p { margin: .2rem 0; }
.status a.button { margin: .3rem .6rem .2rem 0; }
.status.ok { background: #eff8f2; border-color: #c6e4cf; }
.status.error { background: #fdf2f2; border-color: #efc4c4; }
.status progress { width: 100%; height: .5rem; accent-color: var(--accent); }
pre.problems { white-space: pre-wrap; font: .8rem/1.45 ui-monospace, "Noto Sans Mono", monospace;
  background: #fff; border: 1px solid #efc4c4; color: #6b1a1a; padding: .55rem .75rem;
  border-radius: 6px; margin: .4rem 0 0; }
.watch { display: flex; flex-wrap: wrap; align-items: baseline; gap: .3rem .6rem; font-size: .82rem;
  color: var(--muted); margin: -0.4rem 0 1.2rem; padding: 0 .2rem; }
.watch #rebuild-status { flex-basis: 100%; }
.watch #rebuild-status:empty { display: none; }
.pulse { width: .5rem; height: .5rem; border-radius: 50%; background: #2f9e5b; display: inline-block; }
.good { color: var(--good); } .bad { color: var(--bad); }
.stale { margin-left: .5rem; }
ul.messages { padding-left: 1.2rem; }
.empty { color: var(--muted); }
footer { color: var(--muted); font-size: .78rem; text-align: center; padding: 0 0 2rem; }
@media (max-width: 860px) { form.build .row { grid-template-columns: 1fr 1fr; } }
@media (max-width: 640px) {
  .wrap { padding: 0 .8rem; }
  .card { padding: .9rem 1rem 1rem; }
  form.build .row > :nth-child(1), form.build .row > :nth-child(2) { grid-column: 1 / -1; }
  table, tbody, tr, td { display: block; width: auto !important; }
  thead, .narrow-hide { display: none; }
  tr { padding: .55rem 0; border-bottom: 1px solid var(--line); }
  tbody tr:last-child { border-bottom: 0; }
  td, tbody tr:last-child td { border: 0; padding: .1rem 0; }
  td.view { text-align: left; }
  td.files { margin-top: .3rem; }
}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">{head_extra}<title>{title} — ijbrief</title>
<style>{css}</style></head>
<body{data}><header class="top"><div class="wrap"><h1>{title}</h1><p>{subtitle}</p>{nav}</div></header>
<main class="wrap">
{body}
</main>
<footer>Made by ijbrief {version} from the curated records.</footer>
{script}</body></html>
"""

_SCRIPT = r"""
(() => {
  const form = document.getElementById("build-form");
  const box = document.getElementById("build-status");
  const rebuild = document.getElementById("rebuild-status");
  const generation = document.body.dataset.generation;
  let touched = false, busy = false;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
    (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const problems = (list) => `<pre class="problems">${esc((list || []).join("\n"))}</pre>`;
  function show(job) {
    box.hidden = false;
    const head = `<p><strong>${esc(job.label)}</strong></p>`;
    if (job.state === "error") {
      box.className = "status error";
      box.innerHTML = head + "<p>The build failed:</p>" + problems(job.problems);
    } else if (job.state === "done") {
      box.className = "status ok";
      const d = job.download;
      box.innerHTML = head + `<p>${esc(job.summary)}</p>` + (d ?
        `<p><a class="button" id="download-link" href="${esc(d.url)}" download="${esc(d.name)}">` +
        `Download ${esc(d.name)}</a> <span class="sub">${esc(d.facts)}</span> ` +
        (d.preview ? `<a href="${esc(d.preview)}" target="_blank" rel="noopener">Preview</a>` : "") +
        "</p>" : "");
    } else {
      box.className = "status";
      const text = job.state === "queued" ? "Waiting for another build to finish…" :
        job.total ? `Building ${job.done} of ${job.total}` +
          (job.current ? ` — ${esc(job.current)}` : "") : "Starting…";
      box.innerHTML = head + `<p>${text}</p>` +
        `<progress max="${Math.max(job.total, 1)}" value="${job.done}"></progress>`;
    }
  }
  async function follow(url) {
    for (;;) {
      const response = await fetch(url, {headers: {Accept: "application/json"}});
      const job = await response.json();
      show(job);
      if (job.state === "done" || job.state === "error") return;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  form.addEventListener("input", () => { touched = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    touched = busy = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {method: "POST",
        body: new URLSearchParams(new FormData(form)), headers: {Accept: "application/json"}});
      const data = await response.json();
      if (!response.ok) {
        show({state: "error", label: "The form needs a correction", problems: data.problems});
      } else {
        show(data);
        await follow(data.status_url);
      }
    } catch (error) {
      show({state: "error", label: "The server cannot be reached", problems: [String(error)]});
    } finally {
      button.disabled = false;
      busy = false;
    }
  });
  function describe(job) {
    if (!job) return "";
    if (job.state === "error") {
      const above = document.querySelector("#problems pre");
      const list = job.problems || [];
      if (above && list.length && list.every((p) => above.textContent.includes(p)))
        return '<strong class="bad">Last rebuild failed</strong>: see the problems above.';
      return '<strong class="bad">Last rebuild failed</strong>' + problems(list);
    }
    if (job.state === "queued" || job.state === "running")
      return `<strong>Rebuilding…</strong> ${job.total ? `${job.done} of ${job.total}` : ""}`;
    return `<span class="good">${esc(job.summary)}</span>`;
  }
  async function watch() {
    try {
      const response = await fetch("/status", {headers: {Accept: "application/json"}});
      const status = await response.json();
      let html = describe(status.rebuild);
      if (String(status.generation) !== generation) {
        if (!touched && !busy) { location.reload(); return; }
        html += ' <a class="stale" href="/">Files have changed: reload the list</a>';
      }
      if (rebuild.innerHTML !== html) rebuild.innerHTML = html;
    } catch (error) { /* the server is restarting; try again */ }
    setTimeout(watch, 1500);
  }
  setTimeout(watch, 1500);
})();
"""
