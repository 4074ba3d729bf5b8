"""`ijbrief new` scaffolds and `ijbrief schema`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ijbrief.cli import main
from ijbrief.corpus.authoring import slugify, write_schemas
from ijbrief.corpus.loader import load_corpus
from ijbrief.corpus.model import SCHEMAS
from ijbrief.corpus.yamlio import load

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- new meeting / agreement ----------------------------------------------------------------


def test_new_meeting_writes_a_dated_scaffold(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, project, "new", "meeting", "--title", "19th Strategic Dialogue",
        "--date", "2027-01-15",
    )  # fmt: skip
    assert code == 0
    # The series the corpus has (the 18th Strategic Dialogue is sd-18): its name and its ids' form.
    rel = "briefs/meetings/2027-01-15-sd-19.yaml"
    assert out == f"wrote {rel}; fill it in, then run `ijbrief check`\n"
    path = project / rel
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../schema/meeting.schema.json"
    assert (path.parent / "../schema/meeting.schema.json").resolve().is_file()
    data = load(path, rel).data
    assert data["id"] == "sd-19"
    assert data["series"] == "foreign-ministers-strategic-dialogue" and data["number"] == 19
    assert data["title"] == data["short_title"] == "19th Strategic Dialogue"
    assert data["date"] == "2027-01-15"


def test_new_meeting_refuses_to_overwrite(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("new", "meeting", "--title", "Summit", "--date", "2027-02-01")
    assert run(capsys, project, *args)[0] == 0
    path = project / "briefs/meetings/2027-02-01-summit.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# my notes\n", encoding="utf-8")
    before = path.read_bytes()
    code, out, err = run(capsys, project, *args)
    assert code == 1
    assert out == ""
    assert "briefs/meetings/2027-02-01-summit.yaml already exists; choose --id" in err
    assert "Traceback" not in err
    assert path.read_bytes() == before


def test_same_id_on_another_date_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, project, "new", "meeting", "--id", "sd-18", "--date", "2027-03-03")
    assert code == 1
    assert "briefs/meetings/2026-01-16-sd-18.yaml already exists" in err
    assert not (project / "briefs/meetings/2027-03-03-sd-18.yaml").exists()


def test_meeting_and_agreement_ids_may_not_collide(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, project, "new", "agreement", "--id", "fmsd-13")
    assert code == 1
    assert "briefs/meetings/2020-10-07-fmsd-13.yaml already exists" in err


def test_an_id_that_merely_ends_like_another_is_allowed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `cyber-moc.yaml` exists; a new agreement `moc` is a different id.
    code, out, _ = run(
        capsys, project, "new", "agreement", "--title", "MOC", "--date", "2027-01-01"
    )
    assert code == 0, out
    assert (project / "briefs/agreements/moc.yaml").is_file()
    code, _, _ = run(capsys, project, "new", "meeting", "--id", "18", "--date", "2027-01-01")
    assert code == 0  # `2026-01-16-sd-18.yaml` ends in "18" but its id is sd-18


def test_new_agreement_scaffold(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, project, "new", "agreement", "--title", "Semiconductor Partnership",
        "--date", "2027-04-01",
    )  # fmt: skip
    assert code == 0
    rel = "briefs/agreements/semiconductor-partnership.yaml"
    assert out.startswith(f"wrote {rel};")
    text = (project / rel).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/agreement.schema.json\n")
    data = load(project / rel, rel).data
    assert data["status_history"][0]["date"] == "2027-04-01"
    assert data["status_history"][0]["status"] == "proposed"


@pytest.mark.parametrize(
    "title",
    ['India–Japan: "Quad" #1 & *talks*', "- [x] {y}: z", "日印首脳会談", "'quoted' \\ back"],
)
def test_awkward_titles_round_trip(
    project: Path, capsys: pytest.CaptureFixture[str], title: str
) -> None:
    code, out, _ = run(capsys, project, "new", "meeting", "--title", title, "--date", "2027-05-05")
    assert code == 0
    rel = out.split()[1].rstrip(";")
    assert rel.startswith("briefs/meetings/2027-05-05-") and rel.endswith(".yaml")
    data = load(project / rel, rel).data
    assert data["title"] == title


def test_bad_id_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for ident in ("Bad_Id", "-x", "a/b", "../../etc"):
        code, _, err = run(capsys, project, "new", "meeting", f"--id={ident}")
        assert code == 1
        assert "must be lower-case letters, digits and hyphens" in err
    assert sorted(p.name for p in (project / "briefs/meetings").iterdir()) == sorted(
        p.name for p in (REPO / "briefs/meetings").iterdir()
    )


def test_bad_date_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["-C", str(project), "new", "meeting", "--date", "2024-02-30"])
    assert info.value.code == 2
    assert "'2024-02-30' is not a date written as YYYY-MM-DD" in capsys.readouterr().err


def test_date_defaults_to_today(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = dt.date.today()
    code, out, _ = run(capsys, project, "new", "meeting", "--title", "Today")
    after = dt.date.today()
    assert code == 0
    assert out.split()[1] in {
        f"briefs/meetings/{day.isoformat()}-today.yaml;" for day in (before, after)
    }


def test_slugify() -> None:
    assert slugify("India–Japan 2+2 (Tokyo)") == "india-japan-2-2-tokyo"
    assert slugify("Café Résumé") == "cafe-resume"
    assert slugify("Cafe\u0301 Re\u0301sume\u0301") == "cafe-resume"
    assert slugify("Modi–Ishiba summit, 2+2") == "modi-ishiba-summit-2-2"
    assert slugify("日本") == "untitled"
    assert len(slugify("word " * 40)) <= 60
    assert not slugify("a" * 59 + " b").endswith("-")


def test_filled_in_scaffold_passes_the_check(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, project, "new", "meeting", "--title", "Follow-up call", "--date", "2026-02-01"
    )
    assert code == 0
    path = project / out.split()[1].rstrip(";")
    text = path.read_text(encoding="utf-8")
    # before filling in, `check` points at the new file only
    code, _, err = run(capsys, project, "check")
    assert code == 1
    problems = [line for line in err.splitlines()[:-1]]
    assert problems and all(line.startswith(str(path.relative_to(project))) for line in problems)
    filled = (
        text.replace('note: ""', "note: Stated in the report.")
        .replace("sources: []", "sources: [src-003]")
        .replace('venue: ""', "venue: By telephone")
        .replace('- person: ""', "- person: s-jaishankar")
        .replace('office: ""', "office: External Affairs Minister")
        .replace('text: ""', "text: Placeholder summary.")
        .replace('- topic: ""', "- topic: ai")
    )
    path.write_text(filled, encoding="utf-8")
    code, out, err = run(capsys, project, "check")
    assert code == 0, err
    assert out.startswith("ok: 5 meetings")
    assert "follow-up-call" in load_corpus(project).meetings


# --- schema ---------------------------------------------------------------------------------


def expected_schema(name: str) -> dict[str, object]:
    schema = SCHEMAS[name].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"ijbrief {name} file"
    return schema


def test_schema_command_writes_every_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, tmp_path, "schema")
    assert code == 0
    assert out.splitlines() == [f"wrote briefs/schema/{name}.schema.json" for name in SCHEMAS]
    for name in SCHEMAS:
        path = tmp_path / "briefs/schema" / f"{name}.schema.json"
        assert json.loads(path.read_text(encoding="utf-8")) == expected_schema(name)


def test_committed_schemas_are_up_to_date_with_the_model(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    committed = sorted(p.name for p in (REPO / "briefs/schema").glob("*.schema.json"))
    assert committed == sorted(p.name for p in written)
    for path in written:
        mine = REPO / "briefs/schema" / path.name
        assert json.loads(mine.read_text(encoding="utf-8")) == expected_schema(
            path.name.removesuffix(".schema.json")
        ), f"{mine} is stale: run `ijbrief schema`"
        assert mine.read_bytes() == path.read_bytes(), f"{mine} differs in formatting"


def test_schema_describes_the_strict_model() -> None:
    meeting = expected_schema("meeting")
    assert meeting["additionalProperties"] is False
    required = meeting["required"]
    assert isinstance(required, list)
    assert {"id", "title", "date", "participants", "outcomes"} <= set(required)


def test_files_point_at_their_schema() -> None:
    headers = {
        "seeds/catalogue.yaml": "../briefs/schema/catalogue.schema.json",
        "briefs/people.yaml": "schema/people.schema.json",
        "briefs/topics.yaml": "schema/topics.schema.json",
        "briefs/glossary.yaml": "schema/glossary.schema.json",
    }
    for folder, kind in (("meetings", "meeting"), ("agreements", "agreement")):
        for path in (REPO / "briefs" / folder).glob("*.yaml"):
            headers[str(path.relative_to(REPO))] = f"../schema/{kind}.schema.json"
    for rel, target in headers.items():
        first = (REPO / rel).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema={target}", rel
        assert ((REPO / rel).parent / target).resolve().is_file(), rel
