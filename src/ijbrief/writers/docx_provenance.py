"""Where each sourced piece of a DOCX came from: a hidden bookmark around the text of every
record field the HTML marks with ``data-src``, and a custom XML part that maps each bookmark to
its record, field, YAML file and line and the text as built. ``ijbrief review`` reads them back
(writers/docx_review_read.py); docs/review.md says why this form survives Word and LibreOffice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = "urn:ijbrief:sources:1"
PREFIX = "_ijb_"  # a leading underscore: Word keeps the bookmark but hides it from its list
# A paragraph no record field prints (a heading, a label, the template's own words) gets a
# bookmark of its own, ``_ijp_`` and its number, so that review can tell an edit made there
# without tracking: no source to hold it against, but the text as built is in the part.
PLAIN_PREFIX = "_ijp_"
RT_CUSTOM_XML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
RT_CUSTOM_XML_PROPS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps"
)
CT_CUSTOM_XML_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
DS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
# The data store item's identity: Word and LibreOffice keep a custom XML item with its
# properties part; the same id in every build, so a tool can find the part by it.
ITEM_ID = "{8D5A2C1E-6B0F-4E7A-9C3D-1A2B3C4D5E6F}"
_MARK_ID = "ijb-src-"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# The page furniture: each header and footer, by the name review gives it.
_FURNITURE = (("header", "headerReference"), ("footer", "footerReference"))
_PAGES = {"default": "page", "first": "first-page", "even": "even-page"}


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


@dataclass(frozen=True)
class Mark:
    """One element of the HTML that prints a record's field."""

    src: str  # "record:field"
    at: str  # "file:line:column"


def mark(body_html: Any) -> dict[str, Mark]:
    """Give each element with ``data-src`` an id (the converter makes an id a bookmark) and
    return the marks by that id."""
    marks: dict[str, Mark] = {}
    for number, el in enumerate(body_html.iter()):
        src = el.get("data-src") if isinstance(el.tag, str) else None
        if not src:
            continue
        html_id = el.get("id") or f"{_MARK_ID}{number}"
        el.set("id", html_id)
        marks[html_id] = Mark(src, el.get("data-src-at") or "")
    return marks


def short_key(src: str, used: set[str]) -> str:
    """``_ijb_`` and 10 hex digits of the record and field (a field a dossier prints twice gets
    ``_2``, ``_3``): at most 40 characters, as Word's bookmark names must be."""
    base = PREFIX + hashlib.sha1(src.encode("utf-8")).hexdigest()[:10]
    name, counter = base, 2
    while name in used:
        name, counter = f"{base}_{counter}", counter + 1
    used.add(name)
    return name


def bookmark_texts(body: Any, names: Iterable[str]) -> dict[str, str]:
    """The text inside each bookmark of ``names`` in the body as written (no tracked changes)."""
    wanted = set(names)
    open_by_id: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    t_tag, start_tag, end_tag = _w("t"), _w("bookmarkStart"), _w("bookmarkEnd")
    for el in body.iter(t_tag, start_tag, end_tag):
        if el.tag == t_tag:
            for name in open_by_id.values():
                texts[name].append(el.text or "")
        elif el.tag == start_tag:
            name = el.get(_w("name"))
            if name in wanted:
                open_by_id[el.get(_w("id"))] = name
                texts[name] = []
        else:
            open_by_id.pop(el.get(_w("id")), None)
    return {name: "".join(parts) for name, parts in texts.items()}


def furniture(body: Any, part_of: Callable[[str], Any | None]) -> dict[str, Any]:
    """Each page header and footer the sections of ``body`` refer to, by name ("page header",
    "first-page footer", "page header of section 2" …); ``part_of`` gives the root element of the
    part a relationship id names, or None. The names, not the part names, are kept: Word and
    LibreOffice rename the parts when they save."""
    sections = list(body.iter(_w("sectPr")))
    found: dict[str, Any] = {}
    for number, section in enumerate(sections, start=1):
        for kind, tag in _FURNITURE:
            for reference in section.iter(_w(tag)):
                root = part_of(reference.get(f"{{{R_NS}}}id") or "")
                if root is None:
                    continue
                page = reference.get(_w("type")) or "default"
                name = f"{_PAGES.get(page, page)} {kind}"
                if len(sections) > 1:
                    name += f" of section {number}"
                found[name] = root
    return found


