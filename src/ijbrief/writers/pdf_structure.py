"""What WeasyPrint's structure tree leaves out and PDF/UA asks for, added to the finished PDF:
the scope of each table header cell, and the language of text in another language than the
document's (the Japanese and Devanagari names).

WeasyPrint (up to 70 at least) gives a TH element the attribute owner /Table and nothing else,
so a screen reader (and a PDF/UA validator, Matterhorn checkpoint 15-003) cannot tell a
column's header from a row's. Cells in a THead head their columns; a TH in a body or foot row
heads its row (HTML's default for such a cell).

WeasyPrint writes ``lang`` only as the catalog's /Lang: a screen reader reads 林 芳正 with an
English voice. Each text box (whose style has the ``lang`` its element inherits) is drawn as
one marked-content sequence with a structure element of its own; the sequence is found by where
its text object starts (as ``textlayer`` finds it), and that element gets the box's /Lang.

WeasyPrint marks the text of some page-margin boxes (the running header and footer) as content
of structure elements that hang from no element of the tree: PDF/UA asks that content be either
in the tree or an artifact, and a checker counts each as an error. They are the page's furniture,
so they become pagination artifacts, and their entries in the parent tree are emptied."""

from __future__ import annotations

import re
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

Langs = dict[tuple[float, float], str]  # a page's text origins and their language


def add_header_scopes(pdf: pikepdf.Pdf) -> int:
    """Give every TH element of ``pdf`` a /Scope (Column in a THead, Row elsewhere) unless it
    has one; the number of elements changed."""
    if "/StructTreeRoot" not in pdf.Root:
        return 0
    changed = 0
    # (element, whether it is inside a THead); the tree's nodes are walked once each.
    stack: list[tuple[Any, bool]] = [(kid, False) for kid in _kids(pdf.Root.StructTreeRoot)]
    seen: set[tuple[int, int]] = set()
    while stack:
        node, in_head = stack.pop()
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        role = node.get("/S")
        if role == Name.TH:
            changed += _scope(node, Name.Column if in_head else Name.Row)
        in_head = in_head or role == Name.THead
        stack += [(kid, in_head) for kid in _kids(node)]
    return changed


