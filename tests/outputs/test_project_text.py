"""The India–Japan outputs say what they said before ijbrief learnt other relationships: the
text (and title, subject, keywords, headers) of every brief and dossier, in every format, equals
the text recorded from the last build that had the country names in code.

After an intended change of content, record the text again from a fresh build:
    ijbrief build --format all --out /tmp/out && python tests/outputs/test_project_text.py /tmp/out
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import sys
from pathlib import Path

RECORDED = Path(__file__).with_name("india-japan-text.json.gz")


def _pdf(path: Path) -> str:
    import pypdf

    reader = pypdf.PdfReader(path)
    meta = reader.metadata or {}
    head = [f"{key}={meta.get(key, '')}" for key in ("/Title", "/Subject", "/Keywords")]
    return "\n".join([*head, *(page.extract_text() or "" for page in reader.pages)])


def _docx(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    props = document.core_properties
    lines = [f"title={props.title}", f"subject={props.subject}", f"keywords={props.keywords}"]
    for section in document.sections:
        lines += [p.text for p in section.header.paragraphs]
    body = document.element.body
    lines += [
        "".join(t.text or "" for t in p.iter(docx.oxml.ns.qn("w:t")))
        for p in body.iter(docx.oxml.ns.qn("w:p"))
    ]
    return "\n".join(lines)


def _html(path: Path) -> str:
    import lxml.html

    root = lxml.html.fromstring(path.read_bytes())
    for junk in root.xpath("//style|//script"):
        junk.drop_tree()
    title = root.findtext(".//title") or ""
    return title + "\n" + re.sub(r"\s+", " ", root.text_content()).strip()


READERS = {".pdf": _pdf, ".docx": _docx, ".html": _html}


def _undated(text: str) -> str:
    """The text with the day of the build ("Prepared") written as <day>: the same on any day."""
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    return text.replace(f"{today.day} {today:%B %Y}", "<day>").replace(today.isoformat(), "<day>")


def texts(out: Path) -> dict[str, str]:
    """Every brief and dossier below ``out`` (not the index page or the manifest), as text."""
    return {
        str(p.relative_to(out)): _undated(READERS[p.suffix](p))
        for p in sorted(out.rglob("*"))
        if p.suffix in READERS and p.parent != out and p.is_file()
    }


def test_india_japan_text_is_unchanged(built: Path) -> None:
    before: dict[str, str] = json.loads(gzip.decompress(RECORDED.read_bytes()))
    after = texts(built / "out")
    assert sorted(after) == sorted(before)
    changed = [name for name in before if after[name] != before[name]]
    first = changed[0] if changed else ""
    diff = "\n".join(
        list(
            difflib.unified_diff(
                before.get(first, "").splitlines(), after.get(first, "").splitlines(), lineterm=""
            )
        )[:30]
    )
    assert not changed, f"{len(changed)} outputs changed, first {first}:\n{diff}"


if __name__ == "__main__":
    raw = json.dumps(texts(Path(sys.argv[1])), ensure_ascii=False, indent=0, sort_keys=True)
    with gzip.GzipFile(RECORDED, "wb", mtime=0) as handle:
        handle.write(raw.encode())
