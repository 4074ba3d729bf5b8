"""Builds that must fail do so cleanly: refused fetches, overflowing briefs, mid-build faults."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from tests.conftest import build_only

from ijbrief.build.outputs import locked

Cli = Callable[..., tuple[int, str]]  # the `cli` fixture (tests/conftest.py)
Snapshot = Callable[[Path], dict[str, str]]  # the `snapshot` fixture


def override_masthead(project: Path, audience: str, html: str) -> None:
    """A project-level template that changes only the masthead block of the meeting brief."""
    (project / "templates" / audience / "brief-meeting.html.j2").write_text(
        '{% extends "builtin:' + audience + '/brief-meeting.html.j2" %}'
        if (project / "templates" / audience / "brief-meeting.html.j2").exists()
        else '{% extends "base/brief-meeting.html.j2" %}\n{% block masthead %}'
        + html
        + "{% endblock %}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        '<img src="../../../../../../../../etc/passwd">',
        '<img src="%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd">',
        '<link rel="stylesheet" href="file:///dev/zero">',
        "<style>@import url(file:///etc/hostname);</style>",
    ],
)
def test_fetches_outside_the_templates_fail_the_build(project: Path, cli: Cli, markup: str) -> None:
    override_masthead(project, "minister", markup)
    code, output = cli("-C", str(project), "build", "--audience", "minister", "--jobs", "1")
    assert code == 1
    assert "refused to fetch" in output or "cannot fetch" in output
    assert "Traceback" not in output
    assert not list((project / "out").rglob("*.pdf"))


def test_symlink_escaping_the_templates_is_refused(project: Path, cli: Cli) -> None:
    (project / "templates" / "minister" / "logo.png").symlink_to("/etc/passwd")
    override_masthead(project, "minister", '<img src="minister/logo.png">')
    code, output = cli("-C", str(project), "build", "--audience", "minister", "--jobs", "1")
    assert code == 1 and "outside the templates folders" in output


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_no_network_fetch_is_attempted(project: Path, cli: Cli, listener: str) -> None:
    _Counter.hits = 0
    override_masthead(
        project,
        "analyst",
        f'<img src="{listener}/x.png"><link rel="stylesheet" href="{listener}/s.css">',
    )
    code, output = cli("-C", str(project), "build", "--audience", "analyst", "--jobs", "1")
    assert code == 1 and "refused to fetch http://127.0.0.1" in output
    assert _Counter.hits == 0


def test_an_image_inside_the_audience_folder_is_allowed(project: Path, cli: Cli) -> None:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
    )
    (project / "templates" / "minister" / "seal.png").write_bytes(png)
    override_masthead(
        project,
        "minister",
        '<img src="minister/seal.png" style="width:10mm"><h1>{{ brief.title }}</h1>',
    )
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 0, output
    page = PdfReader(project / "out/minister/briefs/2020-10-07-fmsd-13.pdf").pages[0]
    assert page.images


def add_outcomes(project: Path, count: int, words: int) -> None:
    path = project / "briefs/meetings/2026-01-16-sd-18.yaml"
    text = path.read_text(encoding="utf-8")
    extra = "".join(
        f"  - topic: ai\n    text: {' '.join(['Expanded'] + ['cooperation'] * words)} {i}.\n    sources: [src-003]\n"
        for i in range(count)
    )
    path.write_text(text.replace("\noutcomes:\n", "\noutcomes:\n" + extra, 1), encoding="utf-8")


def test_an_overlong_brief_is_fitted_onto_one_page(project: Path, cli: Cli) -> None:
    import json

    add_outcomes(project, 6, 25)
    code, output = build_only(cli, project, "analyst", "sd-18")
    assert code == 0, output
    pdf = project / "out/analyst/briefs/2026-01-16-sd-18.pdf"
    assert len(PdfReader(pdf).pages) == 1
    fit = json.loads((project / "out/manifest.json").read_text())["outputs"][
        "analyst/briefs/2026-01-16-sd-18.pdf"
    ]["fit"]
    assert fit["scale"] < 1 or fit["dropped"]
    assert fit["layouts"] > 1


def test_a_brief_that_cannot_fit_is_refused_and_nothing_is_written(
    project: Path, cli: Cli, snapshot: Snapshot
) -> None:
    code, _ = cli("-C", str(project), "build", "--audience", "analyst", "--jobs", "2")
    assert code == 0
    before = snapshot(project / "out")
    add_outcomes(project, 40, 40)
    code, output = cli("-C", str(project), "build", "--audience", "analyst", "--jobs", "2")
    assert code == 1
    assert "analyst/meeting sd-18: does not fit one page" in output and "overflowing by" in output
    assert snapshot(project / "out") == before  # the last good outputs are untouched
    assert not [p for p in (project / "out").iterdir() if p.name.startswith(".ijbrief-staging")]


def test_a_failure_mid_build_leaves_earlier_outputs_untouched(
    project: Path, cli: Cli, snapshot: Snapshot
) -> None:
    code, _ = cli(
        "-C",
        str(project),
        "build",
        "--audience",
        "student",
        "--format",
        "all",
        "--jobs",
        "1",
    )
    assert code == 0
    before = snapshot(project / "out")
    # Briefs change and render fine; then the dossier template fails at its last step.
    (project / "templates/student/style.css").write_text(
        "h1 { color: #000000; }\n", encoding="utf-8"
    )
    (project / "templates/student/dossier.html.j2").write_text(
        '{% extends "base/dossier.html.j2" %}{% block sources_part %}{{ no_such_thing }}{% endblock %}\n',
        encoding="utf-8",
    )
    code, output = cli(
        "-C",
        str(project),
        "build",
        "--audience",
        "student",
        "--format",
        "all",
        "--jobs",
        "1",
    )
    assert code == 1
    assert "templates/student/dossier.html.j2:1: undefined: 'no_such_thing' is undefined" in output
    assert snapshot(project / "out") == before
    assert not [p for p in (project / "out").iterdir() if p.name.startswith(".ijbrief-staging")]


def test_invalid_corpus_writes_nothing(project: Path, cli: Cli) -> None:
    path = project / "briefs/meetings/2020-10-07-fmsd-13.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("venue: Tokyo", "venue: Tokyo\nvenu: Tokyo"),
        encoding="utf-8",
    )
    code, output = cli("-C", str(project), "build")
    assert code == 1 and "unknown key 'venu'; did you mean 'venue'?" in output
    assert not (project / "out").exists()


def test_rebuilds_are_byte_identical(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, snapshot: Snapshot
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    for out in ("out1", "out2"):
        code, output = cli(
            "-C",
            str(project),
            "build",
            "--audience",
            "minister",
            "--out",
            str(project / out),
            "--jobs",
            "2",
        )
        assert code == 0, output
    first, second = snapshot(project / "out1"), snapshot(project / "out2")
    assert first == second and len(first) > 10
    metadata = PdfReader(project / "out1/minister/minister-dossier.pdf").metadata
    assert metadata is not None and metadata["/CreationDate"].startswith("D:20260101")


def test_filters_shape_the_dossier_and_its_name(project: Path, cli: Cli) -> None:
    code, output = cli(
        "-C", str(project), "build", "--audience", "analyst", "--topic", "5g", "cybersecurity",
        "--since", "2020-01-01", "--jobs", "2",
    )  # fmt: skip
    assert code == 0, output
    dossier = project / "out/analyst/analyst-dossier-5g-cybersecurity-since-2020-01-01.pdf"
    content = "\n".join(p.extract_text() for p in PdfReader(dossier).pages)
    assert "13th India–Japan Foreign Ministers' Strategic Dialogue" in content
    assert "First India–Japan 2+2" not in content  # November 2019 is before the range
    assert "topics: 5G, Cybersecurity; since 1 January 2020" in " ".join(content.split())
    briefs = {p.name for p in (project / "out/analyst/briefs").glob("*.pdf")}
    assert "2019-11-two-plus-two-1.pdf" not in briefs and "2020-10-07-fmsd-13.pdf" in briefs


def test_unknown_filters_are_user_errors(project: Path, cli: Cli) -> None:
    code, output = cli("-C", str(project), "build", "--topic", "6g")
    assert code == 1 and "unknown topic(s): 6g" in output and "Traceback" not in output


def test_noop_rebuild_skips_everything_and_one_change_rebuilds_only_its_dependants(
    project: Path, cli: Cli
) -> None:
    from ijbrief.build.pipeline import BuildOptions, build

    options = BuildOptions(root=project, audiences=("minister",), jobs=2, quiet=True)
    first = build(options)
    assert first.written and not first.skipped
    again = build(options)
    assert again.written == [] and len(again.skipped) == len(first.written)
    path = project / "briefs/meetings/2026-01-16-sd-18.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "venue: New Delhi", "venue: New Delhi (Hyderabad House)", 1
        ),
        encoding="utf-8",
    )
    third = build(options)
    rebuilt = set(third.written)
    assert "minister/briefs/2026-01-16-sd-18.pdf" in rebuilt
    assert "minister/minister-dossier.pdf" in rebuilt
    assert "minister/briefs/2020-10-07-fmsd-13.pdf" not in rebuilt
    assert "minister/briefs/2011-08-cepa.pdf" not in rebuilt
    assert len(rebuilt) < len(first.written) / 2


def test_a_second_build_on_the_same_out_waits_or_refuses(tmp_path: Path) -> None:
    from ijbrief.errors import IjbriefError

    with (
        locked(tmp_path),
        pytest.raises(IjbriefError, match="another build is running"),
        locked(tmp_path, wait=False),
    ):
        pass


def test_markdown_fields_cannot_inject_html_or_unsafe_links() -> None:
    from ijbrief.compose.textfmt import md_inline

    html = str(
        md_inline(
            "See <script>alert(1)</script> [x](javascript:alert(1)) [y](file:///etc/passwd) [ok](https://mea.gov.in) ![i](file:///etc/passwd)"
        )
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "file:" not in html
    assert '<a href="https://mea.gov.in">ok</a>' in html
    assert "<img" not in html


def test_outputs_are_written_atomically_without_temp_files(project: Path, cli: Cli) -> None:
    code, _ = build_only(cli, project, "minister", "fmsd-13")
    assert code == 0
    leftovers = [
        p
        for p in (project / "out").rglob("*")
        if ".ijbrief-staging" in str(p) or p.name.endswith(".tmp")
    ]
    assert leftovers == []
    assert os.access(project / "out/minister/briefs/2020-10-07-fmsd-13.pdf", os.R_OK)


def test_a_second_build_waits_for_the_first_and_says_so(project: Path) -> None:
    import subprocess
    import sys

    out = project / "out"
    with locked(out):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ijbrief",
                "-C",
                str(project),
                "build",
                "--audience",
                "minister",
                "--only",
                "fmsd-13",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        assert "waiting for another build" in process.stderr.readline()
        assert process.poll() is None  # still waiting while the lock is held
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 0, rest
    assert (out / "minister/briefs/2020-10-07-fmsd-13.pdf").is_file()


def test_docx_after_pdf_reuses_the_layout_and_matches_a_fresh_docx(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No work twice: the PDF build's fit decisions and page numbers serve a later DOCX build."""
    assert cli("-C", str(project), "build", "--audience", "analyst", "--jobs", "1")[0] == 0
    code, output = cli(
        "-C",
        str(project),
        "build",
        "--audience",
        "analyst",
        "--format",
        "docx",
        "--out",
        str(project / "fresh"),
        "--jobs",
        "1",
    )
    assert code == 0, output

    from ijbrief.writers import pdf

    def no_layout(*args: object) -> None:
        raise AssertionError("laid out again")

    monkeypatch.setattr(pdf.PdfEngine, "layout", no_layout)
    code, output = cli(
        "-C",
        str(project),
        "build",
        "--audience",
        "analyst",
        "--format",
        "docx",
        "--jobs",
        "1",
    )
    assert code == 0, output
    reused = sorted((project / "out").rglob("*.docx"))
    assert len(reused) == 17
    for path in reused:
        assert (
            path.read_bytes()
            == (project / "fresh" / path.relative_to(project / "out")).read_bytes()
        ), path.name


