"""``ijbrief source add`` and ``source list``: bring a source's text into seeds/ and catalogue it.

The text written to ``seeds/<id>.txt`` is what quotations are checked against, so it is the
extractor's output as it stands (only end-of-line hyphenation in a PDF is joined, and line ends
are made uniform); the original file is kept beside it, and its sha256 keeps it from being added
twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ijbrief.corpus.loader import CATALOGUE, Corpus, normalise_quote
from ijbrief.corpus.model import Catalogue
from ijbrief.corpus.yamlio import parse
from ijbrief.errors import IjbriefError

KINDS = {
    ".txt": "document",
    ".html": "news report",
    ".htm": "news report",
    ".pdf": "document",
    ".docx": "document",
}
# A source must say something: this many letters at least, or it is refused as empty.
MIN_LETTERS = 40
_ISO_LINE = re.compile(r"^\s*(?:date|published|dated)\s*:?\s*(\d{4}-\d{2}-\d{2})\b", re.I | re.M)
_ID = re.compile(r"src-(\d+)")


@dataclass(frozen=True)
class Extracted:
    """What a file yields: its text and what it says about itself."""

    text: str
    title: str | None = None
    outlet: str | None = None
    published: dt.date | None = None
    published_basis: str | None = None


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _tidy(text: str) -> str:
    """Uniform line ends and no trailing spaces at line ends; nothing else is changed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def _date_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


def _from_txt(path: Path, raw: bytes) -> Extracted:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IjbriefError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), None)
    return Extracted(_tidy(text), title=first[:300] if first else None)


def _from_html(path: Path, raw: bytes) -> Extracted:
    import trafilatura

    text = trafilatura.extract(
        raw, include_comments=False, include_tables=True, favor_precision=True, deduplicate=False
    )
    if not text or _letters(text) < MIN_LETTERS:
        raise IjbriefError(f"{path}: no main text found in the page (an index or empty page?)")
    # trafilatura gives one paragraph a line; a blank line between them, as in the other
    # sources, lets a reader (and the drafting) tell paragraphs apart.
    text = "\n\n".join(line for line in text.splitlines() if line.strip())
    meta = trafilatura.extract_metadata(raw.decode("utf-8", "replace"))
    published = _date_of(getattr(meta, "date", None)) if meta else None
    return Extracted(
        _tidy(text),
        title=getattr(meta, "title", None) if meta else None,
        outlet=getattr(meta, "sitename", None) if meta else None,
        published=published,
        published_basis="The page's metadata dates it (extracted by trafilatura)."
        if published
        else None,
    )


def _from_pdf(path: Path, raw: bytes) -> Extracted:
    import io

    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise IjbriefError(f"{path}: cannot be read as a PDF ({exc})") from None
    text = "\n\n".join(p.strip("\n") for p in pages)
    # A word broken at a line end ("co-\noperation") is joined; a hyphen before a capital or a
    # digit is kept, as it is more likely a real one ("Indo-\nPacific").
    text = re.sub(r"(?<=[a-z])[-\u00ad]\n(?=[a-z])", "", text)
    if _letters(text) < MIN_LETTERS:
        raise IjbriefError(
            f"{path}: the PDF has no text layer (a scan?); run OCR on it first, e.g. ocrmypdf"
        )
    title = str(info.title).strip() if info and info.title else None
    return Extracted(_tidy(text), title=title or None)


def _from_docx(path: Path, raw: bytes) -> Extracted:
    import io

    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises several kinds on a file that is not DOCX
        raise IjbriefError(f"{path}: cannot be read as a DOCX file ({exc})") from None
    text = "\n\n".join(p.text for p in document.paragraphs if p.text.strip())
    title = document.core_properties.title or None
    return Extracted(_tidy(text), title=title)


READERS = {
    ".txt": _from_txt,
    ".html": _from_html,
    ".htm": _from_html,
    ".pdf": _from_pdf,
    ".docx": _from_docx,
}


