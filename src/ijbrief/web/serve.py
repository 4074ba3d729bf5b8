"""``ijbrief serve``: browse, build and download briefs and dossiers in a local web app.

Routes (GET and HEAD only, except ``POST /build``):

``/``                 the file listing with previews, a dossier form and the rebuild status
``/files/{path}``     a file inside out/, as a download with a meaningful name
``/preview/{path}``   a brief or dossier shown inline (HTML sandboxed, or PDF)
``POST /build``       start (or join) a dossier build; JSON or a redirect to its status
``/build/{job}``      a build's status: JSON, or a page refreshing itself for a browser
``/status``           the automatic rebuild's status and a counter of finished builds (JSON)

A worker thread runs builds one after another (``build()`` skips what is up to date and writes
atomically under a lock on out/); a watcher thread hears of changes to briefs/, templates/ and
seeds/ as the system reports them (and looks every second besides) and rebuilds what out/
already holds when they change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import ipaddress
import json
import os
import queue
import re
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
import unicodedata
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ijbrief.build import formats as output_formats
from ijbrief.build import kinds as brief_kinds
from ijbrief.build.longlived import LongLived
from ijbrief.build.pipeline import BuildOptions
from ijbrief.build.progress import Progress, ProgressReport, ProgressResult, ProgressTask
from ijbrief.build.watching import WATCHED, Signature, changes, signature
from ijbrief.compose import site
from ijbrief.compose.select import Filters, prepared_date
from ijbrief.errors import IjbriefError

if TYPE_CHECKING:
    from ijbrief.corpus.loader import Corpus

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MEDIA_TYPES = {
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
PREVIEW_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
)
MAX_BODY = 64 * 1024
KEEP_JOBS = 100
# Dossier builds waiting to run; a request beyond them is refused until one has run.
MAX_QUEUED = 8
# How long stopping the server waits for a running build before stopping its workers (seconds).
STOP_WAIT = 10.0
# Filtered dossier sets the automatic rebuild keeps up to date: the most recently built (each
# filter set asked for on the page is one more dossier per audience to rebuild on every edit).
MAX_REBUILT_FILTER_SETS = 8
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{6,40}")

# --- Jobs ---------------------------------------------------------------------------------------


@dataclass
class Job:
    """One build request (or one automatic rebuild), possibly several ``build()`` calls."""

    id: str
    kind: str  # dossier | rebuild
    label: str
    plan: tuple[BuildOptions, ...]
    target: str | None = None  # the file to offer for download, relative to out/
    state: str = "queued"  # queued | running | done | error
    total: int = 0
    done: int = 0
    skipped: int = 0
    written: int = 0
    current: str = ""
    problems: list[str] = field(default_factory=list)
    summary: str = ""
    download: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    seconds: float = 0.0
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "state": self.state,
            "total": self.total,
            "done": self.done,
            "skipped": self.skipped,
            "written": self.written,
            "current": self.current,
            "problems": list(self.problems),
            "summary": self.summary,
            "download": self.download,
            "seconds": round(self.seconds, 2),
            "status_url": f"/build/{self.id}",
        }


class JobProgress(Progress):
    """Progress that updates a job (shown by the page) instead of printing."""

    def __init__(self, job: Job, lock: threading.Lock) -> None:
        super().__init__(quiet=True)
        self.job = job
        self.lock = lock

    def start(self, total: int, skipped: int) -> None:
        with self.lock:
            self.job.total += total
            self.job.skipped += skipped

    def begin(self, task: ProgressTask) -> None:
        with self.lock:
            self.job.current = str(task.stem)

    def done(self, result: ProgressResult) -> None:
        with self.lock:
            self.job.done += 1
            self.job.current = str(result.task.stem)

    def finish(self, report: ProgressReport) -> None:
        with self.lock:
            self.job.current = ""


class QueueFull(Exception):
    """Too many dossier builds are waiting already."""


class FormError(Exception):
    """A dossier request the form should not have sent; each problem is shown to the user."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Snapshot:
    """The project as last read: the corpus and audiences, or what is wrong with them."""

    signature: Signature
    corpus: Corpus | None
    audiences: tuple[site.AudienceInfo, ...]
    problems: tuple[str, ...]


