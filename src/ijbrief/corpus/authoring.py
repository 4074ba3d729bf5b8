"""Help for people writing the corpus: scaffolds for new files and JSON Schema for editors."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
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
# number: 19               # ordinal within the series, if it has one
date: {date}
# date_precision: day     # day | month | year
date_basis:
  method: stated           # stated | resolved | dateline
  note: ""                 # how the date was established
  sources: []
venue: ""
participants:
  - person: ""             # id from briefs/people.yaml
    office: ""             # the office held on the date above, as in people.yaml
    side: India            # India | Japan | Australia | United States
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
parties: [India, Japan]
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
    # Punctuation and symbols (an en dash in "India–Japan") separate words before non-ASCII
    # characters are dropped, so that words are not run together ("indiajapan").
    spaced = "".join(
        ch if unicodedata.category(ch)[0] in "LNM" else " "
        for ch in unicodedata.normalize("NFKD", text)
    )
    ascii_text = spaced.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "untitled"


def new_file(root: Path, kind: str, title: str, date: dt.date, ident: str | None) -> Path:
    """Write a commented scaffold for a new meeting or agreement and return its path."""
    ident = ident or slugify(title)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", ident):
        raise IjbriefError(f"id {ident!r} must be lower-case letters, digits and hyphens")
    if kind == "meeting":
        path = root / "briefs" / "meetings" / f"{date.isoformat()}-{ident}.yaml"
        text = _MEETING.format(id=ident, title=_quoted(title), series=ident, date=date)
    else:
        path = root / "briefs" / "agreements" / f"{ident}.yaml"
        text = _AGREEMENT.format(id=ident, title=_quoted(title), date=date)
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
