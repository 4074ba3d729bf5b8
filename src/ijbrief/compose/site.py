"""The download page: out/index.html (static, relative links, one script that asks nothing of
the network) and the pages ``ijbrief serve`` shows (the same listing plus previews, a dossier
form and build status). The pages are Jinja templates in ``site_templates/`` (autoescaped); this
module gathers what they show into plain values."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from ijbrief import __version__
from ijbrief.compose import formats as output_formats
from ijbrief.compose.composer import Stamp
from ijbrief.compose.select import VENUE_NOT_REPORTED
from ijbrief.compose.site_files import (
    AudienceInfo,
    Document,
    audience_info,
    describe_filters,
    documents,
    download_name,
    filters_of,
    size_text,
)
from ijbrief.compose.textfmt import count_of, format_date, format_days, status_label
from ijbrief.compose.timeline import Event, svg
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.project import read_project

__all__ = [
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

ASSETS = Path(__file__).with_name("site_templates")


@functools.cache
def _asset(name: str) -> str:
    """A stylesheet or script of the pages, read once (package data beside this module)."""
    return (ASSETS / name).read_text(encoding="utf-8")


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(ASSETS),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(template: str, **context: Any) -> str:
    return (
        _env()
        .get_template(template)
        .render(css=Markup(_asset("site.css")), version=__version__, **context)
    )


@dataclass(frozen=True)
class Links:
    """Where the page's links point: relative paths (static page) or the server's routes."""

    files: str = ""
    preview: str | None = None

    def file(self, relpath: str) -> str:
        return self.files + quote(relpath)

    def previewing(self, relpath: str) -> str | None:
        return None if self.preview is None else self.preview + quote(relpath)


# --- The pages ----------------------------------------------------------------------------------


def index_html(corpus: Corpus, manifest: dict[str, Any], stamp: Stamp, out: Path) -> bytes:
    """The static out/index.html: self-contained, relative links, works from any static host."""
    audiences = audience_info(corpus.root, {str(e.get("audience", "")) for e in manifest.values()})
    docs = documents(corpus, manifest, audiences)
    page = _render(
        "index.html.j2",
        title=_title(corpus),
        subtitle=_subtitle(corpus, manifest, stamp.prepared),
        listing=_listing(corpus, docs, audiences, Links()),
        static=True,
        script=Markup(_asset("filter.js")),
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
    watching: str | None,
    generation: int,
    nonce: str,
    token: str = "",
    stale: Sequence[str] | None = None,
) -> str:
    """The page ``ijbrief serve`` shows at ``/``; ``token`` goes with the form, so that the
    server knows a build request comes from its own page. ``watching`` names what is watched
    (None: nothing is), ``stale`` the documents of out/ a build would make again."""
    known = {a.name: a for a in audiences}
    listed = {str(e.get("audience", "")) for e in manifest.values() if isinstance(e, Mapping)}
    missing = sorted(listed - set(known))
    if missing and corpus is not None:
        known.update(audience_info(corpus.root, missing))
    docs = documents(corpus, manifest, known)
    return _render(
        "live.html.j2",
        title=_title(corpus),
        subtitle=_subtitle(corpus, manifest, prepared),
        listing=_listing(corpus, docs, known, Links("/files/", "/preview/")),
        static=False,
        problems="\n".join(problems),
        form=_form(corpus, audiences, token),
        watching=watching,
        rebuild=_rebuild(rebuild, problems),
        stale=len(stale or ()),
        stale_text=count_of(len(stale or ()), "document", "documents"),
        generation=generation,
        nonce=nonce,
        script=Markup(_asset("filter.js") + _asset("serve.js")),
    )


def job_html(job: Mapping[str, Any]) -> str:
    """A build's status as a page of its own (for browsers without script): refreshes until done."""
    state = str(job.get("state", ""))
    refresh = state in ("queued", "running")
    download = job.get("download")
    return _render(
        "job.html.j2",
        title="Building…" if refresh else "Build finished" if state == "done" else "Build failed",
        refresh=refresh,
        label=job.get("label", "Build"),
        state=state,
        done=int(job.get("done", 0)),
        total=int(job.get("total", 0)),
        problems="\n".join(str(p) for p in job.get("problems", [])),
        summary=job.get("summary", "Done."),
        download=download if isinstance(download, Mapping) else None,
    )


