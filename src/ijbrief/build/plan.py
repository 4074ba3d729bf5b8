"""What a build will make: its options, one ``Task`` per document with a key of everything the
document depends on (its records, the templates, the engines' versions and the fonts), and the
dossiers that builds with other filters left out of date."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ijbrief import __version__
from ijbrief.build.formats import names
from ijbrief.build.kinds import kinds
from ijbrief.build.parts import ROWS_PER_PART
from ijbrief.compose.audiences import (
    Audience,
    discover,
    load_audience,
    template_roots,
)
from ijbrief.compose.changes import Earlier
from ijbrief.compose.composer import Stamp
from ijbrief.compose.runs import CHAPTERS_PER_RUN
from ijbrief.compose.select import Filters
from ijbrief.corpus.loader import CATALOGUE, GLOSSARY, PEOPLE, TOPICS, Corpus
from ijbrief.corpus.project import COUNTRIES, PROJECT, read_project
from ijbrief.errors import IjbriefError
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT

CACHE_NAME = ".ijbrief-cache.json"
# Modules that cannot change a rendered document, so editing them invalidates nothing.
_NOT_RENDERING = {
    "cli.py",
    "serve.py",
    "routes.py",
    "service.py",
    "jobs.py",
    "forms.py",
    "site.py",
    "site_files.py",
    "doctor.py",
    "progress.py",
    "authoring.py",
    "watching.py",
    "longlived.py",
    "heap.py",
    "accel.py",
    "__main__.py",
}


@dataclass(frozen=True)
class BuildOptions:
    """Everything ``ijbrief build`` can be told; the CLI and the Python API share it."""

    root: Path
    formats: tuple[str, ...] = ("pdf",)
    audiences: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    topics: tuple[str, ...] = ()
    out: Path | None = None
    prepared: dt.date | None = None
    jobs: int = 1
    force: bool = False
    quiet: bool = False
    # A dossier of more meetings than this is laid out in parts: its chapters in groups of about
    # chapters_per_part, a table of more than rows_per_part rows (the overview) in stretches of
    # about that many. (Smaller groups cost a cold build little and make a rebuild after an edit
    # lay out fewer pages; a small dossier is laid out faster whole, 2.7 s against 3.2 s at 10
    # meetings on 2 cores.) A long-lived process lays out every dossier in parts: a rebuild after
    # an edit then lays out only the parts that changed (at 10 meetings, 0.54 s against 1.96 s).
    whole_up_to: int = 16
    chapters_per_part: int = CHAPTERS_PER_RUN  # a part is a run of chapters (compose.runs)
    rows_per_part: int = ROWS_PER_PART
    # A long-lived process (build --watch, serve): remember the parsed YAML for the next build,
    # and warm the PDF engine here, once, so that the workers forked for each build start with it
    # instead of importing and loading fonts again.
    warm: bool = False
    pdf_variant: str = DEFAULT_PDF_VARIANT  # one of writers.pdf_variants.PDF_VARIANTS
    drafts: bool = False  # put meetings marked `status: draft` in the dossiers too
    # An earlier edition (manifest, out/ folder or git revision): dossiers say what changed since.
    since_edition: str | None = None

    @property
    def filters(self) -> Filters:
        # Sorted, so that `--topic 5g cybersecurity` and `--topic cybersecurity 5g` are one dossier.
        return Filters(
            tuple(sorted(set(self.only))),
            self.since,
            self.until,
            tuple(sorted(set(self.topics))),
            self.drafts,
        )

    @property
    def out_dir(self) -> Path:
        return self.out or self.root / "out"


@dataclass(frozen=True)
class Task:
    """One document for one audience, in every requested format."""

    audience: str
    kind: str  # a kind of brief (build/kinds.py), or dossier
    ident: str
    stem: Path  # output path without suffix, relative to out/
    formats: tuple[str, ...]
    key: str  # hash of everything the output depends on
    shared: str = ""  # hash of what every document of the audience depends on


def _audiences(root: Path, names: Iterable[str]) -> list[Audience]:
    names = list(names) or list(read_project(root).audiences or ())
    if not names:
        return discover(root)
    return [load_audience(root, name) for name in names]


def _check_filters(corpus: Corpus, options: BuildOptions) -> None:
    unknown_topics = [t for t in options.topics if t not in corpus.topics]
    unknown_ids = [
        i for i in options.only if i not in corpus.meetings and i not in corpus.agreements
    ]
    problems = []
    if unknown_topics:
        problems.append(f"unknown topic(s): {', '.join(unknown_topics)} (see briefs/topics.yaml)")
    if unknown_ids:
        problems.append(f"unknown meeting or agreement id(s): {', '.join(unknown_ids)}")
    unknown_formats = [f for f in options.formats if f not in names()]
    if unknown_formats:
        problems.append(
            f"unknown format(s): {', '.join(unknown_formats)} (known: {', '.join(names())})"
        )
    if options.since and options.until and options.since > options.until:
        problems.append("--since is after --until")
    if problems:
        raise IjbriefError("; ".join(problems))
    filters = options.filters
    if filters.active and not (
        any(filters.meeting(m) for m in corpus.meetings.values())
        or any(filters.agreement(a) for a in corpus.agreements.values())
    ):
        flags = [
            *(["--only", *filters.only] if filters.only else []),
            *(["--topic", *filters.topics] if filters.topics else []),
            *(["--since", filters.since.isoformat()] if filters.since else []),
            *(["--until", filters.until.isoformat()] if filters.until else []),
        ]
        raise IjbriefError(f"no meeting or agreement matches {' '.join(flags)}; nothing was built")


def _stamp(corpus: Corpus | None, prepared: dt.date | None) -> Stamp:
    """'Prepared' is the day the documents are made: ``--date``, else SOURCE_DATE_EPOCH's day
    (for reproducible builds), else today (UTC). What the data is as of is shown apart. The day
    does not depend on ``corpus`` (None where it is not loaded yet, as for an earlier edition)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise IjbriefError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp") from None
        day = prepared or moment.date()
    else:
        day = prepared or dt.datetime.now(dt.UTC).date()
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return Stamp(prepared=day, timestamp=moment)


