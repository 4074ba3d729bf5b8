"""Read a reviewed DOCX back: its comments, its tracked insertions and deletions, and the text of
each sourced bookmark now, next to the text it was built with (writers/docx_provenance.py).

The package is read with lxml straight from the zip, not through python-docx: one pass over
the body finds everything, and a large file with hundreds of comments reads in a fraction of a
second. Plain data out; ``build/review.py`` places it in the corpus."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from lxml import etree

from ijbrief.writers.docx_provenance import (
    NS,
    PLAIN_PREFIX,
    PREFIX,
    W_NS,
    furniture,
    furniture_text,
)

_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"
_COMMENTS = "/comments"
_CUSTOM_XML = "/customXml"
MAX_PART_BYTES = 256 * 1024 * 1024  # a zip member larger than this unpacked is not a brief
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class NotReadable(Exception):
    """The file is no DOCX, or no ijbrief output: the message says which, in a line."""


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


@dataclass
class Source:
    key: str
    record: str
    field: str
    file: str
    line: int
    column: int
    built: str


@dataclass
class Comment:
    id: str
    author: str
    date: str
    text: str
    keys: list[str] = field(default_factory=list)  # the sourced bookmarks it is anchored in
    anchored: str = ""  # the text it is anchored to
    paragraph: str = ""  # the paragraph it is in, for one with no source


@dataclass
class Revision:
    kind: str  # "insertion" or "deletion"
    author: str
    date: str
    text: str


@dataclass
class Current:
    """A sourced bookmark's text now: with every tracked change accepted (``new``), and with
    every tracked change rejected (``untracked``: what was typed without tracking)."""

    new: str = ""
    untracked: str = ""
    revisions: list[Revision] = field(default_factory=list)
    # The paragraph's text (changes accepted) before and after the bookmark: LibreOffice may
    # move a bookmark's end by a character when a comment is anchored before it.
    before: str = ""
    after: str = ""


@dataclass
class Boilerplate:
    """A tracked change in a paragraph that no record field printed."""

    revision: Revision
    paragraph: str = ""
    furniture: str = ""  # the header or footer it is in ("" for the body)


@dataclass
class Reviewed:
    facts: dict[str, str]
    files: dict[str, str]  # path → sha256 at build time
    sources: dict[str, Source]
    current: dict[str, Current]
    comments: list[Comment]
    boilerplate: list[Boilerplate]
    # The paragraphs no record prints: their text as built, and now with every tracked change
    # rejected (what was typed there without tracking), by bookmark name.
    plain_built: dict[str, str] = field(default_factory=dict)
    plain_untracked: dict[str, str] = field(default_factory=dict)
    # Each page header and footer's text as built, and now with tracked changes rejected.
    furniture_built: dict[str, str] = field(default_factory=dict)
    furniture_untracked: dict[str, str] = field(default_factory=dict)


def _read(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise NotReadable(f"its part {name} is too large ({info.file_size} bytes unpacked)")
    return archive.read(info)


def _xml(data: bytes, name: str) -> Any:
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotReadable(f"its part {name} is not well-formed XML ({exc})") from None


def _relationships(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(type, target part name) of each relationship of ``part`` ("" for the package's)."""
    return [(kind, target) for kind, target, _ in _relationships_by_id(archive, part)]


