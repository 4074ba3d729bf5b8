"""Prose as a professional sets it: typographic quotes, markers that link and stay with their word."""

from __future__ import annotations

from ijbrief.compose.select import Citations
from ijbrief.compose.textfmt import md_inline


def test_prose_gets_typographic_quotes_and_apostrophes() -> None:
    assert md_inline("Japan's view: it was signed 'recently', the \"text\" said") == (
        "Japan’s view: it was signed ‘recently’, the “text” said"
    )
    assert md_inline("the Ministers' talks -- and more...") == "the Ministers’ talks -- and more..."


def test_a_citation_marker_links_each_number_and_joins_the_word_before() -> None:
    cite = Citations(corpus=None)  # type: ignore[arg-type]
    assert cite(["src-002", "src-000"]) == (
        '\u2060<sup class="citation">[<a href="#source-1">1</a>,<a href="#source-2">2</a>]</sup>'
    )
    assert cite(["src-000"]) == '\u2060<sup class="citation">[<a href="#source-2">2</a>]</sup>'