# --- The service behind the routes --------------------------------------------------------------


class Service:
    """State shared by the routes, the build worker and the watcher."""

    def __init__(self, root: Path, out: Path, *, jobs: int, poll_interval: float) -> None:
        self.root = root.resolve()
        self.out = out.resolve()
        self.build_jobs = max(1, jobs)
        self.poll_interval = poll_interval
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.active: dict[tuple[Any, ...], Job] = {}
        self.rebuild: Job | None = None
        self.generation = 0
        self.queue: queue.Queue[Job | None] = queue.Queue()
        self.stopping = threading.Event()
        self.watching = False
        self.worker: threading.Thread | None = None
        self.watcher: threading.Thread | None = None
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._manifest: tuple[tuple[int, int], dict[str, Any], dt.date | None] | None = None
        # Sent with the page's form: a build request without an Origin header must carry it.
        self.token = secrets.token_urlsafe(24)

    # Reading the project and out/ ----------------------------------------------------------------

    def signature(self) -> Signature:
        """Path, mtime and size of every file under briefs/, templates/ and seeds/."""
        return signature(self.root, self.out)

    def snapshot(self) -> Snapshot:
        """The corpus and audiences, re-read only when a watched file changed."""
        signature = self.signature()
        with self._snapshot_lock:
            if self._snapshot is None or self._snapshot.signature != signature:
                self._snapshot = self._load(signature)
            return self._snapshot

    def _load(self, signature: Signature) -> Snapshot:
        from ijbrief.compose.audiences import discover
        from ijbrief.corpus.loader import load_corpus
        from ijbrief.heap import collector_paused

        problems: list[str] = []
        corpus: Corpus | None = None
        audiences: tuple[site.AudienceInfo, ...] = ()
        try:
            with collector_paused():
                corpus = load_corpus(self.root, remember=True)
        except IjbriefError as exc:
            problems += [str(p) for p in exc.problems]
        except Exception as exc:  # a bug, not the user's: keep serving
            traceback.print_exc()
            problems.append(f"internal error while reading the records: {type(exc).__name__}")
        try:
            audiences = tuple(
                site.AudienceInfo(
                    a.name,
                    a.spec.label,
                    a.spec.description,
                    a.spec.dossier.title,
                    a.spec.branding.accent,
                )
                for a in discover(self.root)
            )
        except IjbriefError as exc:
            problems += [str(p) for p in exc.problems]
        except Exception as exc:
            traceback.print_exc()
            problems.append(f"internal error while reading the audiences: {type(exc).__name__}")
        return Snapshot(signature, corpus, audiences, tuple(problems))

    def manifest(self) -> tuple[dict[str, Any], dt.date | None]:
        """out/manifest.json's outputs (only well-formed entries) and its prepared date."""
        path = self.out / "manifest.json"
        try:
            stat = path.stat()
        except OSError:
            return {}, None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._manifest
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}, None
        outputs: dict[str, Any] = {}
        raw = data.get("outputs") if isinstance(data, dict) else None
        for relpath, entry in (raw if isinstance(raw, dict) else {}).items():
            if (
                isinstance(relpath, str)
                and _clean_relpath(relpath) is not None
                and isinstance(entry, dict)
                and isinstance(entry.get("audience"), str)
                and entry.get("format") in output_formats.names()
                and entry.get("kind") in (*brief_kinds.names(), "dossier")
            ):
                outputs[relpath] = entry
        prepared: dt.date | None = None
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            prepared = dt.date.fromisoformat(data.get("prepared"))
        self._manifest = (key, outputs, prepared)
        return outputs, prepared

    def resolve(self, relpath: str) -> Path | None:
        """The regular file ``relpath`` names inside out/, or None for anything else: parent
        references, absolute paths, hidden names, folders, symlinks leading out of out/."""
        clean = _clean_relpath(relpath)
        if clean is None:
            return None
        try:
            real = (self.out / clean).resolve(strict=True)
            inside = real.relative_to(self.out)
        except (OSError, RuntimeError, ValueError):
            return None
        if any(part.startswith(".") for part in inside.parts) or not real.is_file():
            return None
        return real

    def download_name(self, relpath: str) -> str:
        manifest, _ = self.manifest()
        return site.download_name(relpath, manifest.get(relpath), self.snapshot().corpus)

    # Builds --------------------------------------------------------------------------------------

    def submit(
        self, kind: str, label: str, plan: tuple[BuildOptions, ...], target: str | None = None
    ) -> Job:
        """Queue a build, or return the identical one already queued or running."""
        key = (kind, plan)
        with self.lock:
            existing = self.active.get(key)
            if existing is not None and (kind != "rebuild" or existing.state == "queued"):
                return existing
            waiting = sum(j.state == "queued" and j.kind == kind for j in self.jobs.values())
            if kind == "dossier" and waiting >= MAX_QUEUED:
                raise QueueFull
            job = Job(secrets.token_urlsafe(12), kind, label, plan, target)
            self.jobs[job.id] = job
            self.active[key] = job
            finished = [j for j in self.jobs.values() if not j.active]
            for old in finished[: max(0, len(self.jobs) - KEEP_JOBS)]:
                del self.jobs[old.id]
            if kind == "rebuild":
                self.rebuild = job
            if self.worker is None or not self.worker.is_alive():
                self.worker = threading.Thread(target=self._work, name="ijbrief-build", daemon=True)
                self.worker.start()
        self.queue.put(job)
        return job

    def _work(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            if job.state == "queued":
                self._run(job)

    def _run(self, job: Job) -> None:
        started = time.perf_counter()
        with self.lock:
            job.state = "running"
        try:
            for options in job.plan:
                report = LongLived(self.root).build(options, JobProgress(job, self.lock))
                with self.lock:
                    job.written += len(report.written)
            outcome, problems = "done", []
        except IjbriefError as exc:
            outcome, problems = "error", [str(p) for p in exc.problems]
        except Exception as exc:  # a bug: report it on the page, keep the server up
            traceback.print_exc()
            outcome = "error"
            problems = [f"internal error: {type(exc).__name__}: {exc} (see the server's console)"]
        seconds = time.perf_counter() - started
        download = self._download(job.target) if outcome == "done" and job.target else None
        with self.lock:
            job.seconds = seconds
            job.problems = problems
            job.download = download
            job.summary = self._summary(job, outcome)
            job.state = outcome
            job.current = ""
            if self.active.get((job.kind, job.plan)) is job:
                del self.active[(job.kind, job.plan)]
            self.generation += 1
        job.finished.set()
        if outcome == "done" and self.watching:
            self._ready_for_the_next(job.plan)

    def _ready_for_the_next(self, plan: tuple[BuildOptions, ...]) -> None:
        """What ``build --watch`` does between builds: load the engine, fork the workers that
        lay out and merge the dossiers' parts and keep them (a rebuild after an edit at N = 500
        took 1.3 s in workers forked anew for each build, and 0.86 s in these), and lay out
        ahead what a rebuild will need."""
        for options in plan:
            if self.stopping.is_set():
                return
            try:
                LongLived(self.root).ready(options)
            except Exception:  # a bug: the next build meets it, and the server stays up
                traceback.print_exc()

    @staticmethod
    def _summary(job: Job, outcome: str) -> str:
        if outcome == "error":
            return "The build failed."
        facts = f"{job.written} file{'s' * (job.written != 1)} written, {job.skipped} up to date"
        if job.kind == "rebuild":
            return f"Rebuilt at {time.strftime('%H:%M:%S')}: {facts}, {job.seconds:.1f} s."
        if job.target and not job.download:
            return f"Built ({facts}), but {job.target} is missing."
        return f"Ready: {facts}, {job.seconds:.1f} s."

    def _download(self, relpath: str) -> dict[str, Any] | None:
        if self.resolve(relpath) is None:
            return None
        manifest, _ = self.manifest()
        entry = manifest.get(relpath, {})
        stem, fmt = relpath.rsplit(".", 1)
        shown = [f.name for f in output_formats.formats() if f.in_browser]
        order = [fmt] if fmt in shown else shown  # the file just built first
        preview = next((f"{stem}.{f}" for f in order if self.resolve(f"{stem}.{f}")), None)
        facts = [site.size_text(int(entry.get("bytes", 0) or 0))] if entry else []
        pages = int(entry.get("pages", 0) or 0) if entry else 0
        if pages and not relpath.endswith(".html"):
            facts.append(f"{pages} page{'s' * (pages != 1)}")
        return {
            "url": "/files/" + quote(relpath),
            "preview": "/preview/" + quote(preview) if preview else None,
            "name": self.download_name(relpath),
            "path": relpath,
            "facts": " · ".join(facts),
        }

    def dossier_request(self, form: FormData) -> tuple[str, tuple[BuildOptions, ...], str]:
        """Check the form; return a label, the build plan and the dossier's path in out/."""
        snapshot = self.snapshot()
        problems: list[str] = []

        def one(name: str, what: str, required: bool) -> str:
            values = [v for v in form.getlist(name) if isinstance(v, str)]
            if len(values) != len(form.getlist(name)) or len(values) > 1:
                problems.append(f"{what}: give one value")
                return ""
            value = values[0].strip() if values else ""
            if required and not value:
                problems.append(f"{what}: required")
            return value

        audience = one("audience", "audience", True)
        fmt = one("format", "format", True)
        since_text = one("since", "from date", False)
        until_text = one("until", "to date", False)
        known = {a.name: a for a in snapshot.audiences}
        if audience and known and audience not in known:
            problems.append(
                f"audience: unknown audience {_shown(audience)} (known: {', '.join(known)})"
            )
        elif audience and not known and not _NAME.fullmatch(audience):
            problems.append(f"audience: {_shown(audience)} is not an audience name")
        if fmt and fmt not in output_formats.names():
            known_formats = ", ".join(output_formats.names())
            problems.append(f"format: {_shown(fmt)} is not one of {known_formats}")
        since = _form_date(since_text, "from date", problems)
        until = _form_date(until_text, "to date", problems)
        if since and until and since > until:
            problems.append(
                f"dates: the from date ({since.isoformat()}) is after the to date "
                f"({until.isoformat()})"
            )
        raw_topics = form.getlist("topic")
        topics: list[str] = []
        corpus = snapshot.corpus
        for value in raw_topics[:200]:
            if not isinstance(value, str):
                problems.append("topic: give topic ids, not files")
                continue
            topic = value.strip()
            if corpus is not None and topic not in corpus.topics:
                problems.append(f"topic: unknown topic {_shown(topic)}")
            elif corpus is None and not _NAME.fullmatch(topic):
                problems.append(f"topic: {_shown(topic)} is not a topic id")
            elif topic not in topics:
                topics.append(topic)
        if len(raw_topics) > 200:
            problems.append("topic: too many topics")
        if problems:
            raise FormError(problems)
        topics.sort()
        options = BuildOptions(
            root=self.root,
            formats=(fmt,),
            audiences=(audience,),
            since=since,
            until=until,
            topics=tuple(topics),
            out=self.out,
            jobs=self.build_jobs,
            quiet=True,
            warm=True,
        )
        filters = options.filters
        info = known.get(audience)
        title = (info.dossier_title or info.label) if info else f"{audience} dossier"
        label = f"{title} · {fmt.upper()} · {site.describe_filters(filters, corpus)}"
        target = f"{audience}/{audience}-dossier{filters.slug()}.{fmt}"
        return label, (options,), target

    def rebuild_plan(self) -> tuple[BuildOptions, ...]:
        """Builds that refresh what out/ holds: one per filter set its dossiers were built with
        (every build makes a dossier per audience), in the formats present."""
        manifest, _ = self.manifest()
        snapshot = self.snapshot()
        corpus = snapshot.corpus
        known = {a.name for a in snapshot.audiences}
        groups: dict[Filters, tuple[set[str], set[str]]] = {}
        newest: dict[Filters, int] = {}
        for relpath, entry in manifest.items():
            audience = entry["audience"]
            if entry["kind"] != "dossier" or (known and audience not in known):
                continue  # an audience whose templates were removed is not rebuilt
            if corpus is None:
                plain = PurePosixPath(relpath).stem == f"{audience}-dossier"
                filters: Filters | None = Filters() if plain else None
            else:
                filters = site.filters_of(relpath, entry, corpus)
            if filters is None:
                continue
            audiences, formats = groups.setdefault(filters, (set(), set()))
            audiences.add(audience)
            formats.add(entry["format"])
            with contextlib.suppress(OSError):
                built = (self.out / relpath).stat().st_mtime_ns
                newest[filters] = max(newest.get(filters, 0), built)
        filtered = sorted((f for f in groups if f.active), key=lambda f: -newest.get(f, 0))
        for left in filtered[MAX_REBUILT_FILTER_SETS:]:
            del groups[left]  # built long ago: a request on the page builds it afresh
        if not groups and manifest and corpus is None:
            # The records do not load: a build stops at once and shows why, whatever its scope.
            everyone = {e["audience"] for e in manifest.values()}
            groups[Filters()] = (everyone, {e["format"] for e in manifest.values()})
        plan = []
        for filters, (audiences, formats) in sorted(
            groups.items(), key=lambda item: (item[0].active, str(item[0]))
        ):
            plan.append(
                BuildOptions(
                    root=self.root,
                    formats=tuple(f for f in output_formats.names() if f in formats),
                    audiences=tuple(sorted(audiences)),
                    only=filters.only,
                    since=filters.since,
                    until=filters.until,
                    topics=filters.topics,
                    out=self.out,
                    jobs=self.build_jobs,
                    quiet=True,
                    warm=True,
                )
            )
        return tuple(plan)

    def start_rebuild(self) -> Job | None:
        """Rebuild what out/ holds (nothing when out/ holds nothing)."""
        plan = self.rebuild_plan()
        if not plan:
            return None
        return self.submit("rebuild", "Automatic rebuild", plan)

    # The watcher ---------------------------------------------------------------------------------

    def start(self, watch: bool) -> None:
        self.watching = watch
        if watch and self.watcher is None:
            since = signature(self.root, self.out)  # edits from now on count, even before it runs
            self.watcher = threading.Thread(
                target=self._watch, args=(since,), name="ijbrief-watch", daemon=True
            )
            self.watcher.start()
            # out/ may be older than the files (edited while nothing watched): bring it up to
            # date first, as a watched edit would (what is fresh is skipped by content hash).
            self.start_rebuild()

    def _watch(self, since: Signature | None) -> None:
        while not self.stopping.is_set():
            try:
                for _ in changes(self.root, self.out, self.poll_interval, self.stopping, since):
                    self.start_rebuild()
            except Exception:  # never let the watcher die
                traceback.print_exc()
            since = None

    def close(self) -> None:
        """Stop watching, drop queued builds and give a running one a few seconds to finish."""
        self.stopping.set()
        with self.lock:
            for job in self.jobs.values():
                if job.state == "queued":
                    job.state = "error"
                    job.problems = ["the server stopped before this build started"]
                    job.finished.set()
        self.queue.put(None)
        for thread in (self.watcher, self.worker):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=STOP_WAIT)
        if self.worker is not None and self.worker.is_alive():
            # A build still running: its workers are stopped, it fails, out/ stays as it was.
            from ijbrief.build import workers

            workers.stop_all(wait=1.0)
            self.worker.join(timeout=STOP_WAIT)
        LongLived(self.root).retire()

    # The page ------------------------------------------------------------------------------------

    def index_page(self, nonce: str) -> str:
        snapshot = self.snapshot()
        manifest, prepared = self.manifest()
        if prepared is None and snapshot.corpus is not None:
            prepared = prepared_date(snapshot.corpus)
        with self.lock:
            rebuild = self.rebuild.as_json() if self.rebuild else None
            generation = self.generation
        return site.live_html(
            snapshot.corpus,
            manifest,
            prepared=prepared,
            audiences=snapshot.audiences,
            problems=snapshot.problems,
            rebuild=rebuild,
            watching=", ".join(f"{name}/" for name in WATCHED),
            generation=generation,
            nonce=nonce,
            token=self.token,
        )

    def job_json(self, job_id: str) -> dict[str, Any] | None:
        with self.lock:
            job = self.jobs.get(job_id)
            return job.as_json() if job else None

    def status_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "generation": self.generation,
                "rebuild": self.rebuild.as_json() if self.rebuild else None,
                "watching": self.watcher is not None and not self.stopping.is_set(),
            }


