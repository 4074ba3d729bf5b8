"""A meeting drafted from a source is added to that source's `covers` in the catalogue, with the
catalogue's layout and comments kept, and `source list` shows it."""

from __future__ import annotations

from pathlib import Path

import yaml

from ijbrief.corpus.drafting import add_cover


def test_a_draft_is_added_to_its_sources_covers(project: Path, cli) -> None:
    catalogue = project / "seeds/catalogue.yaml"
    before = catalogue.read_text(encoding="utf-8")
    code, out = cli(
        "-C", str(project), "new", "meeting", "--from", "src-003", "--id", "sd-18-draft",
        "--title", "18th India–Japan Strategic Dialogue", "--published", "2026-01-17",
    )  # fmt: skip
    assert code == 0, out
    after = catalogue.read_text(encoding="utf-8")
    entries = {s["id"]: s for s in yaml.safe_load(after)["sources"]}
    assert entries["src-003"]["covers"] == ["sd-18", "sd-18-draft"]
    assert entries["src-000"]["covers"] == ["fmsd-13"]
    # one line changed: the layout and every comment stay
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [("    covers: [sd-18]", "    covers: [sd-18, sd-18-draft]")]
    code, out = cli("-C", str(project), "source", "list")
    assert code == 0, out
    listed = out[out.index("src-003") :]
    assert "covers: sd-18, sd-18-draft;" in listed.split("\nsrc-")[0]


def test_covers_is_added_to_an_entry_without_one_and_to_a_block_list(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    catalogue = tmp_path / "seeds/catalogue.yaml"
    catalogue.write_text(
        "# sources\n"
        "sources:\n"
        "  - id: src-000\n    file: a.txt\n    title: A\n    kind: news report\n"
        "    # a comment\n"
        "  - id: src-001\n    file: b.txt\n    title: B\n    kind: news report\n"
        "    covers:\n      - m-one\n    notes: kept\n",
        encoding="utf-8",
    )
    assert add_cover(tmp_path, "src-000", "m-two")
    assert add_cover(tmp_path, "src-001", "m-two")
    assert not add_cover(tmp_path, "src-001", "m-two")
    text = catalogue.read_text(encoding="utf-8")
    data = yaml.safe_load(text)["sources"]
    assert data[0]["covers"] == ["m-two"]
    assert data[1]["covers"] == ["m-one", "m-two"]
    assert data[1]["notes"] == "kept"
    assert "    # a comment\n" in text and text.startswith("# sources\n")
