"""Assemble the template context of a brief or dossier for one audience and render it to HTML."""

from __future__ import annotations

import base64
import mimetypes
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ijbrief import __version__
from ijbrief.compose.audiences import SINCE_EDITION, Audience, Section
from ijbrief.compose.changes import Earlier, changes_view
from ijbrief.compose.runs import CHAPTERS_PER_RUN, run_starts
from ijbrief.compose.select import (
    BASIS_MARKS,
    Citations,
    Edition,
    Filters,
    KeptViews,
    Omission,
    agreement_view,
    glossary_for,
    information_as_of,
    meeting_view,
    omission,
)
from ijbrief.compose.templating import make_environment, render
from ijbrief.compose.textfmt import count_of, css_string, format_date, md_inline
from ijbrief.compose.timeline import Event, svg
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.project import declared_scripts, party_names, read_project
from ijbrief.corpus.yamlio import read_bytes
from ijbrief.errors import InputError, TemplateError

# The same bound as on any file the PDF engine reads (writers/pdf.py).
MAX_LOGO_BYTES = 8 * 1024 * 1024

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


def _items(view: dict[str, Any], section_id: str) -> list[Any]:
    """What a section shows of a view, item by item (a section of one thing is one item)."""
    key = _HAS.get(section_id)
    value = view.get(key) if key else None
    if not value:
        return []
    if section_id == "outcomes":
        return [item for group in value for item in group["items"]]
    return list(value) if isinstance(value, list) else [value]


def _field(section_id: str, item: Any) -> str:
    """Where an item is in its record, as the manifest names it."""
    key = _HAS[section_id]
    if isinstance(item, dict):
        if "field" in item:
            return str(item["field"])
        name = item.get("id") or item.get("term")
        if name:
            return f"{key}[{name}]"
    return key


def limited(view: dict[str, Any], sections: Sequence[Section]) -> dict[str, Any]:
    """The view with each section's list cut to the section's ``limit:`` (a brief's)."""
    out = dict(view)
    for section in sections:
        key = _HAS.get(section.id)
        if section.limit is None or key is None or not isinstance(view.get(key), list):
            continue
        if section.id == "outcomes":
            room, groups = section.limit, []
            for group in view[key]:
                kept = group["items"][: max(room, 0)]
                room -= len(kept)
                if kept:
                    groups.append({**group, "items": kept})
            out[key] = groups
        else:
            out[key] = view[key][: section.limit]
    return out


@dataclass(frozen=True)
class Stamp:
    """The dates a document carries: 'prepared on' (shown) and the timestamp in its metadata."""

    prepared: Any  # datetime.date
    timestamp: Any  # datetime.datetime, UTC


_SECTIONS = {
    "summary": "summary",
    "outcomes": "outcomes",
    "talking_points": "talking points",
    "to_raise": "to raise",
    "to_avoid": "to avoid",
    "background": "background",
    "significance": "significance",
    "way_forward": "way forward",
    "purpose": "purpose",
    "key_points": "key points",
}


