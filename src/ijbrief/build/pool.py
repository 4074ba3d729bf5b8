"""The worker pools of a build, and what a long-lived process (``build --watch``, ``serve``)
keeps between builds: its resident workers, dossiers laid out ahead, a warm merger."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterator
from concurrent.futures import (
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from ijbrief.build import workers
from ijbrief.build.assemble import PARTS_DIR, Assembly, LayoutPart, PartStore
from ijbrief.build.limits import _limit_worker_memory
from ijbrief.build.manifest import _read_json
from ijbrief.build.merging import _OPENED, _merge_stored, _release_merges, _settle_merger
from ijbrief.build.parts import cut
from ijbrief.build.plan import (
    CACHE_NAME,
    BuildOptions,
    _audiences,
    _dossier_stem,
    _engine_digest,
    _parts_used,
    _stamp,
)
from ijbrief.build.render import (
    _STATE,
    _composed_within_limits,
    _composer,
    _parts_plan,
    _pdf_engine,
    render_part,
)
from ijbrief.compose.audiences import (
    Audience,
)
from ijbrief.corpus.loader import load_corpus
from ijbrief.errors import IjbriefError
from ijbrief.heap import collector_paused, freeze
from ijbrief.writers.layout import PartLayout
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT

# How far a long-lived process's brief workers give way to its dossier workers: all the way (at
# 10 instead, a watched rebuild at N = 500 took a median 1.06 s against 1.03 s, over 32 edits).
YIELDING_NICENESS = 19


def _let_go_of_merges(warm: bool) -> None:
    """Free what the merges left behind, once the build is done (a failed build's is freed after
    the next); a short-lived process keeps no parts open."""
    _release_merges()
    if not warm:
        _OPENED.clear()
    for resident in _RESIDENT.values():
        resident.merger.submit(_settle_merger)  # there, while it waits for the next build


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
        return resident.parts.submit(
            render_part, root, name, html, _STATE.get("pdf_variant", DEFAULT_PDF_VARIANT)
        )

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


def _warm_engine() -> None:
    root = str(_STATE["root"])
    if root not in _WARMED:
        _pdf_engine().layout("<p>Aa 漢字かな देवनागरी</p>", "warm-up")  # loads fonts, shapers
        import ijbrief.writers.pdf_merge  # noqa: F401  (pikepdf and fontTools, for the merge)

        _WARMED.add(root)


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
def _not_waited_for(
    pool: ProcessPoolExecutor, wait: float = workers.STOP_WAIT
) -> Iterator[ProcessPoolExecutor]:
    """A pool stopped, once it is done with, by a thread of its own: exiting a process forked
    from a large heap takes a while, and the build's end need not wait for it; a worker still
    busy after ``wait`` seconds (a layout that hangs) is terminated."""
    try:
        yield pool
    finally:
        threading.Thread(
            target=workers.stop, args=(pool, wait), name="ijbrief-pool-stop", daemon=True
        ).start()


def _start_worker(yielding: bool) -> None:
    _limit_worker_memory()
    gc.enable()  # it lays out documents, and may be forked from a build that runs without
    freeze()  # what it inherits: a collection would walk it all, and copy every page it is on
    if yielding:
        os.nice(YIELDING_NICENESS)


_WARMED: set[str] = set()
