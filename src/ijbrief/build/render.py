"""One document, composed, fitted to its pages and written in every requested format (in a
worker process): ``render_task``, and ``render_part`` for a part of a dossier."""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ijbrief.build.assemble import Assembly
from ijbrief.build.formats import Written, need_final_page_numbers, writer
from ijbrief.build.kinds import kind
from ijbrief.build.limits import _within_limits
from ijbrief.build.plan import Task
from ijbrief.compose.audiences import (
    template_roots,
)
from ijbrief.compose.composer import Composer
from ijbrief.compose.runs import CHAPTERS_PER_RUN
from ijbrief.compose.select import KeptViews, Omission, omission_key
from ijbrief.heap import collector_paused, collector_running
from ijbrief.writers.layout import PartLayout
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT


@dataclass
class Rendered:
    """What a worker hands back: file bytes by relative path and the manifest facts about them."""

    task: Task
    files: dict[str, bytes] = field(default_factory=dict)
    pages: int = 0
    fit: dict[str, Any] = field(default_factory=dict)
    omitted: list[Omission] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)  # what a later DOCX/HTML-only build reuses
    seconds: float = 0.0
    note: str = ""
    # A dossier laid out in parts: its parts and joined font programs, in out/.ijbrief-parts.
    kept: dict[str, list[str]] = field(default_factory=dict)
    content: str = ""  # a brief's content key (see _content_key)
    # A dossier's DOCX laid out by LibreOffice (its page numbers set so): its page count there.
    office_pages: int = 0


# State a worker needs; set in the parent before the pool forks, so nothing is loaded twice.
_STATE: dict[str, Any] = {}


def _content_key(task: Task) -> str:
    """What a brief's files are made from: the view its templates see, what the view leaves out,
    its names, and what every document of the audience depends on (templates, sources, engine,
    date). Two briefs with the same content key come out the same."""
    composer = _composer(task.audience)
    views = kind(task.kind).views(composer)
    own = _STATE["corpus"].files[task.ident]
    omitted = sorted(omission_key(o) for o in composer.edition.omitted if o["file"] == own)
    facts = [task.shared, own, str(task.stem), task.formats, views[task.ident], omitted]
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def _assembly(task: Task) -> Assembly | None:
    """The parts plan of a dossier large enough to lay out in parts, or None."""
    composer = _composer(task.audience)
    known = _STATE.get("layouts", {}).get(task.key)
    if len(composer.meetings) <= _STATE["whole_up_to"] or (known and "pdf" not in task.formats):
        return None
    return _parts_plan(task.audience, task.stem)


def _parts_plan(audience: str, stem: Path) -> Assembly:
    """A dossier in parts, starting from the parts it was last merged from: the contents' last
    layout is the first guess at their length."""
    composer = _composer(audience)
    return Assembly(
        name=f"{audience}/dossier",
        compose=functools.partial(
            _composed_within_limits,
            f"{audience}/dossier",
            functools.partial(composer.dossier_html, literal_pages=True),
        ),
        store=_STATE["parts"],
        salt=_STATE["salt"],
        chapters_per_part=_STATE["chapters_per_part"],
        rows_per_part=_STATE["rows_per_part"],
        previous=list(_STATE["parts_used"].get(str(stem), {}).get("parts", [])),
    )


def _composed_within_limits(
    name: str, compose: Callable[[Mapping[str, object]], str], numbers: Mapping[str, object]
) -> str:
    """A dossier's HTML, composed in this process within the time limit."""
    with _within_limits(name):
        return compose(numbers)


def render_part(root: Path, name: str, html: str, variant: str = DEFAULT_PDF_VARIANT) -> PartLayout:
    """Lay out one part of a dossier (runs in a worker process), within the time limit."""
    with collector_running(), _within_limits(name):
        layout: PartLayout = _pdf_engine(root).part(html, name, variant)
        return layout


_ENGINES: dict[str, Any] = {}
# A long-lived process's meeting views, by project and audience, for its next build.
_KEPT_VIEWS: dict[tuple[str, str], KeptViews] = {}


def _composer(audience_name: str) -> Composer:
    composers: dict[str, Composer] = _STATE.setdefault("composers", {})
    if audience_name not in composers:
        audience = next(a for a in _STATE["audiences"] if a.name == audience_name)
        warm, where = _STATE.get("warm"), (str(_STATE["root"]), audience_name)
        composers[audience_name] = Composer(
            _STATE["root"],
            _STATE["corpus"],
            audience,
            _STATE["stamp"],
            _STATE["filters"],
            _KEPT_VIEWS.setdefault(where, KeptViews()) if warm else None,
            _STATE.get("earlier"),
            _STATE.get("chapters_per_part", CHAPTERS_PER_RUN),
        )
    return composers[audience_name]


