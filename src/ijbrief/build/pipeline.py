"""Plan the outputs, skip what is up to date, render the rest (in parallel), write them atomically."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import gc
import hashlib
import json
import os
import resource
import signal
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import (
    BrokenExecutor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ijbrief import __version__
from ijbrief.build import workers
from ijbrief.build.assemble import PARTS_DIR, Assembly, LayoutPart, PartStore
from ijbrief.build.outputs import Staging, locked
from ijbrief.build.parts import ROWS_PER_PART, cut
from ijbrief.build.progress import Progress
from ijbrief.compose.audiences import (
    BUILTIN_TEMPLATES,
    Audience,
    discover,
    load_audience,
    template_roots,
)
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.screen import with_screen_bar
from ijbrief.compose.select import Filters, KeptViews, Omission, omission_key
from ijbrief.compose.textfmt import format_date, iso_prefix
from ijbrief.corpus.loader import CATALOGUE, GLOSSARY, PEOPLE, TOPICS, Corpus, load_corpus
from ijbrief.corpus.project import COUNTRIES, PROJECT, party_names, read_project
from ijbrief.errors import IjbriefError, RenderError
from ijbrief.heap import collector_paused, collector_running, freeze
from ijbrief.writers.layout import PartLayout

if TYPE_CHECKING:  # the writers import the engines: only when a merge is made
    from ijbrief.writers.pdf_merge import Merging

CACHE_NAME = ".ijbrief-cache.json"
# Modules that cannot change a rendered document, so editing them invalidates nothing.
_NOT_RENDERING = {
    "cli.py",
    "serve.py",
    "site.py",
    "doctor.py",
    "progress.py",
    "authoring.py",
    "watching.py",
    "heap.py",
    "accel.py",
    "__main__.py",
}
FORMAT_ORDER = ("html", "pdf", "docx")
# Briefs sent to the worker pool ahead of the one awaited, per worker, while a dossier in parts
# is being assembled.
BRIEFS_AHEAD = 4
# How far a long-lived process's brief workers give way to its dossier workers: all the way (at
# 10 instead, a watched rebuild at N = 500 took a median 1.06 s against 1.03 s, over 32 edits).
YIELDING_NICENESS = 19


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
    chapters_per_part: int = 4
    rows_per_part: int = ROWS_PER_PART
    # A long-lived process (build --watch, serve): remember the parsed YAML for the next build,
    # and warm the PDF engine here, once, so that the workers forked for each build start with it
    # instead of importing and loading fonts again.
    warm: bool = False
    pdf_variant: str = "pdf/ua-1"  # one of writers.pdf_variants.PDF_VARIANTS
    drafts: bool = False  # put meetings marked `status: draft` in the dossiers too

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
    kind: str  # meeting | agreement | dossier
    ident: str
    stem: Path  # output path without suffix, relative to out/
    formats: tuple[str, ...]
    key: str  # hash of everything the output depends on
    shared: str = ""  # hash of what every document of the audience depends on


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


@dataclass
class BuildReport:
    """What a build did: written and skipped outputs, and how long it took."""

    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Per audience built, how many items its outputs leave out, by reason (see manifest.json).
    omitted: dict[str, dict[str, int]] = field(default_factory=dict)
    admits: dict[str, list[str]] = field(default_factory=dict)  # audiences that see non-public
    # Filtered dossiers left out of date by other builds, removed, with the options that made them.
    removed: list[tuple[str, str]] = field(default_factory=list)


# State a worker needs; set in the parent before the pool forks, so nothing is loaded twice.
_STATE: dict[str, Any] = {}


def build(options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Validate, plan and render; commit every output only when all of them succeeded. The
    cycle collector runs only while documents are laid out (see ``heap``)."""
    with collector_paused():
        return _build(options, progress)


