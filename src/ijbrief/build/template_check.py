"""`ijbrief check` for the templates folders: everything a build would refuse in templates/,
found without building — each audience's settings, that every template reads and compiles,
that its blocks override something, its reference.docx and logo, and a trial render."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2

from ijbrief.build.kinds import kinds
from ijbrief.compose.audiences import (
    AUDIENCE_FILE,
    BASE,
    MIN_CONTRAST,
    Audience,
    audience_names,
    contrast_with_white,
    legible,
    load_audience,
    template_roots,
)
from ijbrief.compose.changes import Earlier, record_of
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.yamlio import load, os_reason
from ijbrief.errors import IjbriefError, Location, Problem, TemplateError, relative

# The templates a build renders for every audience, besides those an audience adds.
RENDERED = ("brief-meeting.html.j2", "brief-agreement.html.j2", "dossier.html.j2")
# Included through Jinja (layout.html.j2): compiled as templates, unlike other stylesheets.
INCLUDED = ("style.css", "base/print.css")
# A trial render that takes longer than this would not end in a build either.
TRIAL_SECONDS = 30.0
MAX_ENTRIES = 5000
# What a build reads from an audience folder by name (besides templates and the logo).
READ_BY_BUILD = (AUDIENCE_FILE, "reference.docx")


def check_templates(project: Path, corpus: Corpus | None) -> list[Problem]:
    """Every problem in the project's templates folders and audiences; with a valid ``corpus``,
    each audience's briefs and dossier are also rendered (not laid out) once to see them work."""
    project = project.resolve()
    problems = _walk(project)
    if any(not p.warning for p in problems):
        return problems  # an unreadable folder or a link loop: what follows would only repeat it
    try:
        names = audience_names(project)
    except TemplateError as exc:
        return problems + exc.problems
    for name in names:
        try:
            audience = load_audience(project, name)
        except TemplateError as exc:
            problems += exc.problems
            continue
        problems += _contrast(project, audience)
        problems += _check_audience(project, audience, corpus)
    return sorted(set(problems))  # a fault in a base template is found for every audience


def _contrast(project: Path, audience: Audience) -> list[Problem]:
    """A warning for each branding colour too light for text on white, at the audience file
    that sets it (the audience's own, or the one it extends)."""
    problems: list[Problem] = []
    for key in ("accent", "muted"):
        for folder in audience.folders:
            path = folder / AUDIENCE_FILE
            if not path.is_file():
                continue
            try:
                document = load(path, _shown(path, project))
            except IjbriefError:
                break  # load_audience read it: not reached
            branding = document.data.get("branding") if isinstance(document.data, dict) else None
            given = branding.get(key) if isinstance(branding, dict) else None
            if not isinstance(given, str):
                continue
            ratio = contrast_with_white(given)
            if ratio < MIN_CONTRAST:
                problems.append(
                    Problem(
                        document.locate(("branding", key)),
                        f"branding.{key} {given} has a contrast of {ratio:.1f}:1 with white, "
                        f"under the {MIN_CONTRAST}:1 text needs (WCAG AA): the documents use "
                        f"{legible(given)} instead, the nearest darker shade that passes",
                        warning=True,
                    )
                )
            break
    return problems


def _walk(project: Path) -> list[Problem]:
    """Unreadable folders and files, link loops and links out of the templates folders."""
    problems: list[Problem] = []
    roots = template_roots(project)
    count = 0
    for root in roots:
        if not root.exists():
            continue
        stack = [root]
        while stack:
            folder = stack.pop()
            shown = _shown(folder, project)
            try:
                with os.scandir(folder) as entries:
                    listed = sorted(entries, key=lambda e: e.name)
            except OSError as exc:
                problems.append(
                    Problem(Location(shown), f"cannot read the folder: {os_reason(exc)}")
                )
                continue
            for entry in listed:
                count += 1
                if count > MAX_ENTRIES:
                    message = f"over {MAX_ENTRIES} files; only the first were looked at"
                    problems.append(Problem(Location(_shown(root, project)), message, warning=True))
                    return problems
                path = Path(entry.path)
                if entry.is_symlink():
                    problems += _link(path, project, roots)
                    continue
                try:
                    info = path.lstat()
                except OSError as exc:
                    problems.append(
                        Problem(Location(_shown(path, project)), f"cannot read: {os_reason(exc)}")
                    )
                    continue
                if stat.S_ISDIR(info.st_mode):
                    stack.append(path)
    return problems


def _link(path: Path, project: Path, roots: tuple[Path, ...]) -> list[Problem]:
    shown = Location(_shown(path, project))
    read = path.name in READ_BY_BUILD or path.suffix in (".j2", ".css")
    try:
        real = path.resolve(strict=True)
    except (RuntimeError, OSError) as exc:
        reason = "symbolic link loop" if isinstance(exc, RuntimeError) else os_reason(exc)
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            reason = "a symbolic link to nothing"
        return [Problem(shown, f"cannot read: {reason}", warning=not read)]
    if not any(real.is_relative_to(root) for root in roots):
        message = "refused: it leads outside the templates folders"
        return [Problem(shown, message if read else f"{message}; never read", warning=not read)]
    return []


