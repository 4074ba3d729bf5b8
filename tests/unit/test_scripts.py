"""A project declares the scripts its names are written in (any BCP 47 language): a Korean
party with a Hangul name checks, and builds a PDF whose text has the name in Hangul."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from ijbrief.corpus.model import ProjectSpec, ScriptSpec
from ijbrief.corpus.project import declared_scripts
from ijbrief.doctor import check_languages, corpus_languages

HANGUL = "홍길동"


def _korean_desk(tmp_path: Path, cli) -> Path:
    desk = tmp_path / "desk"
    code, out = cli("init", str(desk), "--parties", "Korea", "India")
    assert code == 0, out
    project = desk / "project.yaml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("scripts: []", "scripts: [ko]", 1), encoding="utf-8")
    people = desk / "briefs/people.yaml"
    text = people.read_text(encoding="utf-8")
    people.write_text(
        text.replace(
            "    name: Example Spokesperson\n",
            f"    name: Example Spokesperson\n    native_name: {HANGUL}\n    native_script: ko\n",
        ),
        encoding="utf-8",
    )
    return desk


def test_scripts_resolve_from_a_tag_or_a_declaration() -> None:
    spec = ProjectSpec.model_validate(
        {
            "title": "A–B",
            "parties": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
            "scripts": ["ko", {"lang": "my", "script": "Mymr", "sans": "Noto Sans Myanmar"}],
        }
    )
    ko, my = declared_scripts(spec)
    assert (ko.code, ko.sans, ko.package) == ("Kore", "Noto Sans CJK KR", "fonts-noto-cjk")
    assert (my.code, my.sans, my.serif) == ("Mymr", "Noto Sans Myanmar", "Noto Sans Myanmar")
    with pytest.raises(ValueError):
        ScriptSpec.model_validate({"lang": "Korean"})


def test_a_korean_desk_checks_builds_and_prints_hangul(tmp_path: Path, cli) -> None:
    desk = _korean_desk(tmp_path, cli)
    code, out = cli("-C", str(desk), "check", "--strict")
    assert code == 0, out
    assert "ko" in corpus_languages(desk)
    korean = [c for c in check_languages(desk) if "(ko)" in c.what]
    assert korean and korean[0].status == "ok", korean
    code, out = cli("-C", str(desk), "build", "--format", "pdf", "--out", str(tmp_path / "out"))
    assert code == 0, out
    briefs = sorted((tmp_path / "out").rglob("*example-meeting*.pdf"))
    assert briefs, sorted(p.name for p in (tmp_path / "out").rglob("*.pdf"))
    text = subprocess.run(
        ["pdftotext", str(briefs[0]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert HANGUL in text


def test_a_native_script_the_project_does_not_declare_is_warned_of_where_it_is_written(
    tmp_path: Path, cli
) -> None:
    desk = _korean_desk(tmp_path, cli)
    code, out = cli("-C", str(desk), "check")
    assert code == 0, out
    assert "native_script" not in out
    project = desk / "project.yaml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace("scripts: [ko]", "scripts: []", 1), encoding="utf-8")
    code, out = cli("-C", str(desk), "check")
    lines = (desk / "briefs/people.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(lines, 1) if row.strip() == "native_script: ko")
    column = lines[line - 1].index("ko") + 1
    expected = (
        f"briefs/people.yaml:{line}:{column}: warning: "
        "native_script 'ko' (Korean (Hangul)) is not declared"
    )
    assert expected in out, out
    assert "scripts: [ko]" in out


def test_a_chinese_name_in_people_yaml_is_a_chinese_run_in_the_word_brief(
    tmp_path: Path, cli
) -> None:
    """people.yaml's native_script reaches the Word run through the template's lang=: ideographs
    that code points alone would make Japanese are zh-CN in a desk that declares zh."""
    desk = _korean_desk(tmp_path, cli)
    for name, old, new in (
        ("project.yaml", "scripts: [ko]", "scripts: [zh]"),
        (
            "briefs/people.yaml",
            f"native_name: {HANGUL}\n    native_script: ko",
            "native_name: 习近平\n    native_script: zh",
        ),
    ):
        path = desk / name
        text = path.read_text(encoding="utf-8")
        assert old in text, text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, out = cli("-C", str(desk), "check", "--strict")
    assert code == 0, out
    code, out = cli("-C", str(desk), "build", "--format", "docx", "--out", str(tmp_path / "out"))
    assert code == 0, out
    briefs = sorted((tmp_path / "out").rglob("*example-meeting*.docx"))
    assert briefs, sorted(p.name for p in (tmp_path / "out").rglob("*.docx"))
    with zipfile.ZipFile(briefs[0]) as package:
        body = etree.fromstring(package.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    runs = [r for r in body.iter(f"{w}r") if "".join(r.itertext()) == "习近平"]
    assert runs, "no run holds the Chinese name alone"
    lang = runs[0].find(f"{w}rPr/{w}lang")
    assert lang is not None and lang.get(f"{w}eastAsia") == "zh-CN"