def _build(options: BuildOptions, progress: Progress | None) -> BuildReport:
    started = time.perf_counter()
    root = options.root.resolve()
    corpus = load_corpus(root, remember=options.warm)
    audiences = _audiences(root, options.audiences)
    _check_filters(corpus, options)
    stamp = _stamp(corpus, options.prepared)
    out = options.out_dir.resolve()
    progress = progress or Progress(quiet=options.quiet)
    report = BuildReport()
    report.admits = {
        a.name: [level for level in a.spec.admits if level != "public"]
        for a in audiences
        if set(a.spec.admits) - {"public"}
    }
    with locked(out):
        progress.admits(report.admits)
        cache = _read_json(out / CACHE_NAME)
        manifest = _read_json(out / "manifest.json").get("outputs", {})
        tasks = _plan(root, corpus, audiences, options, stamp)
        stale = _stale_dossiers(root, corpus, audiences, options, stamp, manifest, cache)
        for relpath in stale:
            del manifest[relpath]
        todo: list[Task] = []
        for task in tasks:
            paths = [str(task.stem.with_suffix(f".{f}")) for f in task.formats]
            fresh = all(cache.get(p) == task.key and (out / p).is_file() for p in paths)
            if fresh and not options.force:
                report.skipped += paths
            else:
                todo.append(task)
        # --force: nothing laid out before is used, not even a dossier's parts.
        layouts: dict[str, Any] = cache.pop("layouts", None) or {}
        if options.force:
            layouts = {}
        contents: dict[str, str] = cache.pop("contents", None) or {}
        parts_used = _parts_used(cache.pop("parts", None))
        _STATE.clear()  # a long-lived process (serve, tests) builds several projects
        _STATE.update(
            root=root,
            corpus=corpus,
            stamp=stamp,
            filters=options.filters,
            audiences=audiences,
            layouts=layouts,
            parts_used=parts_used,
            parts=PartStore(out / PARTS_DIR, fresh=options.force),
            out=out,
            force=options.force,
            salt=_engine_digest() + options.pdf_variant,
            pdf_variant=options.pdf_variant,
            whole_up_to=0 if options.warm else options.whole_up_to,
            chapters_per_part=max(1, options.chapters_per_part),
            rows_per_part=max(1, options.rows_per_part),
            warm=options.warm,
        )
        # Where each brief fit last time: its fit starts there.
        _STATE["fitted"] = {
            str(task.stem): layouts[key]["layouts"]
            for task in todo
            if (key := cache.get(str(task.stem.with_suffix(f".{task.formats[0]}")))) in layouts
            and "layouts" in layouts[key]
        }
        # Nothing out of date: manifest.json, the cache and index.html already say what they would.
        settled = not todo and not options.force and _listing_is_current(out, cache, manifest)
        if not options.force:
            todo = [t for t in todo if not _same_content(t, contents, cache, layouts, report)]
        staging = Staging(out)
        try:
            progress.start(len(todo), len(report.skipped))
            for rendered in _run(todo, options.jobs, progress):
                for relpath, data in rendered.files.items():
                    staging.write(Path(relpath), data)
                    cache[relpath] = rendered.task.key
                    if rendered.layout:
                        layouts[rendered.task.key] = rendered.layout
                    if rendered.content:
                        contents[relpath] = rendered.content
                    manifest[relpath] = _manifest_entry(corpus, rendered, relpath, data)
                    report.written.append(relpath)
                if rendered.kept:
                    parts_used[str(rendered.task.stem)] = rendered.kept
            report.omitted = _omitted_by_audience(tasks, manifest)
            if stale:
                settled = False
            if not settled:
                live = {str(t.stem.with_suffix(f".{f}")) for t in tasks for f in t.formats}
                manifest = {k: v for k, v in manifest.items() if k in live or (out / k).exists()}
                staging.write(Path("manifest.json"), _manifest_bytes(manifest, stamp))
                keys = {t.key for t in tasks} | set(cache.values())
                cache["layouts"] = {k: v for k, v in layouts.items() if k in keys}
                cache["parts"] = parts_used
                cache["contents"] = {k: v for k, v in contents.items() if k in live}
                cache["listing"] = _listing_code()
                cache_bytes = json.dumps(cache, sort_keys=True, separators=(",", ":")).encode()
                staging.write(Path(CACHE_NAME), cache_bytes)
                from ijbrief.compose.site import index_html

                staging.write(Path("index.html"), index_html(corpus, manifest, stamp, out))
            staging.commit()
            for relpath, made_by in sorted(stale.items()):
                with contextlib.suppress(FileNotFoundError):
                    (out / relpath).unlink()
                report.removed.append((relpath, made_by))
            _STATE["parts"].prune(
                {key for kept in parts_used.values() for keys in kept.values() for key in keys}
            )
        finally:
            staging.discard()
    report.seconds = time.perf_counter() - started
    progress.finish(report)
    _let_go_of_merges(options.warm)
    return report


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


# The parts each dossier was last merged from, kept open in a long-lived process.
_OPENED: dict[str, Any] = {}


def _let_go_of_merges(warm: bool) -> None:
    """Free what the merges left behind, once the build is done (a failed build's is freed after
    the next); a short-lived process keeps no parts open."""
    _release_merges()
    if not warm:
        _OPENED.clear()
    for resident in _RESIDENT.values():
        resident.merger.submit(_settle_merger)  # there, while it waits for the next build


def _release_merges() -> None:
    """Free what this process's merges left behind."""
    for opened in _OPENED.values():
        opened.release()