def _shown(path: Path, project: Path) -> str:
    for root in template_roots(project):
        if path.is_relative_to(root):
            return str(Path("templates") / path.relative_to(root))
    return relative(path, project)


def _check_audience(project: Path, audience: Audience, corpus: Corpus | None) -> list[Problem]:
    from ijbrief.compose.templating import make_environment
    from ijbrief.compose.textfmt import count_of, css_string, md_inline

    env = make_environment(
        project, audience, {"md": md_inline, "css": css_string, "count": count_of}
    )
    problems: list[Problem] = []
    names = list(RENDERED)
    for folder in audience.folders:
        prefix = "base/" if folder.name == BASE else ""
        names += [prefix + p.name for p in sorted(folder.glob("*.j2"))]
    names += INCLUDED
    for name in dict.fromkeys(names):
        problems += _compiles(env, name, project, optional=name in INCLUDED)
    if not problems:
        for name in RENDERED:
            problems += _faults(functools.partial(_blocks, env, name, project), project)
    problems += _reference(project, audience)
    if corpus is not None and not any(not p.warning for p in problems):
        problems += _trial(project, audience, corpus)
    return problems


def _compiles(env: jinja2.Environment, name: str, project: Path, optional: bool) -> list[Problem]:
    def compile_it() -> None:
        try:
            env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            if optional and exc.name == name:
                return
            raise

    return _faults(compile_it, project)


def _blocks(env: jinja2.Environment, name: str, project: Path) -> None:
    from ijbrief.compose.templating import _check_blocks

    _check_blocks(env, name, project)


def _faults(work: Callable[[], Any], project: Path) -> list[Problem]:
    """What ``work`` raised, as problems at a template's file and line."""
    from ijbrief.compose.templating import _at_template_line, _display

    try:
        work()
    except IjbriefError as exc:
        return exc.problems
    except jinja2.TemplateSyntaxError as exc:
        where = _display(exc.filename or exc.name or "templates", project)
        return [Problem(Location(where, exc.lineno or 0), f"syntax: {exc.message}")]
    except jinja2.TemplateNotFound as exc:
        return _at_template_line(exc, project, f"template not found: {exc.name}")
    except RecursionError as exc:
        return _at_template_line(
            exc, project, "recursion too deep (a macro or include calls itself?)"
        )
    except Exception as exc:  # a user's template can raise anything its filters and tests do
        return _at_template_line(exc, project, f"{type(exc).__name__}: {exc}")
    return []


def _reference(project: Path, audience: Audience) -> list[Problem]:
    from ijbrief.writers.docx_package import read_reference

    for folder in audience.folders:
        path = folder / "reference.docx"
        if os.path.lexists(path):
            try:
                read_reference(path, _shown(path, project), template_roots(project), clean=False)
            except TemplateError as exc:
                return exc.problems
            return []
    return [
        Problem(
            Location(f"templates/{audience.name}"),
            "reference.docx is missing (run `python -m ijbrief.writers.docx_reference templates`)",
            warning=True,
        )
    ]


def _trial_earlier(corpus: Corpus) -> Earlier:
    """An earlier edition that differs from the corpus in every way the dossier's "Changes
    since" part tells (meetings revised, status steps new), so that the trial
    runs all of it."""
    record = record_of(corpus)
    meetings, agreements = record["meetings"], record["agreements"]
    for entry in meetings.values():
        entry.update(summary="", outcomes=[])
    for entry in agreements.values():
        entry["steps"] = []
    return Earlier(dt.date(2000, 1, 1), "trial", record)


def _trial(project: Path, audience: Audience, corpus: Corpus) -> list[Problem]:
    """Render one meeting brief, one agreement brief and a dossier of the two for ``audience``
    (HTML, not laid out): what only running a template shows (recursion, an undefined name)."""
    from ijbrief.compose.composer import Composer, Stamp
    from ijbrief.compose.select import Filters, prepared_date

    day = prepared_date(corpus)
    stamp = Stamp(prepared=day, timestamp=dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))

    # One brief of each kind runs every template as well as the whole corpus would.
    first = [next(iter(kind.records(corpus, Filters())), None) for kind in kinds()]
    filters = Filters(only=tuple(record.id for record in first if record is not None))

    def render() -> None:
        composer = Composer(project, corpus, audience, stamp, filters, None, _trial_earlier(corpus))
        for kind in kinds():
            view = next(iter(kind.views(composer).values()), None)
            if view is not None:
                composer.brief_html(view, composer.sections(view), 1.0, kind.template)
        composer.dossier_html({})

    problems: list[Problem] = []
    with _deadline(f"templates/{audience.name}") as expired:
        problems = _faults(render, project)
    return expired or problems


@contextlib.contextmanager
def _deadline(name: str) -> Iterator[list[Problem]]:
    """Stop a trial render after TRIAL_SECONDS (in the main thread, where signals work)."""
    expired: list[Problem] = []
    if threading.current_thread() is not threading.main_thread():
        yield expired
        return

    class _Expired(BaseException):
        pass

    def expire(signum: int, frame: Any) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TRIAL_SECONDS)
    try:
        yield expired
    except _Expired:
        message = f"rendering took longer than {TRIAL_SECONDS:.0f} s; a runaway template?"
        expired.append(Problem(Location(name), message))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