def message_html(title: str, lines: Sequence[str]) -> str:
    """A plain page for a refused request, e.g. a form with a malformed date."""
    return _render("message.html.j2", title=title, lines=list(lines))


# --- What the pages show ------------------------------------------------------------------------


def _title(corpus: Corpus | None) -> str:
    if corpus is None:
        return "Briefs and dossiers"
    return f"{read_project(corpus.root).title} briefs and dossiers"


def _subtitle(corpus: Corpus | None, manifest: Mapping[str, Any], prepared: dt.date | None) -> str:
    # The date the files were made, from the manifest; with none, nothing was made yet.
    bits = [f"Prepared {format_date(prepared)}" if prepared else "Not built yet"]
    if corpus is not None:
        bits.append(count_of(len(corpus.meetings), "meeting", "meetings"))
        bits.append(count_of(len(corpus.agreements), "agreement", "agreements"))
    bits.append(count_of(len(manifest), "file", "files"))
    return " · ".join(bits)


def _marking(info: AudienceInfo | None) -> dict[str, Any] | None:
    """The edition's classification, beside each of its files, as on the files' every page."""
    if info is None or not info.classification:
        return None
    return {"text": info.classification, "restricted": info.restricted}


def _edition(name: str, info: AudienceInfo | None) -> dict[str, Any]:
    return {
        "name": name,
        "label": info.label if info else name.replace("-", " ").title(),
        "description": info.description if info else "",
        "accent": info.accent if info else "#1F3A5F",
        "marking": _marking(info),
    }


def _listing(
    corpus: Corpus | None,
    docs: Sequence[Document],
    audiences: Mapping[str, AudienceInfo],
    links: Links,
) -> dict[str, Any]:
    """The meetings-by-edition table, the timeline and the dossiers, for either page."""
    briefs = [d for d in docs if d.kind != "dossier"]
    names = sorted({d.audience for d in briefs})
    editions = [_edition(name, audiences.get(name)) for name in names]
    by_doc = {(d.kind, d.ident, d.audience): d for d in briefs}
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    events: list[Event] = []
    if corpus is not None:
        for m in corpus.meetings.values():
            topics = sorted({o.topic for o in m.outcomes})
            date = format_days(m.date, m.end_date, m.date_precision)
            events.append(Event(m.date, m.short_title, date, f"m-{m.id}"))
            rows.append(
                {
                    "anchor": f"m-{m.id}",
                    "kind": "meeting",
                    "ident": m.id,
                    "day": m.date,
                    "date": date,
                    "title": m.title,
                    "sub": m.venue or VENUE_NOT_REPORTED,
                    "topics": ", ".join(
                        corpus.topics[t].label if t in corpus.topics else t for t in topics
                    ),
                }
            )
            seen.add(("meeting", m.id))
        for a in corpus.agreements.values():
            step = a.current
            rows.append(
                {
                    "anchor": f"a-{a.id}",
                    "kind": "agreement",
                    "ident": a.id,
                    "day": step.date,
                    "date": format_date(step.date, step.date_precision),
                    "title": a.title,
                    "sub": f"{a.kind.capitalize()} · {status_label(step.status)}",
                    "topics": "",
                }
            )
            seen.add(("agreement", a.id))
    for doc in briefs:  # built from records that are no longer there (or cannot be read)
        if (doc.kind, doc.ident) not in seen:
            seen.add((doc.kind, doc.ident))
            rows.append(
                {
                    "anchor": f"{doc.kind[0]}-{doc.ident}",
                    "kind": doc.kind,
                    "ident": doc.ident,
                    "day": doc.day,
                    "date": doc.date_text,
                    "title": doc.title,
                    "sub": doc.note,
                    "topics": "",
                }
            )
    rows.sort(key=lambda r: (r["day"] or dt.date.min, r["kind"] == "meeting"), reverse=True)
    for row in rows:
        row["cells"] = [
            _cell(by_doc.get((row["kind"], row["ident"], e["name"])), e, corpus, links)
            for e in editions
        ]
    dossiers = [
        {
            **_edition(d.audience, audiences.get(d.audience)),
            "title": d.title,
            "note": d.note,
            "covers": d.date_text,
            "files": _files(d, corpus, links),
            "preview": _preview(d, links),
        }
        for d in sorted(
            (d for d in docs if d.kind == "dossier"),
            key=lambda d: (d.audience, d.note != "All meetings and agreements", d.stem),
        )
    ]
    return {
        "readable": corpus is not None,
        "timeline": svg(events) if events else Markup(""),
        "editions": editions,
        "rows": rows,
        "dossiers": dossiers,
        "built": bool(docs),
        "previews": links.preview is not None,
    }


