"""Compare two editions of a Word document ijbrief wrote: a redline DOCX (the newer edition with
what changed as Word's tracked changes, ``w:ins`` and ``w:del`` by "ijbrief", so that a reviewer
accepts or rejects them in Word or LibreOffice) and an HTML page showing the same changes.
Paragraph by paragraph, then word by word within a changed paragraph (difflib).

Just over 500 lines: the redline and the HTML page are two renderings of one comparison, and
splitting run-level surgery on WordprocessingML from the diff that drives it would not make
either easier to follow."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import html
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ijbrief.errors import IjbriefError, TemplateError
from ijbrief.textdiff import word_opcodes

AUTHOR = "ijbrief"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DC_NS = "http://purl.org/dc/elements/1.1/"
DOCUMENT = "word/document.xml"
# Unchanged paragraphs the HTML diff shows either side of a change; longer unchanged stretches
# fold into a "n unchanged paragraphs" line that opens on a click.
CONTEXT = 2
# Two paragraphs in the same place are one paragraph edited when at least this share of their
# words match (difflib's ratio); otherwise one was taken out and the other put in.
SAME_PARAGRAPH = 0.5
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
# Where a paragraph's text is: its runs, wherever they sit (in a hyperlink, a field, a content
# control); deleted text is not in it.
_TEXT_TAGS = {_W + "t": None, _W + "tab": "\t", _W + "br": "\n", _W + "noBreakHyphen": "\u2011"}


class RedlineError(IjbriefError):
    """One of the two documents cannot be compared (not a Word file ijbrief wrote)."""


@dataclass(frozen=True)
class Redline:
    """What ``compare`` makes: the redline DOCX, the HTML page, and how many paragraphs each
    kind of change touched."""

    docx: bytes
    html: bytes
    inserted: int
    deleted: int
    changed: int


def compare(old: bytes, new: bytes, old_name: str, new_name: str, when: dt.datetime) -> Redline:
    """The redline of two DOCX files ijbrief wrote; ``when`` dates the tracked changes."""
    from lxml import etree

    old_parts = _package(old, old_name)
    new_parts = _package(new, new_name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    old_doc = etree.fromstring(old_parts[DOCUMENT], parser)
    new_doc = etree.fromstring(new_parts[DOCUMENT], parser)
    old_paras = _paragraphs(old_doc)
    new_paras = _paragraphs(new_doc)
    old_texts = [_text(p) for p in old_paras]
    new_texts = [_text(p) for p in new_paras]
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    marks = _Marks(new_doc, stamp)
    rows: list[tuple[str, str, str]] = []  # (kind, old text, new text), for the HTML page
    inserted = deleted = changed = 0
    matcher = difflib.SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [("equal", t, t) for t in new_texts[j1:j2]]
            continue
        # Paragraphs replaced by as many others are edits of them, told word by word; the
        # rest of a replacement is paragraphs taken out or put in.
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            was, now = old_texts[i1 + k], new_texts[j1 + k]
            if _alike(was, now):
                _edit_paragraph(new_paras[j1 + k], was, marks)
                rows.append(("changed", was, now))
                changed += 1
                continue
            # Too little in common to read as an edit: the old one out, the new one in.
            _deleted_paragraph(old_paras[i1 + k], marks, before=new_paras[j1 + k])
            _insert_paragraph(new_paras[j1 + k], marks)
            rows += [("deleted", was, ""), ("inserted", "", now)]
            deleted += 1
            inserted += 1
        for j in range(j1 + pairs, j2):
            _insert_paragraph(new_paras[j], marks)
            rows.append(("inserted", "", new_texts[j]))
            inserted += 1
        gone = [old_paras[i] for i in range(i1 + pairs, i2)]
        if gone:
            anchor = new_paras[j2] if j2 < len(new_paras) else None
            after = new_paras[j2 - 1] if anchor is None and new_paras else None
            for para in gone:
                _deleted_paragraph(para, marks, before=anchor, after=after)
                if after is not None:
                    after = after.getnext()
            rows += [("deleted", old_texts[i], "") for i in range(i1 + pairs, i2)]
            deleted += len(gone)
    new_parts[DOCUMENT] = etree.tostring(new_doc, xml_declaration=True, encoding="UTF-8")
    page = _html_page(rows, old_name, new_name, stamp)
    return Redline(_zip(new_parts), page, inserted, deleted, changed)


# The HTML elements whose text is one "paragraph" of a brief, as the Word file's paragraphs are.
_HTML_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "th", "td", "caption")


def _html_paragraphs(raw: bytes, name: str) -> list[str]:
    """The text of each innermost block of an HTML output, in document order (a list item
    holding a paragraph counts once, as the paragraph); the page's scripts and styles left out."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(raw)
    except (etree.ParserError, ValueError) as exc:
        raise RedlineError(f"{name}: not an HTML page ({exc})") from None
    texts: list[str] = []
    for el in root.iter(*_HTML_BLOCKS):
        if any(True for inner in el.iter(*_HTML_BLOCKS) if inner is not el):
            continue
        text = " ".join(el.text_content().split())
        if text:
            texts.append(text)
    return texts


