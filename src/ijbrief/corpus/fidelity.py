"""The support check: what each statement claims (names, numbers, amounts, dates, acronyms,
quoted phrases) must be in a source it cites, or the statement must say what it rests on.

The claims are found by a rule set, not a statistical model (docs/fidelity.md says why): the
registries (people, glossary, agreements) give the names and their aliases, and numbers, dates
and capitalised words are found by pattern. Everything is compared in one normal form: case,
typography, dashes, "U.S."-style dots and markup set aside.

It is long (about 1,000 lines) because one ``Checker`` reads every statement once against an
index of each cited source, and every rule — names, numbers, dates, status words, verb strength,
offices, what is printed — works on that index and the statement's tokens. The rules are the
next thing to split out (a module of the text primitives and one per rule); until then the
sections below follow docs/fidelity.md's order.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from ijbrief.corpus.collection import Corpus, normalise_quote
from ijbrief.corpus.model import Agreement, Basis, Meeting, Person, StatusStep
from ijbrief.corpus.yamlio import Document, YamlPath
from ijbrief.errors import Location, Problem

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ",
    }
)  # fmt: skip
_TAG = re.compile(r"<[^>]+>")
_has_digit = re.compile(r"\d").search
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")
_TOKEN = re.compile(r"\d+\+\d+|[^\W_]+")
# A word as written in a statement, with internal apostrophes and hyphens (for positions).
_WORD = re.compile(r"\d+\+\d+|[^\W_]+(?:['\u2019][^\W_]+)?")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_SCALES = {"billion", "million", "trillion", "crore", "lakh", "thousand", "hundred"}
# Words written with a capital that claim nothing by themselves.
_PLAIN = {"i", "a", "an", "the", "mr", "ms", "dr", "monday", "tuesday", "wednesday", "thursday",
          "friday", "saturday", "sunday"}  # fmt: skip
_CONNECTORS = {"of", "and", "for", "the", "in", "on", "to"}
# Words that open sentences and name nothing, though a source may never write them in lower case.
_OPENER_WORDS = """
    this that these those it its they their there here we our both each either neither all
    any some many most more much few several such no not nor but and or so yet also as at
    by for from in into of on onto to with within without after before since until while
    when where whether which who whom whose what why how if unless although though because
    once over under between among against through during despite beyond about above below
    however moreover further furthermore meanwhile instead still thus hence then now again
    first second third next last finally earlier later new other another one two three
    makes made helps keeps gives shows says said adds notes sets puts brings takes would
    should could may might must can will shall do does did has have had is are was were be
    been being ask avoid build carry define explore fix follow hold keep let link pair
    predate press push raise recall run seek stress turn underpin urge use welcome widen
    commentators observers analysts officials ministers leaders
"""
_OPENERS = frozenset(_OPENER_WORDS.split())
# What a source must say near an agreement's name for a status step to stand on it.
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "proposed": ("propos", "moot", "interest", "consider", "plan"),
    "announced": ("announc",),
    "negotiating": ("negotiat", "talks"),
    "text-finalised": ("finalis", "finaliz", "draft"),
    "agreed": ("agree", "decid", "establish", "convene"),
    "signed": ("sign",),
    "in-force": ("force",),
    "launched": ("launch",),
    "upgraded": ("upgrad",),
    "reaffirmed": ("reaffirm", "endors", "highlight", "reiterat"),
    "in-progress": ("progress", "implement", "under way"),
    "delivered": ("deliver", "supplied", "handed"),
}
# Names every source writes in several ways, beyond those the registries give.
COMMON_ALIASES = (
    ("UN", "United Nations"),
    ("UK", "United Kingdom", "Britain"),
    ("PM", "Prime Minister"),
)
# How far an action on an agreement has gone, weakest first: a statement may not claim a step
# beyond what its cited sources say of that agreement (docs/fidelity.md, "Verb strength").
VERB_SCALE: tuple[tuple[str, str], ...] = (
    ("discussed", r"discuss(?:ed|es|ing|ions?)?|talks?|explor(?:e|ed|es|ing)|review(?:ed|s)?"),
    ("agreed", r"agree(?:d|s|ing)?|decid(?:e|ed|es|ing)|decision|resolved|committed|"
               r"propos(?:e|ed|es|al)"),
    ("finalised", r"finali[sz](?:e|ed|es|ing|ation)"),
    ("signed", r"sign(?:ed|s|ing)?|conclud(?:e|ed|es|ing)|launch(?:ed|es|ing)?|"
               r"establish(?:ed|es|ing)?"),
    ("entered into force", r"ratif(?:y|ied|ies|ication)|(?<=into )force|(?<=in )force"),
)  # fmt: skip
_VERB = [re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])") for _, pattern in VERB_SCALE]
# "agreed to sign", "will launch": the step is still to come, so it counts as agreed.
_PROSPECTIVE = re.compile(r"(?:\bto|\bwill|\bwould|\bplans?|\bready|\bexpected)(?: \w+)? $")
# "Do not present the MoC as signed", "has not been ratified": the step is denied, not claimed.
_NEGATED = re.compile(r"(?:\bnot|\bnever|\bno|\bnor|n't|\byet to)\b[^;:,.!?\u2014]*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(r"[^;.!?]+")
_NEAR = 400  # characters either side of an agreement's name in which a status word counts
# Words readers must never see: the tool's own names for its sources.
_INTERNAL = re.compile(r"\bsrc-\d+\b|\bseeds?\b(?!\s+of\b)|\.txt\b", re.IGNORECASE)
_MAY_QUOTE = re.compile("[\"\u201c\u2018]|(?<![\\w'])'")
_QUOTED = re.compile(
    r"\"([^\"]{3,}?)\"|\u201c([^\u201d]{3,}?)\u201d|(?<![\w'])'([^']{3,}?)'(?!\w)|\u2018([^\u2019]{3,}?)\u2019(?!\w)"
)


def tokens(text: str) -> list[str]:
    """Words and numbers in the form they are compared in."""
    return _TOKEN.findall(_normal(text))


@lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    """A word's tokens: the same words recur in every statement, so each is normalised once."""
    return tuple(tokens(word))