def _cell(
    doc: Document | None, edition: dict[str, Any], corpus: Corpus | None, links: Links
) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {
        "id": f"{doc.audience}-{doc.ident}",
        "files": _files(doc, corpus, links),
        "preview": _preview(doc, links),
    }


def _files(doc: Document, corpus: Corpus | None, links: Links) -> list[dict[str, Any]]:
    files = []
    for shown in output_formats.formats():
        fmt = shown.name
        if fmt not in doc.files:
            continue
        relpath, entry = doc.files[fmt]
        facts = [size_text(int(entry.get("bytes", 0)))]
        pages = int(entry.get("pages", 0) or 0)
        if (fmt == "pdf" and pages) or (fmt == "docx" and pages == 1):
            facts.append(f"{pages} p.")
        elif fmt == "docx" and pages:
            facts.append(f"≈{pages} p.")  # as the PDF lays it out; Word paginates on its own
        files.append(
            {
                "fmt": fmt,
                "short": fmt.upper(),
                "label": shown.label,
                "facts": " · ".join(facts),
                "href": links.file(relpath),
                "open": links.previewing(relpath) or links.file(relpath),
                "name": download_name(relpath, entry, corpus),
                # a browser cannot show it (a Word file): its chip downloads
                "opens": shown.in_browser,
            }
        )
    return files


def _preview(doc: Document, links: Links) -> str | None:
    for fmt in sorted(output_formats.formats(), key=lambda f: f.name != "html"):
        if fmt.in_browser and fmt.name in doc.files:
            return links.previewing(doc.files[fmt.name][0])
    return None


def _form(corpus: Corpus | None, audiences: Sequence[AudienceInfo], token: str) -> dict[str, Any]:
    low = high = ""
    topics: list[tuple[str, str]] = []
    if corpus is not None:
        days = [m.date for m in corpus.meetings.values()]
        days += [s.date for a in corpus.agreements.values() for s in a.status_history]
        if days:
            low, high = min(days).isoformat(), max(days).isoformat()
        topics = [
            (t.id, t.label)
            for t in sorted(corpus.topics.values(), key=lambda t: t.label.casefold())
        ]
    return {
        "audiences": [(a.name, a.label) for a in audiences],
        "formats": [(f.name, f.label) for f in output_formats.formats()],
        "low": low,
        "high": high,
        "topics": topics,
        "token": token,
    }


def _rebuild(rebuild: Mapping[str, Any] | None, shown: Sequence[str]) -> dict[str, Any] | None:
    if not rebuild:
        return None
    state = str(rebuild.get("state", ""))
    problems = [str(p) for p in rebuild.get("problems", [])]
    return {
        "state": state,
        "problems": "\n".join(problems),
        "above": bool(problems) and set(problems) <= set(shown),
        "summary": rebuild.get("summary", "Rebuilt"),
    }
