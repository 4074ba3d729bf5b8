"""`ijbrief review`: a built DOCX, reviewed in LibreOffice and by editing its XML, comes back as
its comments and edits at their YAML lines, and `--apply` carries the edits into the YAML."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from tests.conftest import Cli, build_only, line_of
from tests.outputs.review_edits import (
    Edits,
    edit_furniture,
    edit_in_libreoffice,
    edit_xml,
    office_save,
)

MEETING = Path("briefs/meetings/2026-01-16-sd-18.yaml")
DOCX = Path("out/minister/briefs/2026-01-16-sd-18.docx")
JA_AUTHOR = "山田 太郎"
HI_COMMENT = "कृपया जाँचें: 日本側の確認が必要"
EDITS = Edits(
    comments=(
        ("India remains committed", JA_AUTHOR, HI_COMMENT),
        ("Fix a date and agenda", "J. Secretary", "Say 'early 2026', not 'this year'"),
    ),
    tracked=("Ask for a delivery timeline", "Ask for a firm delivery timeline", "Priya शर्मा"),
    untracked=("agreed to convene", "agreed to hold"),
)


@pytest.fixture
def reviewed(project: Path, cli: Cli) -> Path:
    code, out = build_only(cli, project, "minister", "sd-18", "--format", "docx")
    assert code == 0, out
    return project


def _findings(cli: Cli, project: Path, docx: Path) -> list[dict[str, str]]:
    code, out = cli("-C", str(project), "review", str(docx), "--format", "json")
    assert code == 0, out
    findings: list[dict[str, str]] = json.loads(out)["findings"]
    return findings


def _expect_four(project: Path, findings: list[dict[str, str]], tracked_author: str) -> None:
    yaml = project / MEETING
    by_field = {(f["kind"], f["field"]): f for f in findings}
    assert len(findings) == 4, findings
    first = by_field[("comment", "talking_points[3].text")]
    assert first["where"] == f"{MEETING}:{line_of(yaml, 'India remains committed')}:11"
    assert (first["author"], first["text"]) == (JA_AUTHOR, HI_COMMENT)
    second = by_field[("comment", "to_raise[0].text")]
    assert second["where"] == f"{MEETING}:{line_of(yaml, 'Fix a date and agenda')}:11"
    assert second["author"] == "J. Secretary"
    tracked = by_field[("tracked", "to_raise[2].text")]
    assert tracked["where"] == f"{MEETING}:{line_of(yaml, 'Ask for a delivery')}:11"
    assert tracked["author"] == tracked_author
    assert tracked["new"] == "Ask for a firm delivery timeline for the E10 trains."
    edit = by_field[("edit", "summary.text")]
    assert edit["where"] == f"{MEETING}:{line_of(yaml, 'summary:') + 1}:9"
    assert "agreed to hold the" in edit["new"] and "agreed to convene" in edit["old"]


def _apply_and_rebuild(cli: Cli, project: Path, docx: Path) -> None:
    yaml = project / MEETING
    before = yaml.read_text(encoding="utf-8")
    code, out = cli("-C", str(project), "review", str(docx), "--apply")
    assert code == 0, out
    assert "ok:" in out  # check ran, and passed
    after = yaml.read_text(encoding="utf-8")
    assert "Ask for a firm delivery timeline for the E10 trains." in after
    assert "agreed to hold the" in after and "agreed to convene" not in after
    # The file's comments and layout stay: only the two edited fields' lines differ.
    assert after.splitlines()[:5] == before.splitlines()[:5]
    changed = [a for a, b in zip(after.splitlines(), before.splitlines(), strict=False) if a != b]
    assert len(before.splitlines()) == len(after.splitlines())
    assert 1 <= len(changed) <= 3, changed
    code, out = build_only(cli, project, "minister", "sd-18", "--format", "docx")
    assert code == 0, out
    with zipfile.ZipFile(project / DOCX) as package:
        body = package.read("word/document.xml").decode()
    assert "Ask for a firm delivery timeline" in body and "agreed to hold the" in body


def test_review_of_xml_edits_saved_by_libreoffice(reviewed: Path, cli: Cli, tmp_path: Path) -> None:
    edited = tmp_path / "edited" / "brief.docx"
    edited.parent.mkdir()
    edited.write_bytes(edit_xml((reviewed / DOCX).read_bytes(), EDITS))
    saved = office_save(edited, tmp_path / "saved")
    for docx in (edited, saved):
        _expect_four(reviewed, _findings(cli, reviewed, docx), "Priya शर्मा")
    code, out = cli("-C", str(reviewed), "review", str(saved))
    line = line_of(reviewed / MEETING, "India remains committed")
    assert f"{MEETING}:{line}:11: comment by {JA_AUTHOR} (2026-01-20)" in out
    assert f'"{HI_COMMENT}"' in out
    _apply_and_rebuild(cli, reviewed, saved)
    # The corpus changed: the reviewed file is now from another version.
    code, out = cli("-C", str(reviewed), "review", str(saved))
    assert code == 2 and "another version" in out and "Traceback" not in out


def test_review_of_changes_made_in_libreoffice(reviewed: Path, cli: Cli, tmp_path: Path) -> None:
    changed = tmp_path / "lo" / "changed.docx"
    edit_in_libreoffice(reviewed / DOCX, changed, tmp_path / "lo", EDITS, ("Priya", "शर्मा"))
    # The comments by XML (see edit_in_libreoffice), then LibreOffice saves the file again.
    commented = tmp_path / "commented" / "reviewed.docx"
    commented.parent.mkdir()
    only_comments = Edits(EDITS.comments, None, None)
    commented.write_bytes(edit_xml(changed.read_bytes(), only_comments))
    target = office_save(commented, tmp_path / "saved")
    _expect_four(reviewed, _findings(cli, reviewed, target), "Priya शर्मा")
    _apply_and_rebuild(cli, reviewed, target)


def test_not_an_ijbrief_docx(reviewed: Path, cli: Cli, tmp_path: Path) -> None:
    import docx

    plain = tmp_path / "plain.docx"
    docx.Document().save(str(plain))
    code, out = cli("-C", str(reviewed), "review", str(plain))
    assert code == 2 and "not an ijbrief output" in out
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04 not really")
    code, out = cli("-C", str(reviewed), "review", str(junk))
    assert code == 2 and "not a Word (.docx) file" in out and "Traceback" not in out


def test_boilerplate_changes(reviewed: Path, cli: Cli, tmp_path: Path) -> None:
    edits = Edits(
        comments=(("Talking points", "A. Reviewer", "Shorter, please"),),
        tracked=("Talking points", "Points to make", "A. Reviewer"),
        untracked=None,
    )
    edited = tmp_path / "b.docx"
    edited.write_bytes(edit_xml((reviewed / DOCX).read_bytes(), edits))
    code, out = cli("-C", str(reviewed), "review", str(edited))
    assert code == 0, out
    assert '(no source): comment by A. Reviewer (2026-01-20) on "' in out
    assert 'a paragraph no record prints: "Shorter, please"' in out
    assert "(no source): insertion" in out and "(no source): deletion" in out
    yaml = reviewed / MEETING
    before = yaml.read_bytes()
    code, out = cli("-C", str(reviewed), "review", str(edited), "--apply")
    assert code == 0 and yaml.read_bytes() == before


def test_an_untracked_edit_in_boilerplate(reviewed: Path, cli: Cli, tmp_path: Path) -> None:
    # A heading no record prints, retyped without tracking: before, review saw nothing (no
    # source bookmark, no tracked change); the part now keeps the paragraph's text as built.
    edits = Edits(comments=(), tracked=None, untracked=("Talking points", "Points to make"))
    edited = tmp_path / "b.docx"
    edited.write_bytes(edit_xml((reviewed / DOCX).read_bytes(), edits))
    findings = _findings(cli, reviewed, edited)
    assert [(f["kind"], f["old"], f["new"]) for f in findings] == [
        ("boilerplate-edit", "Talking points", "Points to make")
    ], findings
    code, out = cli("-C", str(reviewed), "review", str(edited))
    assert code == 0, out
    assert "(no source): edit (not tracked) in a paragraph no record prints" in out
    assert 'old: "Talking points"' in out and 'new: "Points to make"' in out
    # Nothing is written back: no record holds that text.
    yaml = reviewed / MEETING
    before = yaml.read_bytes()
    code, out = cli("-C", str(reviewed), "review", str(edited), "--apply")
    assert code == 0 and yaml.read_bytes() == before
    # The built file itself shows no edit anywhere.
    assert _findings(cli, reviewed, reviewed / DOCX) == []


def test_edits_in_the_page_header_and_footer(reviewed: Path, cli: Cli, tmp_path: Path) -> None:
    # Before, review read only the body: a marking retyped in the footer, or a tracked change
    # in the header, came back as "no comments or changes".
    data = (reviewed / DOCX).read_bytes()
    data = edit_furniture(data, "RESTRICTED — FOR MINISTERIAL USE", "SECRET")  # the footer's
    data = edit_furniture(data, "Ministerial brief", "Minister's note", "A. Reviewer")
    edited = tmp_path / "edited" / "furniture.docx"
    edited.parent.mkdir()
    edited.write_bytes(data)
    saved = office_save(edited, tmp_path / "saved")
    for docx in (edited, saved):
        findings = _findings(cli, reviewed, docx)
        found = {(f["kind"], f["furniture"], f["text"]) for f in findings}
        assert found == {
            ("boilerplate-edit", "page footer", ""),
            ("boilerplate-change", "page header", 'deletion "Ministerial brief"'),
            ("boilerplate-change", "page header", 'insertion "Minister\'s note"'),
        }, findings
        footer = next(f for f in findings if f["kind"] == "boilerplate-edit")
        assert footer["old"].endswith("RESTRICTED — FOR MINISTERIAL USE"), footer
        assert footer["new"].endswith(" SECRET") and "Prepared" in footer["new"], footer
    code, out = cli("-C", str(reviewed), "review", str(saved))
    assert code == 0, out
    assert "(no source): edit (not tracked) in the page footer: change the audience's" in out
    assert '(no source): deletion "Ministerial brief" by A. Reviewer (2026-01-21) in "' in out
    assert "the page header: change the audience's audience.yaml or the template" in out
    yaml = reviewed / MEETING
    before = yaml.read_bytes()
    code, out = cli("-C", str(reviewed), "review", str(saved), "--apply")
    assert code == 0 and yaml.read_bytes() == before


def test_a_quotation_is_never_rewritten(project: Path, cli: Cli, tmp_path: Path) -> None:
    code, out = build_only(cli, project, "analyst", "sd-18", "--format", "docx")
    assert code == 0, out
    built = project / "out/analyst/briefs/2026-01-16-sd-18.docx"
    quote = "Economic security today is particularly paramount"
    edited = tmp_path / "q.docx"
    edits = Edits((), None, (quote, "Economic security is paramount"))
    edited.write_bytes(edit_xml(built.read_bytes(), edits))
    code, out = cli("-C", str(project), "review", str(edited))
    assert code == 0 and "quotes[" in out and "a quotation: it needs a source" in out
    yaml = project / MEETING
    before = yaml.read_bytes()
    code, out = cli("-C", str(project), "review", str(edited), "--apply")
    assert "not applied: a quotation" in out
    assert yaml.read_bytes() == before