@functools.lru_cache(maxsize=65536)
def _file_hash(path: Path, stamp: tuple[int, int]) -> bytes:
    """A file's content hash, read once per (size, mtime): a plan hashes each file for many keys."""
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"<missing>"


def _digest(paths: Iterable[Path], inside: Sequence[Path] = ()) -> str:
    """A hash of the files at ``paths``; a link that leads out of the folders ``inside`` is
    hashed as the link it is, never followed (nothing outside is ever read through it)."""
    sha = hashlib.sha256()
    for path in sorted(set(paths)):
        sha.update(str(path).encode())
        if inside and path.is_symlink() and not _leads_inside(path, inside):
            try:
                sha.update(b"<link>" + os.fsencode(os.readlink(path)))
            except OSError:
                sha.update(b"<missing>")
            continue
        try:
            info = path.stat()
            sha.update(_file_hash(path, (info.st_size, info.st_mtime_ns)))
        except OSError:
            sha.update(b"<missing>")
    return sha.hexdigest()


def _leads_inside(path: Path, folders: Sequence[Path]) -> bool:
    try:
        real = path.resolve()
    except (RuntimeError, OSError):  # a symbolic link loop
        return False
    return any(real.is_relative_to(folder) for folder in folders)


def _plan(
    root: Path,
    corpus: Corpus,
    audiences: list[Audience],
    options: BuildOptions,
    stamp: Stamp,
    earlier: Earlier | None = None,
) -> list[Task]:
    formats = tuple(f for f in names() if f in options.formats)
    filters = options.filters
    tasks: list[Task] = []
    for audience in audiences:
        base = _audience_base(root, corpus, audience, stamp) + options.pdf_variant
        for kind in kinds():
            for record in kind.records(corpus, filters):
                stem = Path(audience.name) / "briefs" / kind.stem(record)
                key = _key(base, root, kind.inputs(corpus, record))
                tasks.append(Task(audience.name, kind.name, record.id, stem, formats, key, base))
        everything = list(corpus.files.values())
        stem = _dossier_stem(audience.name, filters)
        since = earlier.key() if earlier else ""
        # Briefs depend on neither the filters nor the earlier edition.
        key = _key(base + str(filters) + since, root, everything)
        tasks.append(Task(audience.name, "dossier", "dossier", stem, formats, key))
    return tasks