def extract(path: Path, raw: bytes) -> Extracted:
    """The text of one file and what it says about itself; IjbriefError when it has none."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise IjbriefError(
            f"{path}: cannot read {path.suffix or 'files without a suffix'} "
            f"(known: {', '.join(sorted(READERS))})"
        )
    found = reader(path, raw)
    if _letters(found.text) < MIN_LETTERS:
        raise IjbriefError(f"{path}: no text in it to bring in")
    if not found.title:
        first = next(line.strip() for line in found.text.splitlines() if line.strip())
        found = Extracted(
            found.text, first[:300], found.outlet, found.published, found.published_basis
        )
    if found.published is None:
        dated = _text_date(found.text)
        if dated is not None:
            return Extracted(found.text, found.title, found.outlet, dated[0], dated[1])
    return found


def _text_date(text: str) -> tuple[dt.date, str] | None:
    """A date the text gives itself in its first lines ("date 2022-09-08")."""
    head = "\n".join(text.splitlines()[:5])
    match = _ISO_LINE.search(head)
    if match:
        day = _date_of(match.group(1))
        if day:
            return day, f'The text opens with "{match.group(0).strip()}".'
    return None


def _catalogue_text(root: Path) -> str:
    path = root / CATALOGUE
    if not path.is_file():
        raise IjbriefError(f"{CATALOGUE} does not exist; start a project with `ijbrief init`")
    return path.read_text(encoding="utf-8")


def _catalogue(text: str) -> Catalogue:
    doc = parse(text, str(CATALOGUE))
    try:
        return Catalogue.model_validate(doc.data)
    except Exception:
        raise IjbriefError(f"{CATALOGUE} does not validate; run `ijbrief check`") from None


def _known_hashes(root: Path, catalogue: Catalogue) -> dict[str, str]:
    """sha256 of every catalogued original (or, for an older entry, its text) → source id."""
    known: dict[str, str] = {}
    for source in catalogue.sources:
        if source.sha256:
            known[source.sha256] = source.id
        for name in (source.original, source.file):
            path = root / "seeds" / name if name else None
            if path is not None and path.is_file():
                known.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), source.id)
    return known


def _next_id(taken: set[str]) -> str:
    numbers = [int(m.group(1)) for i in taken if (m := _ID.fullmatch(i))]
    number = max(numbers, default=0) + 1
    while f"src-{number:03d}" in taken:
        number += 1
    return f"src-{number:03d}"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _entry(
    ident: str, found: Extracted, *, kind: str, original: str | None, digest: str, today: dt.date
) -> str:
    lines = [
        f"  - id: {ident}",
        f"    file: {ident}.txt",
        f"    title: {_q((found.title or ident)[:300])}",
    ]
    if found.outlet:
        lines.append(f"    outlet: {_q(found.outlet[:300])}")
    lines.append(f"    kind: {kind}")
    if found.published:
        lines.append(f"    published: {found.published.isoformat()}")
    basis = found.published_basis or "No date found in the file or its metadata."
    lines.append(f"    published_basis: {_q(basis)}")
    if original:
        lines.append(f"    original: {original}")
    lines += [f"    sha256: {digest}", f"    added: {today.isoformat()}"]
    return "\n".join(lines) + "\n"


def add_sources(
    root: Path,
    files: list[Path],
    *,
    ident: str | None = None,
    title: str | None = None,
    outlet: str | None = None,
    published: dt.date | None = None,
    kind: str | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """Extract, store and catalogue each file; return the new ids. Nothing is written unless
    every file can be brought in."""
    if ident and len(files) > 1:
        raise IjbriefError("--id names one source: give one file with it")
    text = _catalogue_text(root)
    catalogue = _catalogue(text)
    taken = {s.id for s in catalogue.sources}
    known = _known_hashes(root, catalogue)
    today = today or dt.date.today()
    planned: list[tuple[str, Path, Extracted, str, bool]] = []
    for path in files:
        if not path.is_file():
            raise IjbriefError(f"{path}: no such file")
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in known:
            raise IjbriefError(f"{path}: already in the catalogue as {known[digest]} (same sha256)")
        found = extract(path, raw)
        if title or outlet or published:
            found = Extracted(
                found.text,
                title or found.title,
                outlet or found.outlet,
                published or found.published,
                "Given when the source was added." if published else found.published_basis,
            )
        new = ident or _next_id(taken)
        if new in taken:
            raise IjbriefError(f"source id {new!r} is already in {CATALOGUE}")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", new):
            raise IjbriefError(f"id {new!r} must be lower-case letters, digits and hyphens")
        taken.add(new)
        known[digest] = new
        planned.append((new, path, found, digest, path.suffix.lower() != ".txt"))
    seeds = root / "seeds"
    entries = []
    for new, path, found, digest, keep in planned:
        for name in (f"{new}.txt", f"{new}{path.suffix.lower()}" if keep else None):
            if name and (seeds / name).exists():
                raise IjbriefError(f"seeds/{name} already exists; choose another --id")
        original = f"{new}{path.suffix.lower()}" if keep else None
        entries.append(
            _entry(
                new,
                found,
                kind=kind or KINDS[path.suffix.lower()],
                original=original,
                digest=digest,
                today=today,
            )
        )
    updated = re.sub(r"^sources:[ \t]*\[\][ \t]*$", "sources:", text, count=1, flags=re.M)
    updated = updated.rstrip("\n") + "\n" + "".join(entries)
    _catalogue(updated)  # what is written must validate
    for new, path, found, _, keep in planned:
        (seeds / f"{new}.txt").write_text(found.text, encoding="utf-8")
        if keep:
            shutil.copyfile(path, seeds / f"{new}{path.suffix.lower()}")
    (root / CATALOGUE).write_text(updated, encoding="utf-8")
    return [p[0] for p in planned]


@dataclass(frozen=True)
class SourceUse:
    """One catalogued source and what the corpus makes of it."""

    id: str
    title: str
    cited_by: list[str]
    passages: int  # passages in quotation marks in its text
    used: int  # of those, how many a quotation of the corpus takes
    covers: tuple[str, ...] = ()  # the meetings it reports, from the catalogue


def _citing(corpus: Corpus) -> dict[str, list[str]]:
    from ijbrief.corpus.loader import _references

    cited: dict[str, list[str]] = {}
    records: list[tuple[str, Any]] = [*corpus.meetings.items(), *corpus.agreements.items()]
    records += [(f"glossary:{t.id}", t) for t in corpus.terms.values()]
    for name, record in records:
        for _, kind, ref in _references(record):
            if kind == "source" and name not in cited.setdefault(ref, []):
                cited[ref].append(name)
    return cited


def list_sources(corpus: Corpus) -> list[SourceUse]:
    """Every source with what cites it and how many of its quoted passages are used."""
    from ijbrief.corpus.drafting import quoted_passages

    cited = _citing(corpus)
    uses = []
    for source in corpus.sources.values():
        passages = quoted_passages(corpus.seed_texts.get(source.id, ""))
        quotes = [
            normalise_quote(q.text)
            for m in corpus.meetings.values()
            for q in m.quotes
            if q.source == source.id
        ]
        used = sum(
            any(q in normalise_quote(p.text) or normalise_quote(p.text) in q for q in quotes)
            for p in passages
        )
        uses.append(
            SourceUse(
                source.id,
                source.title,
                cited.get(source.id, []),
                len(passages),
                used,
                tuple(source.covers),
            )
        )
    return uses