def basis_notes(
    meetings: Sequence[Mapping[str, Any]], agreements: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """Every marked item the dossier shows that has a note, with where it is: the dossier's
    Sources part explains each mark in full."""
    notes: list[dict[str, str]] = []

    def add(basis: Mapping[str, str] | None, about: str) -> None:
        if basis and basis.get("note"):
            notes.append(
                {"mark": BASIS_MARKS[basis["kind"]], "about": about, "note": basis["note"]}
            )

    for view in [*meetings, *agreements]:
        title = view["short_title"]
        for p in view.get("participants", []):
            add(p["basis"], f"{title}: {p['name']}")
        for key, label in _SECTIONS.items():
            value = view.get(key)
            if key == "outcomes" and value:
                value = [item for group in value for item in group["items"]]
            for item in value if isinstance(value, list) else [value] if value else []:
                add(item.get("basis"), f"{title}, {label}")
        for step in view.get("steps", []):
            add(step["basis"], f"{title}, {step['status'].lower()} ({step['date_display']})")
    return notes


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
        earlier: Earlier | None = None,
        chapters_per_run: int = CHAPTERS_PER_RUN,
    ) -> None:
        self.project = project
        self.chapters_per_run = chapters_per_run
        self.earlier = earlier
        self.corpus = corpus
        self.audience = audience
        self.stamp = stamp
        self.filters = filters
        self.env = make_environment(
            project, audience, {"md": md_inline, "css": css_string, "count": count_of}
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
        self.information = information_as_of(corpus)

    def _logo(self) -> str:
        name = self.audience.spec.branding.logo
        if not name:
            return ""
        for folder in self.audience.folders:
            try:
                path = (folder / name).resolve()
            except (RuntimeError, OSError):  # a symbolic link loop
                path = folder / name
            if os.path.lexists(path) and path.is_relative_to(folder.resolve()):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if not kind.startswith("image/"):
                    break
                shown = f"templates/{folder.name}/{name}"
                try:
                    raw = read_bytes(path, shown, MAX_LOGO_BYTES)
                except InputError as exc:
                    raise TemplateError(exc.problems) from None
                return f"data:{kind};base64,{base64.b64encode(raw).decode()}"
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

    def brief_omissions(
        self, view: dict[str, Any], sections: Sequence[Section], shown: Sequence[str]
    ) -> list[Omission]:
        """What a brief leaves out of ``view`` beyond what its edition does: the items past a
        section's ``limit:``, and the items of the sections (of ``sections``) that the one-page
        fit dropped, those not in ``shown``."""
        record = str(view["id"])
        file = self.corpus.files[record]
        left: list[Omission] = []
        for section in sections:
            items = _items(view, section.id)
            cut = len(items) if section.limit is None else section.limit
            for item in items[cut:]:
                detail = f"{section.id} shows at most {section.limit}"
                left.append(omission(record, file, _field(section.id, item), "limit", detail))
            if section.id not in shown:
                detail = f"the one-page fit dropped {section.id} (priority {section.priority})"
                for item in items[:cut]:
                    left.append(omission(record, file, _field(section.id, item), "fit", detail))
        return left

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
            # the scripts project.yaml declares beyond the two print.css sets by name
            "scripts": [
                s
                for s in declared_scripts(read_project(self.project))
                if s.lang not in ("hi", "ja")
            ],
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
            "information_display": self.information,
            "version": __version__,
            "cite": Citations(self.corpus),
            "logo": self.logo,
            "dossier_title": spec.dossier.title,
            "project": {
                "title": read_project(self.project).title,
                "parties": party_names(read_project(self.project)),
            },
            "toc_pages": {},
            "literal_pages": False,
        }

    def brief_html(
        self,
        view: dict[str, Any],
        sections: Sequence[Section],
        scale: float,
        template: str | None = None,
    ) -> str:
        """One brief, with the given sections at the given type scale (with ``template``, by
        default its kind's: brief-meeting.html.j2 or brief-agreement.html.j2)."""
        context = self._base(
            "brief",
            view["title"],
            f"{self.audience.spec.label}: {view['title']}, {view['date_display']}",
            [*party_names(read_project(self.project)), *view["topics"]],
            scale,
        )
        context.update(
            brief={**limited(view, sections), "in_dossier": False}, sections=list(sections)
        )
        template = template or (
            "brief-meeting.html.j2" if view["kind"] == "meeting" else "brief-agreement.html.j2"
        )
        return render(self.env, template, context, self.project)

    def dossier_html(self, toc_pages: Mapping[str, object], literal_pages: bool = False) -> str:
        """The audience's dossier; ``toc_pages`` fills the page numbers written into the HTML,
        which the PDF shows instead of counting pages itself when ``literal_pages`` is set."""
        spec = self.audience.spec
        views = self.dossier_meetings()
        meetings = [
            {
                **view,
                "in_dossier": True,
                "has": {s.id: has_content(view, s.id) for s in spec.sections["meeting"]},
                "flows": not starts_page,
            }
            for view, starts_page in zip(
                views, run_starts([v["id"] for v in views], self.chapters_per_run), strict=True
            )
        ]
        agreements = list(self.agreements.values())
        toc = (
            [{"level": 1, "anchor": "overview", "title": "Overview"}]
            if "overview" in spec.dossier.parts
            else []
        )
        since = (
            changes_view(self.earlier, self.corpus, self.audience, self.filters, views, agreements)
            if self.earlier is not None and SINCE_EDITION not in spec.hide_sections
            else None
        )
        if since is not None:
            title = f"Changes since {since['date_display']}"
            toc.append({"level": 1, "anchor": "since-edition", "title": title})
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
        # Each end of the span as precisely as its meeting's date is known ("November 2019").
        first = min(meetings, key=lambda m: m["date"], default=None)
        last = max(meetings, key=lambda m: m["date"], default=None)
        if first is None or last is None:
            span = period = ""
        elif first is last:
            span = first["date_display"]
            # "on or about 7 October 2020" already says "on"
            period = span if span.startswith("on ") else f"on {span}"
        else:
            span = f"{first['date_display']} – {last['date_display']}"
            period = f"from {first['date_display'].removeprefix('on or ')} to {last['date_display'].removeprefix('on or ')}"
        touched = {a["id"] for m in meetings for a in m["agreements"]}
        dossier = {
            "title": spec.dossier.title,
            "subtitle": spec.dossier.subtitle,
            "span": span or "no meetings",
            "period": period,
            "filters": self.describe_filters(),
            "parts": spec.dossier.parts,
            "meetings": meetings,
            "meeting_ids": [m["id"] for m in meetings],
            "agreements": agreements,
            "since": since,
            # What the overview's sentence claims: the agreements the chapters touch, and the
            # tracker's others, each counted from the views themselves.
            # The bases of marked items are notes on the sources, for analysts.
            "basis_notes": basis_notes(meetings, agreements) if spec.show_source_gaps else [],
            "touched_count": sum(a["id"] in touched for a in agreements),
            "untouched_count": sum(a["id"] not in touched for a in agreements),
            # A dossier is the complete record for its audience: `limit:` keeps a brief to its
            # page, and does not cut a chapter.
            "sections": [
                s.model_copy(update={"limit": None})
                for s in spec.visible_sections("meeting")
                if s.id != "sources"
            ],
            "toc": toc,
            "timeline_svg": svg(self.timeline_events(), spec.branding.accent, spec.branding.muted),
            "topic_index": self._topic_index(meetings, agreements),
            "glossary": glossary_for(
                self.corpus, " ".join(t.term for t in self.corpus.terms.values()), self.edition
            ),
        }
        context = self._base(
            "dossier",
            spec.dossier.title,
            f"{spec.label}: {read_project(self.project).title} meetings, {span or 'none'}",
            [*party_names(read_project(self.project)), "dossier", *self.filters.topics],
            1.0,
        )
        context.update(dossier=dossier, toc_pages=toc_pages, literal_pages=literal_pages)
        return render(self.env, "dossier.html.j2", context, self.project)

    def dossier_meetings(self) -> list[dict[str, Any]]:
        """The meetings of the dossier: drafts only when the filters take them in."""
        return [m for m in self.meetings.values() if self.filters.drafts or not m["draft"]]

    def timeline_events(self) -> list[Event]:
        return [
            Event(m["date"], m["short_title"], m["date_display"], f"ch-{m['id']}")
            for m in self.dossier_meetings()
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
