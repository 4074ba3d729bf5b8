"""What changed since an earlier edition: the comparison of an earlier record with the views an
audience sees (compose/changes.py), and how an earlier edition is named (build/editions.py)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import Cli, edit

from ijbrief.build.editions import EditionError, read_edition
from ijbrief.compose.audiences import load_audience
from ijbrief.compose.changes import Earlier, changes_view, for_manifest, record_of, word_edits
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.select import Edition, Filters, agreement_view, meeting_view
from ijbrief.corpus.loader import Corpus, load_corpus

SD18 = "briefs/meetings/2026-01-16-sd-18.yaml"
FMSD13 = "briefs/meetings/2020-10-07-fmsd-13.yaml"
UN_REFORM = "The ministers reviewed the global situation and progress on United Nations reform."
# An outcome of the 18th dialogue only the analyst's edition shows (`audiences: [analyst]`).
ANALYSTS_ONLY = (
    "Also discussed resilient supply chains, defence cooperation, energy security, health care "
    "and maritime security."
)
NEW_STEP = """  - status: reaffirmed
    date: 2026-01-16
    meeting: sd-18
    note: The ministers reaffirmed the partnership at their 18th dialogue.
    sources: [src-003]
key_points:"""


def changes(project: Path, corpus: Corpus, earlier: dict[str, Any], audience: str) -> Any:
    """The changes the audience's full dossier would show against ``earlier``."""
    spec = load_audience(project, audience)
    edition = Edition(spec)
    meetings = [meeting_view(corpus, m, edition) for m in corpus.meetings.values()]
    agreements = [agreement_view(corpus, a, edition) for a in corpus.agreements.values()]
    return changes_view(
        Earlier(dt.date(2026, 2, 1), "", earlier),
        corpus,
        spec,
        Filters(),
        [m for m in meetings if not m["draft"]],
        agreements,
    )


@pytest.fixture
def edited(project: Path) -> tuple[dict[str, Any], Corpus]:
    """The record of the project as it was, and the corpus after a round of edits: an outcome
    lengthened, an analyst-only outcome reworded, a status step added to the SSGP."""
    before = record_of(load_corpus(project))
    edit(
        project / FMSD13,
        UN_REFORM,
        "The ministers reviewed the global situation and the state of United Nations reform.",
    )
    edit(
        project / SD18,
        ANALYSTS_ONLY,
        "Also discussed resilient supply chains and maritime security.",
    )
    edit(project / "briefs/agreements/ssgp.yaml", "key_points:", NEW_STEP)
    return before, load_corpus(project)


def test_a_meeting_new_since_is_listed_as_added(project: Path) -> None:
    corpus = load_corpus(project)
    earlier = record_of(corpus)
    del earlier["meetings"]["sd-18"]
    seen = changes(project, corpus, earlier, "student")
    assert [m["id"] for m in seen["meetings_added"]] == ["sd-18"]
    assert seen["meetings_changed"] == [] and seen["meetings_removed"] == []


def test_nothing_changed_is_nothing_to_list(project: Path) -> None:
    corpus = load_corpus(project)
    seen = changes(project, corpus, record_of(corpus), "analyst")
    assert seen["count"] == 0 and not seen["agreements"] and not seen["meetings_changed"]


def test_a_meeting_gone_since_is_listed_as_removed(project: Path) -> None:
    corpus = load_corpus(project)
    earlier = record_of(corpus)
    earlier["meetings"]["sd-17"] = {**earlier["meetings"]["sd-18"], "title": "17th Dialogue"}
    seen = changes(project, corpus, earlier, "student")
    assert [m["title"] for m in seen["meetings_removed"]] == ["17th Dialogue"]


def test_an_outcome_changed_says_what_changed(edited: tuple[dict[str, Any], Corpus]) -> None:
    before, corpus = edited
    project = corpus.root
    seen = changes(project, corpus, before, "student")
    [meeting] = seen["meetings_changed"]
    assert meeting["id"] == "fmsd-13"
    [revised] = meeting["outcomes_revised"]
    assert revised["text"].endswith("the state of United Nations reform.")
    assert revised["edits"] == [{"removed": "progress on", "added": "the state of"}]
    assert meeting["outcomes_added"] == meeting["outcomes_removed"] == []
    assert meeting["summary_change"] is None


def test_a_status_step_new_since_is_listed(edited: tuple[dict[str, Any], Corpus]) -> None:
    before, corpus = edited
    seen = changes(corpus.root, corpus, before, "minister")
    [moved] = seen["agreements"]
    assert moved["id"] == "ssgp" and not moved["new"]
    assert [(s["status"], s["date_display"]) for s in moved["steps"]] == [
        ("Reaffirmed", "16 January 2026")
    ]


def test_a_restricted_item_is_not_shown_to_the_public(
    edited: tuple[dict[str, Any], Corpus],
) -> None:
    before, corpus = edited
    public = changes(corpus.root, corpus, before, "student")
    assert "sd-18" not in [m["id"] for m in public["meetings_changed"]]
    assert "supply chains" not in json.dumps(public, default=str)
    analyst = changes(corpus.root, corpus, before, "analyst")
    sd18 = next(m for m in analyst["meetings_changed"] if m["id"] == "sd-18")
    assert sd18["outcomes_revised"][0]["edits"][0]["removed"].startswith(", defence")


