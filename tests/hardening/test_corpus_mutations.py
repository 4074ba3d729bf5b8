"""Property-based hardening: random damage to the real corpus never gets past the error channel.

Every mutated project must either validate or raise :class:`InputError` whose problems point at
real files and lines; ``ijbrief check`` must return 0 or 1 and never print a traceback; the YAML
loader's typing rules hold for generated input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ijbrief.cli import main
from ijbrief.corpus.loader import Corpus, _Collector, load_corpus
from ijbrief.corpus.model import SCHEMAS, Record
from ijbrief.corpus.yamlio import Document, parse
from ijbrief.errors import InputError, Problem

REPO = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(
    str(p.relative_to(REPO))
    for p in [*(REPO / "briefs").rglob("*.yaml"), REPO / "seeds/catalogue.yaml"]
)
SEED_FILES = sorted(str(p.relative_to(REPO)) for p in (REPO / "seeds").glob("*.txt"))
ORIGINAL = {rel: (REPO / rel).read_text(encoding="utf-8") for rel in YAML_FILES + SEED_FILES}

# Fragments that mean something to YAML, to the loader's refusals or to a terminal.
NASTY = [
    "\x00", "\x01", "\x08", "\x1b[2J", "\x7f", "\x85", "\x9b", "\t", "\r", "\r\n", "\n", "  ",
    ":", ": ", "- ", "? ", "'", '"', "&a ", "*a", "&a [1, 2]", "*a\n", "!!", "!!str ", "!!int ",
    "!!python/object/apply:os.system [x] ", "!local ", "{", "}", "[", "]", "{a: ", "#", "# c",
    "|", "|-\n", "> ", ">-\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "\\",
    '"\\x01"', '"\\ud800"', '"\\uFFFE"', '"\\U0001F600"', "\u202e", "\u2066", "\ufeff", "\u2028",
    "\ufffe", "\uffff", "\ud800", "\udfff", "0x10", "NO", "on", "010", "12:30", "1.10", "1e3",
    ".inf", "2024-02-30", "~", "null", "true", "<<: ", "=", "@", "`", "%", "\u00a0",
    "सुब्रह्मण्यम", "茂木", "\U0001f600", "a" * 400, "9" * 30, "9" * 5000,
]  # fmt: skip

# Whole values that the loader and the model must turn into messages, not exceptions.
VALUES = [
    "", "~", "null", "true", "false", "NO", "010", "0x1F", "12:30", "1.10", "-0", "2024-02-30",
    "0000-00-00", "9999-12-31", "1" * 19, "9" * 5000, "-" + "9" * 5000, "[]", "{}", "[a, b]",
    "{a: 1}", "[[[[[[]]]]]]", "!!str 1", "!!int 1", "&a x", "*a", "|", ">-", "'unclosed",
    '"\\ud800"', '"\\x1b[31m"', '"\\uFFFF"', '"\\u202e"', '"a\\0b"', "- x", "? x", ": x",
    "a: b: c", "# comment", "src-000", "src-999", "s-jaishankar", "ai", "two-plus-two-1", "x" * 4000,
]  # fmt: skip

Mutation = Callable[[str], str]
fragment = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=()), min_size=1, max_size=4),
)
value = st.one_of(st.sampled_from(VALUES), fragment)


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, Mutation]:
    """One edit of one text: (description, function)."""
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "swap", "insert", "replace-value", "indent", "truncate"]
        )
    )
    a = draw(st.integers(min_value=0, max_value=10_000))
    b = draw(st.integers(min_value=0, max_value=10_000))
    piece = draw(value if kind == "replace-value" else fragment)

    def apply(text: str) -> str:
        lines = text.split("\n")
        i, j = a % len(lines), b % len(lines)
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            at = a % (len(text) + 1)
            return text[:at] + piece + text[at:]
        elif kind == "replace-value":
            head, sep, _ = lines[i].partition(": ")
            lines[i] = head + (sep or ": ") + piece
        elif kind == "indent":
            line = lines[i]
            lines[i] = (" " * (b % 5) + line) if b % 2 else line[b % 5 :]
        else:  # truncate
            return text[: a % (len(text) + 1)]
        return "\n".join(lines)

    return f"{kind}@{a},{b}:{piece!r}", apply


@st.composite
def damage(draw: st.DrawFn, files: list[str]) -> dict[str, bytes]:
    """One to three mutations, each of a file drawn from ``files``; the resulting bytes."""
    texts: dict[str, str] = {}
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        rel = draw(st.sampled_from(files))
        _, apply = draw(mutation())
        texts[rel] = apply(texts.get(rel, ORIGINAL[rel]))
    out = {rel: text.encode("utf-8", "surrogatepass") for rel, text in texts.items()}
    if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:  # now and then, raw bad bytes
        rel = draw(st.sampled_from(sorted(out)))
        at = draw(st.integers(min_value=0, max_value=len(out[rel])))
        junk = draw(st.binary(min_size=1, max_size=3))
        out[rel] = out[rel][:at] + junk + out[rel][at:]
    return out


class Damaged:
    """Write damaged files into the project, and put the originals back afterwards."""

    def __init__(self, root: Path, files: dict[str, bytes]) -> None:
        self.root = root
        self.files = files

    def __enter__(self) -> Damaged:
        for rel, data in self.files.items():
            (self.root / rel).write_bytes(data)
        return self

    def __exit__(self, *exc: object) -> None:
        for rel in self.files:
            (self.root / rel).write_text(ORIGINAL[rel], encoding="utf-8")


def line_count(path: Path) -> int:
    text = path.read_bytes().decode("utf-8", "replace")
    return sum(text.count(brk) for brk in ("\n", "\r", "\x85", "\u2028", "\u2029")) + 1


def assert_well_placed(root: Path, problems: list[Problem]) -> None:
    """Each problem names a file or folder of the project, a line inside it, and prints."""
    assert problems
    assert any(not p.warning for p in problems)
    for problem in problems:
        path = root / problem.location.path
        assert path.exists() or path.is_symlink(), problem
        if problem.location.line:
            assert path.is_file(), problem
            assert 1 <= problem.location.line <= line_count(path), problem
            assert problem.location.column >= 1, problem
        assert problem.message.strip(), problem
        assert str(problem).isprintable(), problem


# --- the whole corpus ----------------------------------------------------------------------------


FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(files=damage(YAML_FILES + SEED_FILES))
def test_load_corpus_fails_only_with_input_errors(project: Path, files: dict[str, bytes]) -> None:
    with Damaged(project, files):
        try:
            corpus = load_corpus(project)
        except InputError as exc:
            assert_well_placed(project, exc.problems)
        else:
            assert isinstance(corpus, Corpus)
            assert all(w.warning for w in corpus.warnings)


@settings(FUZZ, max_examples=60)
@given(files=damage(YAML_FILES))
def test_check_never_prints_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, bytes]
) -> None:
    with Damaged(project, files):
        code = main(["-C", str(project), "check"])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in out + err
    if code == 0:
        assert out.startswith("ok: ")
    else:
        assert out == ""
        last = err.splitlines()[-1]
        assert last.split(",")[0].split()[1] in ("error", "errors"), err


@settings(FUZZ, max_examples=25)
@given(files=damage(YAML_FILES))
def test_build_never_prints_a_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, bytes]
) -> None:
    """The same damage through `build` (one brief and the dossier, HTML, to keep it quick)."""
    with Damaged(project, files):
        code = main(
            ["-C", str(project), "build", "--format", "html", "--audience", "student",
             "--only", "sd-18", "--jobs", "1", "--quiet"]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in out + err
    if code == 1:
        assert "error" in err.splitlines()[-1]


def test_originals_are_restored(project: Path) -> None:
    rel = YAML_FILES[0]
    with Damaged(project, {rel: b"\xff"}):
        assert (project / rel).read_bytes() == b"\xff"
    assert (project / rel).read_text(encoding="utf-8") == ORIGINAL[rel]
    assert load_corpus(project).quotations_verified >= 12


@pytest.mark.parametrize("rel", YAML_FILES)
def test_each_file_truncated_to_its_first_line_is_reported_in_that_file(
    project: Path, rel: str
) -> None:
    first = ORIGINAL[rel].split("\n", 1)[0] + "\n"
    with Damaged(project, {rel: first.encode()}), pytest.raises(InputError) as info:
        load_corpus(project)
    errors = [p for p in info.value.problems if not p.warning]
    assert {p.location.path for p in errors} == {rel}


# --- one file at a time, and the loader alone ---


FAST = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def model_for(rel: str) -> type[Record]:
    if rel.startswith("briefs/meetings/"):
        return SCHEMAS["meeting"]
    if rel.startswith("briefs/agreements/"):
        return SCHEMAS["agreement"]
    return SCHEMAS[{"seeds": "catalogue"}.get(rel.split("/")[0], Path(rel).stem)]


def test_model_for_every_file() -> None:
    assert {model_for(rel).__name__ for rel in YAML_FILES} == {
        "Meeting", "Agreement", "Catalogue", "People", "Topics", "Glossary", "Countries",
    }  # fmt: skip


@FAST
@given(files=damage(YAML_FILES))
def test_parse_returns_a_document_or_an_input_error(files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the decoder is covered by the corpus-level tests
        try:
            doc = parse(text, rel)
        except InputError as exc:
            assert exc.problems
            lines = len(re.findall("\r\n|[\n\r\x85\u2028\u2029]", text)) + 1
            for problem in exc.problems:
                assert problem.location.path == rel
                assert 1 <= problem.location.line <= lines, (problem, lines)
                assert problem.location.column >= 1
        else:
            assert isinstance(doc, Document)
            assert isinstance(doc.data, dict)


@st.composite
def value_swap(draw: st.DrawFn) -> tuple[str, int, str]:
    """A file, one of its `key: value` lines, and a tricky replacement value."""
    rel = draw(st.sampled_from(YAML_FILES))
    lines = ORIGINAL[rel].split("\n")
    candidates = [i for i, line in enumerate(lines) if re.match(r"^\s*(- )?[a-z_]+: \S", line)]
    index = draw(st.sampled_from(candidates))
    return rel, index, draw(st.one_of(st.sampled_from(VALUES), fragment))


@FAST
@given(swap=value_swap())
def test_any_value_in_any_field_gives_messages_not_exceptions(
    project: Path, swap: tuple[str, int, str]
) -> None:
    rel, index, value = swap
    lines = ORIGINAL[rel].split("\n")
    key, _, _ = lines[index].partition(": ")
    lines[index] = f"{key}: {value}"
    path = project / rel
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    try:
        collector = _Collector(project)
        _, record = collector.load(Path(rel), model_for(rel))
        for problem in collector.problems:
            assert problem.location.path == rel
            assert 0 <= problem.location.line <= line_count(path)
            assert str(problem).isprintable()
        if record is None:
            assert any(not p.warning for p in collector.problems)
    finally:
        path.write_text(ORIGINAL[rel], encoding="utf-8")


# --- typing rules as properties -------------------------------------------------------------

LOOKALIKES = st.one_of(
    st.from_regex(r"\A0[0-9]{1,6}\Z"),  # octal-looking: 010
    st.from_regex(r"\A[0-9]{1,2}(:[0-5][0-9]){1,2}\Z"),  # sexagesimal: 12:30
    st.from_regex(r"\A-?[0-9]{1,4}\.[0-9]{1,4}\Z"),  # floats: 1.10
    st.from_regex(r"\A0[xob][0-9a-fA-F]{1,4}\Z"),  # 0x1F
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),  # dates, real or not
    st.sampled_from(["yes", "no", "on", "off", "y", "n", "true", "false", "null"]).map(
        lambda word: "".join(c.upper() if i % 2 else c for i, c in enumerate(word))
    ),
    st.from_regex(r"\A[0-9]{19,60}\Z"),  # too long to be a count
)


@FAST
@given(token=LOOKALIKES)
def test_yaml_1_1_lookalikes_stay_text(token: str) -> None:
    if token in ("true", "false", "null"):
        return  # the YAML 1.2 spellings, checked below
    value = parse(f"value: {token}\n", "f.yaml").data["value"]
    assert value == token
    assert isinstance(value, str)


@FAST
@given(number=st.integers(min_value=-(10**17), max_value=10**17))
def test_decimal_integers_are_integers(number: int) -> None:
    assert parse(f"value: {number}\n", "f.yaml").data == {"value": number}


PRINTABLE = st.characters(
    exclude_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn"), exclude_characters="\ufeff"
)


@FAST
@given(text=st.text(PRINTABLE, max_size=60))
def test_double_quoted_text_round_trips(text: str) -> None:
    quoted = json.dumps(text, ensure_ascii=False)
    assert parse(f"value: {quoted}\n", "f.yaml").data == {"value": text}


@FAST
@given(keys=st.lists(st.from_regex(r"\A[a-z][a-z_]{0,8}\Z"), min_size=2, max_size=6))
def test_duplicate_keys_are_always_reported_with_both_lines(keys: list[str]) -> None:
    text = "".join(f"{key}: {i}\n" for i, key in enumerate(keys))
    seen: dict[str, int] = {}
    expected = []
    for line, key in enumerate(keys, start=1):
        if key in seen:
            expected.append((line, f"duplicate key {key!r} (first defined on line {seen[key]})"))
        else:
            seen[key] = line
    try:
        doc = parse(text, "f.yaml")
    except InputError as exc:
        assert [(p.location.line, p.message) for p in exc.problems] == expected
    else:
        assert expected == []
        assert list(doc.data) == keys
