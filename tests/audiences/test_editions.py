"""Editions never leak and never drop silently: what an audience admits is its own, and every
item an output leaves out is in the manifest with its record, field and reason."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lxml import html as lxml_html

Cli = Callable[..., tuple[int, str]]  # the `cli` fixture (tests/conftest.py)
REPO = Path(__file__).resolve().parents[2]
SD18 = "briefs/meetings/2026-01-16-sd-18.yaml"


def readme_press_yaml() -> str:
    """The audience.yaml of the README's worked example (Customising for your audience)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Customising for your audience") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return block.group(1)


def words(text: str) -> str:
    """Text as a reader sees it, whatever the format: no Markdown marks, spacing unified."""
    return " ".join(re.sub(r"[*_`]", "", text).split())


def restricted_texts(project: Path) -> list[str]:
    """Every restricted item of the corpus, by its first words."""
    found = []
    for path in sorted((project / "briefs").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for value in data.values() if isinstance(data, dict) else []:
            for item in value if isinstance(value, list) else []:
                if isinstance(item, dict) and item.get("sensitivity") == "restricted":
                    found.append(" ".join(words(item["text"]).split()[:7]))
    assert found, "the corpus has no restricted item to test with"
    return found


def text_of(path: Path) -> str:
    if path.suffix == ".pdf":
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout
    elif path.suffix == ".docx":
        with zipfile.ZipFile(path) as package:
            xml = " ".join(
                package.read(name).decode("utf-8")
                for name in package.namelist()
                if name.startswith("word/") and name.endswith(".xml")
            )
        # Runs split words at any point: join a paragraph's text nodes, paragraphs by spaces.
        out = " ".join(
            "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", paragraph))
            for paragraph in re.split(r"</w:p>", xml)
        )
    else:
        out = lxml_html.fromstring(path.read_bytes()).text_content()
    return words(out.replace("\u00ad", ""))


def test_the_readme_press_edition_shows_no_restricted_item(project: Path, cli: Cli) -> None:
    code, output = cli("-C", str(project), "templates", "new", "press", "--from", "minister")
    assert code == 0, output
    written = (project / "templates/press/audience.yaml").read_text(encoding="utf-8")
    assert re.search(r"^admits: \[public\]", written, re.MULTILINE)  # said, not inherited
    (project / "templates/press/audience.yaml").write_text(readme_press_yaml(), encoding="utf-8")
    code, output = cli("-C", str(project), "templates", "show", "press")
    assert "admits: public" in output
    code, output = cli(
        "-C", str(project), "build", "--audience", "press", "minister", "--format", "all",
        "--jobs", "2",
    )  # fmt: skip
    assert code == 0, output
    # The build says which edition sees more than public items, and only that one.
    assert "minister edition shows restricted items" in output
    assert "press edition shows" not in output
    restricted = restricted_texts(project)
    out = project / "out"
    press = sorted((out / "press").rglob("*.*"))
    assert {p.suffix for p in press} == {".pdf", ".docx", ".html"}
    for path in press:
        text = text_of(path)
        leaked = [item for item in restricted if item in text]
        assert not leaked, f"{path.relative_to(out)} shows restricted items: {leaked}"
    # The check can fail: the minister's outputs, which admit them, show them in every format.
    for suffix in (".pdf", ".docx", ".html"):
        text = text_of(out / "minister/briefs" / f"2026-01-16-sd-18{suffix}")
        assert "Do not speculate on the Quad" in text, suffix
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    left = manifest["press/briefs/2026-01-16-sd-18.pdf"]["omitted"]
    assert {
        "record": "sd-18",
        "file": SD18,
        "field": "to_avoid[0]",
        "reason": "sensitivity",
        "detail": "restricted; press admits public",
    } in left
    # Its Word files have its own look, not the minister's.
    with zipfile.ZipFile(out / "press/press-dossier.docx") as package:
        styles = package.read("word/styles.xml").decode()
        headers = " ".join(package.read(n).decode() for n in package.namelist() if "header" in n)
    assert "7A1F1F" in styles and "1F3A5F" not in styles
    assert "Press brief" in headers and "Ministerial brief" not in headers