@lru_cache(maxsize=16384)
def _split(text: str) -> tuple[tuple[re.Match[str], ...], tuple[str, ...]]:
    """A statement's words as written (with their places) and each word's first token."""
    matches = tuple(_WORD.finditer(text))
    return matches, tuple((_word_tokens(m.group()) or ("",))[0] for m in matches)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    text = _TAG.sub("", text).replace("**", "")
    text = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    return text.casefold()


@dataclass
class _Source:
    """One source text, tokenised once for the phrase and word searches."""

    text: str
    levels: dict[str, int | None] = field(default_factory=dict)

    @cached_property
    def joined(self) -> str:
        return " " + " ".join(tokens(self.text)) + " "

    @cached_property
    def quote_form(self) -> str:
        """The text as quotations are compared with it."""
        return normalise_quote(self.text)

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(self.joined.split())

    @cached_property
    def dates(self) -> set[tuple[int, int, int]]:
        return set(_dates_in(self.joined.split()))

    @cached_property
    def sentences(self) -> list[tuple[str, str]]:
        """Each sentence in normal form, with its tokens joined as ``joined`` is."""
        out = []
        for sentence in _SENTENCE.split(_normal(self.text)):
            words = _TOKEN.findall(sentence)
            if words:
                out.append((sentence, " " + " ".join(words) + " "))
        return out

    def verb_level_for(self, key: str, names: Sequence[Sequence[str]]) -> int | None:
        """The strongest step any sentence naming the agreement (``key``) says of it; None
        when no sentence names it."""
        if key in self.levels:
            return self.levels[key]
        needles = [f" {' '.join(n)} " for n in names]
        levels = [
            verb_level(sentence)[0]
            for sentence, joined in self.sentences
            if any(needle in joined for needle in needles)
        ]
        self.levels[key] = max(levels) if levels else None
        return self.levels[key]

    def has_phrase(self, phrase: Sequence[str]) -> bool:
        return f" {' '.join(phrase)} " in self.joined

    def has_word(self, word: str) -> bool:
        w = self.words
        return (
            word in w
            or word + "s" in w
            or word + "es" in w
            or (word.endswith("s") and word[:-1] in w)
            or (word.endswith("es") and word[:-2] in w)
        )

    def near(self, phrase: Sequence[str], stems: Iterable[str]) -> bool:
        """Whether a word starting with one of ``stems`` is within reach of ``phrase``."""
        needle = f" {' '.join(phrase)} "
        start = self.joined.find(needle)
        stems = tuple(stems)
        while start != -1:
            window = self.joined[max(0, start - _NEAR) : start + len(needle) + _NEAR]
            if any(f" {stem}" in window for stem in stems):
                return True
            start = self.joined.find(needle, start + 1)
        return False


def _dates_in(words: Sequence[str]) -> Iterator[tuple[int, int, int]]:
    """(year, month, day) of each date in a token list; 0 for a part not given."""
    for i, word in enumerate(words):
        if _is_year(word):
            year = int(word)
            yield year, 0, 0
            month = _MONTHS.get(words[i - 1], 0) if i else 0
            if month:
                yield year, month, 0
                if i > 1 and words[i - 2].isdecimal() and 1 <= int(words[i - 2]) <= 31:
                    yield year, month, int(words[i - 2])
            # 2022-09-08 tokenises as 2022 09 08
            if i + 2 < len(words) and words[i + 1].isdecimal() and words[i + 2].isdecimal():
                m, d = int(words[i + 1]), int(words[i + 2])
                if 1 <= m <= 12 and 1 <= d <= 31 and len(words[i + 1]) == 2:
                    yield year, m, 0
                    yield year, m, d


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isdecimal() and 1900 <= int(word) <= 2099


