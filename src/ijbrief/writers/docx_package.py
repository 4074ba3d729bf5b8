"""Read an audience's reference.docx as a user's file: inside the templates folders, bounded in
size, a real Word package, its XML parsed with no DTD and no entities, and nothing in it that
reaches outside (external relationships other than hyperlinks are removed)."""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from ijbrief.errors import InputError, Location, Problem, TemplateError
from ijbrief.files import read_bytes

MAX_REFERENCE_BYTES = 16 * 1024 * 1024
# One part uncompressed (styles, a header's logo), and all of them: a reference document is a
# few tens of kilobytes, and a part of a gigabyte must be refused before it is inflated.
MAX_PART_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
MAX_PARTS = 500

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = _R_NS + "/officeDocument"
_HYPERLINK = _R_NS + "/hyperlink"
_REMAKE = "make one with `python -m ijbrief.writers.docx_reference templates` or save it as .docx"


def read_reference(path: Path, display: str, roots: Sequence[Path], *, clean: bool = True) -> bytes:
    """The bytes of the reference document at ``path``, checked and (with ``clean``) cleaned;
    a TemplateError naming ``display`` when it is not inside ``roots``, not readable or not a
    Word document. Checking alone needs neither lxml nor python-docx."""
    try:
        real = path.resolve()
    except (RuntimeError, OSError):  # a symbolic link loop: reading it says so
        real = path
    if not any(real.is_relative_to(root.resolve()) for root in roots):
        raise TemplateError(
            [Problem(Location(display), "refused: it leads outside the templates folders")]
        )
    try:
        raw = read_bytes(path, display, MAX_REFERENCE_BYTES)
    except InputError as exc:
        raise TemplateError(exc.problems) from None
    if not clean:
        checked(raw, display)
        return raw
    # Every DOCX of the audience starts from it: checked once per content in a process.
    key = (hashlib.sha256(raw).digest(), display)
    if key not in _CLEANED:
        if len(_CLEANED) >= 8:
            _CLEANED.clear()
        _CLEANED[key] = cleaned(raw, display)
    return _CLEANED[key]


_CLEANED: dict[tuple[bytes, str], bytes] = {}


def cleaned(raw: bytes, display: str) -> bytes:
    """The package ``raw`` rewritten without external relationships (other than hyperlinks);
    TemplateError when it is not a Word document that is safe to read."""
    parts, external = checked(raw, display)
    if not external:
        return raw
    for name, data in _strip_external(parts, external).items():
        parts[name] = data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def checked(raw: bytes, display: str) -> tuple[dict[str, bytes], dict[str, set[str]]]:
    """The parts of the package ``raw``, and the ids of the external relationships (other than
    hyperlinks) of each relationships part; TemplateError when it is not a Word document that
    is safe to read: every XML part well-formed and without a DTD."""

    def refuse(message: str) -> TemplateError:
        return TemplateError([Problem(Location(display), message)])

    parts = _parts(raw, refuse)
    for name, data in parts.items():
        if _is_xml(name):
            _well_formed(name, data, refuse)
    for required in ("[Content_Types].xml", "_rels/.rels"):
        if required not in parts:
            raise refuse(f"not a Word document: it has no {required} ({_REMAKE})")
    main = _main_part(ElementTree.fromstring(parts["_rels/.rels"]), parts)
    if main is None:
        raise refuse(f"not a Word document: it names no main document part ({_REMAKE})")
    kind = _content_type(ElementTree.fromstring(parts["[Content_Types].xml"]), main)
    if kind != WORD_MAIN:
        raise refuse(f"not a Word document: its main part {main} is {kind or 'of no type'}")
    external: dict[str, set[str]] = {}
    for name, data in parts.items():
        if name.endswith(".rels"):
            ids = {
                str(rel.get("Id"))
                for rel in ElementTree.fromstring(data).iter(f"{{{_PKG_REL_NS}}}Relationship")
                if rel.get("TargetMode") == "External" and rel.get("Type") != _HYPERLINK
            }
            if ids:
                external[name] = ids
    return parts, external


