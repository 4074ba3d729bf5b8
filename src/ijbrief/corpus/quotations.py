"""Quotations against their sources: whether one is written inside its own marks, the source's
text in the form quotations are compared in, and — when a quotation is not verbatim — where it
departs from the source, found fast enough for a multi-megabyte seed."""

from __future__ import annotations

import functools
from collections.abc import Callable

from ijbrief.corpus.collection import normalise_quote

_OPENING = "\"'\u201c\u2018\u201e\u00ab\u300c"
_CLOSING = "\"'\u201d\u2019\u201c\u00bb\u300d"


def enclosed(text: str) -> bool:
    """Whether a quotation starts and ends with quotation marks of its own."""
    text = text.strip()
    return len(text) > 1 and text[0] in _OPENING and text[-1] in _CLOSING


# The same few source texts are searched for every quotation in the corpus.
normalised_source = functools.lru_cache(maxsize=32)(normalise_quote)


def nearest(quote: str, text: str) -> str:
    """Point at the first word where the quotation departs from the source. Its longest leading
    (or else trailing) run found verbatim is measured by halving, each step one substring
    search, so the time grows with the source's length times the log of the quotation's: a
    matcher over the whole source (difflib) took 38 s for one quotation in a 3.2 MB seed."""
    q, t = normalise_quote(quote), normalise_quote(text)
    lead = _longest_run(len(q), lambda n: q[:n] in t)
    if lead >= 12:
        return _departs(q, lead)
    tail = _longest_run(len(q), lambda n: q[len(q) - n :] in t)
    if tail >= 12:
        start = len(q) - tail
        return f"; it differs just before {q[start : start + 30]!r}"
    # Both ends altered: the longest run from one of the first words on, if any is long enough.
    starts = [0, *(i + 1 for i, c in enumerate(q) if c == " ")][:_MAX_STARTS]
    best, where = 0, 0
    for start in starts:

        def found(n: int, start: int = start) -> bool:
            return q[start : start + n] in t

        run = _longest_run(len(q) - start, found)
        if run > best:
            best, where = run, start
    if best < 12:
        return ""
    return _departs(q, where + best, where)


def _departs(q: str, end: int, start: int = 0) -> str:
    """Where the quotation ``q`` departs, at ``end``: the words before it and the word there."""
    if end < len(q) and q[end] != " ":
        end = max(start, q.rfind(" ", start, end) + 1)  # the whole word that differs
    before = q[start:end].strip()
    if len(before) > 30:
        cut = before.find(" ", len(before) - 30)
        before = before[cut + 1 :] if cut >= 0 else before[-30:]
    word = q[end:].split(" ", 1)[0]
    return f"; it differs just after {before!r}, at {word!r}" if word else ""


# How many word starts a quotation altered at both ends is searched from.
_MAX_STARTS = 48


def _longest_run(limit: int, found: Callable[[int], bool]) -> int:
    """The largest n <= limit with found(n), given that found holds for every n below one that
    holds (a prefix of a run found verbatim is found too)."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if found(middle):
            low = middle
        else:
            high = middle - 1
    return low