def _date_forms(day: dt.date, precision: str) -> set[tuple[int, int, int]]:
    """The claims a date known to ``precision`` supports: a month-precise date supports
    'November 2019' and '2019', not '1 November 2019'."""
    forms = {(day.year, 0, 0)}
    if precision in ("month", "day", "approximate"):
        forms.add((day.year, day.month, 0))
    if precision == "day":
        forms.add((day.year, day.month, day.day))
    if precision == "approximate":
        # only "on or about 7 October 2020" (a negative day), never the day itself
        forms.add((day.year, day.month, -day.day))
    return forms


@dataclass(frozen=True)
class Claim:
    """Something checkable a statement says, and where in its text it starts."""

    kind: str  # name, number, date
    text: str
    start: int
    words: tuple[str, ...] = ()
    date: tuple[int, int, int] = (0, 0, 0)
    index: int = 0  # of its first word among the statement's words


@dataclass
class Report:
    """What the support check found: counts for the summary, and the problems to print."""

    checked: int = 0
    supported: int = 0
    marked: Counter[str] = field(default_factory=Counter)
    unsupported: int = 0
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        marked = sum(self.marked.values())
        kinds = ", ".join(
            f"{self.marked[k]} {k.replace('-', ' ')}"
            for k in ("public-record", "inferred", "analysis")
            if self.marked[k]
        )
        return (
            f"fidelity: {self.checked} statements checked: {self.supported} supported, "
            f"{marked} marked{f' ({kinds})' if kinds else ''}, {self.unsupported} unsupported"
        )


class _Aliases:
    """Names the registries know under more than one form: a person's name in either order,
    a term and what it stands for, an agreement's titles, acronym and aliases."""

    def __init__(self, corpus: Corpus) -> None:
        self.groups: list[list[tuple[str, ...]]] = []
        for names in COMMON_ALIASES:
            self._add(names)
        for country in {c.id: c for c in corpus.countries.values()}.values():
            self._add([country.name, country.short_name or ""])
        for person in corpus.people.values():
            self._add([person.name, person.romanised or ""])
        for term in corpus.terms.values():
            self._add([term.term, term.expansion, *term.aliases])
        for agreement in corpus.agreements.values():
            self._add(agreement_names(corpus, agreement))
        self.by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for index, group in enumerate(self.groups):
            for phrase in group:
                self.by_first.setdefault(phrase[0], []).append((phrase, index))
        self.known_words = {w for group in self.groups for phrase in group for w in phrase}

    def _add(self, names: Iterable[str]) -> None:
        group = sorted({tuple(tokens(n)) for n in names if tokens(n)}, key=len, reverse=True)
        if len(group) > 1 or (group and len(group[0]) > 1):
            self.groups.append(group)

    def cover(self, words: Sequence[str], sources: Sequence[_Source]) -> set[int]:
        """Indexes of ``words`` inside a registry name that some cited source gives in one of
        its forms."""
        covered: set[int] = set()
        for i, word in enumerate(words):
            for phrase, group in self.by_first.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase and any(
                    s.has_phrase(form) for s in sources for form in self.groups[group]
                ):
                    covered.update(range(i, i + len(phrase)))
        return covered


def agreement_names(corpus: Corpus, agreement: Agreement) -> list[str]:
    """Every name an agreement goes by: its titles, acronym, aliases and glossary expansion."""
    names = [agreement.title, agreement.short_title, *agreement.aliases]
    # A title's parenthesis is another name: "Cybersecurity Agreement (Memorandum of Cooperation)"
    for title in (agreement.title, agreement.short_title):
        head, _, tail = title.partition(" (")
        if tail:
            names += [head, tail.rstrip(")")]
    if agreement.acronym:
        names.append(agreement.acronym)
        names += [t.expansion for t in corpus.terms.values() if t.term == agreement.acronym]
    return names