def _clean_relpath(relpath: str) -> str | None:
    """``relpath`` if it is a plain relative path of visible names, else None."""
    if not relpath or len(relpath) > 1024 or relpath.startswith("/"):
        return None
    if any(c in relpath for c in "\\\x00") or any(ord(c) < 0x20 for c in relpath):
        return None
    parts = relpath.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    return relpath


def _shown(value: str) -> str:
    """User input quoted for a message, shortened and with control characters made visible."""
    short = value if len(value) <= 60 else value[:57] + "…"
    return repr(short)


def _form_date(text: str, what: str, problems: list[str]) -> dt.date | None:
    if not text:
        return None
    if not _ISO_DATE.fullmatch(text):
        problems.append(f"{what}: {_shown(text)} is not a date written as YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"{what}: {_shown(text)} is not a real date")
        return None


def content_disposition(disposition: str, name: str) -> str:
    """An RFC 6266 header value: an ASCII ``filename`` and the exact ``filename*`` in UTF-8, with
    no quotes, backslashes, path separators or control characters in either."""
    name = unicodedata.normalize("NFC", name)
    cleaned = "".join(
        "_" if unicodedata.category(c)[0] == "C" or c in '"\\/:*?<>|;' else c for c in name
    )
    cleaned = re.sub("_{2,}", "_", cleaned).strip(" ._") or "download"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        stem, suffix = cleaned, ""
    fallback = _ascii(stem) or "download"
    if _ascii(suffix):
        fallback += "." + _ascii(suffix)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub("_{2,}", "_", re.sub(r"[^A-Za-z0-9.+-]+", "_", plain)).strip("._")


def _file_response(
    path: Path, disposition: str, name: str, extra: Mapping[str, str] | None = None
) -> Response:
    """The file's bytes as they are at open time (a rebuild swaps files by rename, never
    rewrites them in place), so a download is never half old and half new."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        raise HTTPException(404) from None
    headers = {
        "Content-Disposition": content_disposition(disposition, name),
        "Cache-Control": "no-cache",
        **(extra or {}),
    }
    suffix = path.suffix.lower()
    made = next((f for f in output_formats.formats() if f.suffix == suffix), None)
    media_type = made.media_type if made else MEDIA_TYPES.get(suffix, "application/octet-stream")
    return Response(data, media_type=media_type, headers=headers)


# --- Routes -------------------------------------------------------------------------------------


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/html" not in accept


async def index(request: Request) -> Response:
    nonce = secrets.token_urlsafe(16)
    page = await run_in_threadpool(_service(request).index_page, nonce)
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"script-src 'nonce-{nonce}'; connect-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


async def files(request: Request) -> Response:
    service = _service(request)
    real = await run_in_threadpool(service.resolve, request.path_params["path"])
    if real is None:
        raise HTTPException(404)
    relpath = real.relative_to(service.out).as_posix()
    name = await run_in_threadpool(service.download_name, relpath)
    return await run_in_threadpool(_file_response, real, "attachment", name)


async def preview(request: Request) -> Response:
    service = _service(request)
    relpath = str(request.path_params["path"])
    real = await run_in_threadpool(service.resolve, relpath)
    if real is not None and real.suffix == ".docx":
        stem = real.relative_to(service.out).as_posix().rsplit(".", 1)[0]
        real = next(
            (p for p in (service.resolve(f"{stem}.html"), service.resolve(f"{stem}.pdf")) if p),
            None,
        )
        if real is None:
            return PlainTextResponse(
                "No preview: build this document as PDF or HTML to see it in the browser.", 404
            )
    if real is None or real.suffix not in (".html", ".pdf"):
        raise HTTPException(404)
    relpath = real.relative_to(service.out).as_posix()
    name = await run_in_threadpool(service.download_name, relpath)
    extra = {"Content-Security-Policy": PREVIEW_CSP} if real.suffix == ".html" else {}
    return await run_in_threadpool(_file_response, real, "inline", name, extra)


async def start_build(request: Request) -> Response:
    service = _service(request)
    foreign = _cross_site(request)
    if foreign:
        return _forbidden(request, f"Refused: the form was sent from another site ({foreign}).")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _refused(request, ["send the form as application/x-www-form-urlencoded"])
    form = await request.form(max_files=0, max_fields=256, max_part_size=16 * 1024)
    if "origin" not in request.headers:
        # A browser sends Origin with every POST; without it, only the page's token says
        # where the request comes from.
        token = form.get("token")
        if not isinstance(token, str) or not secrets.compare_digest(token, service.token):
            return _forbidden(
                request,
                "Refused: a build request needs the Origin header of this server's page, "
                "or the token of its form.",
            )
    try:
        label, plan, target = await run_in_threadpool(service.dossier_request, form)
    except FormError as exc:
        return _refused(request, exc.problems)
    try:
        job = service.submit("dossier", label, plan, target)
    except QueueFull:
        message = f"{MAX_QUEUED} builds are waiting already; try again when one has finished."
        if _wants_json(request):
            return JSONResponse(
                {"error": "busy", "problems": [message]},
                status_code=503,
                headers={"Retry-After": "10"},
            )
        return PlainTextResponse(message, 503, headers={"Retry-After": "10"})
    url = f"/build/{job.id}"
    if _wants_json(request):
        return JSONResponse(service.job_json(job.id), status_code=202, headers={"Location": url})
    return RedirectResponse(url, status_code=303)


def _cross_site(request: Request) -> str | None:
    """Why a POST looks sent by another site (None if it does not): a browser's Sec-Fetch-Site
    saying so, an Origin other than this server's (``null`` included: a sandboxed frame or a
    redirect), or a Referer from another host."""
    headers = request.headers
    host = headers.get("host", "").lower()
    fetch_site = headers.get("sec-fetch-site", "").lower()
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {_shown(fetch_site)}"
    origin = headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            return f"Origin: {_shown(origin)}"
    referer = headers.get("referer")
    if referer and urlsplit(referer.strip()).netloc.lower() != host:
        return "Referer from another host"
    return None


def _forbidden(request: Request, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "forbidden", "problems": [message]}, status_code=403)
    return PlainTextResponse(message, 403)


def _refused(request: Request, problems: list[str]) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "bad request", "problems": problems}, status_code=400)
    return HTMLResponse(site.message_html("The form needs a correction", problems), 400)


async def build_status(request: Request) -> Response:
    job_id = str(request.path_params["job"])
    job = _service(request).job_json(job_id) if _JOB_ID.fullmatch(job_id) else None
    if job is None:
        raise HTTPException(404)
    if _wants_json(request):
        return JSONResponse(job)
    return HTMLResponse(site.job_html(job))


async def status(request: Request) -> Response:
    return JSONResponse(_service(request).status_json())


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return PlainTextResponse("Internal server error (see the server's console).", 500)
    messages = {404: "Not found.", 405: "Method not allowed."}
    text = messages.get(exc.status_code) or str(exc.detail)
    return PlainTextResponse(text, exc.status_code, headers=exc.headers)


class Guard:
    """Refuses methods other than GET/HEAD (and POST on /build), unexpected Host headers (DNS
    rebinding) and oversized bodies; adds protective headers to every response."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str] | None = None) -> None:
        self.app = app
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        refusal: Response | None = None
        if method not in ("GET", "HEAD") and not (method == "POST" and path == "/build"):
            allow = "POST" if path == "/build" else "GET, HEAD"
            refusal = PlainTextResponse("Method not allowed.", 405, headers={"Allow": allow})
        elif self.allowed_hosts is not None and _host_name(scope) not in self.allowed_hosts:
            refusal = PlainTextResponse("Unexpected Host header.", 400)
        elif method == "POST" and _content_length(scope) > MAX_BODY:
            refusal = PlainTextResponse("Request body too large.", 413)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _SECURITY_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)