def test_the_manifest_keeps_no_restricted_text_yet_sees_it_change(
    edited: tuple[dict[str, Any], Corpus],
) -> None:
    before, corpus = edited
    kept = for_manifest(before)
    assert ANALYSTS_ONLY not in json.dumps(kept)
    assert UN_REFORM in json.dumps(kept)
    analyst = changes(corpus.root, corpus, json.loads(json.dumps(kept)), "analyst")
    sd18 = next(m for m in analyst["meetings_changed"] if m["id"] == "sd-18")
    [revised] = sd18["outcomes_revised"]
    assert revised["text"] == "Also discussed resilient supply chains and maritime security."
    assert revised["edits"] == []  # the old words were never written down


def test_word_edits_name_the_words_that_changed() -> None:
    assert word_edits("Agreed to meet.", "Agreed to meet in 2026.") == [
        {"removed": "", "added": "in 2026"}
    ]
    assert word_edits("a b c", "a c") == [{"removed": "b", "added": ""}]


def _dossier(project: Path, audience: str, earlier: Earlier | None) -> str:
    corpus = load_corpus(project)
    stamp = Stamp(dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    composer = Composer(
        project, corpus, load_audience(project, audience), stamp, Filters(), None, earlier
    )
    return composer.dossier_html({})


def test_the_dossier_shows_the_changes_unless_the_audience_hides_them(project: Path) -> None:
    record = record_of(load_corpus(project))
    del record["meetings"]["sd-18"]
    earlier = Earlier(dt.date(2026, 1, 10), "", record)
    html = _dossier(project, "student", earlier)
    assert "Changes since 10 January 2026" in html
    assert 'href="#since-edition"' in html  # in the contents
    assert "since-edition" not in _dossier(project, "student", None)
    edit(
        project / "templates/student/audience.yaml",
        "admits:",
        "hide_sections: [since-edition]\nadmits:",
    )
    assert "Changes since" not in _dossier(project, "student", earlier)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "-C", str(root), *args],
        check=True,
        capture_output=True,
    )


def test_an_earlier_edition_is_read_from_a_git_revision(project: Path) -> None:
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "first")
    edit(project / FMSD13, UN_REFORM, "The ministers reviewed UN reform.")
    earlier = read_edition(project, "HEAD", dt.datetime.now(dt.UTC).date())
    assert earlier.label.startswith("revision ")
    assert UN_REFORM in json.dumps(earlier.record)


def test_an_earlier_edition_is_read_from_a_manifest_or_its_folder(project: Path) -> None:
    out = project / "old"
    out.mkdir()
    manifest = {"prepared": "2026-01-20", "outputs": {}, "record": record_of(load_corpus(project))}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for given in (str(out), str(out / "manifest.json")):
        assert read_edition(project, given, dt.date(2026, 2, 1)).date == dt.date(2026, 1, 20)
    with pytest.raises(EditionError, match="after this build's date 2026-01-19"):
        read_edition(project, str(out), dt.date(2026, 1, 19))
    del manifest["record"]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(EditionError, match="no record of the corpus"):
        read_edition(project, str(out), dt.date(2026, 2, 1))


@pytest.mark.parametrize("given", ["no-such-thing", "-rf", "HEAD"])
def test_a_bad_edition_is_one_line_and_exit_2(project: Path, cli: Cli, given: str) -> None:
    # The project is no git repository of its own, so HEAD is no revision of it.
    code, output = cli("-C", str(project), "build", "--format", "html", f"--since-edition={given}")
    assert code == 2
    assert output.count("\n") == 1 and "Traceback" not in output
    assert "not a manifest, an out/ folder or a git revision of the project" in output
    assert not (project / "out").exists()


def test_check_runs_the_changes_part_of_an_audiences_dossier(project: Path) -> None:
    from ijbrief.build.template_check import check_templates

    (project / "templates/student/dossier.html.j2").write_text(
        '{% extends "base/dossier.html.j2" %}\n'
        "{% block since_edition %}{{ dossier.since.no_such_thing.wrong }}{% endblock %}\n",
        encoding="utf-8",
    )
    found = [str(p) for p in check_templates(project, load_corpus(project)) if not p.warning]
    assert any(p.startswith("templates/student/dossier.html.j2:2") for p in found), found


@pytest.mark.parametrize("given", ["no-such-thing", SD18])
def test_a_bad_edition_stops_build_watch_at_the_start(project: Path, given: str) -> None:
    # --watch waits out bad input, but a bad --since-edition is a bad argument: no later save
    # fixes it, so it must stop the command as it stops a plain build (before: warned, watched).
    import os
    import signal
    import sys

    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo / "src"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "ijbrief", "-C", str(project), "build", "--watch"]
    process = subprocess.Popen(
        [*command, "--format", "html", f"--since-edition={given}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so that a watch (and its workers) can be stopped whole
    )
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=10)
        pytest.fail(f"build --watch went on watching:\n{output}")
    assert process.returncode == 2, output
    assert output.count("\n") == 1 and "Traceback" not in output, output
    assert output.startswith("ijbrief: --since-edition"), output
    assert "watching" not in output
    assert not (project / "out").exists()
