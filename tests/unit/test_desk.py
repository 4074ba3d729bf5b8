"""A desk of its own: `init`, the project's countries, `source add`/`list`, drafts from a source."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ijbrief.corpus.drafting import date_candidates, quoted_passages

REPO = Path(__file__).resolve().parents[2]
SD18 = "briefs/meetings/2026-01-16-sd-18.yaml"
PROBLEM = re.compile(r"^[^:\n]+:\d+:\d+: .+$", re.M)


def test_init_writes_a_project_that_checks(tmp_path: Path, cli) -> None:
    desk = tmp_path / "desk"
    code, out = cli("init", str(desk), "--parties", "India", "Australia")
    assert code == 0, out
    project = (desk / "project.yaml").read_text(encoding="utf-8")
    assert 'title: "India–Australia"' in project
    assert (
        '{id: india, name: "India"}' in project and '{id: australia, name: "Australia"}' in project
    )
    assert "audiences: [minister, analyst, student]" in project
    assert (desk / ".gitignore").read_text() == "out/\n"
    assert "ijbrief source add" in (desk / "README.md").read_text(encoding="utf-8")
    for name in ("countries", "people", "topics", "glossary", "project", "meeting"):
        assert (desk / "briefs" / "schema" / f"{name}.schema.json").is_file(), name
    code, out = cli("-C", str(desk), "check")
    assert code == 0, out
    assert out.startswith("ok: 1 meeting, no agreements, 1 source, 1 quotation verified")


def test_init_refuses_a_non_empty_folder_and_force_keeps_what_is_there(tmp_path: Path, cli) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    code, out = cli("init", str(tmp_path), "--parties", "Japan", "Philippines")
    assert code == 1 and "is not empty; use --force" in out
    assert not (tmp_path / "project.yaml").exists()
    (tmp_path / "README.md").write_text("my readme\n")
    code, out = cli("init", str(tmp_path), "--parties", "Japan", "Philippines", "--force")
    assert code == 0, out
    assert (tmp_path / "README.md").read_text() == "my readme\n"
    assert 'title: "Japan–Philippines"' in (tmp_path / "project.yaml").read_text(encoding="utf-8")


def test_init_bare_has_empty_valid_registries(tmp_path: Path, cli) -> None:
    code, out = cli(
        "init", str(tmp_path / "d"), "--parties", "A", "B", "--title", "A and B", "--bare"
    )
    assert code == 0, out
    code, out = cli("-C", str(tmp_path / "d"), "check")
    assert code == 0, out
    assert out.startswith("ok: no meetings, no agreements, no sources")


def test_init_needs_two_parties(tmp_path: Path, cli) -> None:
    code, out = cli("init", str(tmp_path / "d"), "--parties", "India")
    assert code == 1 and "at least two parties" in out


def test_an_unknown_side_or_country_is_located_with_a_suggestion(
    project: Path, cli, edit_yaml
) -> None:
    side = edit_yaml(project / SD18, "side: Japan", "side: Japn")
    people = edit_yaml(project / "briefs/people.yaml", "country: Australia", "country: Austria")
    code, out = cli("-C", str(project), "check")
    assert code == 1
    assert f"{SD18}:{side}:11: unknown country 'Japn'; did you mean 'Japan'?" in out
    assert (
        f"briefs/people.yaml:{people}:14: unknown country 'Austria'; did you mean 'Australia'?"
        in out
    )


def test_a_country_registry_entry_is_found_by_id_name_or_short_name(
    project: Path, cli, edit_yaml
) -> None:
    edit_yaml(project / SD18, "side: Japan", "side: japan")
    edit_yaml(project / "briefs/people.yaml", "country: United States", "country: US")
    code, out = cli("-C", str(project), "check")
    assert code == 0, out


def test_a_party_must_be_a_country(project: Path, cli, edit_yaml) -> None:
    line = edit_yaml(project / "project.yaml", "{id: japan,", "{id: nippon,")
    code, out = cli("-C", str(project), "check")
    assert code == 1
    assert f"project.yaml:{line}:" in out and "unknown country 'nippon'" in out


def test_without_project_yaml_the_default_project_is_used_with_a_note(project: Path, cli) -> None:
    (project / "project.yaml").unlink()
    (project / "briefs/countries.yaml").unlink()
    (project / "briefs/people.yaml").write_text(
        (project / "briefs/people.yaml").read_text(encoding="utf-8").split("  # --- Others")[0],
        encoding="utf-8",
    )
    code, out = cli("-C", str(project), "check")
    assert code == 0, out
    assert (
        "project.yaml: warning: not found; using the built-in default project (India–Japan)" in out
    )


def test_a_folder_that_is_no_project_gets_one_line(tmp_path: Path, cli) -> None:
    code, out = cli("-C", str(tmp_path), "check")
    assert code == 1
    assert out.splitlines()[0] == (
        f"{tmp_path}: not an ijbrief project (no project.yaml, briefs/ or seeds/); "
        "start one with `ijbrief init`"
    )


def test_titles_and_metadata_come_from_the_project(tmp_path: Path, cli) -> None:
    desk = tmp_path / "desk"
    cli("init", str(desk), "--parties", "Japan", "Philippines")
    code, out = cli(
        "-C",
        str(desk),
        "build",
        "--format",
        "html",
        "--audience",
        "analyst",
        "--jobs",
        "1",
        "--quiet",
    )
    assert code == 0, out
    dossier = (desk / "out/analyst/analyst-dossier.html").read_text(encoding="utf-8")
    assert "<title>Japan–Philippines: the record</title>" in dossier
    assert '<meta name="keywords" content="Japan, Philippines, dossier">' in dossier
    assert "1 Japan–Philippines meeting" in dossier
    assert "India" not in dossier
    assert "<title>Japan–Philippines briefs and dossiers — ijbrief</title>" in (
        desk / "out/index.html"
    ).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- sources

PAGE = """<!DOCTYPE html><html><head><title>Ministers agree to deepen ties | The Example Times</title>
<meta property="og:site_name" content="The Example Times">
<meta property="article:published_time" content="2026-03-06T10:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Ministers agree to deepen ties</h1>
<p>The foreign ministers of India and Australia met in Canberra on Thursday for the annual dialogue,
and agreed to expand cooperation on critical minerals and maritime security.</p>
<p>"We have built a partnership that is ready for the decade ahead," Penny Wong told reporters after
the talks, which ran for more than three hours.</p>
<p>Officials said a working group on rare earths would meet before the end of the year.</p>
</article><footer>Copyright The Example Times.</footer></body></html>
"""


@pytest.fixture
def desk(tmp_path: Path, cli) -> Path:
    folder = tmp_path / "desk"
    cli("init", str(folder), "--parties", "India", "Australia")
    with (folder / "briefs/people.yaml").open("a", encoding="utf-8") as people:
        people.write(
            "  - id: penny-wong\n    name: Penny Wong\n    country: Australia\n    offices:\n"
            "      - {title: Minister for Foreign Affairs, start: 2022-05-23}\n"
        )
    return folder


def test_source_add_html_keeps_text_metadata_and_original(desk: Path, tmp_path: Path, cli) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    code, out = cli("-C", str(desk), "source", "add", str(page))
    assert code == 0, out
    text = (desk / "seeds/src-001.txt").read_text(encoding="utf-8")
    assert "met in Canberra on Thursday" in text
    assert "Home" not in text and "Copyright" not in text
    assert (desk / "seeds/src-001.html").read_bytes() == page.read_bytes()
    catalogue = (desk / "seeds/catalogue.yaml").read_text(encoding="utf-8")
    entry = catalogue.split("  - id: src-001\n")[1]
    assert 'title: "Ministers agree to deepen ties"' in entry
    assert 'outlet: "The Example Times"' in entry
    assert "published: 2026-03-06" in entry and "published_basis:" in entry
    assert "original: src-001.html" in entry
    assert re.search(r"sha256: [0-9a-f]{64}\n", entry)
    assert f"added: {dt.date.today().isoformat()}" in entry
    code, out = cli("-C", str(desk), "check")
    assert code == 0, out

    code, out = cli("-C", str(desk), "source", "add", str(page))
    assert code == 1
    assert f"{page}: already in the catalogue as src-001 (same sha256)" in out


def test_source_add_refuses_a_page_without_main_text(desk: Path, tmp_path: Path, cli) -> None:
    page = tmp_path / "index.html"
    page.write_text(
        "<html><head><title>Index</title></head><body><nav><a href='/a'>A</a></nav></body></html>"
    )
    before = (desk / "seeds/catalogue.yaml").read_bytes()
    code, out = cli("-C", str(desk), "source", "add", str(page))
    assert code == 1 and "no main text found in the page" in out
    assert (desk / "seeds/catalogue.yaml").read_bytes() == before


def _pdf(path: Path, html: str) -> Path:
    import weasyprint

    weasyprint.HTML(string=html).write_pdf(path)
    return path


def test_source_add_pdf_joins_line_end_hyphens_and_refuses_a_scan(
    desk: Path, tmp_path: Path, cli
) -> None:
    text_pdf = _pdf(
        tmp_path / "statement.pdf",
        "<html lang=en><body><p>The two governments agreed on closer co-<br>operation on "
        "semiconductors and critical minerals, the statement said.</p><p>India-<br>Australia ties "
        "were described as close.</p></body></html>",
    )
    scan = _pdf(tmp_path / "scan.pdf", "<div style='width:5cm;height:5cm;background:#333'></div>")
    code, out = cli("-C", str(desk), "source", "add", str(scan))
    assert code == 1 and "the PDF has no text layer (a scan?)" in out
    code, out = cli("-C", str(desk), "source", "add", str(text_pdf))
    assert code == 0, out
    text = (desk / "seeds/src-001.txt").read_text(encoding="utf-8")
    assert "cooperation" in text and "co-" not in text
    assert "India-\nAustralia" in text  # a hyphen before a capital is a real one


def test_source_add_docx_and_txt(desk: Path, tmp_path: Path, cli) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Joint statement"
    document.add_paragraph("Joint statement on the second round of talks between the delegations.")
    document.add_paragraph("Both delegations reaffirmed their commitment to an open region.")
    document.save(tmp_path / "joint.docx")
    note = tmp_path / "note.txt"
    note.write_text(
        "Readout of the call\n\nThe two ministers spoke by telephone about the summit.\n"
    )
    code, out = cli("-C", str(desk), "source", "add", str(tmp_path / "joint.docx"), str(note))
    assert code == 0, out
    assert (desk / "seeds/src-001.txt").read_text(encoding="utf-8") == (
        "Joint statement on the second round of talks between the delegations.\n\n"
        "Both delegations reaffirmed their commitment to an open region.\n"
    )
    assert (desk / "seeds/src-002.txt").read_bytes() == note.read_bytes()
    assert not (desk / "seeds/src-002.original").exists()
    catalogue = (desk / "seeds/catalogue.yaml").read_text(encoding="utf-8")
    assert 'title: "Joint statement"' in catalogue and 'title: "Readout of the call"' in catalogue


def test_source_list_shows_what_cites_each_source(cli) -> None:
    code, out = cli("-C", str(REPO), "source", "list")
    assert code == 0, out
    block = out.split("src-003")[1].split("src-004")[0]
    assert "sd-18" in block and "quotations used: 4 of 5" in block


# --------------------------------------------------------------------------- drafts


def test_weekdays_resolve_against_the_published_date() -> None:
    text = "The ministers met in Tokyo on Friday. Background: the pact of 7 October 2020."
    saturday = date_candidates(text, dt.date(2026, 1, 17), "published")
    assert [(c.day, c.method) for c in saturday][:2] == [
        (dt.date(2026, 1, 16), "resolved"),
        (dt.date(2020, 10, 7), "stated"),
    ]
    assert date_candidates(text, dt.date(2026, 1, 16), "published")[0].day == dt.date(2026, 1, 16)
    assert [c.method for c in date_candidates(text, None, "none")] == ["stated"]


def test_quoted_passages_drop_the_quoting_comma() -> None:
    passages = quoted_passages('"Economic security is paramount," he said. A "word" only.')
    assert [p.text for p in passages] == ["Economic security is paramount"]


def _draft(project: Path, cli) -> tuple[Path, str]:
    code, out = cli(
        "-C", str(project), "new", "meeting", "--from", "src-003", "--id", "sd-18-draft",
        "--title", "18th India–Japan Strategic Dialogue", "--published", "2026-01-17",
    )  # fmt: skip
    assert code == 0, out
    path = project / "briefs/meetings/2026-01-16-sd-18-draft.yaml"
    return path, path.read_text(encoding="utf-8")


def test_a_draft_of_the_18th_strategic_dialogue_from_src_003(project: Path, cli) -> None:
    import yaml

    _, text = _draft(project, cli)
    record = yaml.safe_load(text)
    assert record["status"] == "draft"
    assert record["date"] == dt.date(2026, 1, 16)
    assert record["date_basis"]["method"] == "resolved"
    assert '"on Friday"' in record["date_basis"]["note"]
    assert record["venue"] == "New Delhi"
    people = {p["person"]: p["office"] for p in record["participants"]}
    assert people["s-jaishankar"] == "External Affairs Minister"
    assert people["motegi-toshimitsu"] == "Minister for Foreign Affairs"
    assert people["toshihiro-kitamura"] == "Spokesperson, Ministry of Foreign Affairs"
    quotes = {q["text"]: q.get("speaker") for q in record["quotes"]}
    assert quotes["Economic security today is particularly paramount"] == "s-jaishankar"
    assert (
        quotes[
            "We are leading democracies, we are the major economies of the world, and we have today not "
            "just an opportunity, but also an obligation, a duty to shape the global order"
        ]
        == "s-jaishankar"
    )
    assert any(q.startswith("in order to have the engagement of the US") and s == "toshihiro-kitamura"
               for q, s in quotes.items())  # fmt: skip
    topics = [o["topic"] for o in record["outcomes"]]
    assert {"ai", "critical-minerals", "economic-security", "quad"} <= set(topics)
    named = {a for o in record["outcomes"] for a in o.get("agreements", [])}
    assert {"ai-dialogue", "critical-minerals-jwg", "hsr-e10"} <= named
    assert text.count("# REVIEW") >= 10

    code, out = cli("-C", str(project), "check")
    assert code == 0, out
    assert "17 quotations verified" in out
    assert "2026-01-16-sd-18-draft.yaml:7:9: warning: sd-18-draft is a draft" in out
    code, out = cli("-C", str(project), "check", "--strict")
    assert code == 1
    assert "briefs/meetings/2026-01-16-sd-18-draft.yaml:7:9: sd-18-draft is a draft" in out


def test_a_draft_builds_with_a_banner_and_stays_out_of_the_dossier(project: Path, cli) -> None:
    _draft(project, cli)
    build = (
        "-C",
        str(project),
        "build",
        "--format",
        "html",
        "--audience",
        "minister",
        "--jobs",
        "1",
        "--quiet",
    )
    code, out = cli(*build)
    assert code == 0, out
    brief = (project / "out/minister/briefs/2026-01-16-sd-18-draft.html").read_text(
        encoding="utf-8"
    )
    assert (
        '<p class="draft-banner">Draft — pre-filled from its source, not yet reviewed</p>' in brief
    )
    dossier = (project / "out/minister/minister-dossier.html").read_text(encoding="utf-8")
    assert 'id="ch-sd-18-draft"' not in dossier and '<p class="draft-banner">' not in dossier
    code, out = cli(*build, "--drafts")
    assert code == 0, out
    with_drafts = (project / "out/minister/minister-dossier-drafts.html").read_text(
        encoding="utf-8"
    )
    assert 'id="ch-sd-18-draft"' in with_drafts and '<p class="draft-banner">' in with_drafts


def test_new_meeting_from_an_unknown_source(project: Path, cli) -> None:
    code, out = cli("-C", str(project), "new", "meeting", "--from", "src-03")
    assert code == 1 and "unknown source id 'src-03'; did you mean 'src-003'?" in out


def test_the_repository_has_its_own_project(cli) -> None:
    assert (REPO / "project.yaml").is_file() and (REPO / "briefs/countries.yaml").is_file()
    code, out = cli("-C", str(REPO), "check")
    assert code == 0 and "project.yaml" not in out, out


def test_no_country_is_named_in_the_code() -> None:
    names = re.compile(r"\b(India|Japan|Australia|United States)\b")
    hits = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "src/ijbrief").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if names.search(line)
    ]
    assert hits == []


def test_a_watched_build_notices_project_yaml(project: Path) -> None:
    from ijbrief.build.watching import signature

    before = signature(project, project / "out")
    spec = project / "project.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("India–Japan", "India–Nippon"))
    assert signature(project, project / "out") != before