def furniture_text(root: Any) -> str:
    """What a header or footer says, as typed: its paragraphs' text with tracked insertions left
    out and tracked deletions kept (the text before any tracked change), a tab as a space, and
    a field as its name in braces ("Page {PAGE} of {NUMPAGES}"): Word and LibreOffice rewrite
    a field's result, which is no edit."""
    t_tag, del_tag, p_tag, r_tag = _w("t"), _w("delText"), _w("p"), _w("r")
    ins_tag, simple_tag, char_tag = _w("ins"), _w("fldSimple"), _w("fldChar")
    tab_tag, code_tags = _w("tab"), (_w("instrText"), _w("delInstrText"))
    paragraphs: list[str] = []
    fields: list[list[str]] = []  # of each complex field open: its state, then its code
    inserted = simple = 0

    def field_name(code: str) -> str:
        words = code.split()
        return "{" + (words[0] if words else "") + "}"

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if event == "end":
            if tag == ins_tag:
                inserted -= 1
            elif tag == simple_tag:
                simple -= 1
            continue
        if tag == p_tag:
            paragraphs.append("")
        elif not paragraphs:
            continue
        elif tag == ins_tag:
            inserted += 1
        elif tag == simple_tag:
            simple += 1
            if not inserted:
                paragraphs[-1] += field_name(el.get(_w("instr")) or "")
        elif tag == char_tag:
            kind = el.get(_w("fldCharType"))
            if kind == "begin":
                fields.append(["code", ""])
            elif kind in ("separate", "end") and fields:
                if fields[-1][0] == "code" and not inserted and len(fields) == 1:
                    paragraphs[-1] += field_name(fields[-1][1])
                fields[-1][0] = "result"
                if kind == "end":
                    fields.pop()
        elif tag in code_tags and fields:
            fields[-1][1] += el.text or ""
        elif inserted or simple or fields:
            continue
        elif tag in (t_tag, del_tag):
            paragraphs[-1] += el.text or ""
        elif tag == tab_tag and el.getparent() is not None and el.getparent().tag == r_tag:
            paragraphs[-1] += " "
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _furniture_of(document: Any) -> dict[str, str]:
    related = document.part.related_parts

    def part_of(ident: str) -> Any | None:
        part = related.get(ident)
        return getattr(part, "element", None)

    return {
        name: furniture_text(root)
        for name, root in furniture(document.element.body, part_of).items()
    }