def test_a_derived_audience_admits_only_what_it_says(project: Path, cli: Cli) -> None:
    assert cli("-C", str(project), "templates", "new", "wire", "--from", "analyst")[0] == 0
    spec = project / "templates/wire/audience.yaml"
    text = spec.read_text(encoding="utf-8")
    # Even with the admits line taken out, nothing is inherited: public only.
    spec.write_text(re.sub(r"^admits:.*\n", "", text, flags=re.MULTILINE), encoding="utf-8")
    from ijbrief.compose.audiences import load_audience

    assert load_audience(project, "wire").spec.admits == ["public"]
    assert load_audience(project, "analyst").spec.admits == ["public", "restricted"]
    code, output = cli(
        "-C", str(project), "templates", "new", "cabinet", "--from", "minister",
        "--admits", "public", "restricted",
    )  # fmt: skip
    assert code == 0, output
    assert load_audience(project, "cabinet").spec.admits == ["public", "restricted"]
    code, output = cli("-C", str(project), "templates", "list")
    assert re.search(r"^cabinet +project ", output, re.MULTILINE), output


# ------------------------------------------------------------------------------ every limit

STATEMENT = "  - text: {text}\n    sources: [src-003]\n"


def exceed_every_limit(project: Path) -> None:
    """Give the 18th Strategic Dialogue and the AI dialogue more items than any edition's
    limits let a brief show: minister talking points (5), to raise (3), to avoid (3),
    agreements (5); analyst quotations (3, the corpus has 4); student key points (7),
    glossary terms (6); the minister's talking points of an agreement (4)."""
    path = project / SD18
    text = path.read_text(encoding="utf-8")
    more = {
        "talking_points": 4,
        "to_raise": 2,
        "to_avoid": 3,
    }
    for key, count in more.items():
        extra = "".join(
            STATEMENT.format(text=f"Extra {key.replace('_', ' ')} number {n} on the AI dialogue.")
            for n in range(count)
        )
        text = text.replace(f"\n{key}:\n", f"\n{key}:\n{extra}", 1)
    # Two more agreements touched (six in all), and acronyms for the glossary.
    extra_outcome = (
        "  - topic: ai\n"
        "    text: The ministers recalled ACSA, I-JDP, CEPA, SCRI, IPOI and the Quad.\n"
        "    sources: [src-003]\n"
        "    agreements: [acsa, cepa]\n"
    )
    text = text.replace("\noutcomes:\n", f"\noutcomes:\n{extra_outcome}", 1)
    path.write_text(text, encoding="utf-8")
    agreement = project / "briefs/agreements/ai-dialogue.yaml"
    extra = "".join(
        STATEMENT.format(
            text=f"Extra key point number {n} names ACSA, CEPA, CII, EAS, FOIP, I-JDP and IoT."
        )
        for n in range(3)
    )
    agreement.write_text(
        agreement.read_text(encoding="utf-8").replace("\nkey_points:\n", f"\nkey_points:\n{extra}"),
        encoding="utf-8",
    )


SHOWN = {  # how to count what a section shows in the HTML
    "talking-points": "li",
    "to-raise": "li",
    "to-avoid": "li",
    "key-points": "li",
    "glossary": "li",
    "quotes": "blockquote",
    "agreements": "tbody/tr",
}


def shown(tree: Any, section: str) -> int | None:
    nodes = tree.xpath(f"//section[contains(@class, 'sec-{section}')]")
    if not nodes:
        return None
    return len(nodes[0].xpath(f".//{SHOWN[section]}"))


def chapter_counts(dossier: Path, meeting: str, titles: dict[str, str]) -> dict[str, int]:
    """What the dossier's chapter of a meeting shows, section by section (no limits there):
    a chapter's sections are its ``h2.section-label`` headings and what follows each."""
    tree = lxml_html.fromstring(dossier.read_bytes())
    chapter = tree.xpath(f"//section[@id='ch-{meeting}']")[0]
    counts: dict[str, int] = {}
    current = None
    for child in chapter:
        # A section's heading may sit inside a box of its own (the student's prelims facts).
        label = child.xpath("descendant-or-self::h2[contains(@class, 'section-label')]")
        if label:
            current = titles.get(label[0].text_content().strip())
            if current in SHOWN:
                counts[current] = 0
        elif current in SHOWN:
            counts[current] += len(child.xpath(f"descendant-or-self::{SHOWN[current]}"))
    return counts


