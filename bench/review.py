"""Benchmark `ijbrief review` on a large reviewed DOCX: a built brief of the repository's project,
its sourced paragraphs repeated until the file is SIZE MB (padded with an incompressible picture
part, as a file with photographs is), with COMMENTS comments anchored in them. Prints the time
to read and place every comment; not run by the tests.

    python bench/review.py                 # 5 MB, 500 comments (the target: under 2 s)
    python bench/review.py --size 1 --comments 50
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def build(project: Path) -> Path:
    for part in ("seeds", "briefs", "templates"):
        shutil.copytree(REPO / part, project / part)
    shutil.copy2(REPO / "project.yaml", project / "project.yaml")
    env = {**os.environ, "IJBRIEF_OFFICE_PAGES": "0"}
    subprocess.run(
        [sys.executable, "-m", "ijbrief", "-C", str(project), "build", "--format", "docx",
         "--audience", "minister", "--only", "sd-18", "--jobs", "1", "--quiet"],
        check=True, env=env,
    )  # fmt: skip
    return project / "out/minister/briefs/2026-01-16-sd-18.docx"


def inflate(data: bytes, size_mb: float, count: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {n: source.read(n) for n in source.namelist()}
    body = etree.fromstring(parts["word/document.xml"])
    container = body.find(_w("body"))
    sourced = [p for p in container.iter(_w("p")) if p.find(_w("bookmarkStart")) is not None]
    comments = etree.Element(_w("comments"), nsmap={"w": W})
    for number in range(count):
        p = sourced[number % len(sourced)]
        run = p.find(_w("r"))
        start = etree.Element(_w("commentRangeStart"))
        start.set(_w("id"), str(number))
        end = etree.Element(_w("commentRangeEnd"))
        end.set(_w("id"), str(number))
        run.addprevious(start)
        run.addnext(end)
        c = etree.SubElement(comments, _w("comment"))
        c.set(_w("id"), str(number))
        c.set(_w("author"), f"Reviewer {number % 7} 山田 शर्मा")
        c.set(_w("date"), "2026-01-20T10:00:00Z")
        t = etree.SubElement(etree.SubElement(etree.SubElement(c, _w("p")), _w("r")), _w("t"))
        t.text = f"Comment {number}: कृपया जाँचें 確認してください"
    # Unsourced filler paragraphs (copies without their bookmarks) for the body's bulk.
    filler = [p for p in container.iter(_w("p")) if p.find(_w("bookmarkStart")) is None]
    for _copy in range(40):
        for p in filler:
            container.insert(len(container) - 1, etree.fromstring(etree.tostring(p)))
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    parts["word/comments.xml"] = etree.tostring(comments, xml_declaration=True, encoding="UTF-8")
    rels = parts["word/_rels/document.xml.rels"].decode()
    parts["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdBench" Type="{REL}" Target="comments.xml"/></Relationships>',
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/word/comments.xml" ContentType="{CT}"/></Types>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, blob in parts.items():
            target.writestr(name, blob)
        so_far = len(out.getvalue())
        target.writestr("word/media/bench.bin", os.urandom(max(0, int(size_mb * 2**20) - so_far)))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, default=5.0, help="MB (default: 5)")
    parser.add_argument("--comments", type=int, default=500, help="(default: 500)")
    args = parser.parse_args()
    from ijbrief.build.review import review

    with tempfile.TemporaryDirectory(prefix="ijbrief-bench-review-") as folder:
        project = Path(folder) / "proj"
        built = build(project)
        big = Path(folder) / "reviewed.docx"
        big.write_bytes(inflate(built.read_bytes(), args.size, args.comments))
        start = time.perf_counter()
        _, found = review(project, big)
        elapsed = time.perf_counter() - start
        size = big.stat().st_size
    comments = sum(f.kind == "comment" for f in found)
    print(
        f"review of a {size / 2**20:.1f} MB DOCX "
        f"with {args.comments} comments: {comments} in sourced text, the rest in boilerplate, {elapsed:.2f} s"
    )


if __name__ == "__main__":
    main()
