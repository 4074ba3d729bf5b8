"""serve's dossier form, checked: each problem in words the user can act on, or the build it
asks for."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.datastructures import FormData

from ijbrief.build import formats as output_formats
from ijbrief.build.editions import EditionError
from ijbrief.build.pipeline import BuildOptions, earlier_edition
from ijbrief.compose import site_files
from ijbrief.web.jobs import FormError

if TYPE_CHECKING:
    from ijbrief.corpus.loader import Corpus

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
# What a since-edition value may be: a path inside the project or a git revision (a name such as
# `v1.2`, `HEAD~3` or `main@{2026-01-01}`); no control characters, nothing git takes as an option.
_EDITION = re.compile(r"[^\x00-\x1f\x7f-][^\x00-\x1f\x7f]{0,199}")


def dossier_request(
    form: FormData,
    audiences: Sequence[site_files.AudienceInfo],
    corpus: Corpus | None,
    root: Path,
    out: Path,
    jobs: int,
) -> tuple[str, tuple[BuildOptions, ...], str]:
    """Check the form; return a label, the build plan and the dossier's path in out/."""
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
    edition_text = one("since_edition", "since edition", False)
    known = {a.name: a for a in audiences}
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
            f"dates: the from date ({since.isoformat()}) is after the to date ({until.isoformat()})"
        )
    raw_topics = form.getlist("topic")
    topics: list[str] = []
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
    since_edition = edition_for_build(edition_text, root, problems)
    if problems:
        raise FormError(problems)
    topics.sort()
    options = BuildOptions(
        root=root,
        formats=(fmt,),
        audiences=(audience,),
        since=since,
        until=until,
        topics=tuple(topics),
        out=out,
        jobs=jobs,
        quiet=True,
        warm=True,
        since_edition=since_edition,
    )
    try:
        # Read here, once the build's date is known, so that a bad edition is a 400 now and
        # not a failed job later (the build reads it again: it may be a changed file by then).
        earlier = earlier_edition(options)
    except EditionError as exc:
        message = exc.problems[0].message.removeprefix("--since-edition").lstrip(" :")
        if since_edition is not None:
            message = message.replace(since_edition, edition_text)  # as the user wrote it
        raise FormError([f"since edition: {message}"]) from None
    filters = options.filters
    info = known.get(audience)
    title = (info.dossier_title or info.label) if info else f"{audience} dossier"
    label = f"{title} · {fmt.upper()} · {site_files.describe_filters(filters, corpus)}"
    if earlier is not None:
        label += f" · changes since {earlier.date.isoformat()}"
    target = f"{audience}/{audience}-dossier{filters.slug()}.{fmt}"
    return label, (options,), target


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


def edition_for_build(text: str, root: Path, problems: list[str]) -> str | None:
    """The since-edition value a build is given: a manifest or out/ folder inside the project
    (as an absolute path: the server's working folder is not the project's), else the text as a
    git revision of the project. A path outside the project is refused, so that the form cannot
    have the server read whatever file it can."""
    if not text:
        return None
    if not _EDITION.fullmatch(text):
        problems.append(
            f"since edition: {_shown(text)} is not a manifest, an out/ folder or a git revision "
            "of the project"
        )
        return None
    project = root.resolve()
    try:
        path = (project / text).resolve()
        exists = path.exists()
    except (OSError, ValueError):
        exists = False
    if not exists:
        # A git revision, then; but the build would take a path it finds in the server's
        # working folder as the edition: that is outside the project too.
        if Path(text).exists():
            problems.append(f"since edition: {_shown(text)} is outside the project")
            return None
        return text
    if not path.is_relative_to(project):
        problems.append(f"since edition: {_shown(text)} is outside the project")
        return None
    return str(path)