def _listing_is_current(out: Path, cache: dict[str, Any], manifest: dict[str, Any]) -> bool:
    """Whether manifest.json and index.html are there, made by this version of the code that
    makes the page, and list only files that are there."""
    listed = ("manifest.json", "index.html", *manifest)
    return cache.get("listing") == _listing_code() and all((out / p).is_file() for p in listed)


def _listing_code() -> str:
    return _digest([Path(__file__).resolve().parents[1] / "compose" / "site.py"]) + __version__


def _same_content(
    task: Task,
    contents: dict[str, str],
    cache: dict[str, Any],
    layouts: dict[str, Any],
    report: BuildReport,
) -> bool:
    """Whether a brief whose files changed would still come out the same (an agreement's brief
    shows a meeting's title and date, not its outcomes): then its files stay, as up to date."""
    if task.kind == "dossier":
        return False
    paths = [str(task.stem.with_suffix(f".{f}")) for f in task.formats]
    if not all(path in contents for path in paths):
        return False
    content = _content_key(task)
    out: Path = _STATE["out"]
    if not all(contents[path] == content and (out / path).is_file() for path in paths):
        return False
    for path in paths:
        previous = cache.get(path)
        if previous in layouts:
            layouts[task.key] = layouts[previous]
        cache[path] = task.key
    report.skipped += paths
    return True


def _content_key(task: Task) -> str:
    """What a brief's files are made from: the view its templates see, what the view leaves out,
    its names, and what every document of the audience depends on (templates, sources, engine,
    date). Two briefs with the same content key come out the same."""
    composer = _composer(task.audience)
    views = composer.meetings if task.kind == "meeting" else composer.agreements
    own = _STATE["corpus"].files[task.ident]
    omitted = sorted(omission_key(o) for o in composer.edition.omitted if o["file"] == own)
    facts = [task.shared, own, str(task.stem), task.formats, views[task.ident], omitted]
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class _Resident:
    """A long-lived process's own workers, forked once from it with the engine loaded, for
    dossier parts and their merge. Workers forked for each build copy pages of this process's
    heap (corpus, views, parts) as either side touches them, which slowed a rebuild's layout and
    merge; these keep to themselves, and the merger keeps the parts' PDFs open between builds."""

    parts: ProcessPoolExecutor
    merger: ProcessPoolExecutor

    def shutdown(self) -> None:
        workers.stop(self.parts)
        workers.stop(self.merger)

    def healthy(self) -> bool:
        """Whether every worker is still there (a killed one breaks its pool for good)."""
        return workers.healthy(self.parts) and workers.healthy(self.merger)


_RESIDENT: dict[str, _Resident] = {}


def retire_resident(root: Path | None = None) -> None:
    """Let a long-lived process's own workers go (those for ``root``, or all of them): after a
    worker died, so that the next build forks them anew; when a server stops."""
    for where in [str(root.resolve())] if root else list(_RESIDENT):
        resident = _RESIDENT.pop(where, None)
        if resident is not None:
            resident.shutdown()


def warm_up(options: BuildOptions) -> None:
    """Ready a long-lived process for its next build while it waits: the PDF engine loaded, each
    audience's templates compiled and texts converted. (After a first build that found everything
    up to date, the first rebuild after an edit would otherwise do all of it.) Bad input is
    left for that build to report."""
    root = options.root.resolve()
    out = options.out_dir.resolve()
    with contextlib.suppress(IjbriefError), collector_paused():
        corpus = load_corpus(root, remember=True)
        audiences = _audiences(root, options.audiences)
        _STATE.clear()
        _STATE.update(
            root=root,
            corpus=corpus,
            stamp=_stamp(corpus, options.prepared),
            filters=options.filters,
            audiences=audiences,
            warm=True,
            parts=PartStore(out / PARTS_DIR),
            parts_used=_parts_used(_read_json(out / CACHE_NAME).get("parts")),
            salt=_engine_digest() + options.pdf_variant,
            pdf_variant=options.pdf_variant,
            chapters_per_part=max(1, options.chapters_per_part),
            rows_per_part=max(1, options.rows_per_part),
        )
        dossiers = [
            _composed_within_limits(
                f"{audience.name}/dossier", _composer(audience.name).dossier_html, {}
            )
            for audience in audiences
        ]
        if "pdf" in options.formats:
            _warm_engine()
            if options.jobs > 1 and str(root) not in _RESIDENT:
                # They live as long as this process, which runs threads: not forked from it.
                context = workers.unforked(_WORKER_PRELOAD)
                resident = _Resident(
                    _executor(options.jobs, context=context), _executor(1, context=context)
                )
                _RESIDENT[str(root)] = resident
                _warm_resident(resident, root, options, dossiers[0] if dossiers else "")
            if str(root) in _RESIDENT:
                _lay_out_ahead(_RESIDENT[str(root)], audiences)
    _STATE.clear()