def _parts(raw: bytes, refuse: Any) -> dict[str, bytes]:
    """Every part of the package, each read only after its stated size was found acceptable,
    and never past the limit whatever the size stated."""
    try:
        package = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise refuse(f"not a Word document: not a ZIP package ({_REMAKE})") from None
    with package:
        infos = [info for info in package.infolist() if not info.is_dir()]
        if not infos:
            raise refuse(f"not a Word document: an empty ZIP package ({_REMAKE})")
        if len(infos) > MAX_PARTS:
            raise refuse(f"{len(infos)} parts in the package; the limit is {MAX_PARTS}")
        parts: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = info.filename
            if name in parts:
                raise refuse(f"part {name} is in the package twice")
            if info.flag_bits & 0x1:
                raise refuse(f"part {name} is encrypted")
            if info.file_size > MAX_PART_BYTES:
                raise refuse(
                    f"part {name} is {info.file_size} bytes uncompressed; the limit is "
                    f"{MAX_PART_BYTES}"
                )
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise refuse(f"the parts come to over {MAX_TOTAL_BYTES} bytes, the limit")
            try:
                with package.open(info) as handle:
                    data = handle.read(MAX_PART_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
                raise refuse(f"part {name} is damaged: {exc}") from None
            if len(data) > MAX_PART_BYTES:
                raise refuse(f"part {name} is over {MAX_PART_BYTES} bytes, the limit")
            parts[name] = data
    return parts


def _is_xml(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


class _HasDtd(Exception):
    pass


def _well_formed(name: str, data: bytes, refuse: Any) -> None:
    """Parse one XML part, stopping at a DTD: no entity is declared, expanded or fetched."""

    def no_dtd(*_: object) -> None:
        raise _HasDtd

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    try:
        parser.Parse(data, True)
    except _HasDtd:
        raise refuse(
            f"part {name} has a DTD (<!DOCTYPE …>), which a Word document never has"
        ) from None
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise refuse(f"part {name} line {exc.lineno}: XML syntax: {message}") from None


def _main_part(rels: Any, parts: dict[str, bytes]) -> str | None:
    for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("TargetMode") != "External":
            target = (rel.get("Target") or "").lstrip("/")
            return target if target in parts else None
    return None


def _content_type(types: Any, part: str) -> str | None:
    for override in types.iter(f"{{{_CT_NS}}}Override"):
        if (override.get("PartName") or "").lstrip("/") == part:
            return str(override.get("ContentType"))
    extension = part.rpartition(".")[2].lower()
    for default in types.iter(f"{{{_CT_NS}}}Default"):
        if (default.get("Extension") or "").lower() == extension:
            return str(default.get("ContentType"))
    return None


def _strip_external(parts: dict[str, bytes], external: dict[str, set[str]]) -> dict[str, bytes]:
    """Remove the relationships that point outside the package (an attached template, a
    linked picture or frame: Word would fetch them on opening), and what refers to them; the
    parts changed. Hyperlinks stay: they are followed only when clicked."""
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    # The parts are known to be well-formed and free of DTDs; prefixes and markup-compatibility
    # attributes must survive, which lxml (unlike ElementTree) keeps.
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    changed: dict[str, bytes] = {}
    for rels_name, ids in external.items():
        rels = etree.fromstring(parts[rels_name], parser)
        for rel in list(rels.iter(f"{{{_PKG_REL_NS}}}Relationship")):
            if rel.get("Id") in ids:
                rels.remove(rel)
        changed[rels_name] = _serialise(rels)
        folder, _, file = rels_name.rpartition("_rels/")
        source = folder + file.removesuffix(".rels")
        if source in parts:
            tree = etree.fromstring(parts[source], parser)
            if _drop_references(tree, ids):
                changed[source] = _serialise(tree)
    return changed


def _drop_references(tree: Any, removed: set[str]) -> bool:
    """Take out what refers to a removed relationship: a linked picture's link, or the element
    (a w:attachedTemplate, a frame) that is nothing without it."""
    found = False
    for el in list(tree.iter()):
        for attr, value in list(el.attrib.items()):
            if not attr.startswith(f"{{{_R_NS}}}") or value not in removed:
                continue
            found = True
            parent = el.getparent()
            if attr == f"{{{_R_NS}}}link" or parent is None:
                del el.attrib[attr]
            else:
                parent.remove(el)
                break
    return found


def _serialise(root: Any) -> bytes:
    from lxml import etree

    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return data