def attach(
    document: Any,
    bookmarks: Mapping[str, str],
    marks: Mapping[str, Mark],
    facts: Sequence[tuple[str, str]],
) -> None:
    """Rename the marks' bookmarks to hidden ``_ijb_`` names and add the part that maps each to
    where its text came from, and what each page header and footer says as built (call it
    once they are written). ``facts``: the corpus version, the build, the files' digests
    (``file:<path>`` → sha256), as the build gives them."""
    if not marks:
        return
    by_name = {bookmarks[html_id]: m for html_id, m in marks.items() if html_id in bookmarks}
    body = document.element.body
    used: set[str] = set()
    renamed: dict[str, Mark] = {}
    for start in body.iter(_w("bookmarkStart")):
        found = by_name.get(start.get(_w("name")))
        if found is not None:
            key = short_key(found.src, used)
            start.set(_w("name"), key)
            renamed[key] = found
    texts = bookmark_texts(body, renamed)
    plain = _mark_plain_paragraphs(body, set(renamed))
    root = etree.Element(f"{{{NS}}}sources", nsmap={None: NS})
    files: dict[str, str] = {}
    for name, value in facts:
        if name.startswith("file:"):
            files[name[5:]] = value
        else:
            root.set(name, value)
    cited = {m.at.rsplit(":", 2)[0] for m in renamed.values()}
    for path in sorted(cited & set(files)):
        etree.SubElement(root, f"{{{NS}}}file", path=path, sha256=files[path])
    for key, found in renamed.items():
        record, _, field = found.src.partition(":")
        file, line, column = [*found.at.rsplit(":", 2), "0", "0"][:3]
        item = etree.SubElement(
            root,
            f"{{{NS}}}item",
            key=key,
            record=record,
            field=field,
            file=file,
            line=line,
            column=column,
        )
        item.text = texts.get(key, "")
    for key, text in plain.items():
        etree.SubElement(root, f"{{{NS}}}plain", key=key).text = text
    for name, text in _furniture_of(document).items():
        etree.SubElement(root, f"{{{NS}}}furniture", name=name).text = text
    _add_custom_xml(document, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _paragraph_text(p: Any) -> str:
    return "".join(t.text or "" for t in p.iter(_w("t")))


# A paragraph with a field (contents, page references: Word rewrites their text when it updates
# fields, which is no edit) or with paragraphs inside it (a text box) is not marked.
_NOT_PLAIN = (_w("p"), _w("fldChar"), _w("instrText"), _w("fldSimple"))


def _mark_plain_paragraphs(body: Any, sourced: set[str]) -> dict[str, str]:
    """Put a ``_ijp_`` bookmark around each paragraph with text in which no sourced bookmark
    starts, ends or is open (a field that runs over paragraphs keeps them all); return each
    one's text as built, by bookmark name."""
    start_tag, end_tag, p_tag = _w("bookmarkStart"), _w("bookmarkEnd"), _w("p")
    ids = [
        int(el.get(_w("id"), "0")) for el in body.iter(start_tag) if el.get(_w("id"), "").isdigit()
    ]
    next_id = max(ids, default=0) + 1
    open_sourced: set[str] = set()
    plain: dict[str, str] = {}
    for p in list(body.iter(p_tag)):
        touched = bool(open_sourced)
        for el in p.iter(start_tag, end_tag):
            ident = el.get(_w("id")) or ""
            if el.tag == start_tag and el.get(_w("name")) in sourced:
                open_sourced.add(ident)
                touched = True
            elif el.tag == end_tag and ident in open_sourced:
                open_sourced.discard(ident)
                touched = True
        text = _paragraph_text(p)
        if touched or not text.strip() or any(True for _ in p.iter(*_NOT_PLAIN) if _ is not p):
            continue
        name = f"{PLAIN_PREFIX}{len(plain) + 1}"
        start = etree.Element(start_tag)
        start.set(_w("id"), str(next_id))
        start.set(_w("name"), name)
        end = etree.Element(end_tag)
        end.set(_w("id"), str(next_id))
        properties = p.find(_w("pPr"))
        p.insert(0 if properties is None else p.index(properties) + 1, start)
        p.append(end)
        next_id += 1
        plain[name] = text
    return plain


def _add_custom_xml(document: Any, blob: bytes) -> None:
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = document.part.package
    taken = {str(p.partname) for p in package.iter_parts()}
    number = 1
    while f"/customXml/item{number}.xml" in taken:
        number += 1
    item = Part(PackURI(f"/customXml/item{number}.xml"), "application/xml", blob, package)
    props_xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        f'<ds:datastoreItem ds:itemID="{ITEM_ID}" xmlns:ds="{DS_NS}">'
        f'<ds:schemaRefs><ds:schemaRef ds:uri="{NS}"/></ds:schemaRefs></ds:datastoreItem>'
    ).encode()
    props = Part(
        PackURI(f"/customXml/itemProps{number}.xml"), CT_CUSTOM_XML_PROPS, props_xml, package
    )
    item.relate_to(props, RT_CUSTOM_XML_PROPS)
    document.part.relate_to(item, RT_CUSTOM_XML)
