"""The page furniture WeasyPrint leaves outside the structure tree becomes artifacts."""

from __future__ import annotations

from ijbrief.writers.pdf_structure import _as_artifacts


def test_only_the_sequences_asked_for_become_artifacts_and_a_missing_one_is_not_claimed() -> None:
    content = b"/P <</MCID 0>> BDC (a) Tj EMC /Span <</MCID 1>> BDC (b) Tj EMC"
    changed, found = _as_artifacts(content, {1, 7})
    assert found == {1}  # 7 is not on the page: its entry is left as it was
    assert (
        changed == b"/P <</MCID 0>> BDC (a) Tj EMC /Artifact <</Type /Pagination>> BDC (b) Tj EMC"
    )