def compare_html(old: bytes, new: bytes, old_name: str, new_name: str, when: dt.datetime) -> bytes:
    """The HTML diff of two HTML outputs, paragraph by paragraph as for Word (no redline: an
    HTML file is no Word document to mark the changes in)."""
    old_texts = _html_paragraphs(old, old_name)
    new_texts = _html_paragraphs(new, new_name)
    rows: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [("equal", t, t) for t in new_texts[j1:j2]]
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            was, now = old_texts[i1 + k], new_texts[j1 + k]
            if _alike(was, now):
                rows.append(("changed", was, now))
            else:
                rows += [("deleted", was, ""), ("inserted", "", now)]
        rows += [("inserted", "", t) for t in new_texts[j1 + pairs : j2]]
        rows += [("deleted", t, "") for t in old_texts[i1 + pairs : i2]]
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _html_page(rows, old_name, new_name, stamp)


def _alike(before: str, after: str) -> bool:
    """Whether two paragraphs share enough words to be shown as one edited paragraph."""
    old, new = before.split(), after.split()
    if not old or not new:
        return False
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return matcher.ratio() >= SAME_PARAGRAPH


def _package(raw: bytes, name: str) -> dict[str, bytes]:
    """The parts of a Word file ijbrief wrote, read as safely as a reference document."""
    from ijbrief.writers.docx_package import checked

    try:
        parts, _ = checked(raw, name)
    except TemplateError as exc:
        raise RedlineError(str(exc.problems[0])) from None
    core = parts.get("docProps/core.xml", b"")
    if DOCUMENT not in parts or not _written_by_ijbrief(core):
        raise RedlineError(f"{name}: not a Word file ijbrief wrote (its author is not ijbrief)")
    return parts


