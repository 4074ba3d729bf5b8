"""The kinds of one-page brief a build makes, each a ``Kind`` registered here and nowhere else.

A build makes one brief of each kind per record its ``records`` yield (for each audience),
named by ``stem``, rebuilt when a file of ``inputs`` changes, composed from the view
``views`` gives and rendered with ``template``. The dossier is not a kind: there is one per
audience and filter, made from everything."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ijbrief.compose.textfmt import iso_prefix

if TYPE_CHECKING:
    from ijbrief.compose.composer import Composer
    from ijbrief.compose.select import Filters
    from ijbrief.corpus.collection import Corpus
    from ijbrief.corpus.model import Agreement, Meeting


class Record(Protocol):
    @property
    def id(self) -> str: ...


@dataclass(frozen=True)
class Kind:
    name: str  # what the manifest, the templates (view["kind"]) and audience.yaml call it
    # The records that get a brief, as the build's filters (--only, --since, ...) select them.
    records: Callable[[Corpus, Filters], Iterable[Any]]
    stem: Callable[[Any], str]  # the brief's file name, without suffix, in <audience>/briefs/
    # The corpus's files (as in Corpus.files, relative to the project) a brief is made from,
    # besides what every document of the audience depends on (registries, seeds, templates).
    inputs: Callable[[Corpus, Any], list[str]]
    views: Callable[[Composer], Mapping[str, dict[str, Any]]]  # composed views, by record id
    template: str  # in the audience's templates folders


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name == "dossier" or not kind.name.isidentifier():
        raise ValueError(f"{kind.name!r} cannot name a kind of brief")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _KINDS.pop(name, None)


def kinds() -> tuple[Kind, ...]:
    """Every kind of brief, in the order a build plans them."""
    return tuple(_KINDS.values())


def names() -> tuple[str, ...]:
    return tuple(_KINDS)


def kind(name: str) -> Kind:
    return _KINDS[name]


def _meeting_inputs(corpus: Corpus, meeting: Meeting) -> list[str]:
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
    return related


def _agreement_inputs(corpus: Corpus, agreement: Agreement) -> list[str]:
    return [corpus.files[agreement.id]] + [
        corpus.files[m.id] for m in corpus.meetings_moving(agreement)
    ]


def _agreement_stem(agreement: Agreement) -> str:
    current = agreement.current
    return f"{iso_prefix(current.date, current.date_precision)}-{agreement.id}"


register(
    Kind(
        name="meeting",
        records=lambda corpus, filters: (m for m in corpus.meetings.values() if filters.meeting(m)),
        stem=lambda meeting: f"{iso_prefix(meeting.date, meeting.date_precision)}-{meeting.id}",
        inputs=_meeting_inputs,
        views=lambda composer: composer.meetings,
        template="brief-meeting.html.j2",
    )
)
register(
    Kind(
        name="agreement",
        records=lambda corpus, filters: (
            a for a in corpus.agreements.values() if filters.agreement(a)
        ),
        stem=_agreement_stem,
        inputs=_agreement_inputs,
        views=lambda composer: composer.agreements,
        template="brief-agreement.html.j2",
    )
)
