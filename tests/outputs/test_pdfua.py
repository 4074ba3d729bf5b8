"""Tagged PDF/UA-1 and archival PDF/A: what a validator checks first, read with pikepdf."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from ijbrief.build.pipeline import BuildOptions, build
from ijbrief.cli import main

from .test_documents import _native_names, _pdftotext

REPO = Path(__file__).resolve().parents[2]
STANDARD = set(
    [
        "Document",
        "Part",
        "Art",
        "Sect",
        "Div",
        "BlockQuote",
        "Caption",
        "TOC",
        "TOCI",
        "Index",
        "NonStruct",
        "Private",
        "P",
        "H",
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
        "H6",
        "L",
        "LI",
        "Lbl",
        "LBody",
        "Table",
        "TR",
        "TH",
        "TD",
        "THead",
        "TBody",
        "TFoot",
        "Span",
        "Quote",
        "Note",
        "Reference",
        "BibEntry",
        "Code",
        "Link",
        "Annot",
        "Ruby",
        "RB",
        "RT",
        "RP",
        "Warichu",
        "WT",
        "WP",
        "Figure",
        "Formula",
        "Form",
    ]
)


def _project(tmp: Path) -> Path:
    for folder in ("seeds", "briefs", "templates"):
        shutil.copytree(REPO / folder, tmp / folder)
    shutil.copy2(REPO / "project.yaml", tmp / "project.yaml")
    return tmp


@pytest.fixture(scope="module")
def parted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analyst's briefs and a dossier laid out in parts of two chapters and merged."""
    root = _project(tmp_path_factory.mktemp("pdfua"))
    options = BuildOptions(
        root=root,
        formats=("html", "pdf"),
        audiences=("analyst",),
        jobs=2,
        quiet=True,
        whole_up_to=0,
        chapters_per_part=2,
    )
    build(options)
    return root


def _elements(pdf: pikepdf.Pdf) -> list[Any]:
    """Every structure element, depth first; fails on one reached twice."""
    found: list[Any] = []
    seen: set[tuple[int, int]] = set()
    stack = list(pdf.Root.StructTreeRoot.K)[::-1]
    while stack:
        node = stack.pop()
        assert node.objgen not in seen, "a structure element is in the tree twice"
        seen.add(node.objgen)
        found.append(node)
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        stack += [k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k][::-1]
    return found


def _check_ua(path: Path, pdfa: bool = False) -> list[Any]:
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked), path
        assert str(root.Lang) == "en", path
        assert bool(root.ViewerPreferences.DisplayDocTitle), path
        assert str(pdf.docinfo.Title), path
        roles = {str(k)[1:] for k in root.StructTreeRoot.get("/RoleMap", {})}
        elements = _elements(pdf)
        for element in elements:
            assert str(element.S)[1:] in STANDARD | roles, (path, element.S)
            if str(element.S) == "/Figure":
                assert str(element.get("/Alt", "")).strip(), (path, "Figure without /Alt")
        keys = [int(k) for k in root.StructTreeRoot.ParentTree.Nums[::2]]
        assert len(keys) == len(set(keys)), path
        for page in pdf.pages:
            assert int(page.obj.StructParents) in keys, path
        # Every marked-content sequence is the content of an element in the tree, or an
        # artifact: none hangs from an element the tree does not reach (Matterhorn 01-005).
        in_tree = {element.objgen for element in elements}
        for value in root.StructTreeRoot.ParentTree.Nums[1::2]:
            for target in value if isinstance(value, pikepdf.Array) else [value]:
                if isinstance(target, pikepdf.Dictionary):
                    assert target.objgen in in_tree, (path, "content outside the tree")
        meta = pdf.open_metadata()
        assert meta.get("pdfuaid:part") == "1", path
        if pdfa:
            assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
            assert meta.get("dc:title") == str(pdf.docinfo.Title)
            assert "/OutputIntents" in root
        for page in pdf.pages:
            for font in page.obj.Resources.get("/Font", {}).values():
                assert "/ToUnicode" in font, (path, font.get("/BaseFont"))
                for descendant in font.get("/DescendantFonts", [font]):
                    descriptor = descendant.FontDescriptor
                    assert any(f"/FontFile{n}" in descriptor for n in ("", "2", "3")), path
        return [str(e.S)[1:] for e in elements]


def _native_langs_in_text(path: Path) -> None:
    html = path.with_suffix(".html").read_text()
    text = _pdftotext(path)
    for name in _native_names():
        if name in html:
            assert name in text, (path.name, name)
    for lang in re.findall(r'class="native" lang="([^"]*)"', html):
        assert lang in ("ja", "hi"), lang


def test_every_pdf_of_a_build_is_tagged_pdf_ua_1(parted: Path) -> None:
    pdfs = sorted((parted / "out" / "analyst").rglob("*.pdf"))
    assert len(pdfs) > 10
    for path in pdfs:
        _check_ua(path)
        _native_langs_in_text(path)
    manifest = json.loads((parted / "out" / "manifest.json").read_text())["outputs"]
    assert {e["pdf_variant"] for p, e in manifest.items() if p.endswith(".pdf")} == {"pdf/ua-1"}


