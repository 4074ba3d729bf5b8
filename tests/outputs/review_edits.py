"""A reviewer's work on a built DOCX, done two ways: by editing the package's XML as Word writes
it, and in LibreOffice itself through UNO (a script run by the system's python3, which has the
``uno`` module of the python3-uno package). Both add two comments, one tracked change and one
change made without tracking."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Edits:
    comments: tuple[tuple[str, str, str], ...]  # (text it is anchored to, author, comment)
    tracked: tuple[str, str, str] | None  # (old, new, author)
    untracked: tuple[str, str] | None  # (old, new)


def _run_with(p: etree._Element, needle: str) -> etree._Element:
    for run in p.iter(_w("r")):
        t = run.find(_w("t"))
        if t is not None and t.text and needle in t.text:
            return run
    raise AssertionError(f"no run with {needle!r}")


def _paragraph_with(body: etree._Element, needle: str) -> etree._Element:
    for p in body.iter(_w("p")):
        if needle in "".join(t.text or "" for t in p.iter(_w("t"))):
            return p
    raise AssertionError(f"no paragraph with {needle!r}")


def _split(run: etree._Element, needle: str) -> etree._Element:
    """Split ``run`` so that ``needle`` is a run of its own; return that run."""
    t = run.find(_w("t"))
    before, _, after = (t.text or "").partition(needle)
    parent = run.getparent()
    index = parent.index(run)
    pieces = []
    for text in (before, needle, after):
        piece = etree.fromstring(etree.tostring(run))
        piece.find(_w("t")).text = text
        piece.find(_w("t")).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        pieces.append(piece)
    parent.remove(run)
    for offset, piece in enumerate(p for p in pieces if p.find(_w("t")).text):
        parent.insert(index + offset, piece)
    return next(p for p in pieces if p.find(_w("t")).text == needle)


def edit_xml(data: bytes, edits: Edits) -> bytes:
    """``data`` with ``edits`` made in its XML, the way Word records them."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    body = etree.fromstring(parts["word/document.xml"])
    comments = etree.Element(_w("comments"), nsmap={"w": W})
    for number, (anchor, author, text) in enumerate(edits.comments):
        run = _split(_run_with(_paragraph_with(body, anchor), anchor), anchor)
        ident = str(number)
        start = etree.Element(_w("commentRangeStart"))
        start.set(_w("id"), ident)
        end = etree.Element(_w("commentRangeEnd"))
        end.set(_w("id"), ident)
        run.addprevious(start)
        run.addnext(end)
        ref_run = etree.Element(_w("r"))
        etree.SubElement(ref_run, _w("commentReference")).set(_w("id"), ident)
        end.addnext(ref_run)
        comment = etree.SubElement(comments, _w("comment"))
        comment.set(_w("id"), ident)
        comment.set(_w("author"), author)
        comment.set(_w("date"), "2026-01-20T10:00:00Z")
        comment.set(_w("initials"), author[:1])
        etree.SubElement(
            etree.SubElement(etree.SubElement(comment, _w("p")), _w("r")), _w("t")
        ).text = text
    if edits.tracked is not None:
        _track(body, *edits.tracked)
    if edits.untracked is not None:
        old, new = edits.untracked
        t = next(t for t in body.iter(_w("t")) if t.text and old in t.text)
        t.text = t.text.replace(old, new)
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    parts["word/comments.xml"] = etree.tostring(comments, xml_declaration=True, encoding="UTF-8")
    rels = parts["word/_rels/document.xml.rels"].decode()
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdReview1" Type="{REL_COMMENTS}" Target="comments.xml"/>'
        "</Relationships>",
    )
    parts["word/_rels/document.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode()
    types = types.replace(
        "</Types>", f'<Override PartName="/word/comments.xml" ContentType="{CT_COMMENTS}"/></Types>'
    )
    parts["[Content_Types].xml"] = types.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, blob in parts.items():
            target.writestr(name, blob)
    return out.getvalue()


def _track(body: etree._Element, old: str, new: str, author: str) -> None:
    """Replace ``old`` by ``new`` as a tracked deletion and insertion by ``author``."""
    run = _split(_run_with(_paragraph_with(body, old), old), old)
    deletion = etree.Element(_w("del"))
    deletion.set(_w("id"), "901")
    deletion.set(_w("author"), author)
    deletion.set(_w("date"), "2026-01-21T09:00:00Z")
    run.addprevious(deletion)
    deletion.append(run)
    run.find(_w("t")).tag = _w("delText")
    insertion = etree.Element(_w("ins"))
    insertion.set(_w("id"), "902")
    insertion.set(_w("author"), author)
    insertion.set(_w("date"), "2026-01-21T09:00:00Z")
    new_run = etree.fromstring(etree.tostring(run))
    new_run.find(_w("delText")).tag = _w("t")
    new_run.find(_w("t")).text = new
    insertion.append(new_run)
    deletion.addnext(insertion)


def edit_furniture(data: bytes, old: str, new: str, author: str | None = None) -> bytes:
    """``data`` with ``old`` replaced by ``new`` in the page header or footer that says it: as a
    tracked change by ``author``, or (without one) typed over."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    name = next(
        n
        for n in sorted(parts)
        if re.fullmatch(r"word/(header|footer)\d*\.xml", n) and old.encode() in parts[n]
    )
    root = etree.fromstring(parts[name])
    if author is not None:
        _track(root, old, new, author)
    else:
        t = next(t for t in root.iter(_w("t")) if t.text and old in t.text)
        t.text = t.text.replace(old, new)
    parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part, blob in parts.items():
            target.writestr(part, blob)
    return out.getvalue()


def office_save(source: Path, folder: Path) -> Path:
    """``source`` opened and saved again as DOCX by LibreOffice, as a reviewer's save would."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / source.name


UNO_SCRIPT = r"""
import subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue

src, dst, profile, pipe, author_given, author_family = sys.argv[1:7]
tracked_old, tracked_new, untracked_old, untracked_new = sys.argv[7:11]

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

# A new profile makes LibreOffice restart itself once, which would drop the connection: make
# the profile first.
subprocess.run(["soffice", "-env:UserInstallation=file://" + profile, "--headless",
                "--terminate_after_init"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
               timeout=180)
office = subprocess.Popen(["soffice", "-env:UserInstallation=file://" + profile, "--headless",
                           "--invisible", "--norestore", "--nologo",
                           "--accept=pipe,name=%s;urp;" % pipe],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(240):
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except Exception:
        time.sleep(0.5)
else:
    office.kill(); sys.exit("LibreOffice did not start")
smgr = ctx.ServiceManager
try:
    config = smgr.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider", ctx)
    user = config.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess",
                                              (prop("nodepath", "/org.openoffice.UserProfile/Data"),))
    user.setPropertyValue("givenname", author_given)
    user.setPropertyValue("sn", author_family)
    user.commitChanges()
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))

    def find(text):
        d = doc.createSearchDescriptor(); d.SearchString = text
        found = doc.findFirst(d)
        if found is None:
            sys.exit("not found: " + text)
        return found

    doc.RecordChanges = True
    find(tracked_old).setString(tracked_new)
    doc.RecordChanges = False
    find(untracked_old).setString(untracked_new)
    doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "MS Word 2007 XML"),))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        office.wait(timeout=60)
    except subprocess.TimeoutExpired:
        office.kill()
"""


def edit_in_libreoffice(
    source: Path, target: Path, folder: Path, edits: Edits, author: tuple[str, str]
) -> None:
    """The tracked and the untracked change of ``edits`` made in LibreOffice through UNO (the
    tracked one under ``author``, given and family name), saved to ``target`` as DOCX. Its
    comments are not: LibreOffice 7.4 as installed here aborts (NoSuchElementException while
    building the comment's window) on inserting an annotation through UNO, and on opening a
    file that has one; the test adds the comments to the XML afterwards and has LibreOffice save
    the file again (``office_save``, which opens no view)."""
    assert edits.tracked is not None and edits.untracked is not None
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "review_uno.py"
    script.write_text(UNO_SCRIPT, encoding="utf-8")
    pipe = re.sub(r"\W", "", f"ijbreview{folder.name}")
    args = [str(source), str(target), str(folder / "profile"), pipe, *author]
    args += [edits.tracked[0], edits.tracked[1], *edits.untracked]
    subprocess.run(["/usr/bin/python3", str(script), *args], check=True, timeout=300)