def _written_by_ijbrief(core: bytes) -> bool:
    from lxml import etree

    try:
        root = etree.fromstring(core, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    creator = root.findtext(f"{{{_DC_NS}}}creator") or ""
    return creator.startswith(AUTHOR)


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        # [Content_Types].xml first, as Word writes it and some readers expect.
        for name in sorted(parts, key=lambda n: n != "[Content_Types].xml"):
            package.writestr(name, parts[name])
    return buffer.getvalue()


def _paragraphs(document: Any) -> list[Any]:
    """Every paragraph of the body, tables' too, in reading order (not those of text boxes)."""
    body = document.find(_W + "body")
    if body is None:
        return []
    return [p for p in body.iter(_W + "p") if not _in_textbox(p)]


def _in_textbox(p: Any) -> bool:
    parent = p.getparent()
    while parent is not None:
        if parent.tag == _W + "txbxContent":
            return True
        parent = parent.getparent()
    return False


def _runs(p: Any) -> list[Any]:
    """The runs of a paragraph that carry its text (not those already deleted, nor a field's
    instructions)."""
    return [r for r in p.iter(_W + "r") if not _inside(r, p, _W + "del")]


def _inside(element: Any, stop: Any, tag: str) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if parent.tag == tag:
            return True
        parent = parent.getparent()
    return False


def _text(p: Any) -> str:
    return "".join(_run_text(r) for r in _runs(p))


def _run_text(r: Any) -> str:
    out = []
    for child in r:
        if child.tag in _TEXT_TAGS:
            fixed = _TEXT_TAGS[child.tag]
            out.append(child.text or "" if fixed is None else fixed)
    return "".join(out)


class _Marks:
    """Makes the ``w:ins`` and ``w:del`` elements, each with its own id, above every id the
    document already uses."""

    def __init__(self, document: Any, stamp: str) -> None:
        ids = [int(v) for v in document.xpath("//@w:id", namespaces={"w": W_NS}) if v.isdigit()]
        self.next = max(ids, default=0) + 1
        self.stamp = stamp

    def make(self, tag: str) -> Any:
        from lxml import etree

        element = etree.Element(_W + tag)
        element.set(_W + "id", str(self.next))
        element.set(_W + "author", AUTHOR)
        element.set(_W + "date", self.stamp)
        self.next += 1
        return element

    def mark_paragraph(self, p: Any, tag: str) -> None:
        """Mark the paragraph's own mark inserted or deleted (so that accepting the deletion,
        or rejecting the insertion, joins it to the next paragraph, as Word does)."""
        from lxml import etree

        ppr = p.find(_W + "pPr")
        if ppr is None:
            ppr = etree.Element(_W + "pPr")
            p.insert(0, ppr)
        rpr = ppr.find(_W + "rPr")
        if rpr is None:
            rpr = etree.SubElement(ppr, _W + "rPr")
            # In CT_PPr the run properties of the mark come after every other property but
            # the section and the change record.
            for later in (_W + "sectPr", _W + "pPrChange"):
                found = ppr.find(later)
                if found is not None:
                    found.addprevious(rpr)
                    break
        rpr.insert(0, self.make(tag))


def _atomise(p: Any) -> list[tuple[Any, str]]:
    """Split the paragraph's runs so that each holds one text element, and return them with
    their text: a change can then be marked on exactly the characters it covers."""
    from lxml import etree

    atoms: list[tuple[Any, str]] = []
    for run in _runs(p):
        props = run.find(_W + "rPr")
        content = [c for c in run if c.tag != _W + "rPr"]
        if len(content) <= 1:
            atoms.append((run, _run_text(run)))
            continue
        for child in content:
            piece = etree.Element(_W + "r")
            if props is not None:
                piece.append(copy.deepcopy(props))
            piece.append(child)  # moves it out of the run
            run.addprevious(piece)
            atoms.append((piece, _run_text(piece)))
        run.getparent().remove(run)
    return atoms


def _split_at(atoms: list[tuple[Any, str]], offset: int) -> None:
    """Make ``offset`` (in the paragraph's text) fall between two atoms."""
    position = 0
    for index, (run, text) in enumerate(atoms):
        if position < offset < position + len(text):
            t = run.find(_W + "t")
            if t is None:  # a tab or break is one character: nothing to split
                return
            cut = offset - position
            second = copy.deepcopy(run)
            _set_text(t, text[:cut])
            _set_text(second.find(_W + "t"), text[cut:])
            run.addnext(second)
            atoms[index : index + 1] = [(run, text[:cut]), (second, text[cut:])]
            return
        position += len(text)


def _set_text(t: Any, text: str) -> None:
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _wrap(run: Any, marks: _Marks) -> None:
    wrapper = marks.make("ins")
    run.addprevious(wrapper)
    wrapper.append(run)


def _deletion(text: str, like: Any | None, marks: _Marks) -> Any:
    """A ``w:del`` holding ``text``, formatted as the run ``like``."""
    from lxml import etree

    wrapper = marks.make("del")
    run = etree.SubElement(wrapper, _W + "r")
    props = like.find(_W + "rPr") if like is not None else None
    if props is not None:
        run.append(copy.deepcopy(props))
    for index, line in enumerate(text.split("\n")):
        if index:
            etree.SubElement(run, _W + "br")
        for k, piece in enumerate(line.split("\t")):
            if k:
                etree.SubElement(run, _W + "tab")
            if piece:
                _set_text(etree.SubElement(run, _W + "delText"), piece)
    return wrapper


def _edit_paragraph(p: Any, before: str, marks: _Marks) -> None:
    """Mark in ``p`` the words that differ from ``before``: its new words as inserted, the old
    ones as deleted text in their place."""
    atoms = _atomise(p)
    after = "".join(text for _, text in atoms)
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    old_at = _offsets(old)
    new_at = _offsets(new)
    edits = [
        (old_at[i1], old_at[i2], new_at[j1], new_at[j2])
        for op, i1, i2, j1, j2 in word_opcodes(old, new)
        if op != "equal"
    ]
    for _, _, start, end in edits:
        _split_at(atoms, start)
        _split_at(atoms, end)
    spans = list(_spans(atoms))
    # From the end, so that what is added does not move the places still to mark.
    for o1, o2, start, end in reversed(edits):
        inside = [run for run, s, e in spans if start <= s and e <= end and e > s]
        for run in inside:
            _wrap(run, marks)
        if o2 > o1:
            removed = before[o1:o2]
            previous = [run for run, s, e in spans if e <= start and e > s]
            following = [run for run, s, e in spans if s >= start and e > s]
            if inside:
                inside[0].getparent().addprevious(_deletion(removed, inside[0], marks))
            elif following:
                target = following[0]
                anchor = target.getparent() if target.getparent().tag == _W + "ins" else target
                anchor.addprevious(_deletion(removed, target, marks))
            elif previous:
                target = previous[-1]
                anchor = target.getparent() if target.getparent().tag == _W + "ins" else target
                anchor.addnext(_deletion(removed, target, marks))
            else:
                p.append(_deletion(removed, None, marks))


def _offsets(tokens: Sequence[str]) -> list[int]:
    at = [0]
    for token in tokens:
        at.append(at[-1] + len(token))
    return at


def _spans(atoms: list[tuple[Any, str]]) -> Iterator[tuple[Any, int, int]]:
    position = 0
    for run, text in atoms:
        yield run, position, position + len(text)
        position += len(text)


def _insert_paragraph(p: Any, marks: _Marks) -> None:
    for run in _runs(p):
        _wrap(run, marks)
    marks.mark_paragraph(p, "ins")


def _deleted_paragraph(
    p: Any, marks: _Marks, *, before: Any | None = None, after: Any | None = None
) -> None:
    """Put a copy of the old edition's paragraph ``p`` into the new document, all of it
    deleted: before the paragraph ``before``, or after ``after``."""
    from lxml import etree

    gone = copy.deepcopy(p)
    # What refers to the old package's relationships (links, pictures) or names a place the
    # new document names too (bookmarks) does not come over: only the text, deleted.
    for element in list(gone.iter()):
        local = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if local in ("drawing", "pict", "object", "bookmarkStart", "bookmarkEnd"):
            element.getparent().remove(element)
        elif local == "hyperlink":
            for name in [n for n in element.attrib if n.startswith(f"{{{_R_NS}}}")]:
                del element.attrib[name]
    for run in _runs(gone):
        for t in run.iter(_W + "t"):
            t.tag = _W + "delText"
        for instr in run.iter(_W + "instrText"):
            instr.tag = _W + "delInstrText"
        wrapper = marks.make("del")
        run.addprevious(wrapper)
        wrapper.append(run)
    marks.mark_paragraph(gone, "del")
    if before is not None:
        before.addprevious(gone)
    elif after is not None:
        after.addnext(gone)


_STYLE = """
body { font: 15px/1.5 "Noto Sans", "Segoe UI", Arial, sans-serif; color: #1d2329; margin: 0;
  background: #f4f5f7; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
.meta { color: #56606a; font-size: .9rem; margin: 0 0 1rem; }
.legend { font-size: .9rem; margin-bottom: 1.25rem; }
p { margin: .35rem 0; padding: .1rem .5rem; border-left: 3px solid transparent;
  white-space: pre-wrap; }
p.changed { border-left-color: #b7791f; }
p.inserted { border-left-color: #1e7b34; background: #edf7ef; }
p.deleted { border-left-color: #b3261e; background: #fbeceb; }
ins { background: #c9ecd1; color: #0f4d1f; text-decoration: underline; }
del { background: #f6cfcc; color: #7a1912; text-decoration: line-through; }
details { margin: .35rem 0; color: #56606a; }
summary { cursor: pointer; font-size: .85rem; }
details p { color: #1d2329; }
@media print { body { background: #fff; } main { padding: 0; } details { display: none; } }
"""


def _html_page(rows: list[tuple[str, str, str]], old_name: str, new_name: str, stamp: str) -> bytes:
    counts = {k: sum(1 for r in rows if r[0] == k) for k in ("changed", "inserted", "deleted")}
    body: list[str] = []
    changes = [i for i, r in enumerate(rows) if r[0] != "equal"]
    shown = {i for c in changes for i in range(c - CONTEXT, c + CONTEXT + 1)}
    folded: list[str] = []

    def fold() -> None:
        if folded:
            noun = "paragraph" if len(folded) == 1 else "paragraphs"
            body.append(
                f"<details><summary>{len(folded)} unchanged {noun}</summary>{''.join(folded)}"
                "</details>"
            )
            folded.clear()

    for index, (kind, before, after) in enumerate(rows):
        if kind == "equal":
            para = f"<p>{html.escape(after)}</p>"
            if index in shown:
                fold()
                body.append(para)
            else:
                folded.append(para)
            continue
        fold()
        if kind == "inserted":
            body.append(f'<p class="inserted"><ins>{html.escape(after)}</ins></p>')
        elif kind == "deleted":
            body.append(f'<p class="deleted"><del>{html.escape(before)}</del></p>')
        else:
            body.append(f'<p class="changed">{_word_diff(before, after)}</p>')
    fold()
    if not changes:
        body.append("<p>The two editions have the same text.</p>")
    summary = (
        f"{counts['changed']} paragraph{'s' * (counts['changed'] != 1)} changed, "
        f"{counts['inserted']} added, {counts['deleted']} taken out"
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ijbrief">
<title>Changes: {html.escape(new_name)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>Changes from {html.escape(old_name)} to {html.escape(new_name)}</h1>
<p class="meta">Compared by ijbrief on {html.escape(stamp)}: {summary}.</p>
<p class="legend"><ins>added text</ins> · <del>text taken out</del></p>
{chr(10).join(body)}
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def _word_diff(before: str, after: str) -> str:
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    out: list[str] = []
    for op, i1, i2, j1, j2 in word_opcodes(old, new):
        if op == "equal":
            out.append(html.escape("".join(new[j1:j2])))
            continue
        if i2 > i1:
            out.append(f"<del>{html.escape(''.join(old[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{html.escape(''.join(new[j1:j2]))}</ins>")
    return "".join(out)
