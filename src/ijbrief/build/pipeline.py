"""Plan the outputs, skip what is up to date, render the rest (in parallel), write them atomically."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from concurrent.futures import (
    BrokenExecutor,
    Future,
    ThreadPoolExecutor,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ijbrief.build.assemble import PARTS_DIR, Assembly, LayoutPart, PartStore
from ijbrief.build.editions import read_edition
from ijbrief.build.formats import need_final_page_numbers
from ijbrief.build.manifest import (
    _listing_code,
    _listing_is_current,
    _manifest_bytes,
    _manifest_entry,
    _omitted_by_audience,
    _read_json,
)
from ijbrief.build.merging import _OPENED, _merge_begin, _merge_stored
from ijbrief.build.outputs import Staging, locked
from ijbrief.build.plan import (
    CACHE_NAME,
    _audiences,
    _check_filters,
    _engine_digest,
    _parts_used,
    _plan,
    _stale_dossiers,
    _stamp,
)
from ijbrief.build.plan import BuildOptions as BuildOptions
from ijbrief.build.plan import Task as Task
from ijbrief.build.plan import engine_versions as engine_versions
from ijbrief.build.pool import (
    _RESIDENT,
    _executor,
    _healthy_resident,
    _let_go_of_merges,
    _not_waited_for,
    _warm_engine,
)
from ijbrief.build.pool import retire_resident as retire_resident
from ijbrief.build.pool import warm_up as warm_up
from ijbrief.build.progress import Progress
from ijbrief.build.render import (
    _STATE,
    _assembly,
    _composed_within_limits,
    _composer,
    _content_key,
    _finish,
)
from ijbrief.build.render import Rendered as Rendered
from ijbrief.build.render import render_part as render_part
from ijbrief.build.render import render_task as render_task
from ijbrief.compose.changes import Earlier
from ijbrief.corpus.loader import load_corpus
from ijbrief.errors import RenderError
from ijbrief.heap import collector_paused
from ijbrief.writers.layout import PartLayout
from ijbrief.writers.pdf_variants import DEFAULT_PDF_VARIANT

# Briefs sent to the worker pool ahead of the one awaited, per worker, while a dossier in parts
# is being assembled.
BRIEFS_AHEAD = 4


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


def build(options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Validate, plan and render; commit every output only when all of them succeeded. The
    cycle collector runs only while documents are laid out (see ``heap``)."""
    with collector_paused():
        return _build(options, progress)


def earlier_edition(options: BuildOptions) -> Earlier | None:
    """The earlier edition ``options.since_edition`` names, read and checked against the build's
    date (None when it names none). Raises EditionError for a bad one: a long-lived build (``build
    --watch``, ``serve``) calls this before it starts, since no later save can fix a bad argument."""
    if options.since_edition is None:
        return None
    return read_edition(
        options.root.resolve(), options.since_edition, _stamp(None, options.prepared).prepared
    )


def _edition_shown(root: Path, given: str | None) -> str | None:
    """The earlier edition as the manifest records it: a path inside the project relative to
    it (the manifest is published with out/, and need not say where the project lives)."""
    if given is None:
        return None
    with contextlib.suppress(ValueError, OSError):
        return Path(given).resolve().relative_to(root).as_posix()
    return given


def out_of_date(options: BuildOptions) -> list[str]:
    """The documents (output stems) a build with ``options`` would make again: a file missing
    from out/, or made from other records, templates, date or code. Reads out/, never writes."""
    root = options.root.resolve()
    corpus = load_corpus(root, remember=options.warm)
    audiences = _audiences(root, options.audiences)
    stamp = _stamp(corpus, options.prepared)
    out = options.out_dir.resolve()
    cache = _read_json(out / CACHE_NAME)
    stale = []
    for task in _plan(root, corpus, audiences, options, stamp, earlier_edition(options)):
        paths = [str(task.stem.with_suffix(f".{f}")) for f in task.formats]
        if not all(cache.get(p) == task.key and (out / p).is_file() for p in paths):
            stale.append(str(task.stem))
    return stale


def _build(options: BuildOptions, progress: Progress | None) -> BuildReport:
    started = time.perf_counter()
    root = options.root.resolve()
    corpus = load_corpus(root, remember=options.warm)
    audiences = _audiences(root, options.audiences)
    _check_filters(corpus, options)
    stamp = _stamp(corpus, options.prepared)
    earlier = earlier_edition(options)
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
        tasks = _plan(root, corpus, audiences, options, stamp, earlier)
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
            earlier=earlier,
            since_edition=_edition_shown(root, options.since_edition) if earlier else None,
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
                staging.write(Path("manifest.json"), _manifest_bytes(manifest, stamp, corpus))
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
            return parts_pool.submit(
                render_part,
                _STATE["root"],
                name,
                html,
                _STATE.get("pdf_variant", DEFAULT_PDF_VARIANT),
            )

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
        if need_final_page_numbers(task.formats)
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
