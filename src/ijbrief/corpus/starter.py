"""``ijbrief init``: write a new project that checks and builds as it stands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ijbrief.corpus.authoring import slugify, write_schemas
from ijbrief.errors import IjbriefError

BUILT_IN_AUDIENCES = ("minister", "analyst", "student")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _project_yaml(title: str, parties: list[tuple[str, str]]) -> str:
    listed = "\n".join(f"  - {{id: {ident}, name: {_q(name)}}}" for ident, name in parties)
    return f"""\
# yaml-language-server: $schema=briefs/schema/project.schema.json
# The relationship this project briefs on: titles, document metadata and the web page say it.
title: {_q(title)}
parties:                  # ids from briefs/countries.yaml, in the order titles name them
{listed}
scripts: []               # languages names are written in (BCP 47: hi, ja, ko, th, ar …); `ijbrief doctor` checks fonts
audiences: [{", ".join(BUILT_IN_AUDIENCES)}]   # built when --audience is not given
dossier_title: {_q(title)}   # fills {{project}} in the audiences' dossier titles
"""


def _countries_yaml(parties: list[tuple[str, str]]) -> str:
    listed = "".join(
        f'  - id: {ident}\n    name: {_q(name)}\n    # short_name: ""\n    # native_name: ""\n'
        for ident, name in parties
    )
    return f"""\
# yaml-language-server: $schema=schema/countries.schema.json
# Countries of the corpus: a participant's `side` and a person's `country` name one of them
# (by id, name or short name). Add the third countries your meetings involve.
countries:
{listed}"""


_PEOPLE_EMPTY = """\
# yaml-language-server: $schema=schema/people.schema.json
# People named in the corpus, each with the offices they held and when. A meeting participant's
# `office` must be one they held on the meeting's date.
people: []
#  - id: jane-doe
#    name: Jane Doe
#    country: {party}
#    offices:
#      - {{title: Minister for Foreign Affairs, start: 2024-01-01}}
"""

_TOPICS_EMPTY = """\
# yaml-language-server: $schema=schema/topics.schema.json
# Controlled vocabulary: every outcome, quote and agreement files its topic under one of these
# ids. `keywords` let `ijbrief new meeting --from` suggest the topic from a source's text.
topics: []
#  - id: trade
#    label: Trade
#    description: Trade and investment.
#    keywords: [trade, tariff, investment]
"""

_GLOSSARY_EMPTY = """\
# yaml-language-server: $schema=schema/glossary.schema.json
# Acronyms and terms the briefs explain.
terms: []
#  - {id: fta, term: FTA, expansion: Free Trade Agreement, explanation: "…"}
"""

_CATALOGUE_EMPTY = """\
# yaml-language-server: $schema=../briefs/schema/catalogue.schema.json
# The sources: `ijbrief source add FILE` extracts each one's text into seeds/<id>.txt (quotations
# are checked against it), keeps the original beside it and catalogues it here.
sources: []
"""

_EXAMPLE_SOURCE = """\
Example source written by ijbrief init on {today}. It stands in for a real one so that the example
meeting checks and builds; replace both: `ijbrief source add FILE`, then
`ijbrief new meeting --from SOURCE-ID`.

The representatives of {a} and {b} met for the first round of talks of the example dialogue.
"Both sides agreed to meet again next year," the example spokesperson said.
"""

_EXAMPLE_CATALOGUE = """\
# yaml-language-server: $schema=../briefs/schema/catalogue.schema.json
# The sources: `ijbrief source add FILE` extracts each one's text into seeds/<id>.txt (quotations
# are checked against it), keeps the original beside it and catalogues it here.
sources:
  - id: src-example          # an example: delete it, and seeds/src-example.txt, when done
    file: src-example.txt
    title: Example source written by ijbrief init
    kind: document
    published: {today}
    published_basis: Written by ijbrief init on this day.
    covers: [example-meeting]
"""

_EXAMPLE_PEOPLE = """\
# yaml-language-server: $schema=schema/people.schema.json
# People named in the corpus, each with the offices they held and when. A meeting participant's
# `office` must be one they held on the meeting's date.
people:
  - id: example-spokesperson   # an example: replace with the people of your corpus
    name: Example Spokesperson
    country: {party}
    offices:
      - title: Spokesperson
        start: {today}
"""

_EXAMPLE_TOPICS = """\
# yaml-language-server: $schema=schema/topics.schema.json
# Controlled vocabulary: every outcome, quote and agreement files its topic under one of these
# ids. `keywords` let `ijbrief new meeting --from` suggest the topic from a source's text.
topics:
  - id: dialogue               # an example: replace with the topics of your corpus
    label: Dialogue
    description: The talks themselves, their rounds and their follow-up.
    keywords: [dialogue, talks, meet again]
