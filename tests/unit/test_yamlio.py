"""The strict YAML loader: typing rules, refusals and where each problem is reported."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ijbrief.corpus.yamlio import MAX_DEPTH, MAX_FILE_BYTES, Document, load, parse
from ijbrief.errors import InputError, Problem


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InputError) as info:
        parse(text, "f.yaml")
    assert info.value.problems, "an InputError must carry at least one problem"
    return info.value.problems


def only_problem(text: str) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def where(problem: Problem) -> tuple[int, int]:
    return problem.location.line, problem.location.column


# --- typing: only YAML 1.2 core spellings become non-strings -------------------------------


@pytest.mark.parametrize(
    "plain",
    [
        "NO", "no", "No", "ON", "on", "off", "OFF", "yes", "Yes", "y", "n", "True", "FALSE",
        "Null", "NULL", "010", "0o10", "0x10", "0b1", "+1", "1_000", "12:30", "12:30:45",
        "1.10", "1.0", "1e3", ".inf", "-.inf", ".nan", "2024-02-30", "2022-09-08",
        "2022-09-08T10:00:00", "= ", "<<",
    ],
)  # fmt: skip
def test_yaml_1_1_spellings_stay_text(plain: str) -> None:
    doc = parse(f"value: {plain}\n", "f.yaml")
    assert doc.data == {"value": plain.strip()}
    assert isinstance(doc.data["value"], str)


@pytest.mark.parametrize(
    ("plain", "value"),
    [
        ("true", True), ("false", False), ("null", None), ("~", None), ("", None),
        ("0", 0), ("7", 7), ("-5", -5), ("2022", 2022), ("-0", 0),
    ],
)  # fmt: skip
def test_yaml_1_2_core_spellings_are_typed(plain: str, value: object) -> None:
    data = parse(f"value: {plain}\n", "f.yaml").data
    assert data == {"value": value}
    assert type(data["value"]) is type(value)


@pytest.mark.parametrize("text", ["'42'", '"true"', "!!str 42", "! 42", "!!str true", "|\n  42"])
def test_quoted_or_explicitly_tagged_scalars_are_text(text: str) -> None:
    value = parse(f"value: {text}\n", "f.yaml").data["value"]
    assert isinstance(value, str)
    assert value.strip() in ("42", "true")


def test_very_long_digit_runs_stay_text_instead_of_crashing() -> None:
    digits = "9" * 5000  # more than Python's int-from-string limit of 4300 digits
    assert parse(f"value: {digits}\n", "f.yaml").data == {"value": digits}
    assert parse("value: 123456789012345678\n", "f.yaml").data == {"value": 123456789012345678}


def test_keys_are_always_text() -> None:
    assert parse("1: a\ntrue: b\n~: c\n", "f.yaml").data == {"1": "a", "true": "b", "~": "c"}


def test_merge_key_is_an_ordinary_key_not_a_merge() -> None:
    data = parse("a: 1\n<<: {b: 2}\n", "f.yaml").data
    assert data == {"a": 1, "<<": {"b": 2}}


# --- duplicates, aliases, tags --------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    problem = only_problem("title: One\nvenue: Tokyo\ntitle: Two\n")
    assert where(problem) == (3, 1)
    assert "duplicate key 'title'" in problem.message
    assert "line 1" in problem.message


def test_nested_duplicate_keys_are_all_reported() -> None:
    found = problems_of("a:\n  x: 1\n  y: 2\n  x: 3\nb: 1\nb: 2\n")
    assert [(where(p), p.message) for p in found] == [
        ((4, 3), "duplicate key 'x' (first defined on line 2)"),
        ((6, 1), "duplicate key 'b' (first defined on line 5)"),
    ]


def test_alias_is_refused_at_its_place() -> None:
    problem = only_problem("a: &anchor Tokyo\nb: *anchor\n")
    assert where(problem) == (2, 4)
    assert "aliases" in problem.message


def test_alias_bomb_is_refused_in_milliseconds() -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join(f"*l{level - 1}" for _ in range(9))
        lines.append(f"l{level}: &l{level} [{refs}]")
    text = "\n".join(lines) + "\n"
    started = time.perf_counter()
    problem = only_problem(text)
    elapsed = time.perf_counter() - started
    assert "aliases" in problem.message
    assert where(problem) == (2, 10)
    assert elapsed < 0.5


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object:os.system echo",
        "!!python/object/apply:os.system [echo pwned]",
        "!!python/name:os.system ''",
        "!!binary aGVsbG8=",
        "!!int '3'",
        "!!float 3",
        "!!set {a, b}",
        "!custom thing",
    ],
)
def test_tags_are_refused(value: str) -> None:
    problem = only_problem(f"ok: 1\nbad: {value}\n")
    assert where(problem) == (2, 6)
    assert problem.message.startswith("tag ")
    assert "not allowed" in problem.message


def test_tag_on_a_nested_mapping_is_refused() -> None:
    problem = only_problem("a:\n  b: !!omap\n    - c: 1\n")
    assert where(problem)[0] == 2
    assert "omap" in problem.message


def test_every_refused_tag_is_reported() -> None:
    found = problems_of("a: !!python/object:x y\nb: ok\nc: !x z\n")
    assert [where(p)[0] for p in found] == [1, 3]


def test_non_scalar_keys_are_refused() -> None:
    problem = only_problem("? [a, b]\n: 1\n")
    assert "keys must be plain text" in problem.message


# --- shape of the file ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "---\n...\n"])
def test_empty_file(text: str) -> None:
    problem = only_problem(text)
    assert "empty" in problem.message
    assert where(problem) == (1, 1)


def test_top_level_list() -> None:
    problem = only_problem("- a\n- b\n")
    assert "holds a list" in problem.message
    assert "expected a mapping" in problem.message


def test_top_level_scalar() -> None:
    assert "holds a single value" in only_problem("just text\n").message


def test_several_documents() -> None:
    problem = only_problem("a: 1\n---\nb: 2\n")
    assert where(problem)[0] == 2
    assert "single document" in problem.message


def test_one_explicit_document_is_fine() -> None:
    assert parse("---\na: 1\n...\n", "f.yaml").data == {"a": 1}


@pytest.mark.parametrize(
    "text",
    [
        "[" * 30_000 + "]" * 30_000,
        "a: " + "{b: " * 30_000 + "1" + "}" * 30_000,
        "- " * 30_000 + "x\n",  # compact nested block sequences: `- - - x`
    ],
    ids=["flow-lists", "flow-maps", "block-lists"],
)
def test_deep_nesting_is_refused_cleanly(text: str) -> None:
    started = time.perf_counter()
    problem = only_problem(text)
    assert f"nesting deeper than {MAX_DEPTH} levels" in problem.message
    assert problem.location.line >= 1
    assert time.perf_counter() - started < 5


def test_nesting_within_the_limit_is_fine() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2)
    assert isinstance(parse(text, "f.yaml").data["a"], list)


def test_tab_indentation_says_to_use_spaces() -> None:
    problem = only_problem("a:\n\tb: 1\n")
    assert where(problem) == (2, 1)
    assert "indent with spaces, not tabs" in problem.message


@pytest.mark.parametrize("text", ['a: "x\ty"\n', "a: 'x\ty'\n", "a: |\n  x\ty\n"])
def test_tab_inside_quoted_or_block_text_is_kept(text: str) -> None:
    assert parse(text, "f.yaml").data["a"].rstrip("\n") == "x\ty"


def test_tab_inside_unquoted_text_says_to_quote() -> None:
    # PyYAML refuses a tab between the words of plain text; say so instead of blaming indentation.
    problem = only_problem("a: 1\nb: x\ty\n")
    assert where(problem) == (2, 5)
    assert "quote" in problem.message
    assert "indent" not in problem.message


def test_syntax_error_points_at_its_line() -> None:
    problem = only_problem("a: 1\nb: [1, 2\nc: 3\n")
    assert problem.message.startswith("YAML syntax:")
    assert problem.location.line >= 2


def test_raw_control_character_is_refused_with_position() -> None:
    problem = only_problem("a: fine\nb: x\x01y\n")
    assert where(problem) == (2, 5)
    assert "U+0001" in problem.message


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\ufffe", "\uffff"])
def test_raw_forbidden_characters_are_refused(char: str) -> None:
    problem = only_problem(f"a: b{char}\n")
    assert f"U+{ord(char):04X}" in problem.message
    assert where(problem) == (1, 5)


# --- bytes on disk: encoding, BOM, line ends, size ------------------------------------------


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    return path


def load_problem(path: Path) -> Problem:
    with pytest.raises(InputError) as info:
        load(path, "f.yaml")
    assert len(info.value.problems) == 1
    return info.value.problems[0]


def test_non_utf8_bytes_give_line_column_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path, b"title: ok\nvenue: caf\xe9\n")
    problem = load_problem(path)
    assert where(problem) == (2, 11)
    assert "not valid UTF-8" in problem.message
    assert "0xe9" in problem.message
    assert "offset 20" in problem.message


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffa: 1\r\nb: 日本\r\nc:\r\n  - x\r\n".encode())
    doc = load(path, "f.yaml")
    assert doc.data == {"a": 1, "b": "日本", "c": ["x"]}
    assert doc.locate(("c", 0)).line == 4


def test_bom_and_crlf_keep_line_numbers_in_problems(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfa: 1\r\nb: 2\r\na: 3\r\n")
    problem = load_problem(path)
    assert where(problem) == (3, 1)
    assert "line 1" in problem.message


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    problem = load_problem(path)
    assert f"the limit is {MAX_FILE_BYTES}" in problem.message
    assert str(path.stat().st_size) in problem.message


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    body = b"a: " + b"x" * (MAX_FILE_BYTES - 4) + b"\n"
    assert len(body) == MAX_FILE_BYTES
    assert load(write(tmp_path, body), "f.yaml").data["a"].startswith("xxx")


def test_unreadable_path_is_an_input_error(tmp_path: Path) -> None:
    problem = load_problem(tmp_path / "missing.yaml")
    assert problem.message == "cannot read: No such file or directory"
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert load_problem(folder).message == "cannot read: a folder"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    started = time.perf_counter()
    assert load_problem(fifo).message == "cannot read: not a regular file"
    assert time.perf_counter() - started < 1


# --- locations ------------------------------------------------------------------------------


def test_locate_values_keys_and_absent_paths() -> None:
    text = "id: x\nparticipants:\n  - person: a\n    office: b\n  - person: c\n"
    doc = parse(text, "m.yaml")
    assert isinstance(doc, Document)
    assert str(doc.locate(("participants", 1, "person"))) == "m.yaml:5:13"
    assert str(doc.locate(("participants", 0, "office"), key=True)) == "m.yaml:4:5"
    # absent: falls back to the nearest present ancestor
    assert str(doc.locate(("participants", 1, "side"))) == "m.yaml:5:5"
    assert str(doc.locate(("nothing",))) == "m.yaml:1:1"


def test_fast_and_pure_loaders_agree_on_the_real_corpus() -> None:
    """libyaml does the parsing when it can; the result must be what the pure loader gives."""
    from pathlib import Path

    from ijbrief.corpus import yamlio

    repo = Path(__file__).resolve().parents[2]
    files = [*sorted((repo / "briefs").rglob("*.yaml")), repo / "seeds/catalogue.yaml"]
    assert yamlio._CParser is not None  # PyYAML's wheels ship libyaml
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = yamlio._fast_node(text)
        assert fast is not None, path
        builder = yamlio._Builder(yamlio.Document(str(path), None))
        pure_loader = yamlio._PureLoader(text)
        pure = yamlio._Builder(yamlio.Document(str(path), None))
        assert builder.build(fast, ()) == pure.build(pure_loader.get_single_node(), ())
        assert builder.doc.value_marks == pure.doc.value_marks
        assert builder.doc.key_marks == pure.doc.key_marks