def test_the_merged_dossier_keeps_one_structure_tree(parted: Path) -> None:
    path = parted / "out" / "analyst" / "analyst-dossier.pdf"
    tags = _check_ua(path)
    html = path.with_suffix(".html").read_text()
    headings = re.findall(r"<h([1-6])\b", html)
    assert [t for t in tags if re.fullmatch("H[1-6]", t)] == [f"H{h}" for h in headings]
    assert tags.count("Document") == 1
    assert tags.count("Figure") == 1  # the timeline, described in words
    with pikepdf.open(path) as pdf:
        (figure,) = [e for e in _elements(pdf) if str(e.S) == "/Figure"]
        alt = str(figure.Alt)
        assert alt.startswith("Timeline of 4 meetings from 2019 to 2026: "), alt
        assert alt.endswith("18th Strategic Dialogue, 16 January 2026."), alt
    with pikepdf.open(path) as pdf:
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        mapped = {
            target.objgen
            for value in nums[1::2]
            for target in (value if isinstance(value, pikepdf.Array) else [value])
            if isinstance(target, pikepdf.Dictionary)
        }
        # Content in the tree that the parent tree does not lead back to would be dropped.
        for element in _elements(pdf):
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            if any(isinstance(k, int) for k in kids):
                assert element.objgen in mapped, "marked content the parent tree lost"
        ids = [str(e.ID) for e in _elements(pdf) if "/ID" in e]
        assert len(ids) == len(set(ids))
        assert len(pdf.pages) > 2 and int(pdf.pages[-1].obj.StructParents) >= len(pdf.pages) - 1


def _header_scopes(path: Path) -> list[tuple[str, str]]:
    """Each TH element's table scope and whether it sits in a THead or a body row."""
    found = []
    with pikepdf.open(path) as pdf:
        for element in _elements(pdf):
            if str(element.S) != "/TH":
                continue
            attributes = element.get("/A")
            owners = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes]
            scopes = [
                str(a.Scope)
                for a in owners
                if isinstance(a, pikepdf.Dictionary)
                and str(a.get("/O")) == "/Table"
                and "/Scope" in a
            ]
            assert len(scopes) == 1, (path.name, element.get("/ID"), scopes)
            found.append((str(element.P.P.S), scopes[0]))
    return found


def test_table_header_cells_say_what_they_head(parted: Path) -> None:
    """PDF/UA wants a TH's /Scope: WeasyPrint writes none, the finished PDF gets it, and the
    dossier merged from parts keeps it."""
    folder = parted / "out" / "analyst"
    for path in (folder / "briefs" / "2026-01-16-sd-18.pdf", folder / "analyst-dossier.pdf"):
        scopes = _header_scopes(path)
        assert len(scopes) >= 3, path.name
        for group, scope in scopes:
            assert scope == ("/Column" if group == "/THead" else "/Row"), (path.name, group)


def test_japanese_and_devanagari_names_carry_their_lang(parted: Path) -> None:
    """WeasyPrint writes /Lang on the catalog only; each name in a lang span gets its own
    /Lang on the structure elements of its text, in briefs and in the merged dossier."""
    folder = parted / "out" / "analyst"
    paths = [folder / "analyst-dossier.pdf", *sorted((folder / "briefs").glob("*.pdf"))]
    names = 0
    for path in paths:
        html = path.with_suffix(".html").read_text()
        wanted = Counter(re.findall(r'class="native" lang="([^"]*)"', html))
        names += sum(wanted.values())
        with pikepdf.open(path) as pdf:
            found = Counter(str(e.Lang) for e in _elements(pdf) if "/Lang" in e)
            for element in _elements(pdf):
                if "/Lang" in element:
                    kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                    assert [k for k in kids if isinstance(k, int)], "a /Lang on no text"
        assert set(found) <= set(wanted), (path.name, found)
        for lang, count in wanted.items():
            # A name broken over two lines is two text boxes, so two elements.
            assert found[lang] >= count, (path.name, lang, found)
    assert names > 10  # the test sees names at all


def test_pdf_a_3b_is_archival_and_a_change_of_variant_rebuilds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    args = ["build", "-C", str(root), "--audience", "student", "--only", "cepa", "--format", "pdf"]
    assert main([*args, "--quiet"]) == 0
    assert main([*args, "--pdf-variant", "pdf/a-3b"]) == 0
    assert "built 2 file(s), 0 up to date" in capsys.readouterr().err
    manifest = json.loads((root / "out" / "manifest.json").read_text())["outputs"]
    pdfs = [p for p in manifest if p.endswith(".pdf")]
    assert pdfs and {manifest[p]["pdf_variant"] for p in pdfs} == {"pdf/a-3b"}
    for relpath in pdfs:
        _check_ua(root / "out" / relpath, pdfa=True)


def test_an_unknown_variant_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ijbrief", "build", "-C", str(tmp_path), "--pdf-variant", "pdf/z"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice: 'pdf/z'" in result.stderr.splitlines()[-1]
