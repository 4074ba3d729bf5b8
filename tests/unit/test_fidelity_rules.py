"""The support check's later rules (offices, approximate dates, sentence-opening names, verb
strength), each proved both ways on a copy of the corpus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ijbrief.cli import main
from ijbrief.compose.audiences import load_audience
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.select import Filters
from ijbrief.compose.textfmt import format_date, format_days
from ijbrief.corpus import fidelity
from ijbrief.corpus.loader import load_corpus
from ijbrief.corpus.model import iso_prefix

M2019 = "briefs/meetings/2019-11-two-plus-two-1.yaml"
M2020 = "briefs/meetings/2020-10-07-fmsd-13.yaml"
M2026 = "briefs/meetings/2026-01-16-sd-18.yaml"
PEOPLE = "briefs/people.yaml"
STAMP = Stamp(dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, tzinfo=dt.UTC))


def check(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, str]:
    code = main(["-C", str(root), "check", "--strict"])
    out, err = capsys.readouterr()
    return code, out + err


def place(path: Path, text: str, after: str = "") -> tuple[int, int]:
    content = path.read_text(encoding="utf-8")
    start = content.index(text, content.index(after) if after else 0)
    return content.count("\n", 0, start) + 1, start - content.rfind("\n", 0, start)


# 1. Offices ---------------------------------------------------------------------------------


def test_an_office_title_the_cited_source_does_not_give(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    # src-003 calls Motegi "the Japanese foreign minister", never "Minister for Foreign Affairs"
    edit_yaml(
        project / PEOPLE,
        "        aliases: [Foreign Minister]\n        start: 2025-10-21",
        "        start: 2025-10-21",
    )
    line, col = place(project / M2026, "office: Minister for Foreign Affairs")
    code, out = check(capsys, project)
    assert code == 1
    assert (
        f"{M2026}:{line}:{col + 8}: office 'Minister for Foreign Affairs' is not in src-003, "
        "which this participant cites"
    ) in out
    assert out.count("office 'Minister for Foreign Affairs'") == 1


def test_an_office_marked_as_public_record_passes(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(
        project / PEOPLE,
        "        aliases: [Foreign Minister]\n        start: 2025-10-21",
        "        start: 2025-10-21",
    )
    edit_yaml(
        project / M2026,
        "    role: Co-led the dialogue; called on PM Modi beforehand\n    sources: [src-003]\n",
        "    role: Co-led the dialogue; called on PM Modi beforehand\n    sources: [src-003]\n"
        "    basis: {kind: public-record, note: The title of the office in the cabinet list.}\n",
    )
    code, out = check(capsys, project)
    assert code == 0, out


def test_a_quoted_speakers_office_comes_from_the_sources_too(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(project / PEOPLE, "        aliases: [foreign ministry spokesperson]\n", "")
    line, col = place(project / M2026, "speaker: toshihiro-kitamura")
    code, out = check(capsys, project)
    assert code == 1
    assert (
        f"{M2026}:{line}:{col + 9}: the quotation prints Toshihiro Kitamura's office on "
        "2026-01-16, 'Spokesperson, Ministry of Foreign Affairs'"
    ) in out


# 2. Approximate dates -------------------------------------------------------------------------


def test_approximate_dates_print_on_or_about() -> None:
    day = dt.date(2020, 10, 7)
    assert format_date(day, "approximate") == "on or about 7 October 2020"
    assert format_date(day, "approximate-month") == "about October 2020"
    assert format_days(day, None, "approximate") == "on or about 7 October 2020"
    assert iso_prefix(day, "approximate") == "2020-10-07"
    assert iso_prefix(day, "approximate-month") == "2020-10"


def test_an_approximate_meeting_prints_so_everywhere(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(
        project / M2020, "date: 2020-10-07\n", "date: 2020-10-07\ndate_precision: approximate\n"
    )
    edit_yaml(project / M2019, "date_precision: month", "date_precision: approximate-month")
    code, out = check(capsys, project)
    assert code == 0, out  # the file names (2020-10-07-…, 2019-11-…) are accepted
    assert "rename the file" not in out
    corpus = load_corpus(project)
    composer = Composer(project, corpus, load_audience(project, "analyst"), STAMP, Filters())
    html = composer.dossier_html({})
    assert "about November 2019 – 16 January 2026" in html
    assert "on or about 7 October 2020" in html
    assert "on on or about" not in html


def test_a_day_is_not_borne_out_by_an_approximate_date(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2019, "date_precision: month", "date_precision: approximate")
    edit_yaml(
        project / M2019,
        "The meeting came the same month",
        "The meeting, on 1 November 2019, came the same month",
    )
    report = fidelity.check(load_corpus(project))
    assert any('"1 November 2019"' in p.message for p in report.problems)


def test_on_or_about_the_day_is_borne_out_by_an_approximate_date(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2019, "date_precision: month", "date_precision: approximate")
    edit_yaml(
        project / M2019,
        "The meeting came the same month",
        "The meeting, on or about 1 November 2019, came the same month",
    )
    report = fidelity.check(load_corpus(project))
    assert not any("November 2019" in p.message for p in report.problems), report.problems


# 3. A name opening a sentence -------------------------------------------------------------

JAISHANKAR = "Jaishankar confirmed India's continued commitment to working with Japan"


def test_a_name_opening_a_sentence_is_checked(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    # no source has "Canberra" at all, so it was never a known entity word before
    edit_yaml(
        project / M2026,
        JAISHANKAR,
        "Canberra confirmed India's continued commitment to working with Japan",
    )
    line, col = place(project / M2026, "Canberra confirmed")
    code, out = check(capsys, project)
    assert code == 1
    assert f'{M2026}:{line}:{col}: warning: "Canberra" is not in src-003' in out or (
        f'{M2026}:{line}:{col}: "Canberra" is not in src-003' in out
    )


@pytest.mark.parametrize(
    "opening",
    [
        "The minister confirmed India's continued commitment to working with Japan",
        "India's minister confirmed its continued commitment to working with Japan",
        "Confirmed India's continued commitment to working with Japan",
        "Both sides confirmed India's continued commitment to working with Japan",
    ],
)
def test_an_ordinary_word_opening_a_sentence_is_not_a_name(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml, opening: str
) -> None:
    edit_yaml(project / M2026, JAISHANKAR, opening)
    code, out = check(capsys, project)
    assert code == 0, out


# 4. Verb strength ---------------------------------------------------------------------------

AI = "Decided to establish a Japan–India AI strategic dialogue to promote innovation and growth."


def test_a_verb_stronger_than_the_sources_is_reported(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    # src-003: "Both nations decided to establish a Japan-India AI strategic dialogue."
    edit_yaml(
        project / M2026, AI, "Launched a Japan–India AI strategic dialogue to promote innovation."
    )
    line, col = place(project / M2026, "Launched a Japan")
    code, out = check(capsys, project)
    assert code == 1
    assert f'{M2026}:{line}:{col}: "Launched" claims more than src-003 says of' in out
    assert 'at most "agreed"' in out


@pytest.mark.parametrize(
    "text",
    [
        "Agreed to establish a Japan–India AI strategic dialogue to promote innovation.",
        "Discussed a Japan–India AI strategic dialogue to promote innovation.",
        "Launch the Japan–India AI strategic dialogue to promote innovation.",
    ],
)
def test_a_verb_no_stronger_than_the_sources_passes(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml, text: str
) -> None:
    edit_yaml(project / M2026, AI, text)
    code, out = check(capsys, project)
    assert code == 0, out


def test_the_scale_reads_prospective_verbs_as_agreed() -> None:
    assert fidelity.verb_level("both agreed to sign a memorandum")[0] == 1
    assert fidelity.verb_level("they signed a memorandum")[0] == 3
    assert fidelity.verb_level("welcomed the finalisation of the text")[0] == 2
    assert fidelity.verb_level("the agreement entered into force")[0] == 4
    assert fidelity.verb_level("sign the memorandum", done=True)[0] == -1


def test_the_scale_reads_a_denied_step_as_no_claim() -> None:
    """ "Do not present the MoC as signed" tells the reader it was not: no claim of signing."""
    assert fidelity.verb_level("do not present the moc as signed", done=True)[0] == -1
    assert fidelity.verb_level("the agreement has not yet entered into force")[0] == -1
    assert fidelity.verb_level("it was never ratified, though it was signed")[0] == 3
