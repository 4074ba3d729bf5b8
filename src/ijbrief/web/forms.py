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
from ijbrief.build.pipeline import BuildOptions
from ijbrief.compose import site_files
from ijbrief.web.jobs import FormError

if TYPE_CHECKING:
    from ijbrief.corpus.loader import Corpus

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


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
    )
    filters = options.filters
    info = known.get(audience)
    title = (info.dossier_title or info.label) if info else f"{audience} dossier"
    label = f"{title} · {fmt.upper()} · {site_files.describe_filters(filters, corpus)}"
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
