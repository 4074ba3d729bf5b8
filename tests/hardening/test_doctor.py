"""`ijbrief doctor` on a copy of the project: all fine here, and each failure is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ijbrief import doctor as doctor_module
from ijbrief.cli import main
from ijbrief.doctor import corpus_languages, doctor, named_families


def run(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, list[str]]:
    code = main(["-C", str(root), "doctor"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


def test_everything_needed_is_installed_here(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = run(capsys, project)
    assert code == 0, "\n".join(lines)
    assert lines[-1].startswith("doctor: ready to build")
    body = lines[:-1]
    assert all(line.split()[0] in ("ok", "warning") for line in body), body
    text = "\n".join(body)
    for expected in (
        "Python 3.",
        "Pango 1.",
        "HarfBuzz subset library",
        "Latin text (en)",
        "Devanagari text (hi)",
        "Japanese text (ja)",
        'font "Noto Serif"',
        'font "Noto Sans"',
        'font "Noto Sans CJK JP"',
        'font "Noto Sans Devanagari"',
        "LibreOffice",
        "Chromium",
        "is writable",
    ):
        assert expected in text, expected
    assert not (project / "out").exists(), "doctor must not leave out/ behind"


def test_existing_out_folder_is_left_as_it_was(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "out").mkdir()
    (project / "out/keep.pdf").write_bytes(b"%PDF")
    code, _ = run(capsys, project)
    assert code == 0
    assert [p.name for p in (project / "out").iterdir()] == ["keep.pdf"]


def test_out_that_is_a_file_is_a_problem(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "out").write_text("not a folder\n", encoding="utf-8")
    code, lines = run(capsys, project)
    assert code == 1
    bad = [line for line in lines if line.startswith("problem")]
    assert len(bad) == 1, lines
    assert "out exists but is not a folder" in bad[0]
    assert lines[-1] == "doctor: 1 problem to fix before building"
    assert (project / "out").read_text(encoding="utf-8") == "not a folder\n"


def test_missing_optional_tools_are_warnings(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    hidden = {"soffice", "libreoffice", "chromium", "chromium-browser", "google-chrome"}

    def which(name: str, *args: object, **kwargs: object) -> str | None:
        return None if name in hidden else real_which(name)

    monkeypatch.setattr(doctor_module.shutil, "which", which)
    code, lines = run(capsys, project)
    assert code == 0
    warnings = [line for line in lines if line.startswith("warning")]
    assert len(warnings) == 2, lines
    assert "LibreOffice not found" in warnings[0]
    assert "sudo apt-get install libreoffice-writer" in warnings[0]
    assert "Chromium not found" in warnings[1]
    assert "sudo apt-get install chromium" in warnings[1]
    assert lines[-1] == "doctor: ready to build (2 warnings)"


def test_missing_pango_is_reported_not_raised(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> tuple[int, int, int]:
        raise OSError("cannot load library 'libpango-1.0-0': no such file")

    monkeypatch.setattr(doctor_module, "_pango_version", broken)
    code, lines = run(capsys, project)
    assert code == 1
    [line] = [line for line in lines if line.startswith("problem")]
    assert "WeasyPrint cannot load Pango (cannot load library 'libpango-1.0-0'" in line
    assert "sudo apt-get install libpango-1.0-0" in line


def test_old_pango_is_a_problem(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor_module, "_pango_version", lambda: (1, 42, 4))
    code, lines = run(capsys, project)
    assert code == 1
    assert any(
        line.startswith("problem") and "Pango 1.42.4 is too old" in line for line in lines
    ), lines


def test_missing_harfbuzz_subset_is_a_warning(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = doctor_module.ctypes.util.find_library
    monkeypatch.setattr(
        doctor_module.ctypes.util,
        "find_library",
        lambda name: None if name == "harfbuzz-subset" else real(name),
    )
    code, lines = run(capsys, project)
    assert code == 0
    assert any(
        line.startswith("warning") and "sudo apt-get install libharfbuzz-subset0" in line
        for line in lines
    ), lines


def test_a_font_the_audience_names_but_is_missing(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(
        project / "templates/minister/audience.yaml",
        "body_font: Noto Serif",
        "body_font: Zzqx Imaginary Serif",
    )
    code, lines = run(capsys, project)
    assert code == 1
    [line] = [line for line in lines if line.startswith("problem")]
    assert 'font "Zzqx Imaginary Serif" is not installed' in line


def test_no_font_for_a_script(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = doctor_module._run

    def fake(command: list[str]) -> str | None:
        if command[:2] == ["fc-list", ":lang=hi"]:
            return ""
        return real_run(command)

    monkeypatch.setattr(doctor_module, "_run", fake)
    code, lines = run(capsys, project)
    assert code == 1
    [line] = [line for line in lines if line.startswith("problem")]
    assert "no font covers Devanagari text" in line
    assert "sudo apt-get install fonts-noto-core" in line


def test_corpus_languages_follow_the_text(project: Path) -> None:
    assert corpus_languages(project) == ["en", "hi", "ja"]
    for path in (project / "briefs").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text("".join(c for c in text if ord(c) < 0x900), encoding="utf-8")
    assert corpus_languages(project) == ["en", "hi", "ja"]  # project.yaml names them
    spec = project / "project.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("scripts: [hi, ja]", "scripts: []"))
    assert corpus_languages(project) == ["en"]


def test_named_families_include_branding_and_stylesheets(project: Path) -> None:
    families, notes = named_families(project)
    assert notes == []
    assert {"Noto Serif", "Noto Sans", "Noto Sans CJK JP", "Noto Sans Devanagari"} <= set(families)


def test_doctor_function_directly(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor(project) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("doctor: ready to build")
