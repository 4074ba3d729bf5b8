"""The corpus side of ``ijbrief review``: which version of briefs/ a document was built from, and
``--apply``, which writes a reviewer's new text into a record's YAML file with a round-trip YAML
library, so that the file's comments, order and layout stay as they were."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ijbrief.corpus.collection import normalise_quote
from ijbrief.corpus.yamlio import YamlPath, os_reason, read_bytes

_WIDTH = 100  # the corpus's line length: a folded scalar is folded again at it
# Text that means something to Markdown, which a plain rewrite of the field would lose.
_MARKUP = ("*", "_", "`", "[", "]", "<", ">", "\\")
_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def corpus_facts(root: Path, files: Iterable[str]) -> list[tuple[str, str]]:
    """The version of the corpus a document is built from: a digest of all of ``files`` (the
    loaded YAML, paths relative to ``root``) as ``corpus``, and each one's as ``file:<path>``."""
    whole = hashlib.sha256()
    facts: list[tuple[str, str]] = []
    for name in sorted(set(files)):
        try:
            digest = file_digest((root / name).read_bytes())
        except OSError:
            digest = "missing"
        whole.update(f"{name}\0{digest}\0".encode())
        facts.append((f"file:{name}", digest))
    return [("corpus", whole.hexdigest()), *facts]


def changed_files(root: Path, digests: Mapping[str, str]) -> list[str]:
    """The files of ``digests`` whose content is not what it was (or that are gone)."""
    changed = []
    for name, digest in sorted(digests.items()):
        try:
            now = file_digest((root / name).read_bytes())
        except OSError:
            now = "missing"
        if now != digest:
            changed.append(name)
    return changed


@dataclass(frozen=True)
class Change:
    """New text for one scalar field of a record."""

    file: str  # relative to the project
    path: YamlPath
    built: str  # the text the document was built with, as it printed it
    new: str


@dataclass(frozen=True)
class Outcome:
    change: Change
    applied: bool
    reason: str = ""  # why it was not


def refusal(change: Change, current: Any) -> str:
    """Why ``change`` cannot be written into a field whose value is ``current`` ("" if it can)."""
    if change.path and change.path[0] == "quotes":
        return (
            "a quotation: it must match its source verbatim; change the source or the quote by hand"
        )
    if not isinstance(current, str):
        return "not a plain text field"
    if any(c in current for c in _MARKUP):
        return "the field has formatting (Markdown); change it by hand"
    if normalise_quote(current) != normalise_quote(change.built):
        return "the field's text is not what the document was built from"
    return ""


def apply_changes(root: Path, changes: Iterable[Change]) -> list[Outcome]:
    """Write each change into its file (each file once, after all its changes are made)."""
    from ruamel.yaml import YAML

    by_file: dict[str, list[Change]] = {}
    for change in changes:
        by_file.setdefault(change.file, []).append(change)
    outcomes: list[Outcome] = []
    for name, group in by_file.items():
        path = root / name
        try:
            text = read_bytes(path, name).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else "not UTF-8"
            outcomes += [Outcome(c, False, f"cannot read {name}: {reason}") for c in group]
            continue
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096  # never re-wrap lines this change does not touch
        yaml.indent(mapping=2, sequence=4, offset=2)
        data = yaml.load(text)
        done = False
        for change in group:
            parent, key, current = _walk(data, change.path)
            reason = "the field is no longer in the file" if parent is None else ""
            reason = reason or refusal(change, current)
            if reason:
                outcomes.append(Outcome(change, False, reason))
                continue
            assert parent is not None
            parent[key] = _like(current, change.new, _indent_of(change.path))
            outcomes.append(Outcome(change, True))
            done = True
        if done:
            out = io.StringIO()
            yaml.dump(data, out)
            staged = path.with_name(f".{path.name}.review")
            staged.write_text(out.getvalue(), encoding="utf-8")
            staged.replace(path)
    return outcomes


def _walk(data: Any, path: YamlPath) -> tuple[Any, Any, Any]:
    parent: Any = None
    key: Any = None
    node = data
    for part in path:
        try:
            parent, key, node = node, part, node[part]
        except (KeyError, IndexError, TypeError):
            return None, None, None
    return parent, key, node


def _indent_of(path: YamlPath) -> int:
    """The column a block scalar's lines start at, for a field at ``path`` (mappings indented
    by 2, a sequence's items by 2 and their keys by 4, as the corpus writes them)."""
    return 2 * len(path) + sum(isinstance(p, int) for p in path)


def _like(current: Any, new: str, indent: int) -> Any:
    """``new`` in the style of ``current``: folded, literal, quoted or plain; the reviewer's
    typographic quotes as the file's straight ones when the file uses those."""
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        FoldedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    if not any(c in current for c in "\u2018\u2019\u201c\u201d"):
        new = new.translate(_CURLY)
    new = " ".join(new.split())
    if isinstance(current, FoldedScalarString):
        folded = FoldedScalarString(new)
        folded.fold_pos = _fold_positions(new, _WIDTH - indent)
        return folded
    for kind in (LiteralScalarString, SingleQuotedScalarString, DoubleQuotedScalarString):
        if isinstance(current, kind):
            return kind(new)
    return new


def _fold_positions(text: str, width: int) -> list[int]:
    """Where to fold ``text`` (at spaces) so that no line is longer than ``width``."""
    positions: list[int] = []
    start = 0
    while len(text) - start > width:
        cut = text.rfind(" ", start, start + width + 1)
        if cut <= start:
            cut = text.find(" ", start + width)
            if cut == -1:
                break
        positions.append(cut)
        start = cut + 1
    return positions
