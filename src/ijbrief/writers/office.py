"""Page numbers in a DOCX as LibreOffice lays it out.

The DOCX's contents and index carry PAGEREF fields whose shown values come from the PDF's
layout; Word refreshes them when it opens the file (updateFields), LibreOffice shows them as
they are, and it lays the document out on its own (the analyst dossier took 16 pages there
against 14 in the PDF). When LibreOffice is installed, the DOCX is laid out by it once (to PDF,
with each bookmark as a named destination) and every PAGEREF is given the page LibreOffice
puts its bookmark on.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

from ijbrief.writers.docx import W_NS, normalise_zip

W = f"{{{W_NS}}}"
_PAGEREF = re.compile(r"^\s*PAGEREF\s+(\S+)")
_EXPORT = (
    'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
)
TIMEOUT_S = 180


def office_suite() -> str | None:
    """LibreOffice's command, if it is installed and not turned off (``IJBRIEF_OFFICE_PAGES=0``,
    for quick drafts: its pass costs seconds per dossier)."""
    if os.environ.get("IJBRIEF_OFFICE_PAGES", "1").strip() == "0":
        return None
    return shutil.which("soffice") or shutil.which("libreoffice")


def with_office_page_numbers(data: bytes) -> tuple[bytes, int] | None:
    """``data`` with every PAGEREF showing LibreOffice's page, and LibreOffice's page count;
    None when LibreOffice is missing or fails (the numbers then stay the PDF's)."""
    soffice = office_suite()
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="ijbrief-office-") as tmp:
        folder = Path(tmp)
        source = folder / "document.docx"
        source.write_bytes(data)
        profile = (folder / "profile").as_uri()  # its own: two builds may run side by side
        try:
            subprocess.run(
                [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                 _EXPORT, "--outdir", str(folder), str(source)],
                check=True, capture_output=True, timeout=TIMEOUT_S,
                env={**os.environ, "HOME": str(folder)},
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        laid_out = folder / "document.pdf"
        if not laid_out.is_file():
            return None
        pages, total = _destination_pages(laid_out.read_bytes())
    return _set_page_numbers(data, pages), total


def _destination_pages(pdf: bytes) -> tuple[dict[str, int], int]:
    """Page (from 1) of every named destination, by name as LibreOffice writes it."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, int] = {}
    for name, destination in reader.named_destinations.items():
        number = reader.get_destination_page_number(destination)
        if number is not None and number >= 0:
            found[name.lstrip("/")] = number + 1
    return found, len(reader.pages)


def _office_name(bookmark: str) -> str:
    """A bookmark's name as LibreOffice writes it for a PDF destination: each character other
    than a letter or digit as its code in hex (``ch_sd_18`` → ``ch5Fsd5F18``)."""
    return re.sub(r"[^A-Za-z0-9]", lambda m: f"{ord(m[0]):02X}", bookmark)


def _set_page_numbers(data: bytes, pages: dict[str, int]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    root = etree.fromstring(entries["word/document.xml"])
    for instr in root.iter(f"{W}instrText"):
        found = _PAGEREF.match(instr.text or "")
        page = pages.get(_office_name(found[1])) if found else None
        if page is None:
            continue
        run = instr.getparent()
        shown: list[etree._Element] = []
        phase = "instruction"
        for sibling in run.itersiblings():
            char = sibling.find(f"{W}fldChar")
            kind = char.get(f"{W}fldCharType") if char is not None else None
            if kind == "separate":
                phase = "result"
            elif kind in ("end", "begin"):
                break
            elif phase == "result":
                shown.extend(sibling.iter(f"{W}t"))
        if not shown:
            continue
        shown[0].text = str(page)
        for extra in shown[1:]:
            extra.text = ""
    entries["word/document.xml"] = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in entries.items():
            target.writestr(name, content)
    return normalise_zip(out.getvalue())
