"""Hostile or broken files a user can put in the project (issue 27, and the reference-document
and planner points of issues 20 and 28): `check` and `build` each refuse them with a message
naming the file (and line where there is one), exit non-zero without a traceback, open nothing
outside the project, leave out/ as it was and finish within 20 s.

Each case runs in a fresh process (tests/hardening/runner.py), which records every file Python
opens or lists through an audit hook. Unreadable files are made so for real: the files are
`chmod 000` and the process runs without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`setpriv`),
since these tests run as root. A few cases also run under strace, which sees every open,
including those made by C libraries (libxml2, fontconfig).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from tests.conftest import copy_project, tree_digest

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("runner.py")
REFERENCE = REPO / "templates/minister/reference.docx"
SECRET = "s3cr3t-outside-the-project"
BUILD = ["build", "--format", "all", "--audience", "minister", "--only", "fmsd-13", "--jobs", "1"]
# A hang guard, not a speed target: a hostile input must fail, not stall (a build here takes
# seconds; under a loaded machine, twenty were not always enough).
SECONDS = 90
# Root reads a `chmod 000` file; without these two capabilities it cannot. (Anyone else cannot
# read it anyway, nor drop capabilities.)
UNPRIVILEGED = (
    [
        "setpriv",
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
    ]
    if os.geteuid() == 0
    else []
)


@dataclass
class Outcome:
    command: list[str]
    code: int
    out: str
    err: str
    seconds: float
    opened: list[str]


@dataclass
class Case:
    project: Path
    secret: Path  # a file outside the project that hostile links point at

    def run(self, *commands: list[str], unprivileged: bool = False) -> list[Outcome]:
        result = self.project.parent / "result.json"
        args = [sys.executable, str(RUNNER), str(result)]
        for command in commands:
            args += ["--", "-C", str(self.project), *command]
        prefix = UNPRIVILEGED if unprivileged else []
        done = subprocess.run(
            [*prefix, *args],
            cwd=self.project,
            capture_output=True,
            text=True,
            timeout=SECONDS * len(commands) + 10,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outcomes = [Outcome(**r) for r in json.loads(result.read_text(encoding="utf-8"))]
        for outcome in outcomes:
            assert outcome.seconds < SECONDS, outcome
            assert "Traceback" not in outcome.out + outcome.err, outcome.err
        return outcomes

    def outside(self, opened: list[str]) -> list[str]:
        """Opened files (links followed) outside the project, Python and ijbrief's own files."""
        allowed = [
            self.project,
            Path(sys.prefix),
            Path(sys.base_prefix),
            REPO / "src",
            REPO / "templates",  # the built-in audiences
            RUNNER.parent,
            Path("/dev"),
        ]
        allowed = [Path(os.path.realpath(p)) for p in allowed]
        found = []
        for name in opened:
            real = Path(os.path.realpath(name))
            if name == "/etc/mime.types" or any(real.is_relative_to(a) for a in allowed):
                continue
            found.append(name)
        return found

    def refused(
        self, *commands: list[str], expect: str, unprivileged: bool = False
    ) -> list[Outcome]:
        """Run ``commands``; each must fail with a line matching ``expect`` (a regex) and touch
        neither out/ nor anything outside the project."""
        before = tree_digest(self.project / "out")
        outcomes = self.run(*commands, unprivileged=unprivileged)
        for outcome in outcomes:
            assert outcome.code == 1, outcome
            assert outcome.out == "", outcome
            assert re.search(expect, outcome.err, re.MULTILINE), (expect, outcome.err)
            assert re.search(r"^\d+ errors?", outcome.err.splitlines()[-1]), outcome.err
            assert self.outside(outcome.opened) == [], outcome.command
        assert tree_digest(self.project / "out") == before
        return outcomes


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with a good build of one brief in every format: the out/ that must survive."""
    project = copy_project(tmp_path_factory.mktemp("built") / "proj")
    done = subprocess.run(
        [sys.executable, "-m", "ijbrief", "-C", str(project), *BUILD, "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture
def case(built: Path, tmp_path: Path) -> Case:
    project = tmp_path / "proj"
    shutil.copytree(built, project, symlinks=True)
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n", encoding="utf-8")
    return Case(project, secret)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


CHECK = ["check"]
SEED = "seeds/000_451b3471627ae376.txt"


# --- 1. symbolic link loops ---------------------------------------------------------------------


def test_a_meeting_file_linked_to_itself(case: Case) -> None:
    (case.project / "briefs/meetings/loop.yaml").symlink_to("loop.yaml")
    case.refused(
        CHECK, BUILD, expect=r"^briefs/meetings/loop\.yaml: cannot read: symbolic link loop$"
    )


def test_a_seed_linked_to_itself(case: Case) -> None:
    seed = case.project / SEED
    seed.unlink()
    seed.symlink_to(seed.name)
    line = line_of(case.project / "seeds/catalogue.yaml", seed.name)
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^seeds/catalogue\.yaml:{line}:\d+: seed file {SEED}: cannot read: "
        "symbolic link loop$",
    )


def test_a_template_linked_to_itself(case: Case) -> None:
    style = case.project / "templates/minister/style.css"
    style.unlink()
    style.symlink_to("style.css")
    case.refused(
        CHECK, BUILD, expect=r"^templates/minister/style\.css: cannot read: symbolic link loop$"
    )


# --- 2. unreadable folders and files ------------------------------------------------------------


def test_the_environment_really_denies_reading(case: Case) -> None:
    """The premise of the cases below: without the two capabilities, root cannot read a file
    that is `chmod 000`."""
    os.chmod(case.secret, 0)
    denied = subprocess.run([*UNPRIVILEGED, "cat", str(case.secret)], capture_output=True)
    assert denied.returncode != 0 and b"Permission denied" in denied.stderr


def test_an_unreadable_meetings_folder(case: Case) -> None:
    os.chmod(case.project / "briefs/meetings", 0)
    try:
        case.refused(
            CHECK,
            BUILD,
            expect=r"^briefs/meetings: cannot read the folder: Permission denied$",
            unprivileged=True,
        )
    finally:
        os.chmod(case.project / "briefs/meetings", 0o755)


def test_an_unreadable_people_file(case: Case) -> None:
    os.chmod(case.project / "briefs/people.yaml", 0)
    case.refused(
        CHECK,
        BUILD,
        expect=r"^briefs/people\.yaml: cannot read: Permission denied$",
        unprivileged=True,
    )


def test_an_unreadable_seed(case: Case) -> None:
    os.chmod(case.project / SEED, 0)
    line = line_of(case.project / "seeds/catalogue.yaml", Path(SEED).name)
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^seeds/catalogue\.yaml:{line}:\d+: seed file {SEED}: cannot read: "
        "Permission denied$",
        unprivileged=True,
    )


def test_an_unreadable_stylesheet(case: Case) -> None:
    os.chmod(case.project / "templates/minister/style.css", 0)
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/style\.css: cannot read: Permission denied$",
        unprivileged=True,
    )


def test_an_unreadable_audience_folder(case: Case) -> None:
    os.chmod(case.project / "templates/minister", 0)
    try:
        case.refused(
            CHECK,
            BUILD,
            expect=r"^templates/minister: cannot read( the folder)?: Permission denied$",
            unprivileged=True,
        )
    finally:
        os.chmod(case.project / "templates/minister", 0o755)


# --- 3. reference.docx --------------------------------------------------------------------------


def package(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def reference_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(REFERENCE) as source:
        return {info.filename: source.read(info) for info in source.infolist()}


def write_reference(case: Case, data: bytes) -> None:
    (case.project / "templates/minister/reference.docx").write_bytes(data)


def xxe(secret: Path) -> bytes:
    parts = reference_parts()
    styles = parts["word/styles.xml"].decode("utf-8")
    body = styles.split("?>", 1)[1]
    doctype = f'<!DOCTYPE w:styles [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    parts["word/styles.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + doctype + body.replace(
            "<w:docDefaults>", "<w:docDefaults>&xxe;", 1
        )
    ).encode("utf-8")  # fmt: skip
    return package(parts)


REFERENCE_CASES: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "not a zip": (lambda _: b"PK but not really a package", "not a ZIP package"),
    "an empty zip": (lambda _: package({}), "an empty ZIP package"),
    "an XXE payload": (xxe, r"part word/styles\.xml has a DTD"),
    "not Word": (
        lambda _: package({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<R/>"}),
        "names no main document part",
    ),
    "broken XML": (
        lambda _: package({**reference_parts(), "word/styles.xml": b"<w:styles><oops>"}),
        r"part word/styles\.xml line 1: XML syntax",
    ),
}


@pytest.mark.parametrize("kind", REFERENCE_CASES)
def test_a_bad_reference_document(case: Case, kind: str) -> None:
    make, message = REFERENCE_CASES[kind]
    write_reference(case, make(case.secret))
    case.refused(CHECK, BUILD, expect=rf"^templates/minister/reference\.docx: .*{message}")


def test_a_reference_document_linked_out_of_the_project(case: Case) -> None:
    reference = case.project / "templates/minister/reference.docx"
    reference.unlink()
    reference.symlink_to(case.secret)
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/reference\.docx: refused: it leads outside the templates "
        "folders$",
    )


def test_a_gigabyte_part_is_refused_before_it_is_inflated(case: Case) -> None:
    target = case.project / "templates/minister/reference.docx"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package_file:
        for name, data in reference_parts().items():
            package_file.writestr(name, data)
        with package_file.open("word/media/huge.bin", "w", force_zip64=True) as huge:
            block = bytes(1 << 24)
            for _ in range(64):
                huge.write(block)
    assert target.stat().st_size < 8 << 20
    check, _ = case.refused(
        CHECK, BUILD, expect=r"part word/media/huge\.bin is 1073741824 bytes uncompressed"
    )
    assert check.seconds < 10  # check reads the reference without laying anything out
    # Reading it alone: refused at once, with next to nothing inflated.
    from ijbrief.errors import TemplateError
    from ijbrief.writers.docx_package import read_reference

    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(TemplateError, match="1073741824 bytes uncompressed"):
        read_reference(target, "reference.docx", [target.parent])
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1 and peak < 64 << 20, (seconds, peak)


def test_external_relationships_are_not_copied_into_outputs(case: Case) -> None:
    """An attached template (and a linked picture) would make Word fetch a file from elsewhere
    when the brief is opened; a hyperlink is kept."""
    parts = reference_parts()
    parts["word/_rels/settings.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/attachedTemplate" Target="file:///C:/evil/Normal.dotm" '
        b'TargetMode="External"/></Relationships>'
    )
    settings = parts["word/settings.xml"].decode("utf-8")
    head, _ = settings.rsplit("</w:settings>", 1)
    parts["word/settings.xml"] = (head + '<w:attachedTemplate r:id="rId1"/></w:settings>').encode()
    if 'xmlns:r="' not in head:
        parts["word/settings.xml"] = parts["word/settings.xml"].replace(
            b"<w:settings ",
            b'<w:settings xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships" ',
            1,
        )
    write_reference(case, package(parts))
    (check, build) = case.run(CHECK, BUILD)
    assert check.code == 0 and build.code == 0, check.err + build.err
    docx = case.project / "out/minister/briefs/2020-10-07-fmsd-13.docx"
    with zipfile.ZipFile(docx) as made:
        parts = {name: made.read(name) for name in made.namelist()}
    assert all(b"attachedTemplate" not in data for data in parts.values())
    assert all(b"evil" not in data for data in parts.values())
    external = [
        rel.get("Type")
        for name, data in parts.items()
        if name.endswith(".rels")
        for rel in ElementTree.fromstring(data)
        if rel.get("TargetMode") == "External"
    ]
    assert all(kind.endswith("/hyperlink") for kind in external), external


# --- 4. errors from a user's template -----------------------------------------------------------

RECURSIVE = "/* {% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }} */\n"


def test_a_recursive_macro_in_the_stylesheet(case: Case) -> None:
    style = case.project / "templates/minister/style.css"
    with style.open("a", encoding="utf-8") as handle:
        handle.write(RECURSIVE)
    line = len(style.read_text(encoding="utf-8").splitlines())
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^templates/minister/style\.css:{line}: recursion too deep",
    )


def test_a_template_that_includes_itself(case: Case) -> None:
    (case.project / "templates/minister/brief-meeting.html.j2").write_text(
        'x\n{% include "brief-meeting.html.j2" %}\n', encoding="utf-8"
    )
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/brief-meeting\.html\.j2:2: recursion too deep",
    )


def test_a_template_that_fails_at_run_time(case: Case) -> None:
    (case.project / "templates/minister/brief-meeting.html.j2").write_text(
        '{% extends "base/brief-meeting.html.j2" %}\n'
        "{% block bottom_line %}\n{{ 1 // 0 }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/brief-meeting\.html\.j2:3: ZeroDivisionError",
    )


# --- 5. fit settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fit", "message"),
    [
        ("{min_scale: 0.6, step: 0.0000001}", r"fit\.step: Input should be greater than or equal"),
        ("{min_scale: 0.6, step: 0.01}", r"fit: min_scale 0\.6 with step 0\.01 means 41 layouts"),
    ],
)
def test_a_fit_that_would_lay_out_without_end(case: Case, fit: str, message: str) -> None:
    spec = case.project / "templates/minister/audience.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(re.sub(r"^fit: .*$", f"fit: {fit}", text, flags=re.MULTILINE), encoding="utf-8")
    line = line_of(spec, "fit: ")
    case.refused(CHECK, BUILD, expect=rf"^templates/minister/audience\.yaml:{line}:\d+: {message}")


# --- 6. seeds ------------------------------------------------------------------------------------


def test_a_huge_seed(case: Case) -> None:
    seed = case.project / SEED
    with seed.open("a", encoding="utf-8") as handle:
        handle.write("All work and no play. " * (50 * 1024 * 1024 // 22))
    line = line_of(case.project / "seeds/catalogue.yaml", seed.name)
    (check,) = case.refused(
        CHECK,
        expect=rf"^seeds/catalogue\.yaml:{line}:\d+: seed file {SEED}: file is \d+ bytes; "
        "the limit is",
    )
    assert check.seconds < 5


def test_a_seed_with_a_nul_byte(case: Case) -> None:
    seed = case.project / SEED
    text = seed.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(text) if len(line) > 10)
    text[at] = text[at][:5] + "\x00" + text[at][5:]
    seed.write_text("\n".join(text), encoding="utf-8")
    line = line_of(case.project / "seeds/catalogue.yaml", seed.name)
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^seeds/catalogue\.yaml:{line}:\d+: seed file {SEED} \(line {at + 1}, "
        "column 6\\): control character U\\+0000 is not allowed",
    )


def test_a_seed_that_is_not_utf8(case: Case) -> None:
    seed = case.project / SEED
    seed.write_bytes(seed.read_bytes()[:40] + b"\xff" + seed.read_bytes()[40:])
    case.refused(CHECK, BUILD, expect=rf"seed file {SEED} \(line 1, column \d+\): not valid UTF-8")


# --- 7. check sees what build refuses in templates/ (and issue 20 point 9) ---------------------


def edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_an_unknown_key_in_audience_yaml(case: Case) -> None:
    spec = case.project / "templates/minister/audience.yaml"
    line = edit(spec, "classification:", "clasification:")
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^templates/minister/audience\.yaml:{line}:1: unknown key 'clasification'; "
        "did you mean 'classification'\\?$",
    )


def test_an_unknown_branding_key(case: Case) -> None:
    spec = case.project / "templates/minister/audience.yaml"
    line = edit(spec, "  accent:", "  acent:")
    case.refused(
        CHECK, BUILD, expect=rf"audience\.yaml:{line}:3: unknown key 'acent'; did you mean 'accent'"
    )


def test_an_unknown_hidden_section(case: Case) -> None:
    spec = case.project / "templates/minister/audience.yaml"
    with spec.open("a", encoding="utf-8") as handle:
        handle.write("hide_sections: [participants, participant]\n")
    line = line_of(spec, "hide_sections")
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^templates/minister/audience\.yaml:{line}:31: unknown section 'participant'; "
        "did you mean 'participants'\\?$",
    )


def test_an_unknown_section(case: Case) -> None:
    spec = case.project / "templates/minister/audience.yaml"
    line = edit(spec, "{id: to-raise,", "{id: to-rise,")
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^templates/minister/audience\.yaml:{line}:\d+: unknown meeting section "
        "'to-rise'; did you mean 'to-raise'\\?",
    )


def test_a_block_that_overrides_nothing(case: Case) -> None:
    (case.project / "templates/minister/brief-meeting.html.j2").write_text(
        '{% extends "base/brief-meeting.html.j2" %}\n\n{% block botom_line %}x{% endblock %}\n',
        encoding="utf-8",
    )
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/brief-meeting\.html\.j2:3: block 'botom_line' does not exist",
    )


def test_a_template_that_does_not_compile(case: Case) -> None:
    style = case.project / "templates/minister/style.css"
    with style.open("a", encoding="utf-8") as handle:
        handle.write("\n{% if %}\n")
    line = len(style.read_text(encoding="utf-8").splitlines())
    case.refused(CHECK, BUILD, expect=rf"^templates/minister/style\.css:{line}: syntax: ")


def test_a_template_that_is_not_utf8(case: Case) -> None:
    (case.project / "templates/minister/style.css").write_bytes(b"body { color: red }\n\xff\n")
    case.refused(
        CHECK, BUILD, expect=r"^templates/minister/style\.css:2:1: not valid UTF-8: byte 0xff"
    )


def test_a_stylesheet_linked_out_of_the_project(case: Case) -> None:
    style = case.project / "templates/minister/style.css"
    style.unlink()
    style.symlink_to(case.secret)
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/style\.css: refused: it leads outside the templates folders$",
    )


def test_extends_cannot_climb_out_of_the_templates_folder(case: Case) -> None:
    elsewhere = case.secret.parent / "evil"
    elsewhere.mkdir()
    shutil.copy(case.project / "templates/minister/audience.yaml", elsewhere / "audience.yaml")
    spec = case.project / "templates/minister/audience.yaml"
    with spec.open("a", encoding="utf-8") as handle:
        handle.write(f"extends: ../../../{elsewhere.parent.name}/evil\n")
    line = line_of(spec, "extends:")
    case.refused(
        CHECK,
        BUILD,
        expect=rf"^templates/minister/audience\.yaml:{line}:\d+: .* is not an audience",
    )


def test_an_audience_folder_linked_out_of_the_project(case: Case) -> None:
    elsewhere = case.secret.parent / "press"
    elsewhere.mkdir()
    shutil.copy(case.project / "templates/minister/audience.yaml", elsewhere / "audience.yaml")
    (case.project / "templates/press").symlink_to(elsewhere)
    case.refused(
        CHECK,
        ["build", "--audience", "press", "--only", "fmsd-13", "--jobs", "1"],
        expect=r"^templates/press/audience\.yaml: refused: it leads outside the templates folders$",
    )


def with_logo(case: Case) -> Path:
    edit(
        case.project / "templates/minister/audience.yaml",
        "  accent:",
        "  logo: seal.png\n  accent:",
    )
    return case.project / "templates/minister/seal.png"


def test_a_logo_linked_to_itself(case: Case) -> None:
    logo = with_logo(case)
    logo.symlink_to(logo.name)
    case.refused(
        CHECK, BUILD, expect=r"^templates/minister/seal\.png: cannot read: symbolic link loop$"
    )


def test_an_unreadable_logo(case: Case) -> None:
    logo = with_logo(case)
    shutil.copy(REPO / "tests/hardening/runner.py", logo)  # any bytes: it is never read
    os.chmod(logo, 0)
    case.refused(
        CHECK,
        BUILD,
        expect=r"^templates/minister/seal\.png: cannot read: Permission denied$",
        unprivileged=True,
    )


def test_a_huge_logo(case: Case) -> None:
    logo = with_logo(case)
    logo.write_bytes(b"\x89PNG" + bytes(9 * 1024 * 1024))
    case.refused(
        CHECK, BUILD, expect=r"^templates/minister/seal\.png: file is \d+ bytes; the limit"
    )


# --- the planner (issue 28 point 8) --------------------------------------------------------------


def test_the_planner_does_not_read_a_link_out_of_the_templates_folder(case: Case) -> None:
    (case.project / "templates/minister/notes.txt").symlink_to(case.secret)
    check, build = case.run(CHECK, BUILD)
    for outcome in (check, build):
        assert case.outside(outcome.opened) == [], outcome.command
    assert check.code == 0 and build.code == 0, check.err + build.err
    assert "templates/minister/notes.txt: warning: refused: it leads outside" in check.err


# --- under strace: nothing outside is opened, by Python or by a C library ----------------------


def traced(case: Case, *command: str) -> tuple[int, str, list[str]]:
    log = case.project.parent / "strace.log"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(log),
         sys.executable, "-m", "ijbrief", "-C", str(case.project), *command],
        capture_output=True, text=True, timeout=60, cwd=case.project,
    )  # fmt: skip
    opened = re.findall(r'open(?:at2?)?\((?:[^,]*, )?"([^"]*)"', log.read_text())
    return done.returncode, done.stderr, opened


@pytest.mark.parametrize("what", ["reference", "stylesheet", "notes"])
def test_nothing_outside_is_opened_under_strace(case: Case, what: str) -> None:
    if what == "reference":
        write_reference(case, xxe(case.secret))
    elif what == "stylesheet":
        style = case.project / "templates/minister/style.css"
        style.unlink()
        style.symlink_to(case.secret)
    else:
        (case.project / "templates/minister/notes.txt").symlink_to(case.secret)
    for command in (CHECK, BUILD):
        code, err, opened = traced(case, *command)
        assert "Traceback" not in err
        assert code == (0 if what == "notes" else 1), err
        assert opened, "strace saw no open at all"
        assert not [p for p in opened if os.path.realpath(p) == str(case.secret)], command
