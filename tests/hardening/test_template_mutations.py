"""Property-based hardening of the templates folders: random damage to an audience's
audience.yaml and style.css (as test_corpus_mutations.py damages the corpus) never gets a
traceback or a hang from `check` or `build`, and every problem names a file of the project and
a line inside it.
"""

from __future__ import annotations

import faulthandler
import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.hardening.test_corpus_mutations import line_count, mutation

from ijbrief.cli import main

REPO = Path(__file__).resolve().parents[2]
AUDIENCES = ("minister", "analyst", "student")
FILES = [f"templates/{a}/{name}" for a in AUDIENCES for name in ("audience.yaml", "style.css")]
ORIGINAL = {rel: (REPO / rel).read_bytes() for rel in FILES}
# A hang guard, not a speed target: a hostile input must fail, not stall (a build here takes
# seconds; under a loaded machine, twenty were not always enough).
SECONDS = 90
# `path[:line[:column]]: message`, as every problem is printed.
PROBLEM = re.compile(r"^(?P<path>[^:\n]+?)(?::(?P<line>\d+))?(?::(?P<column>\d+))?: (?P<msg>.+)$")

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def damage(draw: st.DrawFn) -> dict[str, bytes]:
    """One to three mutations of the audience files of one audience; the resulting bytes."""
    audience = draw(st.sampled_from(AUDIENCES))
    files = [rel for rel in FILES if rel.startswith(f"templates/{audience}/")]
    texts: dict[str, str] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        rel = draw(st.sampled_from(files))
        _, apply = draw(mutation())
        texts[rel] = apply(texts.get(rel, ORIGINAL[rel].decode("utf-8")))
    out = {rel: text.encode("utf-8", "surrogatepass") for rel, text in texts.items()}
    if draw(st.integers(0, 3)) == 0:  # now and then, raw bad bytes
        rel = draw(st.sampled_from(sorted(out)))
        at = draw(st.integers(min_value=0, max_value=len(out[rel])))
        out[rel] = out[rel][:at] + draw(st.binary(min_size=1, max_size=3)) + out[rel][at:]
    return out


class Damaged:
    """Write damaged files into the project, and put the originals back afterwards."""

    def __init__(self, root: Path, files: dict[str, bytes]) -> None:
        self.root = root
        self.files = files

    def __enter__(self) -> Damaged:
        for rel, data in self.files.items():
            (self.root / rel).write_bytes(data)
        return self

    def __exit__(self, *exc: object) -> None:
        for rel in self.files:
            (self.root / rel).write_bytes(ORIGINAL[rel])


def run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``ijbrief`` in this process; a run that hangs ends the test session with a traceback of
    where it hung (a watchdog thread: the builds use SIGALRM themselves)."""
    faulthandler.dump_traceback_later(SECONDS * 3, exit=True, file=sys.__stderr__)
    started = time.perf_counter()
    try:
        code = main(["-C", str(project), *args])
    finally:
        faulthandler.cancel_dump_traceback_later()
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert seconds < SECONDS, (args, seconds)
    return code, out, err


def assert_well_placed(project: Path, err: str) -> None:
    """Every problem printed names a file or folder of the project, and a line inside it."""
    *problems, summary = err.splitlines()
    assert re.fullmatch(r"\d+ errors?(, \d+ warnings?)?", summary), err
    assert problems, err
    for line in problems:
        found = PROBLEM.match(line)
        assert found, line
        path = project / found["path"]
        assert path.exists() or path.is_symlink(), line
        if found["line"]:
            assert path.is_file(), line
            assert 1 <= int(found["line"]) <= line_count(path), line


@FUZZ
@given(files=damage())
def test_check_never_prints_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, bytes]
) -> None:
    with Damaged(project, files):
        code, out, err = run(project, capsys, "check")
    assert code in (0, 1), err
    assert "Traceback" not in out + err
    if code == 0:
        assert out.startswith("ok: ")
    else:
        assert out == ""
        assert_well_placed(project, err)


@settings(FUZZ, max_examples=30)
@given(files=damage())
def test_build_never_prints_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, bytes]
) -> None:
    """The same damage through `build` (one brief and the dossier, HTML, to keep it quick); what
    the build refuses, `check` refuses too."""
    audience = next(iter(files)).split("/")[1]
    with Damaged(project, files):
        code, out, err = run(
            project, capsys, "build", "--format", "html", "--audience", audience,
            "--only", "fmsd-13", "--jobs", "1", "--quiet",
        )  # fmt: skip
        assert code in (0, 1), err
        assert "Traceback" not in out + err
        if code == 1:
            assert_well_placed(project, err)
            checked, _, check_err = run(project, capsys, "check")
            assert checked == 1, f"build refused what check let pass:\n{err}"
            assert_well_placed(project, check_err)


def test_check_and_build_agree_on_an_intact_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The premise: undamaged, both succeed (so a refusal above is the damage's doing)."""
    assert run(project, capsys, "check")[0] == 0
    code, _, err = run(
        project, capsys, "build", "--format", "html", "--audience", "student",
        "--only", "fmsd-13", "--jobs", "1", "--quiet",
    )  # fmt: skip
    assert code == 0, err