# Dossiers being laid out ahead, in the background, by a long-lived process.
_AHEAD: list[threading.Thread] = []


def _lay_out_ahead(resident: _Resident, audiences: list[Audience]) -> None:
    """Lay out, in the background, the parts of each dossier that are not kept yet (a dossier that
    a one-shot build laid out whole has none; one kept in parts has nothing to lay out), so that
    the first rebuild after an edit lays out only the parts the edit changed. A failure is left
    for a real build to meet."""
    _AHEAD[:] = [thread for thread in _AHEAD if thread.is_alive()]
    root = _STATE["root"]

    def layout_part(name: str, html: str) -> Future[PartLayout]:
        return resident.parts.submit(render_part, root, name, html)

    for audience in audiences:
        stem = _dossier_stem(audience.name, _STATE["filters"])
        assembly = _parts_plan(audience.name, stem)
        if assembly.start(layout_part) and assembly.laid_out:
            thread = threading.Thread(
                target=_finish_quietly,
                args=(assembly, layout_part, resident, str(stem)),
                daemon=True,
            )
            thread.start()
            _AHEAD.append(thread)


def _finish_quietly(
    assembly: Assembly, layout_part: LayoutPart, resident: _Resident, stem: str
) -> None:
    """Lay out the rest, then have the merger merge the parts once, as a rebuild will: it opens
    them all and joins their fonts, and keeps both for the rebuild."""
    with contextlib.suppress(Exception):
        done = assembly.finish(layout_part)
        resident.merger.submit(
            _merge_stored,
            stem,
            assembly.store.folder,
            done.part_keys,
            done.footer_key,
            done.ahead_keys,
        ).result()


def _warm_resident(resident: _Resident, root: Path, options: BuildOptions, dossier: str) -> None:
    """Fork the resident workers now, from this warm process, and have them do what a rebuild
    would: a first layout or merge in a new process touches memory that the next finds ready,
    and the merger opens every part of each dossier as last built. The first rebuild after an
    edit is then as quick as later ones. Failures are left for a real build to meet."""
    warming: list[Future[Any]] = []
    pieces = cut(dossier, max(1, options.chapters_per_part), max(1, options.rows_per_part))
    chapters = [part for part in pieces.parts if part.name.startswith("chapters")] if pieces else []
    if pieces and chapters:
        html = pieces.html(chapters[0])
        warming += [
            resident.parts.submit(render_part, root, "warm-up", html) for _ in range(options.jobs)
        ]
    folder = _STATE["parts"].folder
    for stem, kept in _STATE["parts_used"].items():
        if kept.get("parts") and kept.get("footer"):
            parts, footer = list(kept["parts"]), str(kept["footer"][0])
            merging = (stem, folder, parts, footer, list(kept.get("ahead", [])))
            warming.append(resident.merger.submit(_merge_stored, *merging))
    warming.append(resident.merger.submit(_settle_merger))
    warming.append(resident.parts.submit(os.getpid))  # forks the pools if nothing else did
    wait(warming)


def _settle_merger() -> None:
    """In the merger, between builds: free what its merges left behind, and keep the collector
    off what it holds (the parts and their open PDFs)."""
    _release_merges()
    gc.collect()
    freeze()


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


def _stamp(corpus: Corpus, prepared: dt.date | None) -> Stamp:
    """'Prepared' is the day the documents are made: ``--date``, else SOURCE_DATE_EPOCH's day
    (for reproducible builds), else today (UTC). What the data is as of is shown apart."""
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
    root: Path, corpus: Corpus, audiences: list[Audience], options: BuildOptions, stamp: Stamp
) -> list[Task]:
    formats = tuple(f for f in FORMAT_ORDER if f in options.formats)
    filters = options.filters
    tasks: list[Task] = []
    for audience in audiences:
        base = _audience_base(root, corpus, audience, stamp) + options.pdf_variant
        for meeting in corpus.meetings.values():
            if not filters.meeting(meeting):
                continue
            related = [corpus.files[meeting.id]]
            related += [corpus.files[a] for o in meeting.outcomes for a in o.agreements]
            related += [
                corpus.files[a.id]
                for a in corpus.agreements.values()
                if any(s.meeting == meeting.id for s in a.status_history)
            ]
            previous = corpus.previous_in_series(meeting)
            if previous:
                related.append(corpus.files[previous.id])
            # "What changed since the last meeting" lists every step taken in between.
            related += [corpus.files[a.id] for a, _ in corpus.steps_since_previous(meeting)]
            stem = (
                Path(audience.name)
                / "briefs"
                / f"{iso_prefix(meeting.date, meeting.date_precision)}-{meeting.id}"
            )
            key = _key(base, root, related)
            tasks.append(Task(audience.name, "meeting", meeting.id, stem, formats, key, base))
        for agreement in corpus.agreements.values():
            if not filters.agreement(agreement):
                continue
            related = [corpus.files[agreement.id]] + [
                corpus.files[m.id] for m in corpus.meetings_moving(agreement)
            ]
            current = agreement.current
            stem = (
                Path(audience.name)
                / "briefs"
                / f"{iso_prefix(current.date, current.date_precision)}-{agreement.id}"
            )
            key = _key(base, root, related)
            tasks.append(Task(audience.name, "agreement", agreement.id, stem, formats, key, base))
        everything = list(corpus.files.values())
        stem = _dossier_stem(audience.name, filters)
        key = _key(base + str(filters), root, everything)  # briefs do not depend on the filters
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


