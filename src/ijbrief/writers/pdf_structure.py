"""What WeasyPrint's structure tree leaves out and PDF/UA asks for, added to the finished PDF:
the scope of each table header cell.

WeasyPrint (up to 70 at least) gives a TH element the attribute owner /Table and nothing else,
so a screen reader (and a PDF/UA validator, Matterhorn checkpoint 15-003) cannot tell a
column's header from a row's. Cells in a THead head their columns; a TH in a body or foot row
heads its row (HTML's default for such a cell)."""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name


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
