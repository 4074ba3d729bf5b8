"""Convert rendered brief HTML into a reproducible DOCX built on a reference document's styles.

The writer is in parts: :mod:`docx_base` (names and helpers shared by all), :mod:`docx_styles`
(styles, numbering), :mod:`docx_runs` (paragraphs, runs, bookmarks, links), :mod:`docx_tables`
(tables, figures), :mod:`docx_fields` (contents, header and footer, settings) and
:mod:`docx_html` (the walk over the HTML that joins them). This module is the entry point.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

import lxml.html  # type: ignore[import-untyped, unused-ignore]

from ijbrief.writers.docx_base import (
    HI_FONT,
    JA_FONT,
    TOC_INSTRUCTION,
    W_NS,
    DocxMeta,
    _check_text,
    split_scripts,
)
from ijbrief.writers.docx_fields import _apply_header_footer, _apply_settings
from ijbrief.writers.docx_html import _Converter
from ijbrief.writers.docx_styles import _apply_language, _apply_scale, _rename_structure_styles

__all__ = [
    "HI_FONT",
    "JA_FONT",
    "TOC_INSTRUCTION",
    "W_NS",
    "DocxMeta",
    "html_to_docx",
    "normalise_zip",
    "split_scripts",
]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def normalise_zip(data: bytes) -> bytes:
    """Rewrite an OOXML package with a fixed entry order, fixed timestamps and one compression."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    order = sorted(entries, key=lambda n: (n != "[Content_Types].xml", n != "_rels/.rels", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()


def html_to_docx(
    html: str, reference: Path | bytes, meta: DocxMeta, figures: Mapping[str, bytes]
) -> bytes:
    """Convert the body of ``html`` to DOCX bytes; ``reference`` gives styles and page setup:
    a file, or the bytes :func:`docx_package.read_reference` gave."""
    import docx

    from ijbrief.writers import docx_provenance
    from ijbrief.writers.docx_package import read_reference

    if isinstance(reference, Path):
        reference = read_reference(reference, str(reference), [reference.absolute().parent])

    _check_text(html, "HTML")
    for label, value in (
        ("title", meta.title),
        ("subject", meta.subject),
        ("author", meta.author),
        ("header text", meta.header_text or ""),
        ("footer text", meta.footer_text or ""),
        ("classification", meta.classification or ""),
        *(("keyword", k) for k in meta.keywords),
    ):
        _check_text(value, label)
    if not meta.scale > 0:
        raise ValueError(f"scale must be positive, got {meta.scale}")

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    root = lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
    body_html = root.find("body")
    if body_html is None:
        body_html = root

    document = docx.Document(io.BytesIO(reference))
    converter = _Converter(document, figures)
    marks = docx_provenance.mark(body_html)
    converter.convert(body_html)
    _apply_scale(document.styles.element, meta.scale)
    _rename_structure_styles(document.styles.element)
    language = _apply_language(document.styles.element, root.get("lang"))
    _apply_header_footer(document, meta, converter)
    docx_provenance.attach(document, converter.bookmarks, marks, meta.provenance)
    _apply_settings(document.settings.element)
    _apply_core_properties(document, meta, language)

    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def _apply_core_properties(document: Any, meta: DocxMeta, language: str) -> None:
    created = meta.created
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    props = document.core_properties
    props.title = meta.title
    props.subject = meta.subject
    props.author = meta.author
    props.keywords = ", ".join(meta.keywords)
    props.last_modified_by = meta.author
    props.comments = ""
    props.category = ""
    props.content_status = ""
    props.identifier = ""
    props.language = language
    props.version = ""
    props.revision = 1
    props.created = created
    props.modified = created
    props.last_printed = created