def _pdf_engine(root: Path | None = None) -> Any:
    """One engine per project, kept warm across builds in one process (fonts load once)."""
    root = root or _STATE["root"]
    if str(root) not in _ENGINES:
        with collector_paused():  # WeasyPrint's modules make no garbage: 0.03 s less to load
            from ijbrief.writers.pdf import PdfEngine

        _ENGINES[str(root)] = PdfEngine(template_roots(root), root / "templates")
    return _ENGINES[str(root)]


def render_task(task: Task) -> Rendered:
    """Render one document in every requested format (runs in a worker process), within limits."""
    with collector_running(), _within_limits(f"{task.audience}/{task.kind} {task.ident}"):
        return _render(task)


def _render(task: Task) -> Rendered:
    started = time.perf_counter()
    composer = _composer(task.audience)
    known = _STATE.get("layouts", {}).get(task.key)
    if known and "pdf" not in task.formats:
        # The PDF of exactly these inputs was laid out before: reuse its decisions, not the engine.
        return _from_known_layout(task, composer, known, started)
    engine = _pdf_engine()
    result = Rendered(task)
    name = f"{task.audience}/{task.kind} {task.ident}"
    left_out: list[Omission] = []
    if task.kind == "dossier":
        html = composer.dossier_html({})
        document = engine.layout(html, name)
        anchors = engine.anchors(document)
        if need_final_page_numbers(task.formats):
            html = composer.dossier_html(anchors)
        scale = 1.0
        result.layout = {"anchors": anchors, "pages": len(document.pages)}
    else:
        from ijbrief.compose.fit import fit_one_page

        template = kind(task.kind).template
        view = kind(task.kind).views(composer).get(task.ident)
        assert view is not None
        fitted = fit_one_page(
            name,
            composer.sections(view),
            composer.audience.spec.fit,
            lambda sections, scale: composer.brief_html(view, sections, scale, template),
            lambda html: engine.layout(html, name),
            start=_STATE.get("fitted", {}).get(str(task.stem), 1),
        )
        html, document, scale = fitted.html, fitted.document, fitted.scale
        result.fit = fitted.decisions()
        result.layout = {**result.fit, "sections": [s.id for s in fitted.sections], "pages": 1}
        shown = [s.id for s in fitted.sections]
        left_out = composer.brief_omissions(view, composer.sections(view), shown)
    result.pages = len(document.pages)
    _finish(task, composer, result, html, scale, document, left_out=left_out)
    result.seconds = time.perf_counter() - started
    return result


def _from_known_layout(
    task: Task, composer: Composer, known: dict[str, Any], started: float
) -> Rendered:
    result = Rendered(task, pages=int(known["pages"]), layout=known)
    left_out: list[Omission] = []
    if task.kind == "dossier":
        html, scale = composer.dossier_html(dict(known["anchors"])), 1.0
    else:
        views = kind(task.kind).views(composer)
        view = views[task.ident]
        sections = [s for s in composer.sections(view) if s.id in known["sections"]]
        scale = float(known["scale"])
        html = composer.brief_html(view, sections, scale, kind(task.kind).template)
        result.fit = {k: known[k] for k in ("scale", "dropped", "layouts")}
        left_out = composer.brief_omissions(view, composer.sections(view), known["sections"])
    _finish(task, composer, result, html, scale, None, left_out=left_out)
    result.seconds = time.perf_counter() - started
    return result


def _finish(
    task: Task,
    composer: Composer,
    result: Rendered,
    html: str,
    scale: float,
    document: Any,
    pdf: bytes | None = None,
    left_out: Sequence[Omission] = (),
) -> None:
    """Write every requested format of a laid-out (or previously laid-out) document; record
    what it leaves out: what its edition does (of its own record, for a brief) and
    ``left_out``, what the brief's limits and fit do."""
    own = None if task.kind == "dossier" else _STATE["corpus"].files[task.ident]
    if own is not None:
        result.content = _content_key(task)
    edition = [o for o in composer.edition.omitted if own is None or o["file"] == own]
    unique = {omission_key(o): o for o in [*edition, *left_out]}
    result.omitted = [unique[key] for key in sorted(unique)]
    title = (
        composer.audience.spec.dossier.title
        if task.kind == "dossier"
        else _title_of(composer, task)
    )
    written = Written(
        task.audience,
        task.kind,
        task.ident,
        task.stem,
        task.formats,
        composer,
        html,
        scale,
        title,
        document,
        pdf,
        _pdf_engine,
        pdf_variant=_STATE.get("pdf_variant", DEFAULT_PDF_VARIANT),
    )
    for fmt in task.formats:
        made = writer(fmt)
        result.files[str(task.stem.with_suffix(made.suffix))] = made.render(written)
    result.office_pages = int(written.facts.get("office_pages", 0))


def _title_of(composer: Composer, task: Task) -> str:
    views = kind(task.kind).views(composer)
    return str(views[task.ident]["title"])