def _warm_engine() -> None:
    root = str(_STATE["root"])
    if root not in _WARMED:
        _pdf_engine().layout("<p>Aa 漢字かな देवनागरी</p>", "warm-up")  # loads fonts, shapers
        import ijbrief.writers.pdf_merge  # noqa: F401  (pikepdf and fontTools, for the merge)

        _WARMED.add(root)


def _run(tasks: list[Task], jobs: int, progress: Progress) -> Iterator[Rendered]:
    """Render tasks in worker processes (one with ``--jobs 1``: a runaway or crashing document
    then stops a worker, never this process); yield results in order. A large dossier goes out
    as parts, laid out alongside the briefs and assembled at the end."""
    if not tasks:
        return
    plans = {task: _assembly(task) for task in tasks if task.kind == "dossier"}
    parallel = jobs > 1 and (len(tasks) > 1 or any(plans.values()))
    if _STATE["warm"] and any("pdf" in task.formats for task in tasks):
        _warm_engine()  # here, once: the workers forked for each build start with it
    # In parallel, dossiers are the longest tasks: start them first to overlap with the briefs.
    ordered = sorted(tasks, key=lambda t: t.kind != "dossier") if parallel else tasks
    # This process assembles and merges a dossier as soon as its parts are laid out, while the
    # workers render the briefs.
    # In a long-lived process, the dossiers' parts and merges have workers of their own, and
    # wait on the briefs' only for processor time: the briefs give way.
    resident = _healthy_resident() if parallel else None
    # With workers of its own for the parts, the pool renders only briefs: as many workers as
    # there are briefs (forking one from a large heap is not free), and at least one for a
    # dossier that cannot be cut.
    workers_wanted = max(1, min(jobs, len(tasks) - len(plans))) if resident else jobs
    if not parallel:
        workers_wanted = 1
    with (
        _not_waited_for(_executor(workers_wanted, resident is not None)) as pool,
        ThreadPoolExecutor(1) as assembling,
    ):
        assemblies: list[tuple[Task, Assembly]] = []
        # Briefs and dossiers laid out whole (and below, those that cannot be cut), in order.
        others = [task for task in ordered if plans.get(task) is None]
        futures: list[Future[Rendered]] = []

        def send(count: int) -> None:
            while len(futures) < min(count, len(others)):
                futures.append(pool.submit(render_task, others[len(futures)]))

        parts_pool = resident.parts if resident else pool

        def layout_part(name: str, html: str) -> Future[PartLayout]:
            return parts_pool.submit(render_part, _STATE["root"], name, html, _STATE["pdf_variant"])

        try:
            if resident:
                send(BRIEFS_AHEAD * workers_wanted)  # the dossiers' parts have their own
            for task, planned in plans.items():
                if planned is not None and planned.start(layout_part):
                    assemblies.append((task, planned))
                elif planned is not None:
                    others.insert(len(futures), task)  # the longest task, sent next
            if resident:
                for task, assembly in assemblies:
                    begun = assembly.laid_out_so_far()
                    if begun:
                        resident.merger.submit(
                            _merge_begin, str(task.stem), _STATE["parts"].folder, *begun
                        )
            assembled = [
                (task, assembling.submit(_assembled, task, assembly, layout_part))
                for task, assembly in assemblies
            ]
            # The pool runs what it is sent in order. Send the briefs a few at a time, so that
            # the parts an assembly sends later (its contents and index, with the real page
            # numbers) wait behind a few briefs rather than all of them.
            window = BRIEFS_AHEAD * workers_wanted if assemblies else len(others)
            for index, task in enumerate(others):
                send(index + window)
                progress.begin(task)
                result = futures[index].result()
                progress.done(result)
                yield result
            for task, future in assembled:
                progress.begin(task)
                result = future.result()
                progress.done(result)
                yield result
        except BaseException as exc:
            for future in futures:
                future.cancel()
            for _, assembly in assemblies:
                assembly.cancel()
            if isinstance(exc, BrokenExecutor):
                retire_resident()
                raise RenderError(
                    "a worker process stopped while rendering (out of memory, or killed?); "
                    "run the build again"
                ) from None
            raise