class Checker:
    """Runs over a loaded corpus either the support check (``run``), or (``printed=True``) the
    checks of what would be printed that every load makes: quoted phrases are verbatim, no
    internal vocabulary, a resolved date's own words are the sources'."""

    def __init__(self, corpus: Corpus, *, printed: bool = False) -> None:
        self.corpus = corpus
        self.printed = printed
        self.sources = {sid: _Source(text) for sid, text in corpus.seed_texts.items()}
        self.report = Report()
        self.raw: dict[str, str] = {}

    @cached_property
    def aliases(self) -> _Aliases:
        return _Aliases(self.corpus)

    @cached_property
    def agreement_needles(self) -> list[tuple[Agreement, list[tuple[str, ...]], list[str]]]:
        """Each agreement with its names as token tuples and as phrases to search for."""
        out = []
        for agreement in self.corpus.agreements.values():
            names = [tuple(tokens(n)) for n in agreement_names(self.corpus, agreement)]
            names = [n for n in names if n]
            out.append((agreement, names, [f" {' '.join(n)} " for n in names]))
        return out

    @cached_property
    def lower_words(self) -> frozenset[str]:
        """Words written in lower case in some source or anywhere in the project's own files
        (statements, registries' descriptions): ordinary words, whatever their capital. A name
        is not written so; a registry name's words never count as ordinary."""
        texts = [_TAG.sub("", t) for t in self.corpus.seed_texts.values()]
        for path in self.corpus.documents:
            try:
                texts.append((self.corpus.root / path).read_text(encoding="utf-8"))
            except OSError:
                continue
        lower: set[str] = set()
        for text in texts:
            lower.update(re.findall(r"(?<![\w-])[a-z][a-z]*(?![\w-])", text))
        return frozenset(lower - self.aliases.known_words)

    def ordinary(self, word: str) -> bool:
        """Whether a capitalised word opening a sentence is an ordinary word ("The", "Both",
        "Decided") rather than a name ("Tokyo", "Quad"): a stop-listed word, or one written in
        lower case (as it is, or without an ending -s/-d/-ed) somewhere. Any other opening word
        is checked like a name."""
        if word in _PLAIN:
            return True
        lower = self.lower_words
        return any(form in lower or form in _OPENERS for form in _inflections(word))

    @cached_property
    def source_dates(self) -> dict[str, set[tuple[int, int, int]]]:
        """The dates each source supports besides those it writes: the meetings it covers (as
        precisely as each is known) and its own date of publication."""
        dates: dict[str, set[tuple[int, int, int]]] = {}
        for sid, source in self.corpus.sources.items():
            known: set[tuple[int, int, int]] = set()
            for mid in source.covers:
                meeting = self.corpus.meetings.get(mid)
                if meeting is not None:
                    known |= _date_forms(meeting.date, meeting.date_precision)
            if source.published:
                known |= _date_forms(source.published, "day")
            dates[sid] = known
        return dates

    def run(self) -> Report:
        for meeting in self.corpus.meetings.values():
            self._meeting(meeting)
        for agreement in self.corpus.agreements.values():
            self._agreement(agreement)
        catalogue = self.corpus.documents.get("seeds/catalogue.yaml")
        for index, source in enumerate(self.corpus.sources.values()):
            if catalogue is not None:  # the Sources lists print these
                for key in ("title", "outlet", "translation"):
                    self._internal(catalogue, ("sources", index, key), getattr(source, key) or "")
        doc = self.corpus.documents.get("briefs/glossary.yaml")
        for index, term in enumerate(self.corpus.terms.values()):
            if doc is not None:
                for key in ("expansion", "explanation"):
                    self._internal(doc, ("terms", index, key), getattr(term, key))
        self.report.problems.sort()
        return self.report

    # Records -------------------------------------------------------------------------------

    def _meeting(self, meeting: Meeting) -> None:
        doc = self.corpus.documents[self.corpus.files[meeting.id]]
        own = _date_forms(meeting.date, meeting.date_precision)
        for key in ("title", "short_title", "venue"):
            self._internal(doc, (key,), getattr(meeting, key) or "")
        if meeting.date_basis.as_stated:
            self._as_stated(doc, meeting)
        for index in range(len(meeting.participants)):
            self._participant(doc, meeting, index)
        self._statement(doc, ("summary",), meeting.summary.text, meeting.summary.sources,
                        meeting.summary.basis, own)  # fmt: skip
        lists = ("outcomes", "talking_points", "to_raise", "to_avoid", "background",
                 "significance", "way_forward")  # fmt: skip
        for name in lists:
            for index, item in enumerate(getattr(meeting, name)):
                linked = getattr(item, "agreements", ())
                self._statement(
                    doc, (name, index), item.text, item.sources, item.basis, own, linked
                )
        for index, quote in enumerate(meeting.quotes):
            if not self.printed:
                self._speaker_office(doc, meeting, index)
            if quote.context:
                self._internal(doc, ("quotes", index, "context"), quote.context)

    def _agreement(self, agreement: Agreement) -> None:
        doc = self.corpus.documents[self.corpus.files[agreement.id]]
        for key in ("title", "short_title"):
            self._internal(doc, (key,), getattr(agreement, key))
        own: set[tuple[int, int, int]] = set()
        for step in agreement.status_history:
            own |= _date_forms(step.date, step.date_precision)
        p = agreement.purpose
        self._statement(doc, ("purpose",), p.text, p.sources, p.basis, own, (agreement.id,))
        for index, step in enumerate(agreement.status_history):
            self._step(doc, agreement, index, step)
        lists = ("key_points", "to_raise", "to_avoid", "background", "significance", "way_forward")
        for name in lists:
            for index, item in enumerate(getattr(agreement, name)):
                self._statement(
                    doc, (name, index), item.text, item.sources, item.basis, own, (agreement.id,)
                )

    # Checks --------------------------------------------------------------------------------

    def _count(self, basis: Basis | None, ok: bool) -> None:
        self.report.checked += 1
        if basis is not None:
            self.report.marked[basis.kind] += 1
        elif ok:
            self.report.supported += 1
        else:
            self.report.unsupported += 1

    def _statement(
        self,
        doc: Document,
        path: YamlPath,
        text: str,
        sources: Sequence[str],
        basis: Basis | None,
        own_dates: set[tuple[int, int, int]],
        linked: Sequence[str] = (),
    ) -> None:
        at = (*path, "text") if path[-1] != "note" else path
        self._internal(doc, at, text)
        if basis is not None and basis.note:
            self._internal(doc, (*path, "basis", "note"), basis.note)
        cited = [self.sources[s] for s in sources if s in self.sources]
        self._quoted(doc, at, text, sources, cited)
        if self.printed:
            return
        if basis is not None:
            self._count(basis, True)
            return
        missing = self.unsupported(text, sources, own_dates)
        for claim in missing:
            self._problem(doc, at, text, claim, sources)
        stronger = self._stronger(doc, at, text, sources, cited, linked)
        self._count(None, not missing and not stronger)

    def _stronger(
        self,
        doc: Document,
        at: YamlPath,
        text: str,
        sources: Sequence[str],
        cited: Sequence[_Source],
        linked: Sequence[str],
    ) -> bool:
        """Whether the statement claims a step on an agreement (signed, launched …) beyond
        what its cited sources say of it; reported when so."""
        norm = _normal(text)
        if verb_level(norm, done=True)[0] < 1:
            return False
        clauses = [
            (c.start(), c.group(), " " + " ".join(_TOKEN.findall(c.group())) + " ")
            for c in _CLAUSE.finditer(norm)
        ]
        found = False
        for agreement, names, needles in self.agreement_needles:
            # the clause that names the agreement, or the whole text of an outcome linked to it
            about = [
                (start, clause)
                for start, clause, joined in clauses
                if any(needle in joined for needle in needles)
            ]
            if not about and agreement.id in linked:
                about = [(0, norm)]
            claimed = [(verb_level(c, done=True), start) for start, c in about]
            claimed = [(lv, start) for lv, start in claimed if lv[0] >= 1]
            if not claimed:
                continue
            (level, verb, at_char), start = max(claimed)
            at_char += start
            # a source that names it without saying any step of it cannot be weighed
            said = [
                lv
                for s in cited
                if (lv := s.verb_level_for(agreement.id, names)) is not None and lv >= 0
            ]
            if not said or max(said) >= level:
                continue
            most = max(said)
            offset = _original_offset(text, verb, at_char)
            self.report.problems.append(
                Problem(
                    self._locate(doc, at, text, offset),
                    f'"{text[offset : offset + len(verb)]}" claims more than '
                    f"{_names(sources)} says of {agreement.short_title!r} (at most "
                    f'"{VERB_SCALE[most][0]}" on the scale discussed < agreed < finalised < '
                    "signed < entered into force); use the source's verb, or mark the "
                    "statement with a basis",
                    warning=True,
                )
            )
            found = True
        return found

    def unsupported(
        self,
        text: str,
        sources: Sequence[str],
        own_dates: Iterable[tuple[int, int, int]] = (),
    ) -> list[Claim]:
        """The claims of ``text`` that none of ``sources`` bears out."""
        cited = [self.sources[s] for s in sources if s in self.sources]
        dates = set(own_dates)
        for sid in sources:
            dates |= self.source_dates.get(sid, set())
        words = _split(text)[1]
        covered = self.aliases.cover(words, cited)
        missing: list[Claim] = []
        for claim in self.claims(text):
            if claim.kind == "date":
                year, month, day = claim.date
                # "on or about 7 October 2020" is borne out by that day or by the same
                # approximation; the day itself only by the day
                wanted = {claim.date}
                if day < 0:
                    wanted.add((year, month, -day))
                if not wanted & dates and not any(wanted & s.dates for s in cited):
                    missing.append(claim)
            elif claim.kind == "number":
                if not any(s.has_phrase(claim.words) for s in cited):
                    missing.append(claim)
            else:
                first = claim.index
                span = range(first, first + len(claim.words))
                if all(i in covered for i in span) or any(s.has_phrase(claim.words) for s in cited):
                    continue
                absent = [
                    (i, w)
                    for i, w in zip(span, claim.words, strict=True)
                    if i not in covered
                    and w not in _CONNECTORS
                    and not any(s.has_word(w) for s in cited)
                ]
                if absent:
                    missing.append(_sub_claim(text, claim, absent, first))
        return missing

    def claims(self, text: str) -> list[Claim]:
        """Names, numbers, amounts and dates in a statement, by rule."""
        plain = text  # positions are the text's own, for the messages
        matches, keys = _split(plain)
        out: list[Claim] = []
        i = 0
        while i < len(matches):
            m = matches[i]
            word = m.group()
            norm = list(_word_tokens(word))
            low = keys[i]
            nxt = matches[i + 1].group() if i + 1 < len(matches) else ""
            if low in _MONTHS and (
                _is_year(nxt) or (i and matches[i - 1].group().isdecimal() and len(word) > 2)
            ):
                start, day = m.start(), 0
                if (
                    i
                    and matches[i - 1].group().isdecimal()
                    and 1 <= int(matches[i - 1].group()) <= 31
                ):
                    start, day = matches[i - 1].start(), int(matches[i - 1].group())
                    out = [c for c in out if c.start != start]
                if _is_year(nxt):
                    end = matches[i + 1].end()
                    if day and plain[:start].endswith("about "):
                        day = -day  # claims only "on or about" the day
                    out.append(
                        Claim("date", plain[start:end], start, date=(int(nxt), _MONTHS[low], day))
                    )
                    i += 2
                    continue
            if _is_year(word):
                out.append(Claim("date", word, m.start(), date=(int(word), 0, 0)))
                # 2021–22: the second year, written short
                rest = plain[m.end() : m.end() + 3]
                if re.fullmatch(r"[-\u2013]\d\d", rest) and i + 1 < len(matches):
                    year = int(word[:2] + rest[1:])
                    out.append(
                        Claim("date", plain[m.start() : m.end() + 3], m.start(), date=(year, 0, 0))
                    )
                    i += 2
                    continue
                i += 1
                continue
            if _has_digit(word):
                phrase = norm
                end = m.end()
                if nxt.casefold() in _SCALES:
                    phrase = [*norm, nxt.casefold()]
                    end = matches[i + 1].end()
                out.append(Claim("number", plain[m.start() : end], m.start(), words=tuple(phrase)))
                i += 1 + (len(phrase) > len(norm))
                continue
            if word[:1].isupper() and len(word) > 1 and low not in _PLAIN and low not in _MONTHS:
                # A run of capitalised words, with "of", "and" … inside it: one name.
                j = i + 1
                while j < len(matches):
                    w = matches[j].group()
                    between = plain[matches[j - 1].end() : matches[j].start()]
                    if between not in (" ", "-", "\u2013", "\u2011", "'s "):
                        break
                    capital = w[:1].isupper() and not _has_digit(w)
                    joining = (
                        w in _CONNECTORS
                        and j + 1 < len(matches)
                        and matches[j + 1].group()[:1].isupper()
                        and plain[matches[j].end() : matches[j + 1].start()] == " "
                    )
                    if not (capital or joining):
                        break
                    j += 1
                run = matches[i:j]
                words = keys[i:j]
                # A sentence's first word is capitalised whatever it is: it claims a name
                # only when it is not an ordinary word (docs/fidelity.md).
                plain_opening = _opens_sentence(plain, m.start()) and self.ordinary(low)
                if not (plain_opening and len(run) == 1):
                    first = i
                    if plain_opening:
                        run, words, first = run[1:], words[1:], i + 1
                    if run:
                        out.append(Claim("name", plain[run[0].start() : run[-1].end()],
                                         run[0].start(), words=words, index=first))  # fmt: skip
                i = j
                continue
            i += 1
        return out

    def _quoted(
        self,
        doc: Document,
        path: YamlPath,
        text: str,
        sources: Sequence[str],
        cited: Sequence[_Source],
    ) -> None:
        """A phrase in quotation marks in prose is a quotation: it must be verbatim."""
        if not self.printed or not _MAY_QUOTE.search(text) or len(cited) < len(set(sources)):
            return  # a source whose text could not be read is reported as such
        for match in _QUOTED.finditer(text):
            phrase = next(g for g in match.groups() if g)
            wanted = normalise_quote(phrase)
            if any(wanted in s.quote_form for s in cited):
                continue
            self.report.problems.append(
                Problem(
                    self._locate(doc, path, text, match.start()),
                    f"quoted phrase {match.group()} does not occur verbatim in "
                    f"{_names(sources)}, which this statement cites; quote the source exactly, "
                    "or give the quotation its own entry under quotes:",
                )
            )

    def _internal(self, doc: Document, path: YamlPath, text: str) -> None:
        """Readers see sources by title, outlet and date: never an id, a file or 'the seeds'."""
        if not self.printed:
            return
        low = text.lower()
        if "src-" not in low and "seed" not in low and ".txt" not in low:
            return  # most texts: no need for the slower pattern
        match = _INTERNAL.search(text)
        if match:
            self.report.problems.append(
                Problem(
                    self._locate(doc, path, text, match.start()),
                    f"{match.group()!r} is the tool's own vocabulary and would be printed; "
                    "name the source as readers see it (its title, outlet or date), "
                    "e.g. 'the report of 8 September 2022'",
                )
            )

    def _as_stated(self, doc: Document, meeting: Meeting) -> None:
        if not self.printed:
            return
        basis = meeting.date_basis
        wanted = normalise_quote(basis.as_stated or "").casefold()
        cited = [self.sources[s] for s in basis.sources if s in self.sources]
        # A source whose text could not be read is reported as such, not as this.
        if len(cited) == len(basis.sources) and not any(
            wanted in s.quote_form.casefold() for s in cited
        ):
            self.report.problems.append(
                Problem(
                    doc.locate(("date_basis", "as_stated")),
                    f"date_basis.as_stated {basis.as_stated!r} does not occur in "
                    f"{_names(basis.sources)}; give the sources' own words for the date",
                )
            )

    def _participant(self, doc: Document, meeting: Meeting, index: int) -> None:
        if self.printed:
            return
        participant = meeting.participants[index]
        person = self.corpus.people.get(participant.person)
        if person is None:
            return
        cited = [self.sources[s] for s in participant.sources if s in self.sources]
        forms = [tokens(person.name), tokens(person.romanised or "")]
        surnames = [f[-1] for f in forms if f] + [f[0] for f in forms if len(f) > 1]
        named = any(s.has_phrase(f) for s in cited for f in forms if f) or any(
            s.has_word(w) for s in cited for w in surnames if len(w) > 2
        )
        if participant.basis is None and not named:
            self.report.problems.append(
                Problem(
                    doc.locate(("participants", index, "person")),
                    f"{person.name!r} is not named in {_names(participant.sources)}, which this "
                    "participant cites; cite a source that names them, or mark the entry "
                    "`basis: {kind: inferred, note: …}` with the reasoning",
                    warning=True,
                )
            )
        titled = participant.basis is not None or self._office_named(
            person, participant.office, meeting.date, cited
        )
        if not titled:
            self.report.problems.append(
                Problem(
                    doc.locate(("participants", index, "office")),
                    f"office {participant.office!r} is not in {_names(participant.sources)}, "
                    "which this participant cites (nor an alias of it: add the sources' words "
                    "under the office's aliases: in briefs/people.yaml); cite a source that "
                    "gives it, or mark the entry `basis: {kind: public-record, note: …}`",
                    warning=True,
                )
            )
        self._count(participant.basis, named and titled)

    def _office_named(
        self, person: Person, title: str, day: dt.date, cited: Sequence[_Source]
    ) -> bool:
        """Whether a cited source gives ``title`` (or an alias of that office, as held on
        ``day``) in so many words."""
        forms = [title]
        for office in person.offices:
            if office.title.casefold() == title.casefold() and office.held_on(day):
                forms += office.aliases
        phrases = [tuple(tokens(f)) for f in forms if tokens(f)]
        return any(s.has_phrase(p) for s in cited for p in phrases)

    def _speaker_office(self, doc: Document, meeting: Meeting, index: int) -> None:
        """A quotation prints its speaker's office of the meeting's day (from people.yaml): the
        quotation's source, or a source the meeting cites for that person, must give it."""
        quote = meeting.quotes[index]
        person = self.corpus.people.get(quote.speaker or "")
        if person is None or any(q.speaker == person.id for q in meeting.quotes[:index]):
            return  # once for each speaker
        held = [o.title for o in person.offices if o.held_on(meeting.date)]
        if not held:
            return
        sids = {quote.source}
        for participant in meeting.participants:
            if participant.person == person.id:
                if participant.basis is not None and participant.office == held[0]:
                    return  # marked where the participants are listed
                sids.update(participant.sources)
        cited = [self.sources[s] for s in sorted(sids) if s in self.sources]
        if len(cited) < len(sids) or self._office_named(person, held[0], meeting.date, cited):
            return
        self.report.problems.append(
            Problem(
                doc.locate(("quotes", index, "speaker")),
                f"the quotation prints {person.name}'s office on {meeting.date}, {held[0]!r} "
                f"(briefs/people.yaml), which {_names(sorted(sids))} does not give; add the "
                "sources' words for it under the office's aliases:, or list the speaker as a "
                "participant marked `basis: {kind: public-record, note: …}`",
                warning=True,
            )
        )
        self._count(None, False)  # an item of its own only when it fails: the summary adds up

    def _step(self, doc: Document, agreement: Agreement, index: int, step: StatusStep) -> None:
        path: YamlPath = ("status_history", index)
        own = _date_forms(step.date, step.date_precision)
        meeting = self.corpus.meetings.get(step.meeting) if step.meeting else None
        if meeting is not None:
            own |= _date_forms(meeting.date, meeting.date_precision)
        self._internal(doc, (*path, "note"), step.note)
        cited = [self.sources[s] for s in step.sources if s in self.sources]
        self._quoted(doc, (*path, "note"), step.note, step.sources, cited)
        if step.basis is not None and step.basis.note:
            self._internal(doc, (*path, "basis", "note"), step.basis.note)
        if self.printed:
            return
        if step.basis is not None:
            self._count(step.basis, True)
            return
        problems: list[Problem] = []
        names = [tuple(tokens(n)) for n in agreement_names(self.corpus, agreement) if tokens(n)]
        named = [(s, n) for s in cited for n in names if s.has_phrase(n)]
        if not named:
            problems.append(
                Problem(
                    doc.locate((*path, "sources")),
                    f"status step {step.status!r}: {_names(step.sources)} never names "
                    f"{agreement.short_title!r} (nor an alias: add one under aliases: if the "
                    "source uses another name), so it cannot bear out this step",
                    warning=True,
                )
            )
        elif not any(s.near(n, STATUS_WORDS[step.status]) for s, n in named):
            words = "/".join(STATUS_WORDS[step.status])
            problems.append(
                Problem(
                    doc.locate((*path, "status")),
                    f"status step {step.status!r}: {_names(step.sources)} names "
                    f"{agreement.short_title!r} but says nothing like {words!r} near it",
                    warning=True,
                )
            )
        if not step.meeting and not own & _dates_of(cited):
            problems.append(
                Problem(
                    doc.locate((*path, "date")),
                    f"status step dated {step.date} ({step.date_precision}): no cited source "
                    "gives that date; mark the step with a basis or cite one that does",
                    warning=True,
                )
            )
        for claim in self.unsupported(step.note, step.sources, own):
            problems.append(
                self._claim_problem(doc, (*path, "note"), step.note, claim, step.sources)
            )
        self.report.problems.extend(problems)
        self._count(None, not problems)

    # Messages ------------------------------------------------------------------------------

    def _problem(
        self, doc: Document, path: YamlPath, text: str, claim: Claim, sources: Sequence[str]
    ) -> None:
        self.report.problems.append(self._claim_problem(doc, path, text, claim, sources))

    def _claim_problem(
        self, doc: Document, path: YamlPath, text: str, claim: Claim, sources: Sequence[str]
    ) -> Problem:
        what = {"date": "the date", "number": "", "name": ""}[claim.kind]
        return Problem(
            self._locate(doc, path, text, claim.start),
            f'{what + " " if what else ""}"{claim.text}" is not in {_names(sources)}, which this '
            "statement cites",
            warning=True,
        )

    def _locate(self, doc: Document, path: YamlPath, text: str, offset: int) -> Location:
        """The line and column of ``text[offset:]`` in the file: found after the value's start
        (a folded value's lines are not its text's lines)."""
        where = doc.locate(path)
        raw = self.raw.get(doc.path)
        if raw is None:
            try:
                raw = (self.corpus.root / doc.path).read_text(encoding="utf-8")
            except OSError:
                raw = ""
            self.raw[doc.path] = raw
        lines = raw.split("\n")
        if not where.line or where.line > len(lines):
            return where
        start = sum(len(line) + 1 for line in lines[: where.line - 1]) + where.column - 1
        piece = text[offset:].split()
        found = raw.find(piece[0], start) if piece else -1
        if found == -1 or found - start > len(text) + 400:
            return where
        line = raw.count("\n", 0, found) + 1
        column = found - (raw.rfind("\n", 0, found) + 1) + 1
        return Location(doc.path, line, column)