def agreement_totals(project: Path, audience: str) -> dict[str, dict[str, int]]:
    """How many key points and glossary terms each agreement's view has, before any limit."""
    import datetime as dt

    from ijbrief.compose.audiences import load_audience
    from ijbrief.compose.composer import Composer, Stamp
    from ijbrief.compose.select import Filters
    from ijbrief.corpus.loader import load_corpus

    corpus = load_corpus(project)
    stamp = Stamp(dt.date(2026, 1, 16), dt.datetime(2026, 1, 16, tzinfo=dt.UTC))
    composer = Composer(project, corpus, load_audience(project, audience), stamp, Filters())
    return {
        ident: {"key-points": len(view["key_points"]), "glossary": len(view["glossary"])}
        for ident, view in composer.agreements.items()
    }


def test_every_item_a_limit_leaves_out_is_in_the_manifest(project: Path, cli: Cli) -> None:
    from ijbrief.compose.audiences import load_audience

    exceed_every_limit(project)
    code, output = cli("-C", str(project), "build", "--format", "html", "--jobs", "2")
    assert code == 0, output
    out = project / "out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    exceeded: set[tuple[str, str, str]] = set()
    expected: set[tuple[str, str, str]] = set()
    for audience in ("analyst", "minister", "student"):
        spec = load_audience(project, audience).spec
        agreements = agreement_totals(project, audience)
        distinct: set[tuple[str, str, str]] = set()
        for relpath, entry in manifest.items():
            if entry["audience"] != audience:
                continue
            for item in entry["omitted"]:
                assert set(item) == {"record", "file", "field", "reason", "detail"}
                assert item["reason"] in ("sensitivity", "audience", "limit", "fit")
                distinct.add((item["file"], item["field"], item["reason"]))
            if entry["kind"] == "dossier":
                # The dossier is the complete record for its audience: it applies no limit.
                assert all(o["reason"] in ("sensitivity", "audience") for o in entry["omitted"])
                continue
            kind = entry["kind"]
            tree = lxml_html.fromstring((out / relpath).read_bytes())
            if kind == "meeting":
                titles = {sec.title: sec.id for sec in spec.sections["meeting"]}
                totals = chapter_counts(
                    out / audience / f"{audience}-dossier.html", entry["id"], titles
                )
            else:
                totals = agreements[entry["id"]]
            for section in spec.sections[kind]:
                if not section.limit or section.id not in SHOWN:
                    continue
                expected.add((audience, kind, section.id))
                own = [o for o in entry["omitted"] if o["detail"].startswith(f"{section.id} ")]
                total = totals.get(section.id, 0)
                count = shown(tree, section.id)
                if section.id in entry["fit"]["dropped"]:
                    assert count is None
                    assert len(own) == max(0, total - section.limit)
                    continue
                assert (count or 0) == min(total, section.limit), (relpath, section.id)
                assert len(own) == max(0, total - section.limit), (relpath, section.id)
                assert all(o["reason"] == "limit" and o["record"] == entry["id"] for o in own)
                if own:
                    exceeded.add((audience, kind, section.id))
        # The build's summary counts what the manifest lists, edition by edition.
        assert f"{audience}: {len(distinct)} items left out" in output
    assert len(expected) == 9
    assert exceeded == expected  # the corpus exceeds every limit, and each is recorded


