"""What changed since an earlier edition: a compact record of a corpus (what a manifest keeps of
each meeting and agreement), and the comparison of an earlier record with a dossier's views,
as a view the dossier's "Changes since" section shows."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ijbrief.compose.audiences import Audience
from ijbrief.compose.select import Edition, Filters
from ijbrief.compose.textfmt import format_date
from ijbrief.corpus.loader import Corpus
from ijbrief.corpus.model import Visibility
from ijbrief.textdiff import word_opcodes

# Bumped when the record's shape changes, so that an older one is refused rather than misread.
RECORD_VERSION = 1
# A changed outcome is described by the words that changed, each run cut to this many words.
MAX_RUN_WORDS = 12


@dataclass(frozen=True)
class Earlier:
    """An earlier edition: its date, what to call it, and its record (see ``record_of``)."""

    date: dt.date
    label: str
    record: Mapping[str, Any]

    def key(self) -> str:
        """What a dossier that shows the changes since this edition depends on."""
        raw = repr((self.date.isoformat(), self.label, _canonical(self.record)))
        return hashlib.sha256(raw.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return sorted((str(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_of(corpus: Corpus) -> dict[str, Any]:
    """What a later edition needs to know of this corpus to say what changed: each meeting's
    date, title, summary and outcomes (with who may see each), each agreement's status steps,
    and a digest of every record."""
    meetings: dict[str, Any] = {}
    for m in corpus.meetings.values():
        meetings[m.id] = {
            "digest": digest(m.model_dump_json()),
            "title": m.short_title,
            "date": m.date.isoformat(),
            "draft": m.status == "draft",
            "summary": m.summary.text,
            "outcomes": [
                {
                    "topic": o.topic,
                    "text": o.text,
                    "digest": digest(o.text),
                    "audiences": o.audiences,
                    "sensitivity": o.sensitivity,
                }
                for o in m.outcomes
            ],
        }
    agreements: dict[str, Any] = {
        a.id: {
            "digest": digest(a.model_dump_json()),
            "title": a.short_title,
            "topics": list(a.topics),
            "steps": [{"date": s.date.isoformat(), "status": s.status} for s in a.status_history],
        }
        for a in corpus.agreements.values()
    }
    return {"version": RECORD_VERSION, "meetings": meetings, "agreements": agreements}


def for_manifest(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as manifest.json keeps it: the text of an outcome not every audience may see
    is left out (its digest stays, so a change to it is still seen; only audiences that may see
    it are told of it, in words of the current corpus)."""
    meetings = {
        ident: {
            **entry,
            "outcomes": [
                o if _public(o) else {k: v for k, v in o.items() if k != "text"}
                for o in entry["outcomes"]
            ],
        }
        for ident, entry in record["meetings"].items()
    }
    return {**record, "meetings": meetings}


def _public(item: Mapping[str, Any]) -> bool:
    return item.get("audiences") is None and item.get("sensitivity", "public") == "public"


def _seen_by(audience: Audience, item: Mapping[str, Any]) -> bool:
    """Whether the audience may see an item of an earlier record (by the item's own terms
    then), judged as the current views judge the current items."""
    visibility = Visibility.model_validate(
        {"audiences": item.get("audiences"), "sensitivity": item.get("sensitivity", "public")}
    )
    return Edition(audience).visible(visibility, "", "", "")


def problems_of(record: Any) -> str:
    """Why a record cannot be compared with (empty if it can)."""
    if not isinstance(record, Mapping) or record.get("version") != RECORD_VERSION:
        return "it has no record of the corpus this version of ijbrief can read"
    meetings, agreements = record.get("meetings"), record.get("agreements")
    if not isinstance(meetings, Mapping) or not isinstance(agreements, Mapping):
        return "its record of the corpus is malformed"
    for entry in [*meetings.values(), *agreements.values()]:
        if not isinstance(entry, Mapping):
            return "its record of the corpus is malformed"
    for entry in meetings.values():
        outcomes = entry.get("outcomes")
        if not isinstance(outcomes, list) or not all(isinstance(o, Mapping) for o in outcomes):
            return "its record of the corpus is malformed"
        if not isinstance(entry.get("summary"), str) or not isinstance(entry.get("date"), str):
            return "its record of the corpus is malformed"
    for entry in agreements.values():
        steps = entry.get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, Mapping) for s in steps):
            return "its record of the corpus is malformed"
    return ""


def _earlier_in(filters: Filters, entry: Mapping[str, Any], ident: str) -> bool:
    """Whether an earlier meeting would have been in a dossier of these filters."""
    try:
        day = dt.date.fromisoformat(str(entry.get("date")))
    except ValueError:
        return False
    topics = {str(o.get("topic")) for o in entry.get("outcomes", [])}
    return (
        (filters.drafts or not entry.get("draft"))
        and (not filters.only or ident in filters.only)
        and (filters.since is None or day >= filters.since)
        and (filters.until is None or day <= filters.until)
        and (not filters.topics or bool(topics & set(filters.topics)))
    )


