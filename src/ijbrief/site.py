"""The static download page, out/index.html: every meeting on a timeline, every brief and dossier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from ijbrief.compose import Stamp
from ijbrief.corpus import Corpus
from ijbrief.textfmt import format_date
from ijbrief.timeline import Event, svg


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def index_html(corpus: Corpus, manifest: dict[str, Any], stamp: Stamp, out: Path) -> bytes:
    """A self-contained page listing outputs by audience and document, with sizes and pages."""
    by_doc: dict[tuple[str, str, str], dict[str, tuple[str, dict[str, Any]]]] = {}
    for path, entry in sorted(manifest.items()):
        key = (entry["audience"], entry["kind"], entry["id"])
        by_doc.setdefault(key, {})[entry["format"]] = (path, entry)
    audiences = sorted({a for a, _, _ in by_doc})
    events = [
        Event(m.date, m.short_title, format_date(m.date, m.date_precision), f"m-{m.id}")
        for m in corpus.meetings.values()
    ]
    rows: list[str] = []
    for audience in audiences:
        rows.append(
            f'<section class="audience" id="aud-{escape(audience)}"><h2>{escape(audience.title())}</h2>'
        )
        dossiers = [(k, v) for k, v in by_doc.items() if k[0] == audience and k[1] == "dossier"]
        for (_, _, _), formats in dossiers:
            rows.append(
                '<div class="dossier"><strong>Dossier</strong> ' + _links(formats) + "</div>"
            )
        rows.append(
            "<table><thead><tr><th>Date</th><th>Brief</th><th>Downloads</th></tr></thead><tbody>"
        )
        for (aud, kind, ident), formats in sorted(
            by_doc.items(), key=lambda kv: _sort(corpus, kv[0])
        ):
            if aud != audience or kind == "dossier":
                continue
            title, date = _describe(corpus, kind, ident)
            anchor = (
                f' id="m-{escape(ident)}"' if kind == "meeting" and audience == audiences[0] else ""
            )
            rows.append(
                f"<tr{anchor}><td>{escape(date)}</td><td>{escape(title)}</td><td>{_links(formats)}</td></tr>"
            )
        rows.append("</tbody></table></section>")
    page = _PAGE.format(
        prepared=escape(format_date(stamp.prepared)),
        timeline=svg(events),
        body=Markup("\n".join(rows)),
        count=len(manifest),
    )
    return page.encode("utf-8")


def _sort(corpus: Corpus, key: tuple[str, str, str]) -> tuple[str, str]:
    _, kind, ident = key
    if kind == "meeting" and ident in corpus.meetings:
        return ("0", corpus.meetings[ident].date.isoformat())
    if ident in corpus.agreements:
        return ("1", corpus.agreements[ident].current.date.isoformat())
    return ("2", ident)


def _describe(corpus: Corpus, kind: str, ident: str) -> tuple[str, str]:
    if kind == "meeting" and ident in corpus.meetings:
        m = corpus.meetings[ident]
        return m.title, format_date(m.date, m.date_precision)
    if ident in corpus.agreements:
        a = corpus.agreements[ident]
        return a.title, format_date(a.current.date, a.current.date_precision)
    return ident, ""


def _links(formats: dict[str, tuple[str, dict[str, Any]]]) -> str:
    links = []
    for fmt in ("pdf", "docx", "html"):
        if fmt in formats:
            path, entry = formats[fmt]
            pages = f", {entry['pages']} p." if fmt != "html" else ""
            links.append(
                f'<a class="dl {fmt}" href="{escape(path)}" download>{fmt.upper()}</a>'
                f'<span class="size">{_size(entry["bytes"])}{pages}</span>'
            )
    return " ".join(links)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ijbrief — India–Japan briefs and dossiers</title>
<style>
body {{ font: 15px/1.5 "Noto Sans", system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #f6f7f9; }}
header {{ background: #1F3A5F; color: white; padding: 1.2rem 2rem; }}
header h1 {{ margin: 0; font-size: 1.5rem; }}
main {{ max-width: 980px; margin: 0 auto; padding: 1rem 2rem 3rem; }}
.timeline-svg {{ width: 100%; height: auto; background: white; border-radius: 6px; }}
.timeline-svg .axis, .timeline-svg .tick {{ stroke: #5A6270; stroke-width: 1.2; }}
.timeline-svg .leader {{ stroke: #a0a7b2; stroke-width: .8; }}
.timeline-svg .dot {{ fill: #1F3A5F; }}
.timeline-svg text {{ text-anchor: middle; font-family: sans-serif; }}
.timeline-svg .label {{ font-size: 9px; }} .timeline-svg .sublabel, .timeline-svg .year {{ font-size: 7.5px; fill: #5A6270; }}
section.audience {{ background: white; border-radius: 6px; padding: .5rem 1.2rem 1rem; margin: 1.2rem 0; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #e3e6ea; vertical-align: top; }}
a.dl {{ display: inline-block; padding: .05rem .45rem; border-radius: 4px; background: #1F3A5F; color: white; text-decoration: none; font-size: .8rem; margin-right: .2rem; }}
a.dl.docx {{ background: #2B579A; }} a.dl.html {{ background: #5A6270; }}
.size {{ color: #5A6270; font-size: .8rem; margin-right: .8rem; }}
.dossier {{ margin: .4rem 0 .8rem; }}
</style></head>
<body><header><h1>India–Japan briefs and dossiers</h1><p>Prepared {prepared} · {count} files · made by ijbrief</p></header>
<main>
<h2>Meetings</h2>
{timeline}
{body}
</main></body></html>
"""