# A marked-content sequence's start as WeasyPrint writes it: a tag, a property list of its MCID
# alone, BDC.
_MARKED = re.compile(rb"/[A-Za-z]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
_PAGINATION = b"/Artifact <</Type /Pagination>> BDC"


def artifact_unlinked_content(pdf: pikepdf.Pdf) -> int:
    """Make each marked-content sequence whose structure element the tree does not reach a
    pagination artifact, and empty its parent-tree entry; the number of sequences changed. A
    sequence this cannot find in its page's content is left as it was."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None or "/ParentTree" not in tree:
        return 0
    reached = _reached(tree)
    parents = pikepdf.NumberTree(tree.ParentTree)
    changed = 0
    for page in pdf.pages:
        if "/StructParents" not in page.obj or not isinstance(
            page.obj.get("/Contents"), pikepdf.Stream
        ):
            continue
        elements = parents.get(int(page.obj.StructParents))
        if not isinstance(elements, Array):
            continue
        unlinked = {
            mcid
            for mcid, element in enumerate(elements)
            if isinstance(element, Dictionary) and element.objgen not in reached
        }
        if not unlinked:
            continue
        contents = page.obj.Contents
        data, found = _as_artifacts(contents.read_bytes(), unlinked)
        contents.write(data)
        for mcid in found:
            elements[mcid] = None
        changed += len(found)
    return changed


def _as_artifacts(content: bytes, mcids: set[int]) -> tuple[bytes, set[int]]:
    """A page's content with the sequences of ``mcids`` made pagination artifacts, and which
    of them were found."""
    found: set[int] = set()

    def artifact(match: re.Match[bytes]) -> bytes:
        mcid = int(match.group(1))
        if mcid not in mcids:
            return match.group(0)
        found.add(mcid)
        return _PAGINATION

    return _MARKED.sub(artifact, content), found


def _reached(tree: Any) -> set[tuple[int, int]]:
    """The structure elements reached from the tree's root (by object and generation)."""
    reached: set[tuple[int, int]] = set()
    stack = _kids(tree)
    while stack:
        node = stack.pop()
        if node.is_indirect:
            if node.objgen in reached:
                continue
            reached.add(node.objgen)
        stack += _kids(node)
    return reached


def _kids(node: Any) -> list[Any]:
    """The structure elements among a node's kids (not its marked content or annotations)."""
    kids = node.get("/K")
    kids = list(kids) if isinstance(kids, Array) else [kids]
    return [kid for kid in kids if isinstance(kid, Dictionary) and "/S" in kid]


def _scope(element: Any, scope: Name) -> int:
    """Set the Table attributes' /Scope of one TH; 1 if it changed."""
    attributes = element.get("/A")
    if attributes is None:
        element.A = Dictionary(O=Name.Table, Scope=scope)
        return 1
    # /A may be one attribute object or an array of them (and revision numbers).
    owners = list(attributes) if isinstance(attributes, Array) else [attributes]
    tables = [a for a in owners if isinstance(a, Dictionary) and a.get("/O") == Name.Table]
    if any("/Scope" in table for table in tables):
        return 0
    if tables:
        tables[0].Scope = scope
    elif isinstance(attributes, Array):
        attributes.append(Dictionary(O=Name.Table, Scope=scope))
    else:
        element.A = Array([attributes, Dictionary(O=Name.Table, Scope=scope)])
    return 1


def box_languages(document: Any) -> list[Langs]:
    """For each page of a WeasyPrint document, where each text box is drawn (the origin of its
    text object, as the content stream's Tm says) and the language it is in."""
    from weasyprint.formatting_structure.boxes import TextBox

    pages: list[Langs] = []
    for page in document.pages:
        found: Langs = {}
        clashes: set[tuple[float, float]] = set()
        for box in page._page_box.descendants():
            lang = box.style["lang"] if isinstance(box, TextBox) else None
            if not lang or not box.text.strip():
                continue
            origin = _origin(box.position_x, box.position_y + box.baseline)
            if found.setdefault(origin, lang) != lang:
                clashes.add(origin)  # two boxes drawn at one point: say nothing of either
        pages.append({o: lang for o, lang in found.items() if o not in clashes})
    return pages


def add_span_languages(pdf: pikepdf.Pdf, pages: list[Langs]) -> int:
    """Give /Lang to each structure element whose marked content is all drawn by text boxes in
    one language other than the document's; the number of elements changed."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None or "/ParentTree" not in tree or len(pages) != len(pdf.pages):
        return 0
    default = str(pdf.Root.get("/Lang", "")).lower()
    parents = pikepdf.NumberTree(tree.ParentTree)
    changed = 0
    for page, langs in zip(pdf.pages, pages, strict=True):
        wanted = {o: lang for o, lang in langs.items() if lang.lower() != default}
        if not wanted or "/StructParents" not in page.obj:
            continue
        by_mcid = _mcid_languages(page, wanted)
        elements = parents.get(int(page.obj.StructParents))
        if not by_mcid or not isinstance(elements, Array):
            continue
        for element in {
            elements[m].objgen: elements[m] for m in by_mcid if m < len(elements)
        }.values():
            lang = _one_language(element, by_mcid)
            if lang is not None:
                element.Lang = String(lang)
                changed += 1
    return changed


def _one_language(element: Any, by_mcid: dict[int, str]) -> str | None:
    """The language of all an element's marked content, if one: a link holds several boxes'
    content, and is marked only when every one is in that language."""
    if not isinstance(element, Dictionary) or "/Lang" in element:
        return None
    kids: Any = element.get("/K")
    mcids = [k for k in (list(kids) if isinstance(kids, Array) else [kids]) if isinstance(k, int)]
    langs = {by_mcid.get(m) for m in mcids}
    return langs.pop() if len(langs) == 1 else None


def _mcid_languages(page: pikepdf.Page, langs: Langs) -> dict[int, str]:
    """The language of each marked-content sequence (by MCID) whose text objects all start at
    origins in ``langs``."""
    found: dict[int, set[str | None]] = {}
    mcid: int | None = None
    # Only these operators: a page's content is parsed once, and most of it is not text.
    for instruction in pikepdf.parse_content_stream(page, "BDC EMC Tm"):
        operator = str(instruction.operator)
        if operator == "BDC":
            properties = instruction.operands[1]
            mcid = (
                int(properties.MCID)
                if isinstance(properties, Dictionary) and "/MCID" in properties
                else None
            )
        elif operator == "EMC":
            mcid = None
        elif mcid is not None:
            operands = instruction.operands
            found.setdefault(mcid, set()).add(
                langs.get(_origin(float(operands[4]), float(operands[5])))
            )
    one = {m: langs_.pop() for m, langs_ in found.items() if len(langs_) == 1}
    return {m: lang for m, lang in one.items() if lang is not None}


def _origin(x: float, y: float) -> tuple[float, float]:
    return (round(float(x), 2), round(float(y), 2))
