"""Strict, safe YAML loading that keeps a line and column for every key and value."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ijbrief.errors import InputError, Location, Problem
from ijbrief.files import MAX_FILE_BYTES as MAX_FILE_BYTES
from ijbrief.files import os_reason as os_reason
from ijbrief.files import read_bytes as read_bytes

_CParser: Any
try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

MAX_DEPTH = 64

YamlPath = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {_STR_TAG, "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
# Only YAML 1.2 core spellings become non-strings; `NO`, `010`, `12:30`, `1.10` stay text,
# and the model decides whether text is acceptable where it stands. Longer digit runs than any
# count in the corpus needs stay text too (Python refuses to convert more than 4300 digits).
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_NULLS = {"", "~", "null"}
_EXPLICIT = "ijbrief_explicit_tag"


@dataclass
class Document:
    """A loaded YAML file: its data and where each part of it was written."""

    path: str
    data: Any
    value_marks: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: Sequence[str | int], *, key: bool = False) -> Location:
        """The place of ``loc`` or, when it is absent, of its nearest present ancestor."""
        path = tuple(loc)
        while path:
            if key and path in self.key_marks:
                return Location(self.path, *self.key_marks[path])
            if path in self.value_marks:
                return Location(self.path, *self.value_marks[path])
            if path in self.key_marks:
                return Location(self.path, *self.key_marks[path])
            path = path[:-1]
        return Location(self.path, *self.value_marks.get((), (1, 1)))


class _StrictComposer(Composer, BaseResolver):
    """Composes nodes with no implicit typing, no aliases and a depth limit, from any parser."""

    def __init__(self) -> None:
        Composer.__init__(self)
        BaseResolver.__init__(self)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        events: Any = self  # the parser half of the loader supplies the events
        if events.check_event(AliasEvent):
            event = events.peek_event()
            raise _Refused(event.start_mark, "aliases (*name) are not allowed; write the value out")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            event = events.peek_event()
            raise _Refused(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        events: Any = self
        tag = events.peek_event().tag
        node: ScalarNode = super().compose_scalar_node(anchor)
        if tag is not None:
            # `!!str 1` and `! 1` are explicitly text: never read them as numbers or booleans.
            setattr(node, _EXPLICIT, True)
        return node


class _PureLoader(Reader, Scanner, Parser, _StrictComposer):
    """PyYAML's pure-Python scanner and parser under the strict composer."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _StrictComposer.__init__(self)


if _CParser is not None:

    class _FastLoader(_StrictComposer, _CParser):  # type: ignore[misc]
        """libyaml's scanner and parser (iterative, about ten times faster) under the same
        strict composer; PyYAML's own C composer is not used, as it crashes on deep nesting."""

        def __init__(self, text: str) -> None:
            _CParser.__init__(self, text)
            _StrictComposer.__init__(self)


def _fast_node(text: str) -> Node | None:
    """The document's node through libyaml, or None when that is not possible or the text has
    any problem: the pure-Python loader then reports it, in the same words on every machine."""
    # PyYAML's scanner refuses tabs that libyaml allows: such text takes the slow path too.
    if _CParser is None or "\t" in text or Reader.NON_PRINTABLE.search(text):
        return None
    loader = _FastLoader(text)
    try:
        node: Node | None = loader.get_single_node()
    except (yaml.YAMLError, _Refused, ValueError, UnicodeError):
        return None
    finally:
        loader.dispose()
    return node


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _decode(raw: bytes, display: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = raw[exc.start]
        raise InputError(
            [
                Problem(
                    Location(display, line, column),
                    f"not valid UTF-8: byte 0x{bad:02x} at offset {exc.start}; save as UTF-8",
                )
            ]
        ) from None


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a node tree into plain Python values, recording marks and collecting problems."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def problem(self, mark: tuple[int, int], message: str) -> None:
        self.problems.append(Problem(Location(self.doc.path, *mark), message))

    def build(self, node: Node, path: YamlPath) -> Any:
        self.doc.value_marks[path] = _mark(node.start_mark)
        if node.tag not in _ALLOWED_TAGS:
            self.problem(_mark(node.start_mark), f"tag {node.tag!r} is not allowed; remove it")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(key_node.start_mark)
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _ALLOWED_TAGS:
                self.problem(key_mark, "mapping keys must be plain text")
                continue
            key = str(key_node.value)
            if key in first_seen:
                self.problem(
                    key_mark,
                    f"duplicate key {key!r} (first defined on line {first_seen[key]})",
                )
                continue
            first_seen[key] = key_mark[0]
            self.doc.key_marks[(*path, key)] = key_mark
            result[key] = self.build(value_node, (*path, key))
        return result

    @staticmethod
    def scalar(node: ScalarNode) -> Any:
        text = str(node.value)
        if node.style or getattr(node, _EXPLICIT, False):  # '' and None both mean plain
            return text
        if text in _NULLS:
            return None
        if text in ("true", "false"):
            return text == "true"
        if _INT.fullmatch(text):
            return int(text)
        return text


def _tab_hint(text: str, mark: Any) -> str:
    """Explain a refused tab: in the indentation, or between words of unquoted text."""
    lines = text.splitlines()
    before = ""
    if mark is not None and mark.line < len(lines):
        before = lines[mark.line][: mark.column]
    if before.strip(" \t"):
        return " (a tab is allowed only inside quotes here; use spaces or quote the text)"
    return " (indent with spaces, not tabs)"


def parse(text: str, display: str) -> Document:
    """Parse YAML text into a :class:`Document`; raise :class:`InputError` listing every problem."""
    doc = Document(display, None)
    loader: Any = None
    node = _fast_node(text)
    try:
        if node is None:  # the slow path, which also words every error message
            loader = _PureLoader(text)
            node = loader.get_single_node()
    except _Refused as exc:
        raise InputError([Problem(Location(display, *_mark(exc.mark)), exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(display, *_mark(mark)) if mark else Location(display)
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "maximum nesting depth" in message:  # libyaml's own limit, met while scanning ahead
            raise InputError([Problem(where, f"nesting deeper than {MAX_DEPTH} levels")]) from None
        if "'\\t'" in message:
            message += _tab_hint(text, mark)
        raise InputError([Problem(where, f"YAML syntax: {message}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise InputError(
            [
                Problem(
                    Location(display, line, column), f"character U+{ord(char):04X} is not allowed"
                )
            ]
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - other PyYAML failures carry no mark
        raise InputError([Problem(Location(display), f"YAML: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    empty = InputError([Problem(Location(display, 1, 1), "file is empty; expected a mapping")])
    if node is None:
        raise empty
    builder = _Builder(doc)
    doc.data = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    if doc.data is None:  # `---` alone, or `~`: a document with nothing in it
        raise empty
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else "a single value"
        raise InputError(
            [
                Problem(
                    doc.locate(()), f"the file holds {kind}; expected a mapping of keys to values"
                )
            ]
        )
    return doc


def load(path: Path, display: str) -> Document:
    """Read and parse one YAML file, refusing oversized and non-UTF-8 files."""
    return parse_bytes(read_bytes(path, display), display)


def parse_bytes(raw: bytes, display: str) -> Document:
    """Parse the bytes of a YAML file read with :func:`read_bytes`."""
    return parse(_decode(raw, display), display)


def read_text(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes; InputError otherwise."""
    return _decode(read_bytes(path, display, limit), display)