def test_what_the_limit_left_out_is_named_exactly(project: Path, cli: Cli) -> None:
    exceed_every_limit(project)
    code, output = cli(
        "-C", str(project), "build", "--format", "html", "--jobs", "1", "--audience",
        "minister", "--only", "sd-18",
    )  # fmt: skip
    assert code == 0, output
    manifest = json.loads((project / "out/manifest.json").read_text(encoding="utf-8"))["outputs"]
    left = manifest["minister/briefs/2026-01-16-sd-18.html"]["omitted"]
    by_limit = sorted(o["field"] for o in left if o["reason"] == "limit")
    # 8 talking points (5 shown), 5 to raise (3), 5 to avoid (3), 6 agreements (5).
    assert [f for f in by_limit if not f.startswith("agreements[")] == [
        "talking_points[5]", "talking_points[6]", "talking_points[7]",
        "to_avoid[3]", "to_avoid[4]",
        "to_raise[3]", "to_raise[4]",
    ]  # fmt: skip
    assert len([f for f in by_limit if f.startswith("agreements[")]) == 1
    html = (project / "out/minister/briefs/2026-01-16-sd-18.html").read_text(encoding="utf-8")
    assert "Extra talking points number 0" in html and "Extra talking points number 3" in html
    assert "As leading democracies" not in html  # the 7th talking point
    total = len(left)
    assert re.search(rf"minister: {total} items left out \(.*{len(by_limit)} by limit", output)


def test_a_filtered_dossier_out_of_date_is_removed_and_said(project: Path, cli: Cli) -> None:
    options = ("--audience", "minister", "--format", "html", "--jobs", "1")
    assert cli("-C", str(project), "build", *options, "--only", "sd-18")[0] == 0
    out = project / "out"
    dossier = out / "minister/minister-dossier-sd-18.html"
    assert dossier.is_file()
    # Another filtered build leaves it: nothing it is made from changed.
    code, output = cli("-C", str(project), "build", *options, "--only", "fmsd-13")
    assert code == 0 and dossier.is_file(), output
    edit_first = project / SD18
    edit_first.write_text(
        edit_first.read_text(encoding="utf-8").replace(
            "New Delhi", "New Delhi, Hyderabad House", 1
        ),
        encoding="utf-8",
    )
    code, output = cli("-C", str(project), "build", *options, "--only", "fmsd-13")
    assert code == 0, output
    assert not dossier.exists()
    assert (
        "removed minister/minister-dossier-sd-18.html: out of date "
        "(`build --only sd-18` makes it again)"
    ) in output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert "minister/minister-dossier-sd-18.html" not in manifest
    assert "minister-dossier-sd-18" not in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "minister/minister-dossier-fmsd-13.html").is_file()


def test_what_the_fit_drops_is_in_the_manifest_item_by_item(project: Path, cli: Cli) -> None:
    code, output = cli(
        "-C", str(project), "templates", "new", "large", "--from", "analyst",
        "--admits", "public", "restricted",
    )  # fmt: skip
    assert code == 0, output
    spec = project / "templates/large/audience.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8")
        + 'branding: {base_size_pt: 13, accent: "#0F5257"}\nfit: {min_scale: 1.0, step: 0.1}\n',
        encoding="utf-8",
    )
    options = ("--audience", "large", "--only", "sd-18", "--jobs", "1")
    code, output = cli("-C", str(project), "build", *options, "--format", "pdf")
    assert code == 0, output
    out = project / "out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    entry = manifest["large/briefs/2026-01-16-sd-18.pdf"]
    assert entry["fit"]["dropped"] == ["changes", "agreements", "quotes", "participants"]
    fit = {o["field"] for o in entry["omitted"] if o["reason"] == "fit"}
    assert fit == {
        "changes",
        "participants[0]", "participants[1]",
        "quotes[0]", "quotes[1]", "quotes[2]",  # the fourth is past the limit
        "agreements[ai-dialogue]", "agreements[critical-minerals-jwg]",
        "agreements[hsr-e10]", "agreements[unicorn-antennas]",
    }  # fmt: skip
    assert {
        "record": "sd-18",
        "file": SD18,
        "field": "quotes[1]",
        "reason": "fit",
        "detail": "the one-page fit dropped quotes (priority 65)",
    } in entry["omitted"]
    assert "large: 12 items left out (1 by audience, 10 by fit, 1 by limit)" in output
    # The DOCX and HTML made from that layout later say the same.
    code, output = cli("-C", str(project), "build", *options, "--format", "html")
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert manifest["large/briefs/2026-01-16-sd-18.html"]["omitted"] == entry["omitted"]
    # The dossier leaves out only what the edition may not see.
    dossier = manifest["large/large-dossier-sd-18.pdf"]["omitted"]
    assert [o["reason"] for o in dossier] == ["audience"]
