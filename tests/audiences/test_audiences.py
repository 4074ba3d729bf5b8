"""Audiences are data plus templates: list, derive, override one block, and fail at the right line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import html as lxml_html
from tests.conftest import build_only

Cli = Callable[..., tuple[int, str]]  # the `cli` fixture (tests/conftest.py)


def build_html(cli: Cli, project: Path, *audiences: str) -> None:
    code, output = cli(
        "-C", str(project), "build", "--format", "html", "--audience", *audiences,
        "--only", "sd-18", "--jobs", "1",
    )  # fmt: skip
    assert code == 0, output


def sections(path: Path) -> dict[str, str]:
    tree = lxml_html.fromstring(path.read_bytes())
    return {
        node.get("class"): lxml_html.tostring(node, encoding="unicode")
        for node in tree.xpath("//section[contains(@class, 'section')]")
    }


def test_templates_list_shows_label_and_origin(project: Path, cli: Cli) -> None:
    code, output = cli("-C", str(project), "templates", "list")
    assert code == 0
    for name, label in (
        ("analyst", "Analyst's record"),
        ("minister", "Minister's brief"),
        ("student", "Study notes"),
    ):
        assert any(line.startswith(name) and label in line for line in output.splitlines())


def test_new_audience_inherits_everything_and_builds(project: Path, cli: Cli) -> None:
    # Everything but what it may see, which it says itself (see test_editions.py).
    code, output = cli(
        "-C", str(project), "templates", "new", "press", "--from", "minister",
        "--admits", "public", "restricted",
    )  # fmt: skip
    assert code == 0, output
    spec = (project / "templates/press/audience.yaml").read_text(encoding="utf-8")
    assert (
        "extends: minister" in spec and "# classification:" in spec
    )  # says what can be overridden
    code, output = cli("-C", str(project), "templates", "show", "press")
    assert "extends: minister" in output and "brief-meeting.html.j2" in output
    code, output = cli("-C", str(project), "templates", "list")
    assert any(line.startswith("press") and "project" in line for line in output.splitlines())
    build_html(cli, project, "minister", "press")
    press = sections(project / "out/press/briefs/2026-01-16-sd-18.html")
    minister = sections(project / "out/minister/briefs/2026-01-16-sd-18.html")
    assert press == minister  # inherits everything, overrides nothing yet


def test_overriding_one_block_changes_exactly_that_block(project: Path, cli: Cli) -> None:
    assert (
        cli(
            "-C",
            str(project),
            "templates",
            "new",
            "press",
            "--from",
            "minister",
            "--admits",
            "public",
            "restricted",
        )[0]
        == 0
    )
    (project / "templates/press/brief-meeting.html.j2").write_text(
        '{% extends "minister/brief-meeting.html.j2" %}\n'
        '{% block bottom_line %}<p class="press-line">For release: {{ brief.summary.html }}</p>{% endblock %}\n',
        encoding="utf-8",
    )
    build_html(cli, project, "minister", "press")
    press = sections(project / "out/press/briefs/2026-01-16-sd-18.html")
    minister = sections(project / "out/minister/briefs/2026-01-16-sd-18.html")
    changed = {key for key in press if press[key] != minister.get(key)}
    assert changed == {"section sec-bottom-line"}
    assert "For release:" in press["section sec-bottom-line"]


def test_banner_colour_and_order_change_without_template_edits(project: Path, cli: Cli) -> None:
    assert cli("-C", str(project), "templates", "new", "press", "--from", "minister")[0] == 0
    spec = project / "templates/press/audience.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8")
        + 'classification: "Embargoed until delivery"\n'
        + 'branding: {accent: "#7A1F1F"}\n'
        + "hide_sections: [participants]\n",
        encoding="utf-8",
    )
    build_html(cli, project, "press")
    html = (project / "out/press/briefs/2026-01-16-sd-18.html").read_text(encoding="utf-8")
    assert "Embargoed until delivery" in html and "#7A1F1F" in html
    assert "sec-participants" not in html and "sec-talking-points" in html


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n\n{% block masthead %}{% if %}{% endblock %}\n",
            ":3: syntax:",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}\n{{ brief.no_such_field }}\n{% endblock %}\n",
            ":3: undefined:",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n\n\n{% block bottomline %}x{% endblock %}\n",
            ":4: block 'bottomline' does not exist",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n{% endblock %}\n",  # noqa: E501
            ":3: refused by the sandbox",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}\n{{ brief.clear() }}\n{% endblock %}\n",
            ":3: refused by the sandbox",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}{% for x in [1] %}\n{{ loop.__class__ }}{% endfor %}\n{% endblock %}\n",  # noqa: E501
            ":3: refused by the sandbox",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}{% for x in [1] %}\n{{ loop.no_such_thing }}{% endfor %}\n{% endblock %}\n",  # noqa: E501
            ":3: undefined:",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}{% include '../../../etc/passwd' %}{% endblock %}\n",
            "is not allowed",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}{% include '/etc/passwd' %}{% endblock %}\n",
            "is not allowed",
        ),
        (
            "{% extends 'base/brief-meeting.html.j2' %}\n{% block masthead %}{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}{% endblock %}\n",  # noqa: E501
            "output exceeds",
        ),
        ("{% extends 'analyst/brief-meeting.html.j2' %}\n", "extends itself"),
    ],
)
def test_template_errors_are_reported_at_their_line(
    project: Path, cli: Cli, template: str, expected: str
) -> None:
    (project / "templates/analyst/brief-meeting.html.j2").write_text(template, encoding="utf-8")
    code, output = cli(
        "-C",
        str(project),
        "build",
        "--audience",
        "analyst",
        "--format",
        "html",
        "--jobs",
        "1",
    )
    assert code == 1
    assert expected in output
    assert "Traceback" not in output
    if ":" in expected[:3]:
        assert "templates/analyst/brief-meeting.html.j2" + expected in output


def test_includes_cannot_escape_through_symlinks(project: Path, cli: Cli) -> None:
    (project / "templates/analyst/secret.html.j2").symlink_to("/etc/passwd")
    (project / "templates/analyst/brief-meeting.html.j2").write_text(
        "{% extends 'base/brief-meeting.html.j2' %}{% block masthead %}{% include 'secret.html.j2' %}{% endblock %}",
        encoding="utf-8",
    )
    code, output = cli(
        "-C",
        str(project),
        "build",
        "--audience",
        "analyst",
        "--format",
        "html",
        "--jobs",
        "1",
    )
    assert code == 1 and "leads outside the templates folders" in output
    assert "root:" not in output


def test_bad_audience_yaml_is_reported_at_its_line(project: Path, cli: Cli) -> None:
    spec = project / "templates/student/audience.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("base_size_pt: 10", "base_size_pt: big"),
        encoding="utf-8",
    )
    code, output = cli("-C", str(project), "build", "--audience", "student")
    assert code == 1 and "templates/student/audience.yaml:" in output and "base_size_pt" in output


def test_unknown_audience_is_a_clear_error(project: Path, cli: Cli) -> None:
    code, output = cli("-C", str(project), "build", "--audience", "ambassador")
    assert (
        code == 1 and "unknown audience 'ambassador' (known: analyst, minister, student)" in output
    )


def test_the_readme_worked_example_builds_in_both_formats(project: Path, cli: Cli) -> None:
    """The 'Customising for your audience' section, step by step, as a reader would follow it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Customising for your audience", 1)[1]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    yaml_block = next(body for lang, body in blocks if lang == "yaml")
    jinja_block = next(body for lang, body in blocks if lang == "jinja")
    assert cli("-C", str(project), "templates", "new", "press", "--from", "minister")[0] == 0
    (project / "templates/press/audience.yaml").write_text(yaml_block, encoding="utf-8")
    (project / "templates/press/brief-meeting.html.j2").write_text(jinja_block, encoding="utf-8")
    code, output = cli("-C", str(project), "templates", "show", "press")
    assert code == 0 and "extends: minister" in output
    code, output = cli(
        "-C", str(project), "build", "--audience", "press", "--format", "all", "--jobs", "2"
    )
    assert code == 0, output
    html = (project / "out/press/briefs/2026-01-16-sd-18.html").read_text(encoding="utf-8")
    assert (
        "Embargoed until delivery" in html
        and "For release:" in html
        and "sec-participants" not in html
    )
    assert (project / "out/press/briefs/2026-01-16-sd-18.pdf").is_file()
    assert (project / "out/press/briefs/2026-01-16-sd-18.docx").is_file()
    assert (project / "out/press/press-dossier.pdf").is_file()


def test_a_logo_from_branding_appears_in_the_pdf(project: Path, cli: Cli) -> None:
    from PIL import Image
    from pypdf import PdfReader

    Image.new("RGB", (120, 60), "#1F3A5F").save(project / "templates/minister/seal.png")
    spec = project / "templates/minister/audience.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "  base_size_pt: 10.5", "  base_size_pt: 10.5\n  logo: seal.png"
        ),
        encoding="utf-8",
    )
    code, output = build_only(cli, project, "minister", "fmsd-13", "--format", "all")
    assert code == 0, output
    assert PdfReader(project / "out/minister/briefs/2020-10-07-fmsd-13.pdf").pages[0].images
    assert PdfReader(project / "out/minister/minister-dossier-fmsd-13.pdf").pages[0].images


def test_a_missing_logo_is_a_clear_error(project: Path, cli: Cli) -> None:
    spec = project / "templates/minister/audience.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "  base_size_pt: 10.5", "  base_size_pt: 10.5\n  logo: nowhere.png"
        ),
        encoding="utf-8",
    )
    code, output = build_only(cli, project, "minister", "fmsd-13")
    assert code == 1 and "logo 'nowhere.png' not found" in output
