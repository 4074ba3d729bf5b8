"""The download page: out/index.html (static, relative links, no script) and the page that
``ijbrief serve`` shows (the same listing plus previews, a dossier form and build status)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from ijbrief import __version__
from ijbrief.compose.composer import Stamp
from ijbrief.compose.select import VENUE_NOT_REPORTED
from ijbrief.compose.site_files import (
    FORMAT_LABELS,
    FORMATS,
    AudienceInfo,
    Document,
    audience_info,
    describe_filters,
    documents,
    download_name,
    filters_of,
    size_text,
)
from ijbrief.compose.textfmt import count_of, format_date, format_days
from ijbrief.compose.timeline import Event, svg
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.project import read_project

__all__ = [
    "FORMATS",
    "FORMAT_LABELS",
    "AudienceInfo",
    "Document",
    "audience_info",
    "describe_filters",
    "documents",
    "download_name",
    "filters_of",
    "index_html",
    "job_html",
    "live_html",
    "message_html",
    "size_text",
]


def _marking(info: AudienceInfo | None) -> Markup:
    """The edition's classification, beside each of its files, as on the files' every page."""
    if info is None or not info.classification:
        return Markup("")
    return Markup('<span class="marking{}">{}</span>').format(
        " restricted" if info.restricted else "", info.classification
    )


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
        script=Markup("<script>{}</script>").format(Markup(_asset("filter.js"))),
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
        script=Markup('<script nonce="{}">{}</script>').format(nonce, Markup(_asset("serve.js"))),
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
    for fmt in FORMATS:
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
        if fmt == "docx":  # a browser cannot show it: the chip downloads
            out.append(
                Markup(
                    '<a class="file {fmt}" href="{href}" download="{name}" title="Download {label}">'
                    "<b>{short}</b><span>{facts}</span></a>"
                ).format(
                    fmt=fmt,
                    href=links.file(relpath),
                    name=name,
                    label=FORMAT_LABELS[fmt],
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
                label=FORMAT_LABELS[fmt],
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

MAX_ROWS_KEPT = 50_000
ASSETS = Path(__file__).with_name("site_templates")


@functools.cache
def _asset(name: str) -> str:
    """A stylesheet or script of the pages, read once (package data beside this module)."""
    return (ASSETS / name).read_text(encoding="utf-8")


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
        for fmt, label in (("pdf", "PDF"), ("docx", "Word"), ("html", "HTML"))
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
        css=Markup(_asset("site.css")),
        subtitle=subtitle,
        nav=nav,
        body=body,
        data=data,
        script=script or Markup(""),
        version=escape(__version__),
    )


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