def _audience_base(root: Path, corpus: Corpus, audience: Audience, stamp: Stamp) -> str:
    """What every document of an audience depends on: registries, seeds, its templates, the
    date and the engine."""
    shared = [root / p for p in (CATALOGUE, PEOPLE, TOPICS, GLOSSARY, PROJECT, COUNTRIES)]
    shared += [root / "seeds" / s.file for s in corpus.sources.values()]
    templates = [p for folder in audience.folders for p in folder.rglob("*") if p.is_file()]
    setting = f"{stamp.prepared}|{stamp.timestamp}|{_engine_digest()}"
    inside = (root, *template_roots(root))
    return _digest([*shared, *templates], inside) + setting + audience.name


def _stale_dossiers(
    root: Path,
    corpus: Corpus,
    audiences: list[Audience],
    options: BuildOptions,
    stamp: Stamp,
    manifest: dict[str, Any],
    cache: dict[str, Any],
) -> dict[str, str]:
    """The dossiers that builds with other filters (``--only``, ``--topic``, ``--since``,
    ``--until``) left in out/ and that would now come out differently, with the options that
    make them again: this build removes them rather than leave them listed out of date."""
    bases = {
        a.name: _audience_base(root, corpus, a, stamp) + options.pdf_variant for a in audiences
    }
    everything = list(corpus.files.values())
    stale: dict[str, str] = {}
    for relpath, entry in manifest.items():
        made = entry.get("filters") if isinstance(entry, dict) else None
        if entry.get("kind") != "dossier" or entry.get("audience") not in bases or not made:
            continue
        try:
            since, until = made.get("since"), made.get("until")
            filters = Filters(
                tuple(made.get("only") or ()),
                dt.date.fromisoformat(since) if since else None,
                dt.date.fromisoformat(until) if until else None,
                tuple(made.get("topics") or ()),
            )
        except (TypeError, ValueError, AttributeError):
            continue
        if filters == options.filters or not filters.active:
            continue
        key = _key(bases[entry["audience"]] + str(filters), root, everything)
        if cache.get(relpath) != key:
            stale[relpath] = " ".join(
                [
                    *(["--only", *filters.only] if filters.only else []),
                    *(["--topic", *filters.topics] if filters.topics else []),
                    *(["--since", filters.since.isoformat()] if filters.since else []),
                    *(["--until", filters.until.isoformat()] if filters.until else []),
                ]
            )
    return stale


def _parts_used(cached: Any) -> dict[str, dict[str, list[str]]]:
    """What each dossier was last merged from (parts, footer, fonts), as the cache says."""
    return {
        stem: kept
        for stem, kept in (cached or {}).items()
        if isinstance(kept, dict)  # a cache from an older ijbrief is simply not used
    }


def _dossier_stem(audience: str, filters: Filters) -> Path:
    return Path(audience) / f"{audience}-dossier{filters.slug()}"


def _engine_digest() -> str:
    """What renders: the package's rendering modules and its version, the engines' versions
    and the fonts they can choose from."""
    from ijbrief.writers import syslibs

    package = Path(__file__).resolve().parents[1]
    own = _digest(p for p in package.rglob("*.py") if p.name not in _NOT_RENDERING)
    engines = json.dumps([__version__, engine_versions(), syslibs.font_files()])
    return own + hashlib.sha256(engines.encode()).hexdigest()


# Distributions whose code lays out, writes or converts a document (WeasyPrint and what it
# parses, shapes and draws with; the PDF merge's and the DOCX writer's libraries; templating and
# Markdown): an upgrade of any can change an output while ijbrief stays the same.
ENGINES = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "cssselect2",
    "tinyhtml5",
    "pyphen",
    "cffi",
    "pillow",
    "fonttools",
    "pikepdf",
    "python-docx",
    "lxml",
    "jinja2",
    "markupsafe",
    "markdown",
)


@functools.cache
def engine_versions() -> tuple[tuple[str, str], ...]:
    """The installed version of each engine, of each system library that lays out text, and of
    Python and zlib (which compresses every PDF and DOCX), read once per process."""
    from ijbrief.writers import syslibs

    versions = []
    for name in ENGINES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "missing"))
    versions += syslibs.library_versions()
    versions += [("python", sys.version), ("zlib", zlib.ZLIB_RUNTIME_VERSION)]
    return tuple(versions)


def _key(base: str, root: Path, files: Iterable[str]) -> str:
    return hashlib.sha256((base + _digest(root / f for f in files)).encode()).hexdigest()
