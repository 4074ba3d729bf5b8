"""The typed records of the corpus (sources, people, topics, meetings, agreements); no I/O."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

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
Precision = Annotated[
    Literal["day", "month", "year", "approximate", "approximate-month"],
    Field(
        description="how precisely the date is known: approximate is 'on or about' the day, "
        "approximate-month 'about' the month (sources that say 'recently', 'last week')"
    ),
]
# Most precise first: of two records on one day, the first of these says how well it is known.
PRECISIONS = ("day", "approximate", "month", "approximate-month", "year")
Sensitivity = Literal["public", "restricted"]
Script = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
    Field(description="a BCP 47 language tag, as HTML's lang= takes it: hi, ja, ko, th, ar …"),
]

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


BasisKind = Literal["public-record", "inferred", "analysis"]


class Basis(Record):
    """What a statement rests on when its cited sources do not say it in so many words: the
    public record (with a note of where), an inference (with the reasoning) or the desk's own
    analysis. Shown to readers as a mark; ``ijbrief check`` then does not ask the sources for it."""

    kind: BasisKind
    note: Text | None = Field(
        default=None, description="required for public-record and inferred: where, or why"
    )

    @model_validator(mode="after")
    def _note_given(self) -> Basis:
        if self.kind != "analysis" and not self.note:
            raise ValueError(f"basis {self.kind!r} needs a note saying where or why")
        return self


class Statement(Visibility):
    """A statement in the project's own words, with the sources that bear it out."""

    text: Text
    sources: SourceIds
    basis: Basis | None = None


class DateBasis(Record):
    """How a date was established: stated, resolved from context, or read off a dateline."""

    method: Literal["stated", "resolved", "dateline"]
    note: Text
    sources: SourceIds
    as_stated: ShortText | None = Field(
        default=None,
        description="the sources' own words for the date (e.g. 'on Friday'), checked verbatim",
    )


class Source(Record):
    """One seed document as catalogued in ``seeds/catalogue.yaml``."""

    id: Id
    file: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+\.txt$")]
    title: ShortText
    outlet: ShortText | None = Field(default=None, description="as the text itself shows it")
    kind: Literal["news report", "explainer", "statement", "document"]
    published: IsoDate | None = None
    published_basis: Text | None = None
    url: (
        Annotated[str, StringConstraints(pattern=r"^https?://[^\s\"<>]+$", max_length=2000)] | None
    ) = Field(default=None, description="where the source was published, when known")
    language: Literal["en"] = "en"
    translation: Text | None = Field(default=None, description="set when the text is a translation")
    covers: list[Id] = Field(default_factory=list, description="meeting ids")
    notes: Text | None = None
    original: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$")] | None = Field(
        default=None, description="the file the text was extracted from, kept in seeds/"
    )
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    added: IsoDate | None = Field(default=None, description="the day it was added")


class Office(Record):
    """An office a person held, with the dates it began and ended (open-ended when still held)."""

    title: ShortText
    aliases: list[ShortText] = Field(
        default_factory=list,
        description="other words the sources use for the office (e.g. 'Foreign Minister')",
    )
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
    country: ShortText = Field(description="a country of briefs/countries.yaml (id or name)")
    offices: list[Office] = Field(min_length=1)


class Topic(Record):
    """An entry of the controlled topic vocabulary."""

    id: Id
    label: ShortText
    description: Text
    keywords: list[ShortText] = Field(
        default_factory=list, description="words and aliases that suggest the topic in a source"
    )


class Term(Record):
    """A glossary entry: an acronym or term, what it stands for, and what it means."""

    id: Id
    term: ShortText
    expansion: ShortText
    explanation: Text
    sources: list[Id] = Field(default_factory=list)
    aliases: list[ShortText] = Field(
        default_factory=list, description="other names the sources use for the term"
    )