def test_an_agreement_step_shown_under_what_changed_rebuilds_that_brief(project: Path) -> None:
    from ijbrief.build.pipeline import BuildOptions, build

    # The partnership is not tied to the 18th Strategic Dialogue, but its step between the 13th
    # and the 18th (at the 2022 2+2) is what changed in between, and the analyst's brief lists it.
    options = BuildOptions(root=project, formats=("html",), audiences=("analyst",), quiet=True)
    build(options)
    brief = project / "out/analyst/briefs/2026-01-16-sd-18.html"
    assert "Special Strategic and Global Partnership:" in brief.read_text(encoding="utf-8")
    agreement = project / "briefs/agreements/ssgp.yaml"
    agreement.write_text(
        agreement.read_text(encoding="utf-8").replace(
            "short_title: Special Strategic and Global Partnership", "short_title: The SSGP", 1
        ),
        encoding="utf-8",
    )
    rebuilt = build(options).written
    assert "analyst/briefs/2026-01-16-sd-18.html" in rebuilt
    assert "The SSGP:" in brief.read_text(encoding="utf-8")
    assert "analyst/briefs/2020-10-07-fmsd-13.html" not in rebuilt


def test_an_edit_no_brief_shows_leaves_that_brief_as_it_was(project: Path) -> None:
    import dataclasses

    from ijbrief.build.pipeline import BuildOptions, build

    # An agreement's brief names the meetings that moved it by title and date only: rewording
    # the 18th Strategic Dialogue's outcome on the AI dialogue changes that meeting's brief and
    # the dossier, not the AI dialogue's brief.
    options = BuildOptions(
        root=project, formats=("pdf", "html"), audiences=("analyst",), jobs=2, quiet=True
    )
    build(options)
    agreement_brief = "analyst/briefs/2026-01-16-ai-dialogue.pdf"
    before = (project / "out" / agreement_brief).read_bytes()
    meeting = project / "briefs/meetings/2026-01-16-sd-18.yaml"
    text = meeting.read_text(encoding="utf-8")
    meeting.write_text(
        text.replace("to promote innovation and growth", "to promote innovation and research", 1),
        encoding="utf-8",
    )
    edited = build(options)
    assert "analyst/briefs/2026-01-16-sd-18.pdf" in edited.written
    assert "analyst/analyst-dossier.pdf" in edited.written
    assert agreement_brief in edited.skipped and agreement_brief not in edited.written
    # What was kept is what a build from nothing makes of the edited records.
    build(dataclasses.replace(options, out=project / "fresh"))
    assert (project / "fresh" / agreement_brief).read_bytes() == before
    assert build(options).written == []

    # The meeting's short title is in the agreement's brief: changing it rebuilds that brief.
    meeting.write_text(
        text.replace("short_title: 18th Strategic Dialogue", "short_title: Dialogue 18", 1),
        encoding="utf-8",
    )
    assert agreement_brief in build(options).written
    html = project / "out" / agreement_brief.replace(".pdf", ".html")
    assert "Dialogue 18" in html.read_text(encoding="utf-8")


def test_a_build_with_nothing_to_do_rewrites_nothing(project: Path) -> None:
    from ijbrief.build.pipeline import BuildOptions, build

    options = BuildOptions(root=project, formats=("html",), audiences=("student",), quiet=True)
    build(options)
    listing = [project / "out" / name for name in ("index.html", "manifest.json")]
    before = [path.stat().st_mtime_ns for path in listing]
    assert build(options).written == []
    assert [path.stat().st_mtime_ns for path in listing] == before
    # A file gone from out/ is made again, and the listing with it.
    brief = project / "out/student/briefs/2020-10-07-fmsd-13.html"
    brief.unlink()
    assert build(options).written == ["student/briefs/2020-10-07-fmsd-13.html"]
    assert [path.stat().st_mtime_ns for path in listing] != before