"""

_EXAMPLE_MEETING = """\
# yaml-language-server: $schema=../schema/meeting.schema.json
# An example meeting, written by `ijbrief init` so that the project checks and builds at once.
# Delete this file (and the examples in the registries) when you add your own; `ijbrief new
# meeting --from SOURCE-ID` drafts a meeting from a source.
id: example-meeting
title: "Example dialogue: first round"
short_title: Example dialogue
series: example-dialogue       # meetings of one series are compared ("what changed since")
number: 1
date: {today}
date_basis:                    # how the date was established: stated | resolved | dateline
  method: stated
  note: The example source is dated the day it was written.
  sources: [src-example]       # ids from seeds/catalogue.yaml
venue: Example venue
participants:                  # people from briefs/people.yaml, in the office they held that day
  - person: example-spokesperson
    office: Spokesperson
    side: {party}              # a country of briefs/countries.yaml
    sources: [src-example]
summary:                       # the bottom line, in your own words, with its sources
  text: The two sides held a first round of the example dialogue and agreed to meet again.
  sources: [src-example]
outcomes:                      # one topic each (briefs/topics.yaml)
  - topic: dialogue
    text: Agreed to hold the next round next year.
    sources: [src-example]
quotes:                        # copied exactly from the cited source: `check` compares them
  - text: Both sides agreed to meet again next year,
    speaker: example-spokesperson
    source: src-example
talking_points:                # the minister's edition: 3-5 points
  - text: The dialogue will continue next year.
    sources: [src-example]
"""

_README = """\
# {title}

An ijbrief project: one-page briefs and a dossier on {title} meetings.

Next steps:

1. Bring in a source: `ijbrief source add article.html` (also .txt, .pdf, .docx). Its text goes
   to `seeds/`, verbatim; `ijbrief source list` shows what each source is cited by.
2. Draft a meeting from it: `ijbrief new meeting --from src-001`. Review every value marked
   `REVIEW`, add the people to `briefs/people.yaml` and topics to `briefs/topics.yaml`, then
   delete the `status: draft` line.
3. `ijbrief check` reports every problem as `file:line:col: message`.
4. `ijbrief build --format all` writes the briefs and dossiers into `out/`.

The files marked "example" (`briefs/meetings/<date>-example-meeting.yaml`, `seeds/src-example.txt` and
the first entries of the registries) are there so that the project builds at once: delete them
when your own are in. `project.yaml` names the relationship and its parties; `briefs/countries.yaml`
the countries participants come from.
"""


def init_project(
    folder: Path, parties: list[str], title: str | None, *, force: bool, example: bool = True
) -> list[Path]:
    """Write a new project into ``folder``; return the files written. A non-empty folder is
    refused unless ``force``, and even then no existing file is overwritten."""
    if len(parties) < 2:
        raise IjbriefError(
            "--parties: name at least two parties, e.g. --parties Ruritania Freedonia"
        )
    ids = [slugify(name) for name in parties]
    if len(set(ids)) != len(ids):
        raise IjbriefError(f"--parties: {', '.join(parties)} are not distinct")
    if folder.exists() and not folder.is_dir():
        raise IjbriefError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise IjbriefError(
            f"{folder} is not empty; use --force to add the missing files (none is overwritten)"
        )
    # A folder that already has meetings (an older project, given --force) gets no example.
    example = example and not any((folder / "briefs" / "meetings").glob("*.yaml"))
    pairs = list(zip(ids, parties, strict=True))
    title = title or "–".join(parties)
    today = dt.date.today().isoformat()
    first = parties[0]
    files: dict[str, str] = {
        "project.yaml": _project_yaml(title, pairs),
        "briefs/countries.yaml": _countries_yaml(pairs),
        "briefs/glossary.yaml": _GLOSSARY_EMPTY,
        "briefs/agreements/.gitkeep": "",
        ".gitignore": "out/\n",
        "README.md": _README.format(title=title),
    }
    if example:
        files |= {
            "briefs/people.yaml": _EXAMPLE_PEOPLE.format(party=_q(first), today=today),
            "briefs/topics.yaml": _EXAMPLE_TOPICS,
            "seeds/catalogue.yaml": _EXAMPLE_CATALOGUE.format(today=today),
            "seeds/src-example.txt": _EXAMPLE_SOURCE.format(
                today=today, a=parties[0], b=parties[1]
            ),
            # Named by its date and id, as `check` wants every meeting file to be.
            f"briefs/meetings/{today}-example-meeting.yaml": _EXAMPLE_MEETING.format(
                today=today, party=_q(first)
            ),
        }
    else:
        files |= {
            "briefs/people.yaml": _PEOPLE_EMPTY.format(party=_q(first)),
            "briefs/topics.yaml": _TOPICS_EMPTY,
            "seeds/catalogue.yaml": _CATALOGUE_EMPTY,
            "briefs/meetings/.gitkeep": "",
        }
    written = []
    for relpath, text in files.items():
        path = folder / relpath
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    written += [p for p in write_schemas(folder) if p not in written]
    return written
