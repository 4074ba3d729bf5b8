"""`ijbrief check`: what it prints, where, and the exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ijbrief.cli import main
from ijbrief.errors import InputError

REPO = Path(__file__).resolve().parents[2]
M2020 = "briefs/meetings/2020-10-07-fmsd-13.yaml"
M2022 = "briefs/meetings/2022-09-08-two-plus-two-2.yaml"
SSGP = "briefs/agreements/ssgp.yaml"
PROBLEM_LINE = re.compile(r"^[^:\n]+:\d+:\d+: .+$")


def check(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *extra, "check"])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_corpus(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, project)
    assert code == 0
    assert out.splitlines()[0] == "ok: 4 meetings, 12 agreements, 5 sources, 12 quotations verified"
    assert out.splitlines()[1].startswith("fidelity: ")
    assert len(out.splitlines()) == 2
    assert err == ""


def test_the_repository_itself_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, REPO)
    assert code == 0
    assert out.startswith("ok: 4 meetings, 12 agreements, 5 sources, ")


def test_every_error_is_reported_with_a_count(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    a = edit_yaml(project / M2022, "venue: Tokyo", "venu: Tokyo")
    b = edit_yaml(project / M2020, "number: 13", "number: 013")
    c = edit_yaml(project / SSGP, "kind: partnership", "kind: partner")
    code, out, err = check(capsys, project)
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == "4 errors"
    body = lines[:-1]
    assert all(PROBLEM_LINE.match(line) for line in body), body
    assert f"{M2022}:{a}:1: unknown key 'venu'; did you mean 'venue'?" in body
    assert f"{M2022}:3:1: missing required key 'venue'" in body
    assert (
        f"{M2020}:{b}:9: number: Input should be a valid integer "
        "(got text '013'; YAML 1.2 spellings only)"
    ) in body
    assert any(line.startswith(f"{SSGP}:{c}:7: kind: Input should be") for line in body)
    assert "Traceback" not in err


def test_one_error_is_counted_in_the_singular(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(project / M2022, "person: hayashi-yoshimasa", "person: motegi-toshimitsu")
    code, _, err = check(capsys, project)
    assert code == 1
    assert err.splitlines()[-1] == "1 error"
    assert "Toshimitsu Motegi was not 'Minister for Foreign Affairs' on 2022-09-08" in err


def test_errors_and_warnings_are_counted_apart(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(project / M2022, "venue: Tokyo", 'venue: "To\\u202ekyo"')
    edit_yaml(project / SSGP, "kind: partnership", "kind: partner")
    code, _, err = check(capsys, project)
    assert code == 1
    lines = err.splitlines()
    assert lines[-1] == "1 error, 1 warning"
    assert lines[0].startswith(f"{SSGP}:")  # errors first
    assert ": warning: venue: bidi control U+202E" in lines[1]


def test_warnings_alone_do_not_fail(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", 'venue: "To\\u202ekyo"')
    code, out, err = check(capsys, project)
    assert code == 0
    assert out.startswith("ok: 4 meetings")
    assert (
        err
        == f"{M2022}:{line}:8: warning: venue: bidi control U+202E may hide what the text says\n"
    )


def test_altered_quotation_fails_the_check(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    line = edit_yaml(project / M2020, "and discussed progress", "and discussed the progress")
    code, _, err = check(capsys, project)
    assert code == 1
    assert err.startswith(f"{M2020}:{line}:11: quotation does not occur verbatim in src-001")


def test_no_traceback_for_hostile_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / M2022).write_bytes(b"a: &x [1]\nb: *x\nc: !!python/object:os.system x\n\xff\xfe")
    (project / SSGP).write_text("[" * 50_000, encoding="utf-8")
    (project / "briefs/agreements/cepa.yaml").write_bytes(b"a: " + b"x" * (2 * 1024 * 1024))
    code, out, err = check(capsys, project)
    assert code == 1
    assert "Traceback" not in out + err
    assert f"{M2022}:4:1: not valid UTF-8: byte 0xff" in err
    assert f"{SSGP}:1:65: nesting deeper than 64 levels" in err
    assert "briefs/agreements/cepa.yaml: file is 2097155 bytes; the limit is 1048576" in err


def test_problems_are_printed_with_invisible_characters_escaped(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(project / M2022, "venue: Tokyo", 'venue: Tokyo\n"\\x1b[2J\\ud800": 1')
    bad_name = project / "briefs/meetings" / os.fsdecode(b"2030-01-01-bad\xff.yaml")
    bad_name.write_text("", encoding="utf-8")
    code, _, err = check(capsys, project)
    assert code == 1
    assert "\x1b" not in err
    assert "\\x1b[2J\\ud800" in err
    assert "briefs/meetings/2030-01-01-bad\\udcff.yaml:1:1: file is empty" in err


def test_debug_re_raises_for_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(project / M2022, "venue: Tokyo", "venu: Tokyo")
    with pytest.raises(InputError) as info:
        main(["-C", str(project), "--debug", "check"])
    assert any("unknown key 'venu'" in p.message for p in info.value.problems)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "ijbrief", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_debug_shows_a_traceback_and_plain_mode_does_not(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2022, "venue: Tokyo", "venu: Tokyo")
    plain = run_cli("-C", str(project), "check")
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert plain.stderr.splitlines()[-1] == "2 errors"
    debug = run_cli("-C", str(project), "--debug", "check")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "InputError" in debug.stderr


def test_missing_project_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, tmp_path / "nowhere")
    assert code == 2
    assert out == ""
    assert "project folder" in err and "does not exist" in err


def test_empty_project_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(capsys, tmp_path)
    assert code == 1
    assert err == (
        f"{tmp_path}: not an ijbrief project (no project.yaml, briefs/ or seeds/); "
        "start one with `ijbrief init`\n1 error\n"
    )


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