def _healthy_resident() -> _Resident | None:
    """This project's resident workers, if every one of them is still there. A pool one of
    whose workers was killed is broken for good: it is retired, this build uses workers of its
    own, and the next warm-up starts a fresh resident pool."""
    where = str(_STATE["root"])
    resident = _RESIDENT.get(where)
    if resident is not None and not resident.healthy():
        retire_resident(_STATE["root"])
        return None
    return resident


def _executor(
    jobs: int, yielding: bool = False, context: BaseContext | None = None
) -> ProcessPoolExecutor:
    """Worker processes; ``yielding`` ones give way to the others for the processors."""
    return workers.pool(jobs, _start_worker, (yielding,), context)


# What a resident worker's fork server loads before it forks any: the PDF engine and the merge.
_WORKER_PRELOAD = ["ijbrief.build.pipeline", "ijbrief.writers.pdf", "ijbrief.writers.pdf_merge"]


@contextlib.contextmanager
def _not_waited_for(pool: ProcessPoolExecutor) -> Iterator[ProcessPoolExecutor]:
    """A pool whose workers, once it is done with, exit on their own: exiting a process forked
    from a large heap takes a while, and the build's end need not wait for it."""
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _start_worker(yielding: bool) -> None:
    _limit_worker_memory()
    gc.enable()  # it lays out documents, and may be forked from a build that runs without
    freeze()  # what it inherits: a collection would walk it all, and copy every page it is on
    if yielding:
        os.nice(YIELDING_NICENESS)


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


def _assembled(task: Task, assembly: Assembly, layout_part: LayoutPart) -> Rendered:
    """Finish a dossier laid out in parts: the rest of its parts, the merge, the other formats."""
    started = time.perf_counter()
    # Each part is held to the time limit in its worker, and each composing of the dossier here.
    done = assembly.finish(layout_part)
    composer = _composer(task.audience)
    result = Rendered(
        task,
        pages=done.pages,
        kept={
            "parts": done.part_keys,
            "fonts": [],
            "footer": [done.footer_key],
            "ahead": done.ahead_keys,
        },
    )
    result.layout = {"anchors": done.numbers, "pages": done.pages}
    result.note = f"{done.parts} parts, {done.laid_out} layouts"
    html = (
        _composed_within_limits(f"{task.audience}/dossier", composer.dossier_html, done.numbers)
        if set(task.formats) & {"html", "docx"}
        else ""
    )
    pdf = None
    if "pdf" in task.formats:
        last = _STATE["out"] / task.stem.with_suffix(".pdf")
        previous = _STATE["parts_used"].get(str(task.stem), {})
        same = all(previous.get(k) == result.kept[k] for k in ("parts", "footer", "ahead"))
        if same and last.is_file() and not _STATE.get("force"):
            pdf = last.read_bytes()  # the same parts as last time: the same merged file
            result.kept["fonts"] = list(previous.get("fonts", []))
        else:
            resident = _RESIDENT.get(str(_STATE["root"]))
            if resident:
                pdf, fonts = resident.merger.submit(
                    _merge_stored,
                    str(task.stem),
                    _STATE["parts"].folder,
                    done.part_keys,
                    done.footer_key,
                    result.kept["ahead"],
                ).result()
            else:
                from ijbrief.writers.pdf_merge import OpenParts, merge

                pdf, fonts = merge(
                    done.layouts,
                    done.part_keys,
                    opened=_OPENED.setdefault(str(task.stem), OpenParts()),
                    kept_fonts=_STATE["parts"],
                    footer_sample=done.footer.pdf,
                    ahead=done.ahead,
                )
            result.kept["fonts"] = fonts
    _finish(task, composer, result, html, 1.0, None, pdf)
    result.seconds = time.perf_counter() - started
    return result


def render_part(root: Path, name: str, html: str, variant: str = "pdf/ua-1") -> PartLayout:
    """Lay out one part of a dossier (runs in a worker process), within the time limit."""
    with collector_running(), _within_limits(name):
        layout: PartLayout = _pdf_engine(root).part(html, name, variant)
        return layout


def _merge_begin(
    stem: str, folder: Path, keys: list[str], ahead: list[str], footer_key: str
) -> None:
    """Start merging a dossier with the parts placed ahead and the leading parts already laid
    out, while the rest are (runs in the merger; ``_merge_stored`` goes on from there if its
    parts are the same)."""
    store = PartStore(folder)
    try:
        merging = _fresh_merging(stem, store, footer_key, ahead)
    except RenderError:
        return  # not laid out yet: the merge starts when they are
    for key in keys:
        layout = store.get(key)
        if layout is None:
            break
        merging.add(key, layout)
    _MERGING[stem] = (footer_key, merging)


