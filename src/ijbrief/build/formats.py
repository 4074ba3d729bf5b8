"""The output formats: each one a ``Writer``, registered here and nowhere else.

``register`` makes a format known everywhere at once: ``ijbrief build --format`` offers it,
a build writes it (in the order registered), the index page and serve's pages list its files
with its label, serve accepts it in its form and sends it with its media type. A writer is
plain data in, bytes out: what it is handed is a ``Written``. Its engine is imported inside
``render``, so that ``--help`` and ``check`` stay fast."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ijbrief.compose.formats import Format, describe, forget
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT

if TYPE_CHECKING:
    from ijbrief.compose.audiences import Audience
    from ijbrief.compose.composer import Composer


@dataclass
class Written:
    """One document, laid out (or its layout known from before), for a writer to write."""

    audience: str
    kind: str  # a brief's kind (meeting, agreement, ...) or "dossier"
    ident: str
    stem: Path  # its files' path relative to out/, without a suffix
    formats: tuple[str, ...]  # every format this document is written in
    composer: Composer
    # The composed HTML: a dossier's carries its final page numbers if any writer asked for them.
    html: str
    scale: float  # the type scale the brief was fitted at (1.0 for a dossier)
    title: str
    document: Any = None  # the PDF engine's layout; None when it was laid out in an earlier build
    pdf: bytes | None = None  # a dossier merged from its parts
    engine: Callable[[], Any] | None = None  # the PDF engine, loaded when asked for
    facts: dict[str, Any] = field(default_factory=dict)  # what a writer notes (office_pages)
    # tagged PDF/UA-1, an archival PDF/A, or "none" (untagged)
    pdf_variant: str = DEFAULT_PDF_VARIANT


class Writer(Format, Protocol):
    """An output format and how to write it."""

    @property
    def final_page_numbers(self) -> bool:
        """Made from the HTML: a dossier's HTML must then carry its page numbers as laid out
        (its contents and index), which costs a second composing of it."""
        ...

    def render(self, document: Written) -> bytes: ...


_WRITERS: dict[str, Writer] = {}
W = TypeVar("W", bound=Writer)


def register(writer: W) -> W:
    """Make ``writer``'s format known to the CLI, the build, the index page and serve."""
    if not writer.name.isidentifier() or writer.name == "all":
        raise ValueError(f"{writer.name!r} cannot name a format")
    _WRITERS[writer.name] = writer
    describe(writer)
    return writer


def unregister(name: str) -> None:
    _WRITERS.pop(name, None)
    forget(name)


def names() -> tuple[str, ...]:
    """Every format's name, in the order a build writes them."""
    return tuple(_WRITERS)


def formats() -> tuple[Writer, ...]:
    return tuple(_WRITERS.values())


def writer(name: str) -> Writer:
    return _WRITERS[name]


def need_final_page_numbers(formats: Iterable[str]) -> bool:
    return any(_WRITERS[f].final_page_numbers for f in formats if f in _WRITERS)


@dataclass(frozen=True)
class Pdf:
    name: str = "pdf"
    suffix: str = ".pdf"
    label: str = "PDF"
    media_type: str = "application/pdf"
    in_browser: bool = True
    final_page_numbers: bool = False  # laid out with them

    def render(self, document: Written) -> bytes:
        if document.pdf is not None:
            return document.pdf
        assert document.engine is not None and document.document is not None
        path = str(document.stem.with_suffix(self.suffix))
        data: bytes = document.engine().write(document.document, path, document.pdf_variant)
        return data


@dataclass(frozen=True)
class Docx:
    name: str = "docx"
    suffix: str = ".docx"
    label: str = "Word (DOCX)"
    media_type: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    in_browser: bool = False
    final_page_numbers: bool = True

    def render(self, document: Written) -> bytes:
        return _docx(document)