def word_edits(before: str, after: str) -> list[dict[str, str]]:
    """The runs of words that changed from ``before`` to ``after``: each the words taken out
    and those put in (either may be empty), cut to a few words. Punctuation counts as a word
    of its own, so that a sentence lengthened before its full stop is told as what was added."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    edits = []
    for op, i1, i2, j1, j2 in word_opcodes(old, new):
        if op != "equal":
            edits.append({"removed": _cut(old[i1:i2]), "added": _cut(new[j1:j2])})
    return [e for e in edits if e["removed"] or e["added"]]


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def _cut(tokens: Sequence[str]) -> str:
    words = [i for i, t in enumerate(tokens) if not t.isspace()]
    if len(words) <= MAX_RUN_WORDS:
        return "".join(tokens).strip()
    return "".join(tokens[: words[MAX_RUN_WORDS - 1] + 1]).strip() + " \u2026"


def changes_view(
    earlier: Earlier,
    corpus: Corpus,
    audience: Audience,
    filters: Filters,
    meetings: Sequence[Mapping[str, Any]],
    agreements: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """What the dossier of ``meetings`` and ``agreements`` (views of select, already filtered
    for the audience) shows that the earlier edition did not: meetings added (and removed),
    meetings whose summary or outcomes changed, and agreement status steps new since. An item
    the audience may not see is never compared, on either side."""
    record = earlier.record
    before_meetings: Mapping[str, Any] = record["meetings"]
    before_agreements: Mapping[str, Any] = record["agreements"]
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for view in meetings:
        old = before_meetings.get(view["id"])
        if old is None or not _earlier_in(filters, old, view["id"]):
            added.append(_meeting_ref(view))
            continue
        change = _meeting_change(corpus, audience, old, view)
        if change is not None:
            changed.append(change)
    shown = {view["id"] for view in meetings}
    removed = [
        {"id": ident, "title": str(old.get("title", ident)), "date_display": _day(old)}
        for ident, old in before_meetings.items()
        if ident not in corpus.meetings and ident not in shown and _earlier_in(filters, old, ident)
    ]
    moved: list[dict[str, Any]] = []
    for view in agreements:
        old = before_agreements.get(view["id"])
        known = {(str(s.get("date")), str(s.get("status"))) for s in old["steps"]} if old else set()
        steps = [
            step
            for step in view["steps"]
            if (step["date"].isoformat(), step["status_key"]) not in known
        ]
        if steps:
            moved.append(
                {"id": view["id"], "title": view["title"], "new": old is None, "steps": steps}
            )
    return {
        "date": earlier.date,
        "date_display": format_date(earlier.date),
        "label": earlier.label,
        "meetings_added": added,
        "meetings_changed": changed,
        "meetings_removed": removed,
        "agreements": moved,
        "count": len(added) + len(changed) + len(removed) + sum(len(a["steps"]) for a in moved),
    }


def _day(entry: Mapping[str, Any]) -> str:
    try:
        return format_date(dt.date.fromisoformat(str(entry.get("date"))))
    except ValueError:
        return ""


def _meeting_ref(view: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": view["id"],
        "title": view["title"],
        "short_title": view["short_title"],
        "date_display": view["date_display"],
        "summary": view["summary"],
    }


def _meeting_change(
    corpus: Corpus, audience: Audience, old: Mapping[str, Any], view: Mapping[str, Any]
) -> dict[str, Any] | None:
    """How a meeting's summary and the outcomes the audience sees differ from the earlier
    record's, or None if they do not."""
    summary = None
    if str(old["summary"]) != view["summary"]["text"]:
        summary = {
            **view["summary"],
            "edits": word_edits(str(old["summary"]), view["summary"]["text"]),
        }
    topic_of = {
        item["text"]: group["topic"] for group in view["outcomes"] for item in group["items"]
    }
    now = [item for item in view["key_points"]]
    then = [o for o in old["outcomes"] if _seen_by(audience, o)]

    def label(topic: str) -> str:
        return corpus.topics[topic].label if topic in corpus.topics else topic

    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    revised: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(
        None, [str(o.get("digest")) for o in then], [digest(i["text"]) for i in now], False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = then[i1:i2], now[j1:j2]
        pairs = min(len(olds), len(news)) if op == "replace" else 0
        for o, n in zip(olds[:pairs], news[:pairs], strict=True):
            text = o.get("text")
            revised.append(
                {
                    **n,
                    "topic": topic_of.get(n["text"], ""),
                    # The manifest keeps no text of what not every audience may see: the
                    # change is then told by the new text alone.
                    "edits": word_edits(str(text), n["text"]) if isinstance(text, str) else [],
                }
            )
        for n in news[pairs:]:
            added.append({**n, "topic": topic_of.get(n["text"], "")})
        for o in olds[pairs:]:
            text = o.get("text")
            removed.append(
                {
                    "topic": label(str(o.get("topic", ""))),
                    "text": text if isinstance(text, str) else "",
                }
            )
    if summary is None and not (added or removed or revised):
        return None
    return {
        **_meeting_ref(view),
        "summary_change": summary,
        "outcomes_added": added,
        "outcomes_removed": removed,
        "outcomes_revised": revised,
    }
