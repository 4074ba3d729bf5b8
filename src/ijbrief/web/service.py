"""The service behind serve's routes: the project and out/ as last read, the queue of build jobs
and the worker thread that runs them one after another, the watcher that rebuilds what out/
holds when the project changes, and the state the page shows."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import queue
import secrets
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.datastructures import FormData

from ijbrief.build import formats as output_formats
from ijbrief.build import kinds as brief_kinds
from ijbrief.build.longlived import LongLived
from ijbrief.build.pipeline import BuildOptions, out_of_date
from ijbrief.build.watching import WATCHED, Signature, changes, signature
from ijbrief.compose import site, site_files
from ijbrief.compose.select import Filters
from ijbrief.compose.textfmt import count_of
from ijbrief.errors import IjbriefError
from ijbrief.web import forms
from ijbrief.web.jobs import Job, JobProgress, QueueFull

if TYPE_CHECKING:
    from ijbrief.corpus.loader import Corpus

KEEP_JOBS = 100
# Dossier builds waiting to run; a request beyond them is refused until one has run.
MAX_QUEUED = 8
# How long stopping the server waits for a running build before stopping its workers (seconds).
STOP_WAIT = 10.0
# Filtered dossier sets the automatic rebuild keeps up to date: the most recently built (each
# filter set asked for on the page is one more dossier per audience to rebuild on every edit).
MAX_REBUILT_FILTER_SETS = 8


@dataclass(frozen=True)
class Snapshot:
    """The project as last read: the corpus and audiences, or what is wrong with them."""

    signature: Signature
    corpus: Corpus | None
    audiences: tuple[site_files.AudienceInfo, ...]
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
        self._stale: tuple[tuple[Any, ...], list[str]] | None = None
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
        audiences: tuple[site_files.AudienceInfo, ...] = ()
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
                site_files.AudienceInfo(
                    a.name,
                    a.spec.label,
                    a.spec.description,
                    a.spec.dossier.title,
                    a.spec.branding.accent,
                    a.spec.classification,
                    any(level != "public" for level in a.spec.admits),
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
        return site_files.download_name(relpath, manifest.get(relpath), self.snapshot().corpus)

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
        facts = [site_files.size_text(int(entry.get("bytes", 0) or 0))] if entry else []
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
        return forms.dossier_request(
            form, snapshot.audiences, snapshot.corpus, self.root, self.out, self.build_jobs
        )

    def rebuild_plan(self) -> tuple[BuildOptions, ...]:
        """Builds that refresh what out/ holds: one per filter set (and earlier edition) its
        dossiers were built with (every build makes a dossier per audience), in the formats
        present. A dossier built since an earlier edition is rebuilt since it again."""
        manifest, _ = self.manifest()
        snapshot = self.snapshot()
        corpus = snapshot.corpus
        known = {a.name for a in snapshot.audiences}
        groups: dict[tuple[Filters, str | None], tuple[set[str], set[str]]] = {}
        newest: dict[tuple[Filters, str | None], int] = {}
        for relpath, entry in manifest.items():
            audience = entry["audience"]
            if entry["kind"] != "dossier" or (known and audience not in known):
                continue  # an audience whose templates were removed is not rebuilt
            if corpus is None:
                plain = PurePosixPath(relpath).stem == f"{audience}-dossier"
                filters: Filters | None = Filters() if plain else None
            else:
                filters = site_files.filters_of(relpath, entry, corpus)
            if filters is None:
                continue
            group = (filters, self._edition(entry.get("since_edition")))
            audiences, formats = groups.setdefault(group, (set(), set()))
            audiences.add(audience)
            formats.add(entry["format"])
            with contextlib.suppress(OSError):
                built = (self.out / relpath).stat().st_mtime_ns
                newest[group] = max(newest.get(group, 0), built)
        filtered = sorted(
            (g for g in groups if g[0].active or g[1]), key=lambda g: -newest.get(g, 0)
        )
        for left in filtered[MAX_REBUILT_FILTER_SETS:]:
            del groups[left]  # built long ago: a request on the page builds it afresh
        if not groups and manifest and corpus is None:
            # The records do not load: a build stops at once and shows why, whatever its scope.
            everyone = {e["audience"] for e in manifest.values()}
            groups[(Filters(), None)] = (everyone, {e["format"] for e in manifest.values()})
        plan = []
        for (filters, edition), (audiences, formats) in sorted(
            groups.items(),
            key=lambda item: (item[0][0].active, str(item[0][0]), item[0][1] or ""),
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
                    since_edition=edition,
                )
            )
        return tuple(plan)

    def _edition(self, recorded: Any) -> str | None:
        """The earlier edition a manifest entry records, as a build takes it, checked as the
        page's field is (a path inside the project, made absolute; else a git revision): an
        entry naming anything else is rebuilt without it."""
        if not isinstance(recorded, str) or not recorded:
            return None
        return forms.edition_for_build(recorded, self.root, [])

    def start_rebuild(self) -> Job | None:
        """Rebuild what out/ holds (nothing when out/ holds nothing)."""
        plan = self.rebuild_plan()
        if not plan:
            return None
        return self.submit("rebuild", "Automatic rebuild", plan)

    # The watcher ---------------------------------------------------------------------------------

    def out_of_date(self) -> list[str] | None:
        """The documents of out/ that a build would make again (as of the day they were made:
        the records, templates or code changed); None when that cannot be told (nothing built,
        the records do not load)."""
        manifest, prepared = self.manifest()
        snapshot = self.snapshot()
        if not manifest or snapshot.corpus is None:
            return None
        key = (snapshot.signature, self._manifest[0] if self._manifest else None)
        cached = self._stale
        if cached is not None and cached[0] == key:
            return cached[1]
        stale: set[str] = set()
        try:
            for options in self.rebuild_plan():
                stale.update(out_of_date(dataclasses.replace(options, prepared=prepared)))
        except IjbriefError:
            return None
        self._stale = (key, sorted(stale))
        return self._stale[1]

    def start(self, watch: bool) -> None:
        self.watching = watch
        if not watch:
            self._say_if_stale()
        if watch and self.watcher is None:
            since = signature(self.root, self.out)  # edits from now on count, even before it runs
            self.watcher = threading.Thread(
                target=self._watch, args=(since,), name="ijbrief-watch", daemon=True
            )
            self.watcher.start()
            # out/ may be older than the files (edited while nothing watched): bring it up to
            # date first, as a watched edit would (what is fresh is skipped by content hash).
            self.start_rebuild()

    def _say_if_stale(self) -> None:
        """Without the watcher nothing brings out/ up to date: say so once, on start."""
        manifest, _ = self.manifest()
        if not manifest:
            print(
                f"ijbrief: nothing is built in {self.out} yet: run `ijbrief build`, or use the "
                "page's form",
                file=sys.stderr,
            )
            return
        stale = self.out_of_date()
        if stale:
            print(
                f"ijbrief: {self.out} is out of date for "
                f"{count_of(len(stale), 'document', 'documents')}: run `ijbrief build` "
                "or serve without --no-watch",
                file=sys.stderr,
            )

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
        stale = None if self.watching else self.out_of_date()
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
            watching=", ".join(f"{name}/" for name in WATCHED) if self.watching else None,
            generation=generation,
            stale=stale,
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