def _original_offset(text: str, word: str, approx: int) -> int:
    """Where ``word`` (found in the normal form) is in the statement as written."""
    found = [m.start() for m in re.finditer(re.escape(word), text, re.IGNORECASE)]
    return min(found, key=lambda o: abs(o - approx)) if found else 0


def _dates_of(sources: Sequence[_Source]) -> set[tuple[int, int, int]]:
    out: set[tuple[int, int, int]] = set()
    for source in sources:
        out |= source.dates
    return out


def verb_level(text: str, *, done: bool = False) -> tuple[int, str, int]:
    """The strongest step ``text`` (in normal form) says on the scale, the word that says it
    and where: (-1, "", -1) when it says none. With ``done``, only what it says has been done
    ("signed", "in force"): "Sign the MoC" recommends a step, it claims none."""
    best = (-1, "", -1)
    for level, pattern in enumerate(_VERB):
        for match in pattern.finditer(text):
            if done and not match.group().endswith(("ed", "force")):
                continue
            if _NEGATED.search(text[max(0, match.start() - 60) : match.start()]):
                continue
            step = level
            if level > 1 and _PROSPECTIVE.search(text[max(0, match.start() - 30) : match.start()]):
                step = 1
            if step > best[0]:
                best = (step, match.group(), match.start())
    return best