class Participant(Record):
    """A person at a meeting in the office they held that day."""

    person: Id
    office: ShortText
    side: ShortText = Field(description="a country of briefs/countries.yaml (id or name)")
    role: ShortText | None = None
    sources: SourceIds
    basis: Basis | None = Field(
        default=None, description="set when the cited sources do not name the person"
    )


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
    """A dated meeting between the parties and what came of it."""

    id: Id
    status: Literal["draft"] | None = Field(
        default=None, description="draft: pre-filled, not reviewed; out of the dossier"
    )
    title: ShortText
    short_title: ShortText
    series: Id
    number: int | None = None
    date: IsoDate
    end_date: IsoDate | None = Field(
        default=None, description="the last day of a meeting held over several days"
    )
    date_precision: Precision = "day"
    date_basis: DateBasis
    venue: ShortText | None = Field(description="null when no source reports it")
    coverage: Literal["full", "sparse"] = Field(
        default="full",
        description="sparse: the sources record little of the meeting, so nothing is compared "
        "with it (e.g. 'new on the agenda' at the next meeting)",
    )
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
    basis: Basis | None = None


class Agreement(Record):
    """An agreement, initiative or project, with its status history."""

    id: Id
    title: ShortText
    short_title: ShortText
    acronym: ShortText | None = None
    aliases: list[ShortText] = Field(
        default_factory=list, description="other names the sources use for it"
    )
    kind: Literal["agreement", "initiative", "partnership", "project", "mechanism", "procurement"]
    parties: list[ShortText] = Field(min_length=1)
    topics: list[Id] = Field(min_length=1)
    purpose: Statement
    status_history: list[StatusStep] = Field(min_length=1)
    key_points: list[Statement] = Field(default_factory=list)
    to_raise: list[Statement] = Field(
        default_factory=list, description="what a minister should raise about it"
    )
    to_avoid: list[Statement] = Field(
        default_factory=list, description="what a minister should not say about it"
    )
    background: list[Statement] = Field(default_factory=list)
    significance: list[Statement] = Field(default_factory=list)
    way_forward: list[Statement] = Field(default_factory=list)

    @property
    def current(self) -> StatusStep:
        """The latest step of the status history."""
        return self.status_history[-1]


class Catalogue(Record):
    """``seeds/catalogue.yaml``."""

    sources: list[Source]


class People(Record):
    """``briefs/people.yaml``."""

    people: list[Person]


class Topics(Record):
    """``briefs/topics.yaml``."""

    topics: list[Topic]


class Glossary(Record):
    """``briefs/glossary.yaml``."""

    terms: list[Term]


class Country(Record):
    """A country of the project: participants' ``side`` and people's ``country`` name one."""

    id: Id
    name: ShortText
    short_name: ShortText | None = None
    native_name: ShortText | None = None


class Countries(Record):
    """``briefs/countries.yaml``."""

    countries: list[Country]


class Party(Record):
    """One side of the relationship, as titles and document metadata name it."""

    id: Id = Field(description="a country id from briefs/countries.yaml")
    name: ShortText


class ScriptSpec(Record):
    """A language and script the documents render, with the fonts that set it (the built-in
    table gives them for hi, ja, ko, zh, th, ar, bn and ta)."""

    lang: Script
    script: (
        Annotated[
            str, StringConstraints(pattern=r"^[A-Z][a-z]{3}$"), Field(description="ISO 15924")
        ]
        | None
    ) = None
    sans: ShortText | None = Field(default=None, description="font family for sans text")
    serif: ShortText | None = Field(default=None, description="font family for serif text")


class ProjectSpec(Record):
    """``project.yaml``: the relationship a project briefs on."""

    title: ShortText = Field(description="the relationship, as titles show it")
    parties: list[Party] = Field(min_length=2)
    scripts: list[Script | ScriptSpec] = Field(
        default_factory=list,
        description="languages/scripts names are written in: a BCP 47 tag (ko) or "
        "{lang, script, sans, serif}; doctor checks a font for each",
    )
    audiences: list[Id] | None = Field(default=None, description="built by default (default: all)")
    dossier_title: ShortText | None = Field(
        default=None,
        description="fills {project} in the audiences' dossier titles (default: title)",
    )


SCHEMAS: dict[str, type[Record]] = {
    "meeting": Meeting,
    "agreement": Agreement,
    "catalogue": Catalogue,
    "people": People,
    "topics": Topics,
    "glossary": Glossary,
    "countries": Countries,
    "project": ProjectSpec,
}


def iso_prefix(day: dt.date, precision: str = "day") -> str:
    """The date part of a file name: 2020-10-07, 2019-11 or 2014 (an approximate date is named
    by what it is approximately: the day, or the month)."""
    month = f"{day.year:04d}-{day.month:02d}"
    return {"year": f"{day.year:04d}", "month": month, "approximate-month": month}.get(
        precision, day.isoformat()
    )
