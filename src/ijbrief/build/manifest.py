"""manifest.json: what each output is, what it was made from and what it leaves out; and whether
the listing (manifest and index page) is still current."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ijbrief import __version__
from ijbrief.build.plan import Task, _digest
from ijbrief.build.render import _STATE, Rendered
from ijbrief.compose.changes import for_manifest, record_of
from ijbrief.compose.composer import Stamp
from ijbrief.compose.select import Filters
from ijbrief.corpus.loader import Corpus
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT


def _omitted_by_audience(tasks: list[Task], manifest: dict[str, Any]) -> dict[str, dict[str, int]]:
    """How many items each audience's outputs of this build leave out, by reason: an item left
    out of a brief and of the dossier counts once."""
    seen: dict[str, set[tuple[Any, ...]]] = {}
    for task in tasks:
        items = seen.setdefault(task.audience, set())
        for fmt in task.formats:
            entry = manifest.get(str(task.stem.with_suffix(f".{fmt}")), {})
            for item in entry.get("omitted") or []:
                if isinstance(item, dict):  # a manifest from an older ijbrief lists text
                    items.add((item.get("file"), item.get("field"), item.get("reason")))
    counts: dict[str, dict[str, int]] = {}
    for audience, items in seen.items():
        by_reason = counts.setdefault(audience, {})
        for _, _, reason in sorted(items, key=str):
            by_reason[str(reason)] = by_reason.get(str(reason), 0) + 1
    return counts


def _listing_is_current(out: Path, cache: dict[str, Any], manifest: dict[str, Any]) -> bool:
    """Whether manifest.json and index.html are there, made by this version of the code that
    makes the page, and list only files that are there."""
    listed = ("manifest.json", "index.html", *manifest)
    return cache.get("listing") == _listing_code() and all((out / p).is_file() for p in listed)


def _listing_code() -> str:
    compose = Path(__file__).resolve().parents[1] / "compose"
    made_by = [compose / "site.py", compose / "site_files.py"]
    return _digest([*made_by, *(compose / "site_templates").iterdir()]) + __version__


def _manifest_entry(
    corpus: Corpus, rendered: Rendered, relpath: str, data: bytes
) -> dict[str, Any]:
    task = rendered.task
    dossier = task.kind == "dossier"
    inputs = sorted(corpus.files.values()) if dossier else [corpus.files[task.ident]]
    return {
        "audience": task.audience,
        "format": relpath.rsplit(".", 1)[-1],
        "kind": task.kind,
        "id": task.ident,
        # A DOCX is paginated by Word or LibreOffice; a brief is checked to keep to one page,
        # a dossier's count (and its contents' page numbers) is LibreOffice's when it laid the
        # file out, else the PDF's.
        "pages": (
            rendered.office_pages
            if relpath.endswith(".docx") and rendered.office_pages
            else rendered.pages
        ),
        "pages_from": (
            ("libreoffice" if rendered.office_pages else "pdf-layout")
            if relpath.endswith(".docx")
            else "pdf"
        ),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "inputs": inputs,
        "fit": rendered.fit,
        "omitted": rendered.omitted,
        "filters": _filters_entry(_STATE["filters"]) if dossier else None,
        # What the automatic rebuild of a server gives again, so that the dossier keeps saying
        # what changed since that edition.
        **(
            {"since_edition": _STATE["since_edition"]}
            if dossier and _STATE.get("since_edition")
            else {}
        ),
        **(
            {"pdf_variant": _STATE.get("pdf_variant", DEFAULT_PDF_VARIANT)}
            if relpath.endswith(".pdf")
            else {}
        ),
    }


def _filters_entry(filters: Filters) -> dict[str, Any]:
    return {
        "only": list(filters.only),
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "topics": list(filters.topics),
    }


def _manifest_bytes(outputs: dict[str, Any], stamp: Stamp, corpus: Corpus) -> bytes:
    """The manifest, one output to a line (json's indented output is made by its slow encoder).
    Its ``record`` is what a later ``build --since-edition`` compares with."""
    head = {
        "generator": f"ijbrief {__version__}",
        "prepared": stamp.prepared.isoformat(),
        "record": for_manifest(record_of(corpus)),
    }
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()]
    entries = [
        f"    {json.dumps(path, ensure_ascii=False)}: {json.dumps(entry, ensure_ascii=False)}"
        for path, entry in sorted(outputs.items())
    ]
    lines.append('  "outputs": {\n' + ",\n".join(entries) + "\n  }")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