@dataclass(frozen=True)
class Html:
    name: str = "html"
    suffix: str = ".html"
    label: str = "HTML"
    media_type: str = "text/html; charset=utf-8"
    in_browser: bool = True
    final_page_numbers: bool = True

    def render(self, document: Written) -> bytes:
        from ijbrief.compose.screen import with_screen_bar

        bar = with_screen_bar(document.html, str(document.stem), document.formats, self.name)
        return bar.encode()


# The order they are offered in (--format, the index page's chips) and written in.
register(Pdf())
register(Docx())
register(Html())


def _docx(document: Written) -> bytes:
    from ijbrief import __version__
    from ijbrief.compose.audiences import template_roots
    from ijbrief.compose.textfmt import format_date
    from ijbrief.corpus.project import party_names, read_project
    from ijbrief.corpus.review_apply import corpus_facts
    from ijbrief.writers.docx import DocxMeta, html_to_docx
    from ijbrief.writers.docx_package import read_reference

    composer = document.composer
    audience = composer.audience
    reference = _reference(audience)
    is_dossier = document.kind == "dossier"
    figures: dict[str, bytes] = {}
    if is_dossier:
        from ijbrief.compose.timeline import png

        figures["timeline"] = png(composer.timeline_events(), accent=audience.spec.branding.accent)
    title = document.title
    prepared = format_date(composer.stamp.prepared)
    meta = DocxMeta(
        title=title,
        subject=f"{audience.spec.label}: {title}",
        author=f"ijbrief — {audience.spec.label}",
        keywords=[*party_names(read_project(composer.project)), audience.name, document.kind],
        created=composer.stamp.timestamp.replace(tzinfo=None),
        header_text=audience.spec.classification.upper(),
        page_x_of_y=is_dossier,
        cover=is_dossier,
        # the PDF's page furniture: what it is and when it was prepared, and the marking
        footer_text=(
            f"{audience.spec.dossier.title} · Prepared {prepared}"
            if is_dossier
            else f"Prepared {prepared} · ijbrief · {audience.spec.label}"
        ),
        classification=audience.spec.classification,
        # Word and LibreOffice set type a little looser than WeasyPrint: err on the short side.
        scale=document.scale * (1.0 if is_dossier else 0.96),
        project=read_project(composer.project).title,
        # What `ijbrief review` needs to place a reviewer's changes: the YAML each sourced
        # passage came from, as it was when built.
        provenance=(
            *corpus_facts(composer.project, composer.corpus.documents),
            ("build", f"ijbrief {__version__} {composer.stamp.timestamp.isoformat()}"),
            ("document", f"{document.stem}.docx"),
        ),
    )
    package = (
        read_reference(
            reference,
            f"templates/{reference.parent.name}/reference.docx",
            template_roots(composer.project),
        )
        if isinstance(reference, Path)
        else reference
    )
    data = html_to_docx(document.html, package, meta, figures)
    if is_dossier:
        # The contents and index show the pages LibreOffice lays the file out on, when it is
        # here to say; Word refreshes them itself on opening.
        from ijbrief.writers.office import with_office_page_numbers

        laid_out = with_office_page_numbers(data)
        if laid_out is not None:
            data, document.facts["office_pages"] = laid_out
    return data


def _reference(audience: Audience) -> Path | bytes:
    """The audience's own reference.docx, or one made from its audience.yaml: one it inherits
    would give it the look (accent, fonts, header) of the audience it derives from. A built-in
    reference is used only while the audience's branding is the one it was made with."""
    from ijbrief.compose.audiences import BUILTIN_TEMPLATES
    from ijbrief.writers.docx_reference import AUDIENCES, look_of, matches, reference_bytes

    look = look_of(audience.spec)
    builtin = BUILTIN_TEMPLATES.resolve()
    for folder in audience.folders:
        path = folder / "reference.docx"
        # lexists: a link is handed to read_reference, which refuses one that leads outside.
        if folder.name != audience.name or not os.path.lexists(path):
            continue
        made = AUDIENCES.get(audience.name) if folder.resolve().is_relative_to(builtin) else None
        if made is None or matches(made, look):
            return path
    return reference_bytes(look)