def _relationships_by_id(archive: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(type, target part name, id) of each relationship of ``part``."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    data = _read(archive, rels)
    if data is None:
        return []
    found = []
    for rel in _xml(data, rels).iter(f"{{{_RELS_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found.append((rel.get("Type") or "", posixpath.normpath(path), rel.get("Id") or ""))
    return found


def read_reviewed(data: bytes) -> Reviewed:
    """Everything ``ijbrief review`` needs of a DOCX; :class:`NotReadable` if it cannot."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        raise NotReadable("it is not a Word (.docx) file") from None
    with archive:
        main = next(
            (t for k, t in _relationships(archive, "") if k.endswith(_OFFICE_DOCUMENT)), None
        )
        body_bytes = _read(archive, main) if main else None
        if main is None or body_bytes is None:
            raise NotReadable("it is not a Word (.docx) file: it has no main document")
        rels = _relationships(archive, main)
        mapping = None
        candidates = [t for k, t in rels if k.endswith(_CUSTOM_XML)]
        # A tool that forgets the relationship may still keep the part itself.
        candidates += sorted(n for n in archive.namelist() if n.startswith("customXml/item"))
        for name in candidates:
            raw = _read(archive, name)
            if raw is not None and NS.encode() in raw:
                root = _xml(raw, name)
                if root.tag == f"{{{NS}}}sources":
                    mapping = root
                    break
        if mapping is None:
            raise NotReadable(
                "it is not an ijbrief output (it has no record of its sources: "
                "was it made by an older ijbrief, or copied into a new document?)"
            )
        comments_name = next((t for k, t in rels if k.endswith(_COMMENTS)), None)
        comments_bytes = _read(archive, comments_name) if comments_name else None
        body = _xml(body_bytes, main)
        comments = _comments(_xml(comments_bytes, comments_name or "")) if comments_bytes else {}
        targets = {ident: target for _, target, ident in _relationships_by_id(archive, main)}

        def part_of(ident: str) -> Any | None:
            name = targets.get(ident)
            data = _read(archive, name) if name else None
            return _xml(data, name or "") if data is not None else None

        pages = furniture(body, part_of)
    facts = {k: v for k, v in mapping.attrib.items()}
    files = {f.get("path"): f.get("sha256") for f in mapping.iter(f"{{{NS}}}file")}
    sources: dict[str, Source] = {}
    for item in mapping.iter(f"{{{NS}}}item"):
        key = item.get("key") or ""
        sources[key] = Source(
            key=key,
            record=item.get("record") or "",
            field=item.get("field") or "",
            file=item.get("file") or "",
            line=_int(item.get("line")),
            column=_int(item.get("column")),
            built=item.text or "",
        )
    plain_built = {p.get("key") or "": p.text or "" for p in mapping.iter(f"{{{NS}}}plain")}
    current, boilerplate, plain_untracked = _walk(body, comments)
    for name, root in pages.items():
        for item in _walk(root, {})[1]:
            item.furniture = name
            boilerplate.append(item)
    return Reviewed(
        facts,
        files,
        sources,
        current,
        sorted(comments.values(), key=_order),
        boilerplate,
        plain_built,
        plain_untracked,
        {f.get("name") or "": f.text or "" for f in mapping.iter(f"{{{NS}}}furniture")},
        {name: furniture_text(root) for name, root in pages.items()},
    )


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _order(comment: Comment) -> tuple[int, str]:
    return (_int(comment.id), comment.id)


def _comments(root: Any) -> dict[str, Comment]:
    found: dict[str, Comment] = {}
    for el in root.iter(_w("comment")):
        paragraphs = ["".join(t.text or "" for t in p.iter(_w("t"))) for p in el.iter(_w("p"))]
        ident = el.get(_w("id")) or ""
        found[ident] = Comment(
            id=ident,
            author=el.get(_w("author")) or "",
            date=el.get(_w("date")) or "",
            text="\n".join(paragraphs).strip(),
        )
    return found


def _walk(
    body: Any, comments: dict[str, Comment]
) -> tuple[dict[str, Current], list[Boilerplate], dict[str, str]]:
    """One pass over the body, in document order."""
    t_tag, del_tag = _w("t"), _w("delText")
    ins, dele = _w("ins"), _w("del")
    bm_start, bm_end = _w("bookmarkStart"), _w("bookmarkEnd")
    c_start, c_end, c_ref = _w("commentRangeStart"), _w("commentRangeEnd"), _w("commentReference")
    p_tag = _w("p")
    current: dict[str, Current] = {}
    open_marks: dict[str, str] = {}  # bookmark id → our name
    open_comments: dict[str, Comment] = {}
    revisions: list[tuple[Any, Revision]] = []  # the ins/del elements open, innermost last
    paragraph: list[str] = []
    unplaced: list[Boilerplate] = []  # boilerplate changes of this paragraph
    seen_here: list[Comment] = []  # the comments that start in this paragraph
    started: set[str] = set()
    closed_here: list[str] = []  # the sourced bookmarks that ended in this paragraph
    boilerplate: list[Boilerplate] = []
    open_plain: dict[str, str] = {}  # bookmark id → name, of the paragraphs no record prints
    plain: dict[str, str] = {}
    for event, el in etree.iterwalk(body, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag in (t_tag, del_tag):
                text = el.text or ""
                deleted = tag == del_tag
                inserted = any(r.kind == "insertion" for _, r in revisions)
                if not deleted:
                    paragraph.append(text)
                    for name in closed_here:
                        current[name].after += text
                for comment in open_comments.values():
                    if not deleted:
                        comment.anchored += text
                for name in open_marks.values():
                    now = current[name]
                    if not deleted:
                        now.new += text
                    if not inserted:
                        now.untracked += text
                if not inserted:
                    for name in open_plain.values():
                        plain[name] += text
                if revisions:
                    revision = revisions[-1][1]
                    revision.text += text
            elif tag in (ins, dele):
                revision = Revision(
                    "insertion" if tag == ins else "deletion",
                    el.get(_w("author")) or "",
                    el.get(_w("date")) or "",
                    "",
                )
                revisions.append((el, revision))
                if open_marks:
                    for name in open_marks.values():
                        current[name].revisions.append(revision)
                elif el.getparent() is not None and el.getparent().tag != _w("rPr"):
                    unplaced.append(Boilerplate(revision))
            elif tag == bm_start:
                name = el.get(_w("name")) or ""
                if name.startswith(PLAIN_PREFIX):
                    open_plain[el.get(_w("id")) or ""] = name
                    plain.setdefault(name, "")
                elif name.startswith(PREFIX):
                    open_marks[el.get(_w("id")) or ""] = name
                    now = current.setdefault(name, Current())
                    now.before = "".join(paragraph)
                    # LibreOffice writes a bookmark that starts with a tracked change inside
                    # the change's element: the change is the field's.
                    for _, revision in revisions:
                        now.revisions.append(revision)
                        unplaced[:] = [b for b in unplaced if b.revision is not revision]
                    for comment in open_comments.values():
                        if name not in comment.keys:
                            comment.keys.append(name)
            elif tag == bm_end:
                open_plain.pop(el.get(_w("id")) or "", None)
                closed = open_marks.pop(el.get(_w("id")) or "", None)
                if closed is not None:
                    closed_here.append(closed)
            elif tag in (c_start, c_ref):
                anchored = comments.get(el.get(_w("id")) or "")
                if anchored is None or (tag == c_ref and anchored.id in started):
                    continue  # the reference at the end of a range adds nothing
                comment = anchored
                if tag == c_start:
                    started.add(comment.id)
                    open_comments[comment.id] = comment
                for name in open_marks.values():
                    if name not in comment.keys:
                        comment.keys.append(name)
                seen_here.append(comment)
            elif tag == c_end:
                open_comments.pop(el.get(_w("id")) or "", None)
        else:
            if tag in (ins, dele):
                if revisions and revisions[-1][0] is el:
                    revisions.pop()
            elif tag == p_tag:
                text = "".join(paragraph)
                for item in unplaced:
                    item.paragraph = text
                for comment in seen_here:
                    comment.paragraph = comment.paragraph or text
                boilerplate += [b for b in unplaced if b.revision.text]
                unplaced, seen_here, paragraph, closed_here = [], [], [], []
                for name in open_marks.values():  # a paragraph split inside a field
                    current[name].new += " "
                    current[name].untracked += " "
                for name in open_plain.values():
                    plain[name] += " "
    return current, boilerplate, plain
