"""--apply's YAML side: a field rewritten in place, the file's comments and layout kept;
quotations and formatted text refused."""

from __future__ import annotations

from pathlib import Path

from ijbrief.corpus.review_apply import Change, apply_changes, refusal

YAML = """# a comment that must stay
id: m-1
summary:
  text: >-
    The ministers agreed to convene the group
    early in 2026.
  sources: [src-1]  # inline comment
quotes:
  - text: We will work together.
    source: src-1
talking_points:
  - text: "India's **firm** view."
    sources: [src-1]
"""


def test_folded_field_rewritten_and_comments_kept(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(YAML, encoding="utf-8")
    built = "The ministers agreed to convene the group early in 2026."
    change = Change(
        "m.yaml",
        ("summary", "text"),
        built,
        "The ministers agreed to hold the group early in 2026.",
    )
    [outcome] = apply_changes(tmp_path, [change])
    assert outcome.applied, outcome.reason
    text = (tmp_path / "m.yaml").read_text(encoding="utf-8")
    assert text.startswith("# a comment that must stay\nid: m-1\n")
    assert "  text: >-\n    The ministers agreed to hold the group early in 2026.\n" in text
    assert "sources: [src-1]  # inline comment" in text
    assert text.endswith(YAML[YAML.index("quotes:") :])


def test_quotation_and_markdown_refused(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(YAML, encoding="utf-8")
    quote = Change("m.yaml", ("quotes", 0, "text"), "We will work together.", "We work together.")
    formatted = Change(
        "m.yaml", ("talking_points", 0, "text"), "India’s firm view.", "India’s view."
    )
    outcomes = apply_changes(tmp_path, [quote, formatted])
    assert [o.applied for o in outcomes] == [False, False]
    assert "quotation" in outcomes[0].reason and "source" in outcomes[0].reason
    assert "Markdown" in outcomes[1].reason
    assert (tmp_path / "m.yaml").read_text(encoding="utf-8") == YAML


def test_typographic_quotes_match_the_file() -> None:
    change = Change("m.yaml", ("t",), "India’s view", "x")
    assert refusal(change, "India's view") == ""


def test_what_a_header_or_footer_says_as_typed() -> None:
    from lxml import etree

    from ijbrief.writers.docx_provenance import W_NS, furniture_text

    footer = etree.fromstring(
        f"""<w:ftr xmlns:w="{W_NS}"><w:p>
        <w:r><w:t>Prepared 1 May</w:t></w:r><w:r><w:tab/></w:r>
        <w:r><w:t xml:space="preserve">Page </w:t></w:r>
        <w:r><w:fldChar w:fldCharType="begin"/></w:r>
        <w:r><w:instrText> PAGE \\* ARABIC </w:instrText></w:r>
        <w:r><w:fldChar w:fldCharType="separate"/></w:r>
        <w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>
        <w:r><w:t xml:space="preserve"> of </w:t></w:r>
        <w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>12</w:t></w:r></w:fldSimple>
        <w:del><w:r><w:delText> SECRET</w:delText></w:r></w:del>
        <w:ins><w:r><w:t> PUBLIC</w:t></w:r></w:ins>
        </w:p><w:p/><w:p><w:r><w:t>second</w:t></w:r></w:p></w:ftr>"""
    )
    # Field results (which an office suite rewrites) and tracked insertions are no edit.
    assert furniture_text(footer) == "Prepared 1 May Page {PAGE} of {NUMPAGES} SECRET\nsecond"