def _inflections(word: str) -> set[str]:
    """A word and the forms it may take with or without a regular ending: "Runs" → run,
    "Explored" → explore, "Underpinned" → underpin, "Hold" → holds."""
    forms = {word, word + "s", word + "d", word + "ed"}
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("ed"):
        forms |= {word[:-1], word[:-2]}
        if len(word) > 4 and word[-3] == word[-4]:
            forms.add(word[:-3])
    return {f for f in forms if len(f) > 2} | {word}


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \"'\u201c\u2018(")
    return not before or before[-1] in ".!?:"


def _sub_claim(text: str, claim: Claim, absent: list[tuple[int, str]], first: int) -> Claim:
    """The unsupported part of a name: the words of it no cited source has."""
    matches = _split(text)[0]
    lo, hi = absent[0][0], absent[-1][0]
    start, end = matches[lo].start(), matches[hi].end()
    return Claim("name", text[start:end], start, words=claim.words[lo - first : hi - first + 1])


def _names(sources: Sequence[str]) -> str:
    ids = list(dict.fromkeys(sources))
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + f" or {ids[-1]}"


def check(corpus: Corpus) -> Report:
    """Check every statement of a loaded corpus against the sources it cites."""
    return Checker(corpus).run()


def printed_problems(corpus: Corpus) -> list[Problem]:
    """What would be printed wrongly: a quoted phrase that is not verbatim, a source id or
    'the seeds' in prose, a resolved date's words not in its sources. Errors of every load."""
    return Checker(corpus, printed=True).run().problems
