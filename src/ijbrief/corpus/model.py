"""The typed records of the corpus (sources, people, topics, meetings, agreements); no I/O."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """Accept only ``YYYY-MM-DD`` text that names a real calendar day."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date written as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real date") from None


Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
    Field(description="lower-case letters, digits and hyphens"),
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=3000, strip_whitespace=True),
    Field(description="Markdown: emphasis, links (http, https, mailto) and lists"),
]
IsoDate = Annotated[
    dt.date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})
]
SourceIds = Annotated[list[Id], Field(min_length=1, description="ids from seeds/catalogue.yaml")]
Precision = Literal["day", "month", "year"]
Sensitivity = Literal["public", "restricted"]
Script = Literal["ja", "hi"]

Status = Literal[
    "proposed",
    "announced",
    "negotiating",
    "text-finalised",
    "agreed",
    "signed",
    "in-force",
    "launched",
    "upgraded",
    "reaffirmed",
    "in-progress",
    "delivered",
]


class Record(BaseModel):
    """Base of every record: unknown keys are errors, values are not coerced, records are frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Visibility(Record):
    """Who may see an item: named audiences only, and/or a sensitivity level."""

    audiences: list[Id] | None = Field(
        default=None, description="only these audiences see the item (default: all)"
    )
    sensitivity: Sensitivity = "public"


class Statement(Visibility):
    """A statement in the project's own words, with the sources that bear it out."""

    text: Text
    sources: SourceIds


class DateBasis(Record):
    """How a date was established: stated, resolved from context, or read off a dateline."""

    method: Literal["stated", "resolved", "dateline"]
    note: Text
    sources: SourceIds


class Source(Record):
    """One seed document as catalogued in ``seeds/catalogue.yaml``."""

    id: Id
    file: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+\.txt$")]
    title: ShortText
    outlet: ShortText | None = Field(default=None, description="as the text itself shows it")
    kind: Literal["news report", "explainer"]
    published: IsoDate | None = None
    published_basis: Text | None = None
    language: Literal["en"] = "en"
    translation: Text | None = Field(default=None, description="set when the text is a translation")
    covers: list[Id] = Field(min_length=1, description="meeting ids")
    notes: Text | None = None


class Office(Record):
    """An office a person held, with the dates it began and ended (open-ended when still held)."""

    title: ShortText
    start: IsoDate | None = None
    end: IsoDate | None = None
    note: Text | None = None

    def held_on(self, day: dt.date) -> bool:
        """Whether the office was held on ``day``."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class Person(Record):
    """Someone who appears in the corpus, with their native-script name where known."""

    id: Id
    name: ShortText
    native_name: ShortText | None = None
    native_script: Script | None = None
    romanised: ShortText | None = Field(default=None, description="name in native order")
    country: Literal["India", "Japan", "Australia", "United States"]
    offices: list[Office] = Field(min_length=1)


class Topic(Record):
    """An entry of the controlled topic vocabulary."""

    id: Id
    label: ShortText
    description: Text


class Term(Record):
    """A glossary entry: an acronym or term, what it stands for, and what it means."""

    id: Id
    term: ShortText
    expansion: ShortText
    explanation: Text
    sources: list[Id] = Field(default_factory=list)


class Participant(Record):
    """A person at a meeting in the office they held that day."""

    person: Id
    office: ShortText
    side: Literal["India", "Japan", "Australia", "United States"]
    role: ShortText | None = None
    sources: SourceIds


class Outcome(Statement):
    """A result or discussion point of a meeting, filed under one topic."""

    topic: Id
    agreements: list[Id] = Field(default_factory=list)


class Quote(Visibility):
    """A verbatim quotation: it must occur in the cited source."""

    text: Annotated[str, StringConstraints(min_length=8, max_length=1500)]
    speaker: Id | None = Field(default=None, description="person id")
    speaker_label: ShortText | None = Field(
        default=None, description="for an institution or statement, e.g. 'MEA statement'"
    )
    source: Id
    topic: Id | None = None
    context: ShortText | None = None


class Meeting(Record):
    """A dated India–Japan meeting and what came of it."""

    id: Id
    title: ShortText
    short_title: ShortText
    series: Id
    number: int | None = None
    date: IsoDate
    date_precision: Precision = "day"
    date_basis: DateBasis
    venue: ShortText
    participants: list[Participant] = Field(min_length=1)
    summary: Statement
    outcomes: list[Outcome] = Field(min_length=1)
    quotes: list[Quote] = Field(default_factory=list)
    talking_points: list[Statement] = Field(default_factory=list)
    to_raise: list[Statement] = Field(default_factory=list)
    to_avoid: list[Statement] = Field(default_factory=list)
    background: list[Statement] = Field(default_factory=list)
    significance: list[Statement] = Field(default_factory=list)
    way_forward: list[Statement] = Field(default_factory=list)


class StatusStep(Record):
    """One dated step in an agreement's life, linked to the meeting where it happened."""

    status: Status
    date: IsoDate
    date_precision: Precision = "day"
    meeting: Id | None = None
    note: Text
    sources: SourceIds


class Agreement(Record):
    """An agreement, initiative or project, with its status history."""

    id: Id
    title: ShortText
    short_title: ShortText
    acronym: ShortText | None = None
    kind: Literal["agreement", "initiative", "partnership", "project", "mechanism", "procurement"]
    parties: list[ShortText] = Field(min_length=1)
    topics: list[Id] = Field(min_length=1)
    purpose: Statement
    status_history: list[StatusStep] = Field(min_length=1)
    key_points: list[Statement] = Field(default_factory=list)
    background: list[Statement] = Field(default_factory=list)
    significance: list[Statement] = Field(default_factory=list)
    way_forward: list[Statement] = Field(default_factory=list)

    @property
    def current(self) -> StatusStep:
        """The latest step of the status history."""
        return self.status_history[-1]


class Catalogue(Record):
    """``seeds/catalogue.yaml``."""

    sources: list[Source] = Field(min_length=1)


class People(Record):
    """``briefs/people.yaml``."""

    people: list[Person] = Field(min_length=1)


class Topics(Record):
    """``briefs/topics.yaml``."""

    topics: list[Topic] = Field(min_length=1)


class Glossary(Record):
    """``briefs/glossary.yaml``."""

    terms: list[Term] = Field(min_length=1)


SCHEMAS: dict[str, type[Record]] = {
    "meeting": Meeting,
    "agreement": Agreement,
    "catalogue": Catalogue,
    "people": People,
    "topics": Topics,
    "glossary": Glossary,
}