def _merge_stored(
    stem: str, folder: Path, keys: list[str], footer_key: str, ahead: list[str]
) -> tuple[bytes, list[str]]:
    """Merge a dossier's parts as stored, the last of them (``ahead``) placed ahead (runs in a
    long-lived process's merger, which keeps them in memory, and their PDFs open, for its next
    merge)."""
    store = PartStore(folder)
    begun_with, merging = _MERGING.pop(stem, (None, None))
    if (
        merging is None
        or begun_with != footer_key
        or merging.ahead != ahead
        or keys[: len(merging.keys)] != merging.keys
    ):
        merging = _fresh_merging(stem, store, footer_key, ahead)
    for key in keys[len(merging.keys) :]:
        merging.add(key, _stored(stem, store, key))
    merged = merging.finish(store)
    _MERGED_FROM[stem] = {*keys, footer_key}
    store.keep_loaded(set().union(*_MERGED_FROM.values()))
    return merged


def _fresh_merging(stem: str, store: PartStore, footer_key: str, ahead: list[str]) -> Merging:
    """A merge of a dossier begun afresh: its footer sample, and the parts it places ahead."""
    merging = _new_merging(stem, _stored(stem, store, footer_key).pdf)
    for key in ahead:
        merging.place_ahead(key, _stored(stem, store, key))
    return merging


def _stored(stem: str, store: PartStore, key: str) -> PartLayout:
    layout = store.get(key)
    if layout is None:
        raise RenderError(f"{stem}: a laid-out part went missing from {store.folder}")
    return layout


def _new_merging(stem: str, footer_sample: bytes) -> Merging:
    """A merge of a dossier, with the parts this process has open for it."""
    from ijbrief.writers.pdf_merge import Merging, OpenParts

    return Merging(_OPENED.setdefault(stem, OpenParts()), footer_sample)


# Merges begun in the merger, by dossier: with which footer sample.
_MERGING: dict[str, tuple[str, Merging]] = {}
# What each dossier was last merged from, in the merger: the parts it keeps in memory.
_MERGED_FROM: dict[str, set[str]] = {}


_ENGINES: dict[str, Any] = {}
_WARMED: set[str] = set()
# Limits on one document's rendering: wall-clock seconds, and address space of a worker process.
# A brief lays out in under a second and a dossier's part in a few; a whole dossier of 16
# meetings in about 3 s. Two minutes is far beyond any of them, and short enough to notice.
RENDER_SECONDS = float(os.environ.get("IJBRIEF_RENDER_SECONDS", "120"))
WORKER_MEMORY_MB = int(os.environ.get("IJBRIEF_WORKER_MEMORY_MB", "8192"))


class _Expired(BaseException):
    """Raised by the alarm; a BaseException so that no engine's `except Exception` swallows it."""


@contextlib.contextmanager
def _within_limits(name: str) -> Iterator[None]:
    """Stop rendering ``name`` after RENDER_SECONDS (only where signals can be used), and turn
    running out of a worker's memory into a RenderError."""
    with _deadline(name):
        try:
            yield
        except MemoryError:
            raise RenderError(
                f"{name}: out of memory while rendering (limit {WORKER_MEMORY_MB} MB per worker, "
                "IJBRIEF_WORKER_MEMORY_MB)"
            ) from None


@contextlib.contextmanager
def _deadline(name: str) -> Iterator[None]:
    """The wall-clock half of ``_within_limits``. In a worker process, an alarm; in this
    process (a dossier's templates, composed here while its parts are laid out), a watchdog
    thread that raises into the composing thread: no signal is ever sent to the user's own
    process, and a server's build thread is held to the limit too."""
    try:
        if workers.in_worker() and threading.current_thread() is threading.main_thread():
            with _alarm():
                yield
        else:
            with _watchdog():
                yield
    except _Expired:
        raise RenderError(
            f"{name}: rendering took longer than {RENDER_SECONDS:.0f} s "
            "(IJBRIEF_RENDER_SECONDS); a runaway template or stylesheet?"
        ) from None


