"""Corpus validation on a copy of the real project: each bad input, its message and its place."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ijbrief.compose.audiences import load_audience
from ijbrief.compose.select import Edition, glossary_for
from ijbrief.corpus.loader import Corpus, load_corpus, normalise_quote
from ijbrief.errors import InputError, Problem

REPO = Path(__file__).resolve().parents[2]
M2019 = "briefs/meetings/2019-11-two-plus-two-1.yaml"
M2020 = "briefs/meetings/2020-10-07-fmsd-13.yaml"
M2022 = "briefs/meetings/2022-09-08-two-plus-two-2.yaml"
M2026 = "briefs/meetings/2026-01-16-sd-18.yaml"
SSGP = "briefs/agreements/ssgp.yaml"
CATALOGUE = "seeds/catalogue.yaml"
PEOPLE = "briefs/people.yaml"
TOPICS = "briefs/topics.yaml"
GLOSSARY = "briefs/glossary.yaml"


def failures(root: Path) -> list[Problem]:
    """The problems ``load_corpus`` raises (errors first, then warnings)."""
    with pytest.raises(InputError) as info:
        load_corpus(root)
    return info.value.problems


def errors(root: Path) -> list[Problem]:
    return [p for p in failures(root) if not p.warning]


def single_error(root: Path) -> Problem:
    found = errors(root)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def at(problem: Problem, path: str, line: int, column: int | None = None) -> None:
    assert problem.location.path == path, problem
    assert problem.location.line == line, problem
    if column is not None:
        assert problem.location.column == column, problem


# --- the real corpus ------------------------------------------------------------------------


def test_the_real_corpus_validates() -> None:
    corpus = load_corpus(REPO)
    assert isinstance(corpus, Corpus)
    assert len(corpus.meetings) == 4
    assert len(corpus.agreements) == 12
    assert len(corpus.sources) == 5
    assert corpus.quotations_verified == sum(len(m.quotes) for m in corpus.meetings.values())
    assert corpus.quotations_verified >= 12
    assert corpus.warnings == []
    assert set(corpus.seed_texts) == set(corpus.sources)


def test_the_copied_project_validates(project: Path) -> None:
    corpus = load_corpus(project)
    assert list(corpus.meetings) == ["two-plus-two-1", "fmsd-13", "two-plus-two-2", "sd-18"]
    assert corpus.files["fmsd-13"] == M2020


def test_every_quotation_occurs_in_its_source() -> None:
    corpus = load_corpus(REPO)
    for meeting in corpus.meetings.values():
        for quote in meeting.quotes:
            assert normalise_quote(quote.text) in normalise_quote(corpus.seed_texts[quote.source])


def test_crlf_and_bom_files_validate(project: Path) -> None:
    for rel in (M2022, PEOPLE, CATALOGUE):
        path = project / rel
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert len(load_corpus(project).meetings) == 4


def test_loading_again_sees_every_edit_and_every_deletion(project: Path) -> None:
    """A long-lived process (serve, build --watch) re-parses only the files that changed; what
    it loads must still be exactly what the files say now."""
    first = load_corpus(project, remember=True)
    path = project / M2026
    text = path.read_text(encoding="utf-8")
    # The same length, so that size and modification time cannot tell the versions apart.
    path.write_text(text.replace("18th India–Japan", "19th India–Japan", 1), encoding="utf-8")
    assert load_corpus(project, remember=True).meetings["sd-18"].title.startswith("19th")
    assert first.meetings["sd-18"].title.startswith("18th")  # records are never mutated
    path.write_text(text.replace("\nvenue:", "\nvenu:", 1), encoding="utf-8")
    for _ in range(2):  # the file's problems are reported each time it is loaded, not once
        found = [str(p) for p in errors(project)]
        assert f"{M2026}:17:1: unknown key 'venu'; did you mean 'venue'?" in found
    path.unlink()  # the meeting is gone, so the agreements that name it now refer to nothing
    assert any("unknown meeting id 'sd-18'" in p.message for p in errors(project))
    path.write_text(text, encoding="utf-8")
    assert load_corpus(project).meetings["sd-18"].title.startswith("18th")


# --- unknown ids: right line, a "did you mean", and nothing else ----------------------------


@pytest.mark.parametrize(
    ("rel", "old", "new", "column", "message"),
    [
        (M2022, "source: src-004\n    topic: defence", "source: src-04\n    topic: defence",
         13, "unknown source id 'src-04'; did you mean 'src-004'?"),
        (M2022, "    sources: [src-004]\n  - person: rajnath", "    sources: [src-040]\n"
         "  - person: rajnath", 15, "unknown source id 'src-040'; did you mean 'src-004'?"),
        (M2022, "person: rajnath-singh", "person: rajnath-sing",
         13, "unknown person id 'rajnath-sing'; did you mean 'rajnath-singh'?"),
        (M2022, "speaker: rajnath-singh", "speaker: rajnat-singh",
         14, "unknown person id 'rajnat-singh'; did you mean 'rajnath-singh'?"),
        (M2022, "topic: un-reform\n    text", "topic: un-reforms\n    text",
         12, "unknown topic id 'un-reforms'; did you mean 'un-reform'?"),
        (M2020, "agreements: [cyber-moc]", "agreements: [cyber-mou]",
         18, "unknown agreement id 'cyber-mou'; did you mean 'cyber-moc'?"),
        (SSGP, "meeting: two-plus-two-2", "meeting: two-plus-two-3",
         14, "unknown meeting id 'two-plus-two-3'; did you mean"),
        (SSGP, "topics: [strategic-partnership, defence]",
         "topics: [strategic-partnership, defense]",
         33, "unknown topic id 'defense'; did you mean 'defence'?"),
        (CATALOGUE, "covers: [sd-18]", "covers: [sd-19]",
         14, "unknown meeting id 'sd-19'; did you mean 'sd-18'?"),
    ],
)  # fmt: skip
def test_unknown_id_is_reported_at_its_place_with_a_hint(
    project: Path, edit_yaml, rel: str, old: str, new: str, column: int, message: str
) -> None:
    line = edit_yaml(project / rel, old, new)
    problem = single_error(project)
    at(problem, rel, line, column)
    assert problem.message.startswith(message)


def test_unknown_id_without_a_close_match_has_no_hint(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "person: rajnath-singh", "person: zz")
    problem = single_error(project)
    at(problem, M2022, line)
    assert problem.message == (
        "unknown person id 'zz'; people are defined in briefs/people.yaml: add one with id, "
        "name, country and offices (each office's title and start date)"
    )


def test_unknown_glossary_source(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / GLOSSARY, "sources: [src-002, src-004]", "sources: [src-002, src-9]")
    problem = single_error(project)
    at(problem, GLOSSARY, line, 24)
    assert problem.message == "unknown source id 'src-9'"


# --- duplicates -----------------------------------------------------------------------------


def test_duplicate_meeting_id_names_the_other_file(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2026, "id: sd-18", "id: fmsd-13")
    found = errors(project)
    dup = [p for p in found if "duplicate id 'fmsd-13'" in p.message]
    assert len(dup) == 1
    at(dup[0], M2026, line, 5)
    assert M2020 in dup[0].message


def test_agreement_and_meeting_share_one_id_space(project: Path, edit_yaml) -> None:
    edit_yaml(project / "briefs/agreements/cepa.yaml", "id: cepa", "id: sd-18")
    messages = [p.message for p in errors(project)]
    assert any("duplicate id 'sd-18'" in m for m in messages), messages


@pytest.mark.parametrize(
    ("rel", "old", "new", "dup"),
    [
        (PEOPLE, "id: rajnath-singh", "id: s-jaishankar", "s-jaishankar"),
        (TOPICS, "id: ai", "id: 5g", "5g"),
        (CATALOGUE, "id: src-001", "id: src-000", "src-000"),
        (GLOSSARY, "id: acsa", "id: two-plus-two", "two-plus-two"),
    ],
)
def test_duplicate_registry_id_at_the_second_entry(
    project: Path, edit_yaml, rel: str, old: str, new: str, dup: str
) -> None:
    line = edit_yaml(project / rel, old, new)
    found = errors(project)
    dups = [p for p in found if p.message == f"duplicate id {dup!r}"]
    assert len(dups) == 1, found
    at(dups[0], rel, line)


def test_duplicate_person_keeps_the_first_entry(project: Path, edit_yaml) -> None:
    # The second `s-jaishankar` (really Rajnath Singh) must not replace the first, which
    # would make every meeting's External Affairs Minister look wrong.
    edit_yaml(project / PEOPLE, "id: rajnath-singh", "id: s-jaishankar")
    messages = [p.message for p in errors(project)]
    assert not any("was not" in m for m in messages), messages
    assert any(m.startswith("unknown person id 'rajnath-singh'") for m in messages)


def test_duplicate_source_does_not_misplace_seed_errors(project: Path, edit_yaml) -> None:
    edit_yaml(project / CATALOGUE, "id: src-001", "id: src-000")
    line = edit_yaml(project / CATALOGUE, "file: 003_d3f7102fe61c213d.txt", "file: 003_gone.txt")
    seed = [p for p in errors(project) if "003_gone.txt" in p.message]
    assert len(seed) == 1
    at(seed[0], CATALOGUE, line, 11)


# --- keys: unknown, misspelt, missing -------------------------------------------------------


def test_misspelt_top_level_key_suggests_the_right_one(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", "venu: Tokyo")
    found = errors(project)
    assert [p.message for p in found] == [
        "missing required key 'venue'",
        "unknown key 'venu'; did you mean 'venue'?",
    ]
    at(found[1], M2022, line, 1)
    at(found[0], M2022, 3, 1)  # a missing key is reported at its mapping


def test_misspelt_nested_key(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "  - person: rajnath-singh", "  - persn: rajnath-singh")
    found = errors(project)
    assert [(p.location.line, p.message) for p in found] == [
        (line, "participants[1]: missing required key 'person'"),
        (line, "unknown key 'persn'; did you mean 'person'?"),
    ]


def test_misspelt_key_in_a_status_step(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / SSGP, "    meeting: two-plus-two-1", "    meting: two-plus-two-1")
    problem = single_error(project)
    at(problem, SSGP, line, 5)
    assert problem.message == "unknown key 'meting'; did you mean 'meeting'?"


def test_unknown_key_without_a_close_match(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", "venue: Tokyo\nzzzz: 1")
    problem = single_error(project)
    at(problem, M2022, line + 1, 1)
    assert problem.message == "unknown key 'zzzz'"


def test_missing_nested_key(project: Path, edit_yaml) -> None:
    text = "  - person: hamada-yasukazu\n    office: Minister of Defense\n    side: Japan\n"
    line = edit_yaml(project / M2022, text, text.replace("    side: Japan\n", ""))
    problem = single_error(project)
    at(problem, M2022, line, 5)
    assert problem.message == "participants[3]: missing required key 'side'"


def test_missing_registry_key(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / TOPICS, "    label: 5G\n", "")
    problem = single_error(project)
    at(problem, TOPICS, line - 1)
    assert problem.message == "topics[1]: missing required key 'label'"


# --- typed fields: text where a number, date or choice belongs ------------------------------


@pytest.mark.parametrize("value", ["010", "NO", "ON", "1.10", "12:30", "0x2", "2.0"])
def test_yaml_1_1_lookalikes_are_rejected_by_an_integer_field(
    project: Path, edit_yaml, value: str
) -> None:
    line = edit_yaml(project / M2022, "number: 2", f"number: {value}")
    problem = single_error(project)
    at(problem, M2022, line, 9)
    assert problem.message == (
        f"number: Input should be a valid integer (got text {value!r}; YAML 1.2 spellings only)"
    )


def test_a_huge_number_is_text_and_quoted_briefly(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "number: 2", "number: " + "9" * 5000)
    problem = single_error(project)
    at(problem, M2022, line, 9)
    assert problem.message == (
        f"number: Input should be a valid integer (got text '{'9' * 37}...'; "
        "YAML 1.2 spellings only)"
    )


def test_country_code_no_is_text_and_not_a_side(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "side: Japan", "side: NO")
    problem = single_error(project)
    at(problem, M2022, line, 11)
    assert problem.message.startswith("unknown country 'NO' (known: Australia, India, Japan, ")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", "date: 2024-02-30 is not a real date"),
        ("2022-13-01", "date: 2022-13-01 is not a real date"),
        ("12:30", "date: expected a date written as YYYY-MM-DD"),
        ("20220908", "date: expected a date written as YYYY-MM-DD"),
        ("2022-9-8", "date: expected a date written as YYYY-MM-DD"),
        ("'2022-09-08T10:00'", "date: expected a date written as YYYY-MM-DD"),
    ],
)
def test_impossible_and_malformed_dates(project: Path, edit_yaml, value: str, message: str) -> None:
    line = edit_yaml(project / M2022, "date: 2022-09-08", f"date: {value}")
    problem = single_error(project)
    at(problem, M2022, line, 7)
    assert problem.message == message


def test_impossible_date_in_a_registry(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / PEOPLE, "start: 2019-05-30", "start: 2019-02-29")
    problem = single_error(project)
    at(problem, PEOPLE, line, 16)
    assert problem.message == "people[0].offices[0].start: 2019-02-29 is not a real date"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("venue: Tokyo", "venue: [Tokyo]", "venue: Input should be a valid string"),
        ("venue: Tokyo", "venue: 2022", "venue: Input should be a valid string"),
        ("quotes:\n", "quotes: {}\nx_quotes:\n", "quotes: Input should be a valid list"),
        ("outcomes:\n", "outcomes: []\nx_outcomes:\n",
         "outcomes: List should have at least 1 item after validation, not 0"),
    ],
)  # fmt: skip
def test_wrong_shapes(project: Path, edit_yaml, old: str, new: str, message: str) -> None:
    line = edit_yaml(project / M2022, old, new)
    found = errors(project)
    assert found[0].message == message
    at(found[0], M2022, line)


# --- offices held on the meeting's date -----------------------------------------------------


def test_foreign_minister_motegi_in_2022_is_caught(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "person: hayashi-yoshimasa", "person: motegi-toshimitsu")
    problem = single_error(project)
    at(problem, M2022, line + 1, 13)  # the office line, just below the person
    assert problem.message == (
        "Toshimitsu Motegi was not 'Minister for Foreign Affairs' on 2022-09-08"
    )


def test_wrong_office_names_the_office_held_that_day(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "office: External Affairs Minister", "office: Prime Minister")
    problem = single_error(project)
    at(problem, M2022, line, 13)
    assert problem.message == (
        "S. Jaishankar was not 'Prime Minister' on 2022-09-08; "
        "on that date they held: External Affairs Minister"
    )


def test_office_ended_before_the_meeting(project: Path, edit_yaml) -> None:
    # Kono left the foreign ministry on 2019-09-11, before the first 2+2 of November 2019.
    line = edit_yaml(project / M2019, "person: motegi-toshimitsu", "person: kono-taro")
    problem = single_error(project)
    at(problem, M2019, line + 1)
    assert "Taro Kono was not 'Minister for Foreign Affairs' on 2019-11-01" in problem.message
    assert "they held: Minister of Defense" in problem.message


def test_office_title_matches_case_insensitively(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2022, "office: Defence Minister", "office: defence minister")
    assert len(load_corpus(project).meetings) == 4


def test_office_ending_before_it_starts(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / PEOPLE, "end: 2023-09-13", "end: 2020-01-01")
    found = errors(project)
    ends = [p for p in found if p.message == "office ends before it starts"]
    assert len(ends) == 1
    at(ends[0], PEOPLE, line, 14)


def test_native_name_needs_its_script(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / PEOPLE, "    native_script: hi\n", "")
    problem = single_error(project)
    at(problem, PEOPLE, line - 3)  # the start of that person's entry
    assert "native_name and native_script go together" in problem.message


# --- quotations -----------------------------------------------------------------------------


def test_altered_quotation_is_caught_at_the_quote(project: Path, edit_yaml) -> None:
    line = edit_yaml(
        project / M2020,
        "text: Reviewed the global situation and discussed progress",
        "text: Reviewed the global situation and debated progress",
    )
    problem = single_error(project)
    at(problem, M2020, line, 11)
    assert problem.message.startswith(
        "quotation does not occur verbatim in src-001 (seeds/001_fd15fd43ecb7e65a.txt)"
    )
    assert "debated" in problem.message or "progress related" in problem.message


def test_one_word_changed_in_a_folded_quotation(project: Path, edit_yaml) -> None:
    first = edit_yaml(
        project / M2022, "      We are two nations committed", "      We are two nations dedicated"
    )
    problem = single_error(project)
    at(problem, M2022, first - 1, 11)  # `- text: >-` starts the quotation
    assert problem.message.startswith("quotation does not occur verbatim in src-004")
    assert "it differs just " in problem.message


def test_fabricated_quotation(project: Path, edit_yaml) -> None:
    line = edit_yaml(
        project / M2026,
        "text: Economic security today is particularly paramount",
        "text: Nothing of the sort was ever said by anyone",
    )
    problem = single_error(project)
    at(problem, M2026, line, 11)
    assert problem.message == (
        "quotation does not occur verbatim in src-003 (seeds/003_d3f7102fe61c213d.txt)"
    )


def test_quotation_attributed_to_the_wrong_source(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2026, "    source: src-003", "    source: src-004")
    problem = single_error(project)
    assert "does not occur verbatim in src-004" in problem.message
    assert problem.location.line == line - 2


def test_typography_and_wrapping_do_not_matter(project: Path, edit_yaml) -> None:
    edit_yaml(
        project / M2026,
        "text: Economic security today is particularly paramount",
        'text: "Economic  security\\u00a0today is\\n particularly paramount"',
    )
    assert load_corpus(project).quotations_verified >= 12
    assert normalise_quote("it\u2019s \u201cgood\u201d \u2014 ok\u2026") == 'it\'s "good" - ok...'


def test_quotation_needs_a_speaker_or_label(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2026, "    speaker: s-jaishankar\n    source: src-003\n",
                     "    source: src-003\n")  # fmt: skip
    problem = single_error(project)
    at(problem, M2026, line - 1)
    assert problem.message == "a quotation needs a speaker or a speaker_label"


# --- agreements' status history -------------------------------------------------------------


def test_status_history_out_of_order(project: Path, edit_yaml) -> None:
    edit_yaml(project / SSGP, "    date: 2019-11-01", "    date: 2023-11-01")
    line = edit_yaml(project / SSGP, "    date: 2022-09-08", "    date: 2022-09-08")
    problem = single_error(project)
    at(problem, SSGP, line, 11)
    assert problem.message == (
        "status steps must be in date order (oldest first): this step, dated 2022-09-08, "
        "follows one dated 2023-11-01"
    )


def test_status_step_on_another_day_than_its_meeting(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / SSGP, "    date: 2022-09-08", "    date: 2022-09-09")
    problem = single_error(project)
    at(problem, SSGP, line, 11)
    assert problem.message == "step dated 2022-09-09 but meeting 'two-plus-two-2' was on 2022-09-08"


def test_unknown_status(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / SSGP, "status: upgraded", "status: upgarded")
    problem = single_error(project)
    at(problem, SSGP, line, 13)
    assert problem.message.startswith("status_history[0].status: Input should be 'proposed'")


# --- seeds ----------------------------------------------------------------------------------


def test_missing_seed_file(project: Path) -> None:
    (project / "seeds/003_d3f7102fe61c213d.txt").unlink()
    problem = single_error(project)
    catalogue = (project / CATALOGUE).read_text(encoding="utf-8").splitlines()
    at(problem, CATALOGUE, catalogue.index("    file: 003_d3f7102fe61c213d.txt") + 1, 11)
    assert problem.message == "seed file seeds/003_d3f7102fe61c213d.txt does not exist"


def test_seed_file_that_is_not_utf8(project: Path) -> None:
    (project / "seeds/004_814a80645a1c41fe.txt").write_bytes(b"caf\xe9\n")
    problem = single_error(project)
    assert problem.location.path == CATALOGUE
    assert problem.message.startswith(
        "seed file seeds/004_814a80645a1c41fe.txt (line 1, column 4): not valid UTF-8"
    )


def test_seed_that_is_a_fifo_is_refused_without_blocking(project: Path) -> None:
    seed = project / "seeds/004_814a80645a1c41fe.txt"
    seed.unlink()
    os.mkfifo(seed)
    problem = single_error(project)
    assert problem.location.path == CATALOGUE
    assert problem.message == (
        "seed file seeds/004_814a80645a1c41fe.txt: cannot read: not a regular file"
    )


def test_meeting_file_that_is_a_fifo_is_refused(project: Path) -> None:
    os.mkfifo(project / "briefs/meetings/2030-01-01-pipe.yaml")
    problem = single_error(project)
    assert str(problem) == "briefs/meetings/2030-01-01-pipe.yaml: cannot read: not a regular file"


def test_seed_file_name_must_stay_in_seeds(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / CATALOGUE, "file: 000_451b3471627ae376.txt", "file: ../x.txt")
    problem = single_error(project)
    at(problem, CATALOGUE, line, 11)
    assert problem.message.startswith("sources[0].file: String should match pattern")


def test_symlink_out_of_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    shutil.copy(project / M2022, outside)
    (project / M2022).unlink()
    (project / M2022).symlink_to(outside)
    found = errors(project)
    assert any(p.location.path == M2022 and "outside the project" in p.message for p in found), (
        found
    )
    # the meeting's absence is explained once, not as "unknown meeting" in every agreement
    assert not any("unknown meeting id 'two-plus-two-2'" in p.message for p in found), found


def test_a_folder_linked_out_of_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "meetings"
    shutil.copytree(project / "briefs/meetings", outside)
    shutil.rmtree(project / "briefs/meetings")
    (project / "briefs/meetings").symlink_to(outside)
    refused = {p.location.path for p in errors(project) if "outside the project" in p.message}
    assert M2022 in refused and M2026 in refused


# --- text hygiene: control characters, surrogates, non-characters, bidi ---------------------


@pytest.mark.parametrize(
    ("escape", "what"),
    [
        ("\\x01", "control character U+0001"),
        ("\\x1b[31m", "control character U+001B"),
        ("\\x7f", "control character U+007F"),
        ("\\x85", "control character U+0085"),
        ("\\0", "control character U+0000"),
        ("\\ud800", "lone surrogate U+D800"),
        ("\\udfff", "lone surrogate U+DFFF"),
        ("\\uFFFE", "non-character U+FFFE"),
        ("\\uFFFF", "non-character U+FFFF"),
    ],
)
def test_forbidden_characters_are_named_by_field_and_line(
    project: Path, edit_yaml, escape: str, what: str
) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", f'venue: "To{escape}kyo"')
    problem = single_error(project)
    at(problem, M2022, line, 8)
    assert problem.message == f"venue: {what} is not allowed in text"
    assert str(problem).isprintable()


def test_forbidden_character_in_a_nested_field(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2020, "role: Led the Japanese side", 'role: "Led the\\x07 side"')
    problem = single_error(project)
    at(problem, M2020, line, 11)
    assert (
        problem.message == "participants[1].role: control character U+0007 is not allowed in text"
    )


def test_forbidden_character_in_a_key(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", 'venue: Tokyo\n"\\ud800x": 1')
    found = errors(project)
    assert found[0].message == "key '\\ud800x': lone surrogate U+D800 is not allowed in a key"
    at(found[0], M2022, line + 1, 1)
    assert "unable to parse raw data" not in "\n".join(p.message for p in found)
    assert all(str(p).isprintable() for p in found)  # no lone surrogate left to print


def test_tab_and_newline_are_allowed_in_text(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2022, "venue: Tokyo", 'venue: "To\\tkyo"')
    assert load_corpus(project).meetings["two-plus-two-2"].venue == "To\tkyo"


def test_bidi_override_is_a_warning_not_an_error(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", 'venue: "To\\u202ekyo"')
    corpus = load_corpus(project)
    assert len(corpus.warnings) == 1
    warning = corpus.warnings[0]
    assert warning.warning
    at(warning, M2022, line, 8)
    assert warning.message == "venue: bidi control U+202E may hide what the text says"
    assert str(warning).endswith("warning: venue: bidi control U+202E may hide what the text says")


def test_warnings_accompany_errors(project: Path, edit_yaml) -> None:
    edit_yaml(project / M2022, "venue: Tokyo", 'venue: "To\\u2066kyo"')
    edit_yaml(project / M2022, "number: 2", "number: two")
    found = failures(project)
    assert [p.warning for p in found] == [False, True]


# --- files and folders ----------------------------------------------------------------------


def test_every_error_in_every_file_is_reported(project: Path, edit_yaml) -> None:
    a = edit_yaml(project / M2022, "venue: Tokyo", "venu: Tokyo")
    b = edit_yaml(project / M2020, "number: 13", "number: XIII")
    c = edit_yaml(project / SSGP, "kind: partnership", "kind: partner")
    d = edit_yaml(project / TOPICS, "id: 5g", "id: 5G")
    found = errors(project)
    places = {(p.location.path, p.location.line) for p in found}
    assert {(M2022, a), (M2020, b), (SSGP, c), (TOPICS, d)} <= places
    assert found == sorted(found)


def test_syntax_error_in_a_meeting_does_not_cascade(project: Path, edit_yaml) -> None:
    line = edit_yaml(project / M2022, "venue: Tokyo", "venue: [Tokyo")
    problem = single_error(project)  # not also "unknown meeting" in cyber-moc.yaml and ssgp.yaml
    assert problem.location.path == M2022
    assert problem.location.line >= line
    assert problem.message.startswith("YAML syntax:")


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        (CATALOGUE, "kind: news report", "kind: newsreport"),
        (PEOPLE, "country: India", "country: Indai"),
        (TOPICS, "label: 5G", "lable: 5G"),
        (CATALOGUE, "sources:\n", "sources:\n  - [\n"),
    ],
)
def test_broken_registry_does_not_bury_its_error(
    project: Path, edit_yaml, rel: str, old: str, new: str
) -> None:
    edit_yaml(project / rel, old, new)
    found = errors(project)
    assert {p.location.path for p in found} == {rel}, found
    assert len(found) <= 2


def test_non_yaml_file_in_meetings_is_a_warning(project: Path) -> None:
    (project / "briefs/meetings/notes.txt").write_text("draft\n", encoding="utf-8")
    (project / "briefs/meetings/.hidden").write_text("x\n", encoding="utf-8")
    corpus = load_corpus(project)
    assert [str(w) for w in corpus.warnings] == [
        "briefs/meetings/notes.txt: warning: not a .yaml file; ignored"
    ]


def test_yml_extension_is_read(project: Path) -> None:
    (project / M2022).rename(project / "briefs/meetings/2022-09-08-two-plus-two-2.yml")
    assert "two-plus-two-2" in load_corpus(project).meetings


def test_missing_meetings_folder(project: Path) -> None:
    shutil.rmtree(project / "briefs/meetings")
    found = errors(project)
    assert [str(p) for p in found if p.location.path == "briefs/meetings"] == [
        "briefs/meetings: folder is missing"
    ]
    assert not any("unknown meeting id" in p.message for p in found), found


def test_missing_registry_file(project: Path) -> None:
    (project / TOPICS).unlink()
    problem = single_error(project)
    assert problem.location.path == TOPICS
    assert problem.message.startswith("cannot read")


def test_empty_meeting_file(project: Path) -> None:
    (project / "briefs/meetings/2030-01-01-empty.yaml").write_text("", encoding="utf-8")
    problem = single_error(project)
    assert (
        str(problem)
        == "briefs/meetings/2030-01-01-empty.yaml:1:1: file is empty; expected a mapping"
    )


def test_a_glossary_term_counts_only_as_a_whole_word() -> None:
    corpus = load_corpus(REPO)
    terms = {t.term for t in corpus.terms.values()}
    assert {"2+2", "ACSA"} <= terms

    analyst = Edition(load_audience(REPO, "analyst"))

    def found(text: str) -> set[str]:
        return {t["term"] for t in glossary_for(corpus, text, analyst)} & {"2+2", "ACSA"}

    assert found("the ACSA and the 2+2") == {"ACSA", "2+2"}
    assert found("ACSA, signed; (2+2)") == {"ACSA", "2+2"}
    assert found("ACSAs and pre-ACSA talks, ACSA_x, 12+2") == set()
    assert found("pre-ACSA talks, then the ACSA") == {"ACSA"}  # a later occurrence counts
    assert found("") == set()


def test_altered_quotation_in_a_large_seed_is_diagnosed_quickly(project: Path, edit_yaml) -> None:
    # issue 28.7: a matcher over the whole source took 38 s for one quotation in a 3.2 MB seed.
    import time

    seed = project / "seeds" / "001_fd15fd43ecb7e65a.txt"
    filler = "The two sides reviewed a broad agenda of cooperation and exchanges. " * 24_000
    seed.write_text(filler + seed.read_text(encoding="utf-8") + filler, encoding="utf-8")
    assert seed.stat().st_size > 3_200_000
    edit_yaml(
        project / M2020,
        "text: Reviewed the global situation and discussed progress",
        "text: Reviewed the global situation and debated progress",
    )
    started = time.perf_counter()
    problem = single_error(project)
    seconds = time.perf_counter() - started
    assert "global situation and', at 'debated'" in problem.message
    assert seconds < 20, f"check took {seconds:.1f} s"  # a hang, not a speed target


def test_a_glossary_entry_prints_what_the_sources_leave_out_only_where_the_audience_is_told() -> (
    None
):
    corpus = load_corpus(REPO)

    def foip(audience: str) -> str:
        edition = Edition(load_audience(REPO, audience))
        (entry,) = [t for t in glossary_for(corpus, "FOIP", edition) if t["term"] == "FOIP"]
        return entry["html"]

    assert "do not name FOIP" in foip("analyst")
    minister = foip("minister")
    assert "do not name" not in minister
    assert minister.endswith("territorial integrity.")
