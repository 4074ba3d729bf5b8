"""Help for people writing the corpus: scaffolds for new files and JSON Schema for editors."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from ijbrief.corpus.model import SCHEMAS
from ijbrief.errors import IjbriefError

SCHEMA_DIR = Path("briefs/schema")

_MEETING = """\
# yaml-language-server: $schema=../schema/meeting.schema.json
# A meeting brief. Every statement names its sources (ids from seeds/catalogue.yaml);
# quotations must occur verbatim in the cited source. Run `ijbrief check` when done.
id: {id}
title: {title}
short_title: {title}
series: {series}           # meetings of one series are compared ("what changed since")
{number}
date: {date}
# end_date: {date}         # the last day, for a meeting held over several days
# date_precision: day     # day | month | year | approximate (on or about) | approximate-month
date_basis:
  method: stated           # stated | resolved | dateline
  note: ""                 # how the date was established
  sources: []
venue: ""
participants:
  - person: ""             # id from briefs/people.yaml
    office: ""             # the office held on the date above, as in people.yaml
    side: {side}            # a country of briefs/countries.yaml: {sides}
    sources: []
summary:                   # the bottom line, one or two sentences
  text: ""
  sources: []
outcomes:                  # one topic each (briefs/topics.yaml); agreements: ids it touches
  - topic: ""
    text: ""
    sources: []
    # agreements: []
    # audiences: [analyst] # limit to some audiences
    # sensitivity: restricted
quotes: []
#  - text: ""              # verbatim from the source
#    speaker: ""           # person id, or speaker_label: "MEA statement"
#    source: ""
talking_points: []         # minister: 3-5 points, each {{text, sources}}
to_raise: []
to_avoid: []
background: []             # student
significance: []
way_forward: []
"""

_AGREEMENT = """\
# yaml-language-server: $schema=../schema/agreement.schema.json
# An agreement or initiative with its dated status history. Run `ijbrief check` when done.
id: {id}
title: {title}
short_title: {title}
# acronym: ""
kind: agreement  # agreement | initiative | partnership | project | mechanism | procurement
parties: [{parties}]
topics: []                 # ids from briefs/topics.yaml
purpose:
  text: ""
  sources: []
status_history:            # oldest first
  - status: proposed       # proposed | announced | negotiating | text-finalised | agreed | signed
                           # | in-force | launched | upgraded | reaffirmed | in-progress | delivered
    date: {date}
    # meeting: ""          # the meeting where it happened
    note: ""
    sources: []
key_points: []
background: []
significance: []
way_forward: []
"""


def slugify(text: str) -> str:
    """A file- and id-safe form of ``text``: lower-case ASCII words joined by hyphens."""
    # Punctuation and symbols (an en dash in "Ruritania–Freedonia") separate words before non-ASCII
    # characters are dropped, so that words are not run together ("indiajapan").
    spaced = "".join(
        ch if unicodedata.category(ch)[0] in "LNM" else " "
        for ch in unicodedata.normalize("NFKD", text)
    )
    ascii_text = spaced.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "untitled"


_ORDINAL_WORDS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth",
)  # fmt: skip
_ORDINALS = {word: n for n, word in enumerate(_ORDINAL_WORDS, start=1)}


def _series_and_number(title: str, parties: Iterable[str] = ()) -> tuple[str, int | None]:
    """What a meeting's title says of its series and its place in it: "15th Ruritania–Freedonia
    Annual Summit" is the 15th of ``annual-summit`` (the parties, ``parties``' words, are in every
    title, so left out)."""
    party_words = {w for party in parties for w in slugify(party).split("-")}
    number: int | None = None
    words = []
    for word in slugify(title).split("-"):
        ordinal = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", word)
        if number is None and (ordinal or word in _ORDINALS):
            number = int(ordinal.group(1)) if ordinal else _ORDINALS[word]
        elif word not in party_words:
            words.append(word)
    return "-".join(words) or "meeting", number


def suggest_meeting(root: Path, title: str) -> tuple[str, str, int | None]:
    """A short id, the series and the number for a new meeting titled ``title``: a series the
    corpus already has (the 19th of the meetings whose titles say "Strategic Dialogue" like the
    18th's) keeps its name and its ids' form (``sd-18`` → ``sd-19``); a new one is named from
    the title (``annual-summit``, the 15th ``annual-summit-15``)."""
    from ijbrief.corpus.project import party_names, read_project
    from ijbrief.corpus.yamlio import load

    parties = party_names(read_project(root))
    series, number = _series_and_number(title, parties)
    for path in sorted((root / "briefs" / "meetings").glob("*.yaml"), reverse=True):  # latest
        try:
            data = load(path, path.name).data
        except IjbriefError:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("title"), str):
            continue
        if _series_and_number(data["title"], parties)[0] != series:
            continue
        known, ident = data.get("series"), data.get("id")
        if isinstance(known, str) and isinstance(ident, str):
            prefix = re.fullmatch(r"(.+)-\d+", ident)
            if number is not None and prefix:
                return f"{prefix.group(1)}-{number}", known, number
            series = known
        break
    return (f"{series}-{number}" if number is not None else series), series, number


def new_file(root: Path, kind: str, title: str, date: dt.date, ident: str | None) -> Path:
    """Write a commented scaffold for a new meeting or agreement and return its path."""
    series, number = "", None
    if kind == "meeting":
        suggested, series, number = suggest_meeting(root, title)
        ident = ident or suggested
    ident = ident or slugify(title)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", ident):
        raise IjbriefError(f"id {ident!r} must be lower-case letters, digits and hyphens")
    from ijbrief.corpus.project import party_names, read_project

    parties = party_names(read_project(root))
    if kind == "meeting":
        path = root / "briefs" / "meetings" / f"{date.isoformat()}-{ident}.yaml"
        number_line = (
            f"number: {number}                 # ordinal within the series"
            if number is not None
            else "# number: 19               # ordinal within the series, if it has one"
        )
        text = _MEETING.format(
            id=ident, title=_quoted(title), series=series, number=number_line, date=date,
            side=parties[0], sides=" | ".join(parties),
        )  # fmt: skip
    else:
        path = root / "briefs" / "agreements" / f"{ident}.yaml"
        text = _AGREEMENT.format(
            id=ident, title=_quoted(title), date=date, parties=", ".join(parties)
        )
    # Meeting files are named `<date>-<id>` (the date may be YYYY, YYYY-MM or YYYY-MM-DD);
    # a bare suffix match would wrongly refuse `moc` because `cyber-moc.yaml` exists.
    # Meetings and agreements share one id space, so both folders are searched.
    same_id = re.compile(rf"(?:\d{{4}}(?:-\d{{2}}){{0,2}}-)?{re.escape(ident)}")
    clash = sorted(
        p
        for folder in ("meetings", "agreements")
        for p in (root / "briefs" / folder).glob("*.yaml")
        if same_id.fullmatch(p.stem)
    )
    if path.exists() or clash:
        raise IjbriefError(f"{(clash or [path])[0].relative_to(root)} already exists; choose --id")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_schemas(root: Path) -> list[Path]:
    """Write one JSON Schema per kind of corpus file into briefs/schema/."""
    folder = root / SCHEMA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"ijbrief {name} file"
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
