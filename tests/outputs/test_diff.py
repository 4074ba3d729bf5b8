"""`build --since-edition` and `ijbrief diff` on real builds: the "Changes since" part in every
format of a dossier, and the redline of two editions of a Word dossier (tracked changes that
LibreOffice opens, that accepted give the new edition and rejected the old)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader
from tests.conftest import Cli, copy_project, edit

from ijbrief.build.pipeline import BuildOptions, build

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
UN_REFORM = "The ministers reviewed the global situation and progress on United Nations reform."
ANALYSTS_ONLY = "infrastructure, information and communication technology, and health."
SD18_AGREEMENTS = ("ai-dialogue", "critical-minerals-jwg", "unicorn-antennas", "hsr-e10")


def earlier_copy(root: Path) -> Path:
    """The project as an earlier edition had it: without the 18th Strategic Dialogue (and the
    agreements only it moved), with a shorter UN-reform outcome and a shorter analyst-only
    outcome of the 13th dialogue, and without the SSGP's 2022 step."""
    copy_project(root)
    briefs = root / "briefs"
    (briefs / "meetings/2026-01-16-sd-18.yaml").unlink()
    for ident in SD18_AGREEMENTS:
        (briefs / f"agreements/{ident}.yaml").unlink()
    edit(root / "seeds/catalogue.yaml", "    covers: [sd-18]\n", "")
    fmsd13 = briefs / "meetings/2020-10-07-fmsd-13.yaml"
    edit(fmsd13, UN_REFORM, "The ministers reviewed the global situation.")
    edit(fmsd13, ANALYSTS_ONLY, "and infrastructure.")
    ssgp = briefs / "agreements/ssgp.yaml"
    text = ssgp.read_text(encoding="utf-8")
    start = text.index("  - status: reaffirmed\n    date: 2022-09-08")
    ssgp.write_text(text[:start] + text[text.index("key_points:") :], encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The earlier edition built (the student's dossier in Word, and the manifest), and the
    project now built in every format for the student and the analyst against it."""
    base = tmp_path_factory.mktemp("editions")
    old = earlier_copy(base / "old")
    build(BuildOptions(root=old, formats=("docx",), audiences=("student",), jobs=2, quiet=True))
    new = copy_project(base / "new")
    build(
        BuildOptions(
            root=new,
            formats=("html", "pdf", "docx"),
            audiences=("student", "analyst"),
            jobs=2,
            quiet=True,
            since_edition=str(old / "out"),
        )
    )
    return old, new


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def docx_paragraphs(raw: bytes) -> list[str]:
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(raw)).read("word/document.xml"))
    return ["".join(t.text or "" for t in p.iter(W + "t")) for p in root.iter(W + "p")]


def html_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    start = html.index('<section class="chapter since-edition"')
    return re.sub(r"<[^>]+>", "", html[start : html.index("</section>", start)])


def flat(text: str) -> str:
    return " ".join(text.replace("\u2060", "").split())


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html"])
def test_each_format_of_the_dossier_says_what_changed(
    editions: tuple[Path, Path], fmt: str
) -> None:
    _, new = editions
    for audience in ("student", "analyst"):
        path = new / "out" / audience / f"{audience}-dossier.{fmt}"
        if fmt == "pdf":
            text = flat(pdf_text(path))
        elif fmt == "docx":
            paragraphs = docx_paragraphs(path.read_bytes())
            start = next(i for i, p in enumerate(paragraphs) if p.startswith("What this"))
            text = flat(" ".join(paragraphs[start - 1 : start + 40]))
        else:
            text = flat(html_text(path))
        # Headings may be set in capitals (the PDF's text is what is printed).
        part = text[text.index("What this edition shows") :].casefold()
        assert "meetings added" in part and "18th strategic dialogue" in part
        assert "meetings revised" in part and "progress on united nations reform" in part
        assert "agreement status steps" in part
        assert "special strategic and global partnership" in part and "8 september 2022" in part
        assert "ai strategic dialogue (new to the tracker)" in part
        # The analyst-only outcome that changed is told to the analyst alone.
        told = "information and communication technology" in part[: part.index("agreement status")]
        assert told == (audience == "analyst"), (audience, fmt)


def test_the_manifest_records_what_a_later_edition_compares_with(
    editions: tuple[Path, Path],
) -> None:
    old, _ = editions
    manifest = json.loads((old / "out/manifest.json").read_text(encoding="utf-8"))
    record = manifest["record"]
    assert "sd-18" not in record["meetings"]
    assert record["meetings"]["fmsd-13"]["summary"]
    assert "and infrastructure." not in json.dumps(record)  # an analyst-only text is not kept


def test_an_earlier_git_revision(editions: tuple[Path, Path], tmp_path: Path, cli: Cli) -> None:
    repo = earlier_copy(tmp_path / "repo")
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "earlier"], check=True)
    _, new = editions
    shutil.rmtree(repo / "briefs")
    shutil.copytree(new / "briefs", repo / "briefs")
    shutil.copy2(new / "seeds/catalogue.yaml", repo / "seeds/catalogue.yaml")
    code, output = cli(
        "-C", str(repo), "build", "--format", "html", "--audience", "student",
        "--quiet", "--since-edition", "HEAD",
    )  # fmt: skip
    assert code == 0, output
    text = flat(html_text(repo / "out/student/student-dossier.html"))
    assert "(revision " in text and "18th Strategic Dialogue" in text
    assert "progress on United Nations reform" in text


def accepted(raw: bytes, reject: bool = False) -> list[str]:
    """The paragraphs' text once every tracked change is accepted (or rejected), as Word does
    it: the changes of one side dropped, the other's kept, and a paragraph whose mark is dropped
    joined to the next."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(raw)).read("word/document.xml"))
    drop = W + ("ins" if reject else "del")
    out: list[str] = []
    carry = ""
    for p in root.iter(W + "p"):
        text = ""
        for run in p.iter(W + "r"):
            if any(a.tag == drop for a in run.iterancestors()):
                continue
            text += "".join(t.text or "" for t in run if t.tag in (W + "t", W + "delText"))
        if p.find(f"{W}pPr/{W}rPr/{drop}") is not None:
            carry += text
            continue
        out.append(carry + text)
        carry = ""
    return out


def test_the_redline_of_two_word_editions(
    editions: tuple[Path, Path], tmp_path: Path, cli: Cli
) -> None:
    old, new = editions
    doc = "student/student-dossier.docx"
    code, output = cli(
        "diff", str(old / "out"), str(new / "out"), "--doc", doc, "--out", str(tmp_path)
    )
    assert code == 0, output
    redline = (tmp_path / "student-dossier-redline.docx").read_bytes()
    before = (old / "out" / doc).read_bytes()
    after = (new / "out" / doc).read_bytes()
    assert accepted(redline) == docx_paragraphs(after)
    assert accepted(redline, reject=True) == docx_paragraphs(before)
    xml = zipfile.ZipFile(io.BytesIO(redline)).read("word/document.xml").decode()
    marks = re.findall(r"<w:(ins|del) ([^>]*)>", xml)
    assert {kind for kind, _ in marks} == {"ins", "del"}
    assert all('w:author="ijbrief"' in attrs and "w:date=" in attrs for _, attrs in marks)
    ids = re.findall(r'<w:(?:ins|del) w:id="(\d+)"', xml)
    assert len(ids) == len(set(ids))
    # LibreOffice opens it: its PDF shows the new words, and it sees the changes as tracked.
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is installed by `.ci/setup --test`"
    profile = tmp_path / "profile"
    for fmt in ("pdf", "odt"):
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
             fmt, "--outdir", str(tmp_path / "office"), str(tmp_path / "student-dossier-redline.docx")],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    text = flat(pdf_text(tmp_path / "office/student-dossier-redline.pdf"))
    assert "progress on United Nations reform" in text
    content = zipfile.ZipFile(tmp_path / "office/student-dossier-redline.odt").read("content.xml")
    # (It joins a run of adjacent changes into one region.)
    assert content.count(b"<text:changed-region") > 20
    assert content.count(b"<text:insertion>") and content.count(b"<text:deletion>")
    assert b"<dc:creator>ijbrief</dc:creator>" in content


def test_the_html_diff_marks_what_changed(
    editions: tuple[Path, Path], tmp_path: Path, cli: Cli
) -> None:
    old, new = editions
    doc = "student/student-dossier.docx"
    code, _ = cli("diff", str(old / "out" / doc), str(new / "out" / doc), "--out", str(tmp_path))
    assert code == 0
    page = (tmp_path / "student-dossier-diff.html").read_text(encoding="utf-8")
    assert "<ins> and progress on United Nations reform</ins>" in page
    assert re.search(r"<del>[^<]*</del>", page)
    assert "<style>" in page and not re.search(r"(src|href)=\"?(https?:)?//", page)


def test_the_html_diff_of_two_html_editions(
    editions: tuple[Path, Path], tmp_path: Path, cli: Cli
) -> None:
    # Two HTML outputs (before: refused as "not a Word file") give the HTML diff alone: there is
    # no Word document to mark the changes in.
    old, new = editions
    build(
        BuildOptions(
            root=old, formats=("html",), audiences=("student",), out=tmp_path / "old-out",
            jobs=2, quiet=True,
        )
    )  # fmt: skip
    doc = "student/student-dossier.html"
    made = tmp_path / "made"
    code, output = cli(
        "diff", str(tmp_path / "old-out" / doc), str(new / "out" / doc), "--out", str(made)
    )
    assert code == 0, output
    assert output.splitlines() == [f"wrote {made / 'student-dossier-diff.html'}"]
    page = (made / "student-dossier-diff.html").read_text(encoding="utf-8")
    assert "<ins> and progress on United Nations reform</ins>" in page
    assert re.search(r"<del>[^<]*</del>", page)
    assert "<script" not in page.split("<body", 1)[1]
    code, output = cli(
        "diff", str(tmp_path / "old-out"), str(new / "out"), "--doc", doc, "--out", str(made)
    )
    assert code == 0, output
    code, output = cli(
        "diff", str(tmp_path / "old-out" / doc), str(old / "out/student/student-dossier.docx")
    )
    assert code == 2 and output.count("\n") == 1 and "two HTML files" in output


def test_diff_refuses_what_ijbrief_did_not_write(tmp_path: Path, cli: Cli) -> None:
    stranger = tmp_path / "stranger.docx"
    stranger.write_bytes(b"not a zip")
    code, output = cli("diff", str(stranger), str(stranger), "--out", str(tmp_path))
    assert code == 2 and output.count("\n") == 1 and "Traceback" not in output
    code, output = cli("diff", str(tmp_path / "a.docx"), str(stranger))
    assert code == 2 and "no such file" in output


def test_the_option_is_part_of_the_dossiers_key(editions: tuple[Path, Path]) -> None:
    _, new = editions
    report = build(
        BuildOptions(root=new, formats=("html",), audiences=("student",), jobs=1, quiet=True)
    )
    assert "student/student-dossier.html" in report.written
    html = (new / "out/student/student-dossier.html").read_text(encoding="utf-8")
    assert "Changes since" not in html
    assert not any("briefs/" in p for p in report.written)  # briefs do not depend on it
