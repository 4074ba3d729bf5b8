"""PDF through WeasyPrint, with a fetcher that reads only the templates folders and no network."""

from __future__ import annotations

import hashlib
import io
import logging
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ijbrief.errors import RenderError
from ijbrief.writers.layout import PartLayout
from ijbrief.writers.pdf_structure import Langs, box_languages
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT, PDF_VARIANTS
from ijbrief.writers.textlayer import exact_text_layer

MAX_RESOURCE_BYTES = 8 * 1024 * 1024
_PDFUA_XMP = (
    b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
    b'pdfuaid:part="1"/></rdf:RDF>'
)


def _finish_tagged(data: bytes, variant: str, langs: list[Langs]) -> bytes:
    """A tagged PDF with what WeasyPrint leaves out of it (see ``pdf_structure``): table
    header cells' scopes, the language of text in another language (``langs``, per page), the
    page furniture it leaves outside the tree as artifacts and,
    for a PDF/A file, its claim to PDF/UA-1 too. WeasyPrint's XMP names one variant; the claim
    goes in the same RDF (XMP allows one). Opened and saved once."""
    import pikepdf

    from ijbrief.writers.pdf_structure import (
        add_header_scopes,
        add_span_languages,
        artifact_unlinked_content,
    )

    pdf = pikepdf.open(io.BytesIO(data))
    changed = (
        add_header_scopes(pdf) + add_span_languages(pdf, langs) + artifact_unlinked_content(pdf)
    )
    if variant.startswith("pdf/a"):
        xmp = pdf.Root.Metadata.read_bytes().replace(b"</rdf:RDF>", _PDFUA_XMP, 1)
        pdf.Root.Metadata.write(xmp)
    elif not changed:
        return data
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


class RefusedFetch(FatalURLFetchingError):  # type: ignore[misc]
    """WeasyPrint stops rendering when the fetcher raises a fatal error; this one says why."""


class SafeFetcher(URLFetcher):  # type: ignore[misc]
    """Serve ``file:`` URLs inside the allowed folders and ``data:`` URLs; refuse everything else."""

    def __init__(self, allowed: Sequence[Path]) -> None:
        super().__init__(fail_on_errors=True)
        self.allowed = tuple(p.resolve() for p in allowed)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedFetch(f"refused to fetch {url}: only files inside the templates folders")
        raw = unquote(parts.path)
        if ".." in Path(raw).parts:
            raise RefusedFetch(f"refused to fetch {url}: '..' in the path")
        path = Path(raw)
        real = path.resolve()
        if not any(real.is_relative_to(root) for root in self.allowed):
            raise RefusedFetch(f"refused to fetch {url}: outside the templates folders")
        try:
            info = real.stat()
        except OSError:
            raise RefusedFetch(f"cannot fetch {url}: file does not exist") from None
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFetch(f"refused to fetch {url}: not a regular file")
        if info.st_size > MAX_RESOURCE_BYTES:
            raise RefusedFetch(f"refused to fetch {url}: larger than {MAX_RESOURCE_BYTES} bytes")
        return URLFetcherResponse(real.as_uri(), real.read_bytes())


class _EngineErrors(logging.Handler):
    """Collects what WeasyPrint logs as errors (an image it could not load, a broken SVG): it
    would drop the element and carry on, and a brief with a silently missing figure is wrong."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class PdfEngine:
    """Lays out HTML and writes PDF; keeps one font configuration for every document it renders."""

    def __init__(self, allowed: Sequence[Path], base_url: Path) -> None:
        self.allowed = tuple(allowed)
        self.base_url = base_url.resolve().as_uri() + "/"
        self.fonts = FontConfiguration()

    def layout(self, html: str, name: str) -> Any:
        """A laid-out WeasyPrint document; refused fetches and engine failures become RenderError."""
        errors = _EngineErrors()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(errors)
        try:
            document = HTML(
                string=html, base_url=self.base_url, url_fetcher=SafeFetcher(self.allowed)
            ).render(font_config=self.fonts)
        except FatalURLFetchingError as exc:
            cause = exc.__cause__ or exc
            raise RenderError(f"{name}: {cause}") from None
        except (RecursionError, MemoryError, ValueError, OSError, OverflowError) as exc:
            raise RenderError(
                f"{name}: the PDF engine failed: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            logger.removeHandler(errors)
        if errors.messages:
            raise RenderError(f"{name}: {errors.messages[0]}")
        return document

    @staticmethod
    def write(document: Any, key: str, variant: str = DEFAULT_PDF_VARIANT) -> bytes:
        """PDF bytes with a file identifier derived from ``key`` (so rebuilds are byte-identical),
        tagged and of ``variant`` (one of PDF_VARIANTS). Attachments are fetched only now, so
        refusals are caught here too."""
        if variant not in PDF_VARIANTS:
            raise RenderError(f"{key}: unknown PDF variant {variant!r}")
        identifier = hashlib.sha256(key.encode()).hexdigest()[:32].encode()
        options: dict[str, Any] = {}
        if variant != "none":
            options = {"pdf_variant": variant, "pdf_tags": True}
        try:
            data: bytes = document.write_pdf(pdf_identifier=identifier, **options)
        except FatalURLFetchingError as exc:
            raise RenderError(f"{key}: {exc.__cause__ or exc}") from None
        data = exact_text_layer(document, data)
        if variant == "none":
            return data
        return _finish_tagged(data, variant, box_languages(document))

    @staticmethod
    def anchors(document: Any) -> dict[str, int]:
        """Page number (from 1) of every element id in the document."""
        found: dict[str, int] = {}
        for number, page in enumerate(document.pages, start=1):
            for anchor in page.anchors:
                found.setdefault(anchor, number)
        return found

    def part(self, html: str, name: str, variant: str = DEFAULT_PDF_VARIANT) -> PartLayout:
        """Lay out and write one part of a dossier. Its bookmarks are handed to the assembly,
        which makes one outline of every part's; its internal links stay, by anchor name, and
        the merged PDF's named destinations resolve them."""
        document = self.layout(html, name)
        layout = PartLayout(b"", len(document.pages))
        for number, page in enumerate(document.pages):
            for anchor, (x, y, *_) in page.anchors.items():
                layout.anchors.setdefault(anchor, (number, float(x), float(y)))
            for level, label, (x, y), _ in page.bookmarks:
                layout.bookmarks.append((level, label, number, float(x), float(y)))
            page.bookmarks[:] = []
        # WeasyPrint drops a link to an anchor it cannot see (one in another part): give it a
        # stand-in, which the merge replaces with the real destination.
        elsewhere = {
            target
            for page in document.pages
            for kind, target, *_ in page.links
            if kind == "internal" and target not in layout.anchors
        }
        if elsewhere:
            document.pages[0].anchors.update(dict.fromkeys(sorted(elsewhere), (0, 0, 0, 0)))
        layout.pdf = self.write(document, name, variant)
        return layout