def _host_name(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host: str = bytes(value).decode("latin-1").strip().lower()
            if host.startswith("["):
                return host[1:].split("]", 1)[0]
            return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return ""


def _content_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return MAX_BODY + 1
    return 0


def create_app(
    root: Path,
    out: Path,
    *,
    watch: bool = True,
    poll_interval: float = 1.0,
    jobs: int | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The web app for the project at ``root`` serving ``out``. The watcher starts with the app's
    lifespan (``watch=False`` turns it off); builds run in a worker thread started on demand."""
    service = Service(
        root,
        out,
        jobs=jobs if jobs is not None else min(4, os.cpu_count() or 1),
        poll_interval=poll_interval,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start(watch)
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            Route("/files/{path:path}", files, methods=["GET", "HEAD"]),
            Route("/preview/{path:path}", preview, methods=["GET", "HEAD"]),
            Route("/build", start_build, methods=["POST"]),
            Route("/build/{job}", build_status, methods=["GET", "HEAD"]),
            Route("/status", status, methods=["GET", "HEAD"]),
        ],
        middleware=[Middleware(Guard, allowed_hosts=allowed_hosts)],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
    app.state.service = service
    return app


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    root: Path,
    out: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    jobs: int | None = None,
    watch: bool = True,
    allow_hosts: Sequence[str] = (),
) -> int:
    """Run the web app until interrupted (Ctrl+C, SIGTERM or SIGHUP); return the exit code.
    Requests are answered only when their Host header names this machine as the user meant to
    reach it: a loopback name, ``host`` itself when it is one address, or an ``allow_hosts``
    name (a web page elsewhere cannot then reach the server by DNS rebinding)."""
    from ijbrief.build import workers

    local = is_loopback(host)
    allowed = {*LOOPBACK_NAMES, *(h.strip().lower() for h in allow_hosts if h.strip())}
    if host.strip("[]") not in ("", "0.0.0.0", "::"):
        allowed.add(host.strip("[]").lower())
    if not local:
        print(
            f"ijbrief: warning: binding {host or 'every interface'} makes the briefs and the "
            "build form reachable from other machines, without any authentication; "
            "use the default --host 127.0.0.1 unless you mean it. Only requests addressed "
            f"to {', '.join(sorted(allowed))} are answered: name the others (the machine's "
            "name or address as others type it) with --allow-host",
            file=sys.stderr,
        )
    try:
        listening = _listen(host, port)
    except OSError as exc:
        print(f"ijbrief: {exc}", file=sys.stderr)
        return 3
    app = create_app(root, out, jobs=jobs, watch=watch, allowed_hosts=sorted(allowed))
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", server_header=False, lifespan="on"
    )
    shown = f"[{host}]" if ":" in host else host
    server = _Server(config, f"ijbrief: serving {out} at http://{shown}:{port}/ (Ctrl+C to stop)")
    try:
        server.run(sockets=[listening])
    except SystemExit as exc:  # uvicorn exits when the app cannot start
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        listening.close()
        workers.stop_all()  # whatever a build still had running
    if server.stopped_by is not None:
        print("ijbrief: stopped", file=sys.stderr)
    return 0 if server.started else 1


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``; an OSError that says what to do if not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]") or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot listen on {host}: {exc.strerror}") from None
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(2048)
    except OSError as exc:
        listening.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(
                f"port {port} on {host} is already in use (another `ijbrief serve`?); "
                f"choose another with --port, e.g. --port {port + 1 if port < 65535 else 8001}"
            ) from None
        raise OSError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    listening.set_inheritable(False)
    return listening


class _Server(uvicorn.Server):
    """uvicorn's server, which says it is serving only once it listens, and stops gracefully
    on SIGHUP as on SIGINT and SIGTERM (then returns, rather than raising the signal again:
    the workers are stopped before this process ends)."""

    def __init__(self, config: Any, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement
        self.stopped_by: int | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self.announcement, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {signum: signal.signal(signum, self._stop) for signum in stopping}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _stop(self, signum: int, frame: Any) -> None:
        if self.should_exit and signum == signal.SIGINT:
            self.force_exit = True  # a second Ctrl+C: do not wait for connections to close
        self.stopped_by = signum
        self.should_exit = True
