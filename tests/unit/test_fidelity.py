"""The support check (`ijbrief check`, `--strict`) and what the views print: each rule proved on
a broken copy of the corpus, with the place it is reported at."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from ijbrief.build.plan import _stamp
from ijbrief.cli import main
from ijbrief.compose.audiences import load_audience
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.select import Edition, Filters, meeting_view
from ijbrief.corpus import fidelity
from ijbrief.corpus.loader import load_corpus
from ijbrief.errors import InputError

REPO = Path(__file__).resolve().parents[2]
M2019 = "briefs/meetings/2019-11-two-plus-two-1.yaml"
M2020 = "briefs/meetings/2020-10-07-fmsd-13.yaml"
M2022 = "briefs/meetings/2022-09-08-two-plus-two-2.yaml"
M2026 = "briefs/meetings/2026-01-16-sd-18.yaml"
CYBER = "briefs/agreements/cyber-moc.yaml"
STAMP = Stamp(dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, tzinfo=dt.UTC))


def run_check(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), "check", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def place(path: Path, text: str) -> tuple[int, int]:
    """The 1-based line and column at which ``text`` first occurs in ``path``."""
    content = path.read_text(encoding="utf-8")
    start = content.index(text)
    return content.count("\n", 0, start) + 1, start - content.rfind("\n", 0, start)


def test_the_repository_passes_strict_with_its_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_check(capsys, REPO, "--strict")
    assert code == 0, err
    summary = out.splitlines()[1]
    assert summary.startswith("fidelity: ")
    assert summary.endswith(", 0 unsupported")
    assert "marked (" in summary and "inferred" in summary and "analysis" in summary


def test_the_check_is_fast() -> None:
    corpus = load_corpus(REPO)
    start = time.perf_counter()
    fidelity.check(corpus)
    assert time.perf_counter() - start < 1.0


def test_a_name_absent_from_the_cited_source(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(
        project / M2026,
        "working with Japan through the Quad.",
        "working with Japan through the Quad in Tokyo.",
    )
    line, col = place(project / M2026, "Tokyo.")
    code, out, err = run_check(capsys, project)
    assert code == 0  # without --strict an unsupported statement warns
    expected = (
        f'{M2026}:{line}:{col}: warning: "Tokyo" is not in src-003, which this statement cites'
    )
    assert expected in err.splitlines()
    assert out.splitlines()[1].endswith(", 1 unsupported")
    code, _, err = run_check(capsys, project, "--strict")
    assert code == 1
    assert f'{M2026}:{line}:{col}: "Tokyo" is not in src-003' in err
    assert "Traceback" not in err


def test_a_changed_amount(project: Path, capsys: pytest.CaptureFixture[str], edit_yaml) -> None:
    edit_yaml(project / M2020, "Japan's 50 billion yen", "Japan's 60 billion yen")
    line, col = place(project / M2020, "60 billion")
    code, _, err = run_check(capsys, project, "--strict")
    assert code == 1
    assert (
        f'{M2020}:{line}:{col}: "60 billion" is not in src-000 or src-002, which this statement cites'
    ) in err


def test_a_month_precise_date_written_as_a_day(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(
        project / M2019,
        "The meeting came the same month",
        "The meeting, on 1 November 2019, came the same month",
    )
    line, col = place(project / M2019, "1 November 2019")
    code, _, err = run_check(capsys, project, "--strict")
    assert code == 1
    assert f'{M2019}:{line}:{col}: the date "1 November 2019" is not in src-002 or src-004' in err


def test_the_month_itself_is_supported(project: Path, edit_yaml) -> None:
    edit_yaml(
        project / M2019,
        "The meeting came the same month",
        "The meeting, in November 2019, came the same month",
    )
    assert fidelity.check(load_corpus(project)).unsupported == 0


def test_an_unmarked_inferred_participant(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    path = project / M2019
    content = path.read_text(encoding="utf-8")
    start = content.index("  - person: kono-taro")
    end = content.index("\nsummary:")
    block = content[start:end]
    path.write_text(
        content[:start] + block[: block.index("    basis:")] + content[end:], encoding="utf-8"
    )
    line, col = place(path, "kono-taro")
    code, _, err = run_check(capsys, project, "--strict")
    assert code == 1
    assert (
        f"{M2019}:{line}:{col}: 'Taro Kono' is not named in src-002, which this participant cites"
    ) in err


def test_a_status_step_its_source_does_not_bear_out(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    # The step the corpus once had: src-004 mentions cyber security, never the agreement.
    edit_yaml(
        project / CYBER,
        "key_points:",
        "  - status: in-progress\n    date: 2022-09-08\n    meeting: two-plus-two-2\n"
        "    note: Cyber security was a prominent item at the 2+2.\n    sources: [src-004]\n"
        "key_points:",
    )
    line, col = place(project / CYBER, "[src-004]")
    code, _, err = run_check(capsys, project, "--strict")
    assert code == 1
    assert f"{CYBER}:{line}:{col}: status step 'in-progress': src-004 never names" in err


def test_a_status_word_the_source_does_not_use(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    line = edit_yaml(project / CYBER, "  - status: text-finalised", "  - status: in-force")
    code, _, err = run_check(capsys, project, "--strict")
    assert code == 1
    assert f"{CYBER}:{line}:13: status step 'in-force': src-000, src-001 or src-002 names" in err


def test_a_declared_basis_is_counted_as_marked(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(
        project / M2026,
        "working with Japan through the Quad.\n    sources: [src-003]",
        "working with Japan through the Quad in Tokyo.\n    sources: [src-003]\n"
        "    basis: {kind: public-record, note: The talks in Tokyo are on the MEA website.}",
    )
    code, out, err = run_check(capsys, project, "--strict")
    assert code == 0, err
    before = fidelity.check(load_corpus(REPO)).marked["public-record"]
    assert f"{before + 1} public record" in out.splitlines()[1]


def test_an_inferred_basis_needs_its_reasoning(project: Path, edit_yaml) -> None:
    line = edit_yaml(
        project / M2026,
        "    text: Jaishankar confirmed",
        "    basis: {kind: inferred}\n    text: Jaishankar confirmed",
    )
    with pytest.raises(InputError) as caught:
        load_corpus(project)
    [problem] = caught.value.problems
    assert problem.location.line == line
    assert problem.message == "outcomes[4].basis: basis 'inferred' needs a note saying where or why"


def test_a_quoted_phrase_in_prose_is_checked_like_a_quotation(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml
) -> None:
    edit_yaml(project / M2026, "Japan values the Quad chiefly", 'Japan values the Quad "above all"')
    line, col = place(project / M2026, '"above all"')
    code, _, err = run_check(capsys, project)  # an error even without --strict
    assert code == 1
    assert (
        f'{M2026}:{line}:{col}: quoted phrase "above all" does not occur verbatim in src-003, '
        "which this statement cites; quote the source exactly, or give the quotation its own "
        "entry under quotes:"
    ) in err


def test_a_verbatim_quoted_phrase_passes(project: Path, edit_yaml) -> None:
    edit_yaml(
        project / M2026,
        "Japan values the Quad chiefly",
        "Japan calls the Quad \u201ca very important framework\u201d, valuing it chiefly",
    )
    report = fidelity.check(load_corpus(project))
    assert not [p for p in report.problems if not p.warning]


@pytest.mark.parametrize(
    "words", ["according to src-003", "the seeds do not say", "(seeds/003_d3f7102fe61c213d.txt)"]
)
def test_internal_vocabulary_in_printed_text_is_an_error(
    project: Path, capsys: pytest.CaptureFixture[str], edit_yaml, words: str
) -> None:
    edit_yaml(project / M2026, "Japan values the Quad chiefly", f"Japan values the Quad, {words},")
    code, _, err = run_check(capsys, project)
    assert code == 1
    assert "is the tool's own vocabulary and would be printed" in err


# What the views print -------------------------------------------------------------------------


def analyst_view(project: Path, meeting: str) -> dict[str, object]:
    corpus = load_corpus(project)
    edition = Edition(load_audience(project, "analyst"))
    return meeting_view(corpus, corpus.meetings[meeting], edition)


def test_a_chapter_shows_each_agreement_as_it_stood_then(project: Path, edit_yaml) -> None:
    # A later step (marked, so the corpus stays valid) must not show in the 2020 chapter.
    edit_yaml(
        project / CYBER,
        "key_points:",
        "  - status: signed\n    date: 2022-09-08\n    note: Signed.\n    sources: [src-004]\n"
        "    basis: {kind: public-record, note: MEA treaty list.}\nkey_points:",
    )
    view = analyst_view(project, "fmsd-13")
    cyber = next(a for a in view["agreements"] if a["id"] == "cyber-moc")  # type: ignore[union-attr]
    assert (cyber["status"], cyber["status_date"]) == ("Text finalised", "7 October 2020")
    ssgp = next(a for a in analyst_view(project, "two-plus-two-1")["agreements"])  # type: ignore[union-attr]
    assert (ssgp["status"], ssgp["status_date"]) == ("Reaffirmed", "November 2019")


def test_no_comparison_across_missing_meetings_or_with_a_sparse_record(project: Path) -> None:
    sd18 = analyst_view(project, "sd-18")["changes"]
    assert sd18["missing"] == "14th\u201317th"  # type: ignore[index]
    assert sd18["new_topics"] == [] and sd18["dropped_topics"] == []  # type: ignore[index]
    second = analyst_view(project, "two-plus-two-2")["changes"]
    assert second["previous_sparse"] and second["new_topics"] == []  # type: ignore[index]


def test_a_full_adjacent_record_is_compared(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2019, "coverage: sparse\n", "")
    second = analyst_view(project, "two-plus-two-2")["changes"]
    assert "Cybersecurity" in second["new_topics"]  # type: ignore[index]


def test_dates_venue_and_counts_print_what_the_data_says(project: Path) -> None:
    corpus = load_corpus(project)
    composer = Composer(project, corpus, load_audience(project, "analyst"), STAMP, Filters())
    html = composer.dossier_html({})
    assert "November 2019 – 16 January 2026" in html
    assert "1 November 2019" not in html
    assert "Venue not reported" in html and "Not stated in the sources" not in html
    assert "the 8 agreements and initiatives they touched" in html
    assert "the tracker also follows 4 more that no meeting in this record touched" in html
    assert "Prepared</span> 3 December 2026" in html
    assert "Information as of</span> 16 January 2026" in html
    assert "16 January 2026 (reported as \u201con Friday\u201d)" in html
    assert "src-0" not in html and "seeds" not in html


def test_prepared_is_the_build_date_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = load_corpus(REPO)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert _stamp(corpus, None).prepared == dt.datetime.now(dt.UTC).date()
    assert _stamp(corpus, dt.date(2026, 2, 1)).prepared == dt.date(2026, 2, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert _stamp(corpus, None).prepared == dt.date(2026, 1, 1)


def test_every_load_refuses_a_misquoted_phrase_so_no_build_prints_it(
    project: Path, edit_yaml
) -> None:
    line = edit_yaml(
        project / M2026, "Japan values the Quad chiefly", 'Japan values the Quad "above all"'
    )
    with pytest.raises(InputError) as caught:
        load_corpus(project)
    [problem] = caught.value.problems
    assert (problem.location.path, problem.location.line) == (M2026, line)
    assert problem.message.startswith('quoted phrase "above all" does not occur verbatim')
