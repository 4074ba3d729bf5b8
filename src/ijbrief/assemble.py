"""Lay out a large dossier as parts across the worker pool, cache them, number the pages across
them and merge them into one PDF."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from ijbrief.errors import RenderError
from ijbrief.parts import Cut, PartLayout, cut, page_numbers, part_key

PARTS_DIR = ".ijbrief-parts"
# Contents and index quote page numbers, and their own length moves the pages after them: lay
# them out again until the numbers they quote are the numbers they get (twice, in practice).
MAX_ROUNDS = 5

LayoutPart = Callable[[str, str], "Future[PartLayout]"]


class PartStore:
    """Laid-out parts by content key, kept in ``out/.ijbrief-parts`` between builds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> PartLayout | None:
        try:
            facts = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            pdf = (self.folder / f"{key}.pdf").read_bytes()
            return PartLayout(
                pdf,
                int(facts["pages"]),
                {k: (int(p), float(x), float(y)) for k, (p, x, y) in facts["anchors"].items()},
                [
                    (int(p), str(t), (float(a), float(b), float(c), float(d)))
                    for p, t, (a, b, c, d) in facts["links"]
                ],
                [
                    (int(lv), str(lb), int(p), float(x), float(y))
                    for lv, lb, p, x, y in facts["bookmarks"]
                ],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, layout: PartLayout) -> None:
        """Write the PDF, then the facts: a part counts as cached once its facts exist."""
        self.folder.mkdir(parents=True, exist_ok=True)
        facts = {
            "pages": layout.pages,
            "anchors": layout.anchors,
            "links": layout.links,
            "bookmarks": layout.bookmarks,
        }
        self._write(self.folder / f"{key}.pdf", layout.pdf)
        self._write(self.folder / f"{key}.json", json.dumps(facts).encode())

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def prune(self, keep: set[str]) -> None:
        """Forget parts that no dossier uses any more."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.partition(".")[0] not in keep:
                path.unlink(missing_ok=True)


class _Everywhere(Mapping[str, str]):
    """A page number for any anchor: laying out with it shows which parts quote page numbers."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __getitem__(self, key: str) -> str:
        return self.value

    def get(self, key: str, default: object = None) -> str:
        return self.value

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass
class Assembled:
    """The outcome: page numbers of every anchor, the page count, the PDF (if asked for)."""

    numbers: dict[str, int]
    pages: int
    pdf: bytes | None
    part_keys: list[str]
    laid_out: int = 0
    parts: int = 0


@dataclass
class Assembly:
    """One dossier in parts. ``start`` sends the parts that quote no page numbers to the pool;
    ``finish`` lays out the rest once those numbers are known, and merges."""

    name: str
    compose: Callable[[Mapping[str, object]], str]
    store: PartStore
    salt: str
    chapters_per_part: int
    previous: list[str] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)
    cached: set[int] = field(default_factory=set)
    pending: dict[int, Future[PartLayout]] = field(default_factory=dict)
    dependent: set[int] = field(default_factory=set)
    count: int = 0
    laid_out: int = 0

    def start(self, layout_part: LayoutPart) -> bool:
        """Cut the dossier and send off its independent parts; False if it cannot be cut."""
        plain = cut(self.compose({}), self.chapters_per_part)
        numbered = cut(self.compose(_Everywhere("0")), self.chapters_per_part)
        if plain is None or numbered is None or len(plain.parts) != len(numbered.parts):
            return False
        self.count = len(plain.parts)
        self.dependent = {
            index
            for index, (a, b) in enumerate(zip(plain.parts, numbered.parts, strict=True))
            if a.body != b.body
        }
        self.pending = {
            index: self._submit(plain, index, layout_part)
            for index in range(self.count)
            if index not in self.dependent
        }
        return True

    def _submit(self, parts: Cut, index: int, layout_part: LayoutPart) -> Future[PartLayout]:
        html = parts.html(parts.parts[index])
        key = self.keys[index] = part_key(self.salt, html)
        cached = self.store.get(key)
        if cached is not None:
            self.cached.add(index)
            done: Future[PartLayout] = Future()
            done.set_result(cached)
            return done
        self.cached.discard(index)
        self.laid_out += 1
        return layout_part(f"{self.name}, {parts.parts[index].name}", html)

    def _result(self, index: int, future: Future[PartLayout]) -> PartLayout:
        layout = future.result()
        if index not in self.cached:
            self.store.put(self.keys[index], layout)
        return layout

    def finish(
        self, layout_part: LayoutPart, merge: Callable[[list[PartLayout]], bytes] | None
    ) -> Assembled:
        known = {index: self._result(index, future) for index, future in self.pending.items()}
        guesses = {index: self._previous(index) for index in self.dependent}
        for _ in range(MAX_ROUNDS):
            numbers = page_numbers([known.get(i) or guesses[i] for i in range(self.count)])
            parts = cut(self.compose(numbers), self.chapters_per_part)
            if parts is None or len(parts.parts) != self.count:
                raise RenderError(
                    f"{self.name}: the template cuts the dossier differently each time"
                )
            futures = {i: self._submit(parts, i, layout_part) for i in sorted(self.dependent)}
            guesses = {i: self._result(i, future) for i, future in futures.items()}
            final = [known.get(i) or guesses[i] for i in range(self.count)]
            if page_numbers(final) == numbers:
                break
        else:
            raise RenderError(
                f"{self.name}: the page numbers in the contents did not settle after "
                f"{MAX_ROUNDS} layouts"
            )
        return Assembled(
            numbers=numbers,
            pages=sum(layout.pages for layout in final),
            pdf=merge(final) if merge else None,
            part_keys=[self.keys[i] for i in range(self.count)],
            laid_out=self.laid_out,
            parts=self.count,
        )

    def _previous(self, index: int) -> PartLayout:
        """The last build's layout of this part, the best first guess at its length."""
        if len(self.previous) == self.count:
            found = self.store.get(self.previous[index])
            if found is not None:
                return found
        return PartLayout(b"", 1)