@contextlib.contextmanager
def _alarm() -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    # It repeats: an alarm that lands in a callback whose exceptions are ignored (a gc callback)
    # is raised again a moment later.
    signal.setitimer(signal.ITIMER_REAL, RENDER_SECONDS, 0.2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _watchdog() -> Iterator[None]:
    """Raise _Expired in this thread once RENDER_SECONDS have passed, and again every 0.2 s
    until the block ends (template code runs Python bytecode, where it lands)."""
    target = threading.get_ident()
    lock = threading.Lock()
    ended = threading.Event()

    def raise_in(exception: Any) -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), exception)

    def watch() -> None:
        delay = RENDER_SECONDS
        while not ended.wait(delay):
            with lock:
                if not ended.is_set():
                    raise_in(ctypes.py_object(_Expired))
            delay = 0.2

    def end() -> None:
        with lock:
            ended.set()
            raise_in(None)  # one raised but not yet delivered is withdrawn

    watcher = threading.Thread(target=watch, name="ijbrief-deadline", daemon=True)
    watcher.start()
    try:
        try:
            yield
        finally:
            end()
    except _Expired:
        end()  # it may have landed in the first end()
        raise


def _limit_worker_memory() -> None:
    """Cap a worker process's address space, so a pathological document fails cleanly."""
    limit = WORKER_MEMORY_MB * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


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
        if set(task.formats) & {"html", "docx"}:
            html = composer.dossier_html(anchors)
        scale = 1.0
        result.layout = {"anchors": anchors, "pages": len(document.pages)}
    else:
        from ijbrief.compose.fit import fit_one_page

        view = (
            composer.meetings.get(task.ident)
            if task.kind == "meeting"
            else composer.agreements.get(task.ident)
        )
        assert view is not None
        fitted = fit_one_page(
            name,
            composer.sections(view),
            composer.audience.spec.fit,
            lambda sections, scale: composer.brief_html(view, sections, scale),
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
        views = composer.meetings if task.kind == "meeting" else composer.agreements
        view = views[task.ident]
        sections = [s for s in composer.sections(view) if s.id in known["sections"]]
        scale = float(known["scale"])
        html = composer.brief_html(view, sections, scale)
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
    for fmt in task.formats:
        path = str(task.stem.with_suffix(f".{fmt}"))
        if fmt == "html":
            screen = with_screen_bar(html, str(task.stem), task.formats)
            result.files[path] = screen.encode("utf-8")
        elif fmt == "pdf":
            result.files[path] = (
                pdf
                if pdf is not None
                else _pdf_engine().write(document, path, _STATE["pdf_variant"])
            )
        elif fmt == "docx":
            result.files[path] = _docx(composer, task, html, scale, result)


def _docx(composer: Composer, task: Task, html: str, scale: float, result: Rendered) -> bytes:
    from ijbrief.writers.docx import DocxMeta, html_to_docx
    from ijbrief.writers.docx_package import read_reference

    audience = composer.audience
    reference = _reference(audience)
    is_dossier = task.kind == "dossier"
    figures: dict[str, bytes] = {}
    if is_dossier:
        from ijbrief.compose.timeline import png

        figures["timeline"] = png(composer.timeline_events(), accent=audience.spec.branding.accent)
    title = audience.spec.dossier.title if is_dossier else _title_of(composer, task)
    prepared = format_date(composer.stamp.prepared)
    meta = DocxMeta(
        title=title,
        subject=f"{audience.spec.label}: {title}",
        author=f"ijbrief — {audience.spec.label}",
        keywords=[*party_names(read_project(composer.project)), audience.name, task.kind],
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
        scale=scale * (1.0 if is_dossier else 0.96),
        project=read_project(composer.project).title,
    )
    package = (
        read_reference(
            reference,
            f"templates/{reference.parent.name}/reference.docx",
            template_roots(_STATE["root"]),
        )
        if isinstance(reference, Path)
        else reference
    )
    data = html_to_docx(html, package, meta, figures)
    if is_dossier:
        # The contents and index show the pages LibreOffice lays the file out on, when it is
        # here to say; Word refreshes them itself on opening.
        from ijbrief.writers.office import with_office_page_numbers

        laid_out = with_office_page_numbers(data)
        if laid_out is not None:
            data, result.office_pages = laid_out
    return data


def _reference(audience: Audience) -> Path | bytes:
    """The audience's own reference.docx, or one made from its audience.yaml: one it inherits
    would give it the look (accent, fonts, header) of the audience it derives from. A built-in
    reference is used only while the audience's branding is the one it was made with."""
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


def _title_of(composer: Composer, task: Task) -> str:
    views = composer.meetings if task.kind == "meeting" else composer.agreements
    return str(views[task.ident]["title"])


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
        **({"pdf_variant": _STATE["pdf_variant"]} if relpath.endswith(".pdf") else {}),
    }


def _filters_entry(filters: Filters) -> dict[str, Any]:
    return {
        "only": list(filters.only),
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "topics": list(filters.topics),
    }


def _manifest_bytes(outputs: dict[str, Any], stamp: Stamp) -> bytes:
    """The manifest, one output to a line (json's indented output is made by its slow encoder)."""
    head = {"generator": f"ijbrief {__version__}", "prepared": stamp.prepared.isoformat()}
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
