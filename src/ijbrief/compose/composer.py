"""Assemble the template context of a brief or dossier for one audience and render it to HTML."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ijbrief import __version__
from ijbrief.compose.audiences import Audience, Section
from ijbrief.compose.reuse import ChapterReuse
from ijbrief.compose.select import (
    Citations,
    Edition,
    Filters,
    KeptViews,
    agreement_view,
    glossary_for,
    meeting_view,
)
from ijbrief.compose.templating import make_environment, render
from ijbrief.compose.textfmt import css_string, format_date, md_inline
from ijbrief.compose.timeline import Event, svg
from ijbrief.corpus.loader import Corpus
from ijbrief.errors import TemplateError

_HAS = {
    "bottom-line": "summary",
    "talking-points": "talking_points",
    "to-raise": "to_raise",
    "to-avoid": "to_avoid",
    "participants": "participants",
    "outcomes": "outcomes",
    "key-points": "key_points",
    "quotes": "quotes",
    "agreements": "agreements",
    "changes": "changes",
    "background": "background",
    "significance": "significance",
    "way-forward": "way_forward",
    "glossary": "glossary",
    "purpose": "purpose",
    "status": "steps",
    "meetings": "meetings",
}


def has_content(view: dict[str, Any], section_id: str) -> bool:
    """Whether a section would show anything for this view (sources always shows)."""
    key = _HAS.get(section_id)
    return key is None or bool(view.get(key))


@dataclass(frozen=True)
class Stamp:
    """The dates a document carries: 'prepared on' (shown) and the timestamp in its metadata."""

    prepared: Any  # datetime.date
    timestamp: Any  # datetime.datetime, UTC


class Composer:
    """Renders the HTML of every document one audience gets from one corpus and filter set."""

    def __init__(
        self,
        project: Path,
        corpus: Corpus,
        audience: Audience,
        stamp: Stamp,
        filters: Filters,
        kept_views: KeptViews | None = None,
        reuse: ChapterReuse | None = None,
    ) -> None:
        self.project = project
        self.corpus = corpus
        self.audience = audience
        self.stamp = stamp
        self.filters = filters
        self.reuse = reuse
        self.env = make_environment(
            project, audience, {"md": md_inline, "css": css_string}, trusted=(Citations,)
        )
        self.edition = Edition(audience)
        meetings = [m for m in corpus.meetings.values() if filters.meeting(m)]
        self.meetings = (
            kept_views.views(corpus, meetings, self.edition)
            if kept_views is not None
            else {m.id: meeting_view(corpus, m, self.edition) for m in meetings}
        )
        self.agreements = {
            a.id: agreement_view(corpus, a, self.edition)
            for a in corpus.agreements.values()
            if filters.agreement(a)
        }
        self.logo = self._logo()

    def _logo(self) -> str:
        name = self.audience.spec.branding.logo
        if not name:
            return ""
        for folder in self.audience.folders:
            path = (folder / name).resolve()
            if path.is_file() and path.is_relative_to(folder.resolve()):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if not kind.startswith("image/"):
                    break
                data = base64.b64encode(path.read_bytes()).decode()
                return f"data:{kind};base64,{data}"
        raise TemplateError(
            f"templates/{self.audience.name}: logo {name!r} not found in the audience folder"
        )

    def views(self) -> list[dict[str, Any]]:
        """Every brief this audience gets, meetings first, each in date order."""
        return [*self.meetings.values(), *self.agreements.values()]

    def sections(self, view: dict[str, Any]) -> list[Section]:
        """The audience's sections for this kind of brief that have something to show."""
        kind = view["kind"]
        return [s for s in self.audience.spec.visible_sections(kind) if has_content(view, s.id)]

    def _base(
        self, kind: str, title: str, subject: str, keywords: list[str], scale: float
    ) -> dict[str, Any]:
        spec = self.audience.spec
        return {
            "audience": {
                "name": self.audience.name,
                "label": spec.label,
                "classification": spec.classification,
                "description": spec.description,
            },
            "branding": spec.branding,
            "fit": {"scale": scale, "spacing": scale},
            "doc": {
                "kind": kind,
                "title": title,
                "subject": subject,
                "keywords": keywords,
                "timestamp": self.stamp.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "prepared_display": format_date(self.stamp.prepared),
            "prepared_iso": self.stamp.prepared.isoformat(),
            "version": __version__,
            "cite": Citations(self.corpus),
            "logo": self.logo,
            "dossier_title": spec.dossier.title,
            "toc_pages": {},
            "literal_pages": False,
        }

    def brief_html(self, view: dict[str, Any], sections: Sequence[Section], scale: float) -> str:
        """One brief, with the given sections at the given type scale."""
        context = self._base(
            "brief",
            view["title"],
            f"{self.audience.spec.label}: {view['title']}, {view['date_display']}",
            ["India", "Japan", *view["topics"]],
            scale,
        )
        context.update(brief={**view, "in_dossier": False}, sections=list(sections))
        template = (
            "brief-meeting.html.j2" if view["kind"] == "meeting" else "brief-agreement.html.j2"
        )
        return render(self.env, template, context, self.project)

    def dossier_html(self, toc_pages: Mapping[str, object], literal_pages: bool = False) -> str:
        """The audience's dossier; ``toc_pages`` fills the page numbers written into the HTML,
        which the PDF shows instead of counting pages itself when ``literal_pages`` is set."""
        spec = self.audience.spec
        views = list(self.meetings.values())
        meetings = [
            {
                **view,
                "in_dossier": True,
                "has": {s.id: has_content(view, s.id) for s in spec.sections["meeting"]},
            }
            for view in views
        ]
        agreements = list(self.agreements.values())
        toc = (
            [{"level": 1, "anchor": "overview", "title": "Overview"}]
            if "overview" in spec.dossier.parts
            else []
        )
        if "chapters" in spec.dossier.parts:
            toc += [{"level": 1, "anchor": f"ch-{m['id']}", "title": m["title"]} for m in meetings]
        if "tracker" in spec.dossier.parts:
            toc.append({"level": 1, "anchor": "tracker", "title": "Agreements tracker"})
            toc += [
                {"level": 2, "anchor": f"ag-{a['id']}", "title": a["title"]} for a in agreements
            ]
        if "glossary" in spec.dossier.parts:
            toc.append({"level": 1, "anchor": "glossary", "title": "Glossary"})
        toc.append({"level": 1, "anchor": "sources", "title": "Sources"})
        if "topic-index" in spec.dossier.parts:
            toc.append({"level": 1, "anchor": "topic-index", "title": "Topic index"})
        dates = [m["date"] for m in meetings]
        span = (
            f"{format_date(min(dates))} – {format_date(max(dates))}"
            if dates
            else "no meetings selected"
        )
        dossier = {
            "title": spec.dossier.title,
            "subtitle": spec.dossier.subtitle,
            "span": span,
            "filters": self.describe_filters(),
            "parts": spec.dossier.parts,
            "meetings": meetings,
            "meeting_ids": [m["id"] for m in meetings],
            "agreements": agreements,
            "sections": [s for s in spec.visible_sections("meeting") if s.id != "sources"],
            "toc": toc,
            "timeline_svg": svg(self.timeline_events(), spec.branding.accent, spec.branding.muted),
            "topic_index": self._topic_index(meetings, agreements),
            "glossary": glossary_for(
                self.corpus, " ".join(t.term for t in self.corpus.terms.values())
            ),
        }
        context = self._base(
            "dossier",
            spec.dossier.title,
            f"{spec.label}: India–Japan meetings, {span}",
            ["India", "Japan", "dossier", *self.filters.topics],
            1.0,
        )
        context.update(dossier=dossier, toc_pages=toc_pages, literal_pages=literal_pages)
        if self.reuse is None or not literal_pages:
            return render(self.env, "dossier.html.j2", context, self.project)
        # Composed for its parts, as a long-lived process does after each edit: the chapters it
        # composed last time that would come out the same are not composed again.
        blocks = self.reuse.blocks(self.env, context, list(zip(meetings, views, strict=True)))
        html = render(self.env, "dossier.html.j2", context, self.project, blocks)
        self.reuse.done()
        return html

    def timeline_events(self) -> list[Event]:
        return [
            Event(m["date"], m["short_title"], m["date_display"], f"ch-{m['id']}")
            for m in self.meetings.values()
        ]

    def describe_filters(self) -> str:
        f = self.filters
        parts = []
        if f.topics:
            parts.append(
                "topics: "
                + ", ".join(
                    self.corpus.topics[t].label for t in f.topics if t in self.corpus.topics
                )
            )
        if f.since:
            parts.append(f"since {format_date(f.since)}")
        if f.until:
            parts.append(f"until {format_date(f.until)}")
        if f.only:
            parts.append("only " + ", ".join(f.only))
        return "; ".join(parts)

    def _topic_index(
        self, meetings: list[dict[str, Any]], agreements: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        index = []
        for topic in sorted(self.corpus.topics.values(), key=lambda t: t.label.casefold()):
            ms = [
                {"id": m["id"], "title": m["short_title"]}
                for m in meetings
                if topic.id in m["topics"]
            ]
            ags = [
                {"id": a["id"], "title": a["short_title"]}
                for a in agreements
                if topic.id in a["topic_ids"]
            ]
            if ms or ags:
                index.append({"label": topic.label, "meetings": ms, "agreements": ags})
        return index
