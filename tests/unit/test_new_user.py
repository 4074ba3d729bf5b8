"""The rough edges a new user meets first: empty selections, counts in words, where an audience
comes from, new meeting ids, the checks of participants and quotations, and meetings over days."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., tuple[int, str]]  # the `cli` fixture (tests/conftest.py)
EditYaml = Callable[..., int]
SD18 = "briefs/meetings/2026-01-16-sd-18.yaml"


def test_an_empty_selection_is_an_error_that_names_the_filters(project: Path, cli: Cli) -> None:
    code, output = cli(
        "-C", str(project), "build", "--topic", "north-korea-abductions", "--since",
        "2023-01-01", "--format", "html",
    )  # fmt: skip
    assert code == 1
    assert (
        "no meeting or agreement matches --topic north-korea-abductions --since 2023-01-01; "
        "nothing was built"
    ) in output
    assert "Traceback" not in output
    assert not (project / "out").exists()


def test_counts_are_written_as_words_say_them(project: Path, cli: Cli) -> None:
    code, output = cli(
        "-C", str(project), "build", "--format", "html", "--audience", "analyst",
        "--only", "fmsd-13", "--jobs", "1",
    )  # fmt: skip
    assert code == 0, output
    html = (project / "out/analyst/analyst-dossier-fmsd-13.html").read_text(encoding="utf-8")
    assert "1 meeting · no agreements and initiatives" in html
    assert "covers 1 India–Japan meeting on 7 October 2020 and" in html
    assert "1 meetings" not in html and "from 7 October 2020 – 7 October 2020" not in html
    code, output = cli(
        "-C", str(project), "build", "--format", "html", "--audience", "analyst",
        "--only", "fmsd-13", "cyber-moc", "--jobs", "1",
    )  # fmt: skip
    html = (project / "out/analyst/analyst-dossier-cyber-moc-fmsd-13.html").read_text(
        encoding="utf-8"
    )
    assert "1 meeting · 1 agreement or initiative" in html
    assert "and the 1 agreement or initiative it touched" in html


def test_a_new_audience_in_this_repository_is_the_projects_own(
    project: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project whose templates/ is the built-in folder, as in a clone of ijbrief itself.
    from ijbrief.compose import audiences

    monkeypatch.setattr(audiences, "BUILTIN_TEMPLATES", project / "templates")
    assert cli("-C", str(project), "templates", "new", "press", "--from", "minister")[0] == 0
    code, output = cli("-C", str(project), "templates", "list")
    assert code == 0, output
    assert re.search(r"^press +project +Press brief$", output, re.MULTILINE), output
    assert re.search(r"^minister +built-in ", output, re.MULTILINE), output


def test_a_participant_on_the_wrong_side_is_an_error(
    project: Path, cli: Cli, edit_yaml: EditYaml
) -> None:
    line = edit_yaml(project / SD18, "    side: Japan\n", "    side: India\n")
    code, output = cli("-C", str(project), "check")
    assert code == 1
    assert (
        f"{SD18}:{line}:11: Toshimitsu Motegi is on the Japan side (country in "
        "briefs/people.yaml), not India"
    ) in output


@pytest.mark.parametrize("marks", ["“…”", '"…"', "'…'", "‘…’", "“…,”"])
def test_a_quotation_inside_its_own_quotation_marks_is_refused(
    project: Path, cli: Cli, edit_yaml: EditYaml, marks: str
) -> None:
    words = "Economic security today is particularly paramount"
    quoted = marks.replace("…", words)
    line = edit_yaml(project / SD18, f"  - text: {words}\n", f"  - text: {quoted!r}\n")
    code, output = cli("-C", str(project), "check")
    assert code == 1, output
    assert f"{SD18}:{line}:11: the quotation is written inside its own quotation marks" in output
    assert "write only the words, as the templates add the marks" in output


def test_an_unknown_person_says_where_people_are_defined(
    project: Path, cli: Cli, edit_yaml: EditYaml
) -> None:
    line = edit_yaml(project / SD18, "  - person: motegi-toshimitsu", "  - person: hayashi")
    code, output = cli("-C", str(project), "check")
    assert code == 1
    assert f"{SD18}:{line}:13: unknown person id 'hayashi'" in output
    assert "people are defined in briefs/people.yaml: add one with id, name, country" in output


def test_new_meeting_suggests_a_short_id_and_its_series(project: Path, cli: Cli) -> None:
    from ijbrief.corpus.yamlio import load

    code, output = cli(
        "-C", str(project), "new", "meeting", "--title", "15th India–Japan Annual Summit",
        "--date", "2025-08-29",
    )  # fmt: skip
    assert code == 0, output
    rel = "briefs/meetings/2025-08-29-annual-summit-15.yaml"
    assert f"wrote {rel}" in output
    data = load(project / rel, rel).data
    assert (data["id"], data["series"], data["number"]) == (
        "annual-summit-15",
        "annual-summit",
        15,
    )


def test_check_warns_when_a_file_name_and_its_record_disagree(
    project: Path, cli: Cli, edit_yaml: EditYaml
) -> None:
    line = edit_yaml(project / SD18, "id: sd-18", "id: sd-18b")
    edit_yaml(project / "briefs/agreements/acsa.yaml", "id: acsa", "id: acsa-1")
    code, output = cli("-C", str(project), "check")
    assert code == 1  # other files still name sd-18 and acsa
    assert (
        f"{SD18}:{line}:5: warning: the file is named 2026-01-16-sd-18.yaml but its date and id "
        "make it 2026-01-16-sd-18b.yaml: rename the file"
    ) in output
    assert "acsa.yaml but its id make it acsa-1.yaml" in output


def test_a_meeting_over_days_shows_both_in_every_format(
    project: Path, cli: Cli, edit_yaml: EditYaml
) -> None:
    from tests.audiences.test_editions import text_of

    edit_yaml(
        project / "briefs/meetings/2020-10-07-fmsd-13.yaml",
        "date: 2020-10-07\n",
        "date: 2020-10-07\nend_date: 2020-10-08\n",
    )
    code, output = cli(
        "-C", str(project), "build", "--format", "all", "--audience", "analyst",
        "--since", "2020-10-01", "--until", "2020-12-31", "--jobs", "2",
    )  # fmt: skip
    assert code == 0, output
    out = project / "out/analyst"
    for suffix in (".pdf", ".docx", ".html"):
        brief = text_of(out / f"briefs/2020-10-07-fmsd-13{suffix}")
        assert "7–8 October 2020" in brief, suffix
        dossier = text_of(out / f"analyst-dossier-since-2020-10-01-until-2020-12-31{suffix}")
        assert "7–8 October 2020" in dossier, suffix


def test_an_end_date_before_the_date_is_an_error(
    project: Path, cli: Cli, edit_yaml: EditYaml
) -> None:
    line = edit_yaml(
        project / "briefs/meetings/2020-10-07-fmsd-13.yaml",
        "date: 2020-10-07\n",
        "date: 2020-10-07\nend_date: 2020-10-06\n",
    )
    code, output = cli("-C", str(project), "check")
    assert code == 1
    assert (
        f"briefs/meetings/2020-10-07-fmsd-13.yaml:{line + 1}:11: end_date 2020-10-06 must be "
        "after the date, 2020-10-07, given to the day"
    ) in output
