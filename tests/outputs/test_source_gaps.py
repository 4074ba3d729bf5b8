"""Notes on what the sources leave out are for analysts: the minister's edition prints none."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import docx
import pytest

from ijbrief.compose.select import SOURCE_GAP, without_source_gaps

# What such notes say in this corpus, as a reader would search for them.
GAP_WORDS = re.compile(
    r"no exact date is reported|is not reported|the sources say|name no one", re.IGNORECASE
)


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True)
        text = out.stdout.decode()
    elif path.suffix == ".docx":
        document = docx.Document(str(path))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        text = "\n".join([p.text for p in document.paragraphs] + cells)
    else:
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return " ".join(text.split())


def _outputs(built: Path, audience: str) -> list[Path]:
    folder = built / "out" / audience
    return sorted(p for p in folder.rglob("*") if p.suffix in {".pdf", ".docx", ".html"})


def test_no_minister_output_prints_a_note_on_gaps_in_the_sources(built: Path) -> None:
    outputs = _outputs(built, "minister")
    assert len(outputs) > 30
    for path in outputs:
        text = _text(path)
        assert not GAP_WORDS.search(text), (path.name, GAP_WORDS.search(text))
    # the step keeps what the sources do say
    acsa = _text(built / "out" / "minister" / "briefs" / "2020-acsa.html")
    assert "written after the 7 October 2020 dialogue." in acsa


@pytest.mark.parametrize("audience", ["analyst", "student"])
def test_other_editions_still_print_them(built: Path, audience: str) -> None:
    dossier = _text(built / "out" / audience / f"{audience}-dossier.pdf")
    assert "no exact date is reported" in dossier
    assert "when they were agreed or disbursed is not reported" in dossier
    if audience == "analyst":
        assert GAP_WORDS.search(_text(built / "out" / audience / f"{audience}-dossier.docx"))


def test_a_gap_clause_is_dropped_and_the_sentence_closed() -> None:
    note = "Signed recently, says an explainer; no exact date is reported."
    assert without_source_gaps(note) == "Signed recently, says an explainer."
    assert without_source_gaps("Met in Delhi. The sources record only two sessions.") == (
        "Met in Delhi."
    )
    assert without_source_gaps("Agreed in 2020.") == "Agreed in 2020."
    # a note that is nothing but a gap stays: a step must say something
    assert without_source_gaps("The date is not reported.") == "The date is not reported."
    assert SOURCE_GAP.search("the sources record only two meetings")
