"""``ijbrief review FILE.docx``: a reviewed Word file as a list of what the reviewer did, each at
the YAML file and line of the field it touches, and ``--apply``, which writes the text edits
back into the records (see docs/review.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ijbrief.compose.select import field_path
from ijbrief.corpus.review_apply import Change, Outcome, apply_changes, changed_files
from ijbrief.errors import InputError
from ijbrief.files import os_reason, read_bytes

MAX_DOCX_BYTES = 200 * 2**20  # a reviewed brief with pictures in it, not an archive


class Refused(Exception):
    """The file cannot be reviewed against this project; the message says why, in one line."""


@dataclass
class Finding:
    # comment, tracked, edit, removed, boilerplate-comment, boilerplate-change, boilerplate-edit
    kind: str
    where: str  # file:line:column of the field, "" for boilerplate
    record: str = ""
    field: str = ""
    author: str = ""
    date: str = ""
    text: str = ""  # a comment's text, or a boilerplate change's
    old: str = ""  # the field as built
    new: str = ""  # the field now
    anchored: str = ""  # what a comment is anchored to, or the paragraph of boilerplate
    furniture: str = ""  # the page header or footer boilerplate is in ("" for the body)

    def line(self) -> str:
        """The finding as ``ijbrief review`` prints it."""
        by = f" by {self.author}" if self.author else ""
        when = f" ({self.date[:10]})" if self.date else ""
        field = f" in {self.record} {self.field}" if self.record else ""
        if self.kind == "comment":
            return f'{self.where}: comment{by}{when}{field}: "{self.text}"'
        if self.kind == "boilerplate-comment":
            return (
                f'(no source): comment{by}{when} on "{_short(self.anchored)}", '
                f'a paragraph no record prints: "{self.text}"'
            )
        if self.kind == "boilerplate-change":
            return (
                f'(no source): {self.text}{by}{when} in "{_short(self.anchored)}", '
                f"{self._place()}: {self._instead()}"
            )
        if self.kind == "boilerplate-edit":
            return (
                f"(no source): edit (not tracked) in {self._place()}: {self._instead()}\n"
                f'    old: "{self.old}"\n    new: "{self.new}"'
            )
        if self.kind == "removed":
            return f"{self.where}: the text of{field} is no longer in the document (deleted?)"
        what = "tracked change" if self.kind == "tracked" else "edit (not tracked)"
        needs = "; a quotation: it needs a source" if self.field.startswith("quotes[") else ""
        return (
            f"{self.where}: {what}{by}{when}{field}{needs}\n"
            f'    old: "{self.old}"\n    new: "{self.new}"'
        )

    def _place(self) -> str:
        return f"the {self.furniture}" if self.furniture else "a paragraph no record prints"

    def _instead(self) -> str:
        if self.furniture:
            # The marking, the label and the dossier's title are the audience's settings.
            return "change the audience's audience.yaml or the template instead"
        return "change the template or the project instead"


def _short(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "\u2026"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _realigned(built: str, new: str, before: str, after: str) -> str:
    """``new`` with the few characters of the field a save moved just outside its bookmark
    (LibreOffice shifts a bookmark's end by one for each comment anchored before it) taken
    back from the text beside it."""
    for size in range(1, 4):
        tail = built[-size:]
        if not new.endswith(tail) and after.startswith(tail):
            new += tail
            break
    for size in range(1, 4):
        head = built[:size]
        if not new.startswith(head) and before.endswith(head):
            new = head + new
            break
    return new


def review(root: Path, path: Path) -> tuple[dict[str, str], list[Finding]]:
    """The facts of the build ``path`` comes from, and what its reviewer did, in document order
    (comments first)."""
    from ijbrief.writers.docx_review_read import NotReadable, read_reviewed

    try:
        data = read_bytes(path, str(path), MAX_DOCX_BYTES)
    except OSError as exc:
        raise Refused(f"{path}: cannot read it: {os_reason(exc)}") from None
    except InputError as exc:
        raise Refused(str(exc.problems[0]) if exc.problems else str(path)) from None
    try:
        reviewed = read_reviewed(data)
    except NotReadable as exc:
        raise Refused(f"{path}: {exc}") from None
    changed = changed_files(root, reviewed.files)
    if changed:
        raise Refused(
            f"{path}: built from another version of the corpus ({', '.join(changed)} changed "
            "since): its lines no longer match; rebuild, or carry the changes over by hand"
        )
    sources = reviewed.sources

    def where(key: str) -> str:
        s = sources[key]
        return f"{s.file}:{s.line}:{s.column}"

    found: list[Finding] = []
    for comment in reviewed.comments:
        keys = [k for k in comment.keys if k in sources]
        if keys:
            first = sources[keys[0]]
            found.append(
                Finding(
                    "comment",
                    where(keys[0]),
                    first.record,
                    first.field,
                    comment.author,
                    comment.date,
                    comment.text,
                    anchored=comment.anchored,
                )
            )
        else:
            found.append(
                Finding(
                    "boilerplate-comment",
                    "",
                    author=comment.author,
                    date=comment.date,
                    text=comment.text,
                    anchored=comment.anchored or comment.paragraph,
                )
            )
    for key, source in sources.items():
        now = reviewed.current.get(key)
        if now is None:
            found.append(Finding("removed", where(key), source.record, source.field))
            continue
        built = _norm(source.built)
        new = _realigned(built, _norm(now.new), now.before, now.after)
        if new == built:
            continue
        revisions = now.revisions
        found.append(
            Finding(
                "tracked" if revisions else "edit",
                where(key),
                source.record,
                source.field,
                ", ".join(dict.fromkeys(r.author for r in revisions if r.author)),
                max((r.date for r in revisions), default=""),
                old=built,
                new=new,
            )
        )
    for item in reviewed.boilerplate:
        revision = item.revision
        found.append(
            Finding(
                "boilerplate-change",
                "",
                author=revision.author,
                date=revision.date,
                text=f'{revision.kind} "{_short(revision.text, 40)}"',
                anchored=item.paragraph,
                furniture=item.furniture,
            )
        )
    for key, built_text in reviewed.plain_built.items():
        # A paragraph gone with its bookmark is left unsaid: an editor may drop a bookmark
        # that wraps a whole paragraph, and "deleted" would then be a false alarm.
        now_text = reviewed.plain_untracked.get(key)
        if now_text is None:
            continue
        as_built, typed = _norm(built_text), _norm(now_text)
        if typed != as_built:
            found.append(
                Finding("boilerplate-edit", "", old=as_built, new=typed, anchored=as_built)
            )
    for name, built_text in reviewed.furniture_built.items():
        # A header or footer that is no longer there (an editor may merge or drop one) is left
        # unsaid, as a paragraph whose bookmark went is.
        now_text = reviewed.furniture_untracked.get(name)
        if now_text is not None and now_text != built_text:
            found.append(
                Finding(
                    "boilerplate-edit",
                    "",
                    old=built_text,
                    new=now_text,
                    anchored=built_text,
                    furniture=name,
                )
            )
    return reviewed.facts, found


def apply(root: Path, found: list[Finding]) -> list[Outcome]:
    """Write the text edits of ``found`` into the YAML; one field edited two ways (a dossier
    prints some twice) is left alone."""
    wanted: dict[tuple[str, tuple[Any, ...]], Change | None] = {}
    for f in found:
        if f.kind not in ("tracked", "edit"):
            continue
        file = f.where.rsplit(":", 2)[0]
        change = Change(file, field_path(f.field), f.old, f.new)
        key = (file, change.path)
        earlier = wanted.get(key, change)
        wanted[key] = change if earlier is not None and earlier.new == change.new else None
    conflicts = [key for key, change in wanted.items() if change is None]
    outcomes = apply_changes(root, [c for c in wanted.values() if c is not None])
    for file, path in conflicts:
        outcomes.append(
            Outcome(Change(file, path, "", ""), False, "edited differently in two places")
        )
    return outcomes


def as_json(facts: dict[str, str], found: list[Finding]) -> dict[str, Any]:
    return {"document": facts, "findings": [asdict(f) for f in found]}
