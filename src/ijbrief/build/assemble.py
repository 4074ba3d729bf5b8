"""Lay out a large dossier as parts across the worker pool, cache them, number the pages across
them and merge them into one PDF."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from pathlib import Path

from ijbrief.build.parts import Cut, cut, footer_sample, page_numbers, part_key
from ijbrief.errors import RenderError
from ijbrief.writers.layout import PartLayout

PARTS_DIR = ".ijbrief-parts"
_ID = re.compile(r'\bid="([^"]+)"')
# Contents and index quote page numbers, and their own length moves the pages after them: lay
# them out again until the numbers they quote are the numbers they get (twice, in practice).
MAX_ROUNDS = 5

LayoutPart = Callable[[str, str], "Future[PartLayout]"]


# Parts read or written by this process, by folder and key: a long-lived process (serve,
# build --watch) reads each part from disk once.
_LOADED: dict[Path, dict[str, PartLayout]] = {}


class PartStore:
    """Laid-out parts by content key, kept in ``out/.ijbrief-parts`` between builds."""

    def __init__(self, folder: Path, fresh: bool = False) -> None:
        """``fresh``: use nothing laid out before (``build --force``), only what is put now."""
        self.folder = folder
        if fresh:
            _LOADED[folder] = {}
        self.loaded = _LOADED.setdefault(folder, {})
        self.put_now: set[str] | None = set() if fresh else None

    def _kept_before(self, key: str) -> bool:
        return self.put_now is None or key in self.put_now

    def get(self, key: str) -> PartLayout | None:
        known = self.loaded.get(key)
        if known is None and self._kept_before(key):
            known = self._read(key)
            if known is not None:
                self.loaded[key] = known
        return known

    def _read(self, key: str) -> PartLayout | None:
        try:
            facts = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            pdf = (self.folder / f"{key}.pdf").read_bytes()
            if hashlib.sha256(pdf).hexdigest() != facts["sha256"]:
                return None  # damaged or half written: lay it out again
            return PartLayout(
                pdf,
                int(facts["pages"]),
                {k: (int(p), float(x), float(y)) for k, (p, x, y) in facts["anchors"].items()},
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
            "sha256": hashlib.sha256(layout.pdf).hexdigest(),
            "pages": layout.pages,
            "anchors": layout.anchors,
            "bookmarks": layout.bookmarks,
        }
        self._write(self.folder / f"{key}.pdf", layout.pdf)
        self._write(self.folder / f"{key}.json", json.dumps(facts).encode())
        self.loaded[key] = layout
        if self.put_now is not None:
            self.put_now.add(key)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get_blob(self, key: str) -> bytes | None:
        """Something else kept beside the parts (a joined font program), by key."""
        if not self._kept_before(key):
            return None
        try:
            return (self.folder / f"{key}.bin").read_bytes()
        except OSError:
            return None

    def put_blob(self, key: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(self.folder / f"{key}.bin", data)
        if self.put_now is not None:
            self.put_now.add(key)

    def keep_loaded(self, keys: set[str]) -> None:
        """Hold in memory only these parts (the rest stay on disk)."""
        for key in set(self.loaded) - keys:
            del self.loaded[key]

    def prune(self, keep: set[str]) -> None:
        """Forget parts that no dossier uses any more."""
        self.keep_loaded(keep)
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.partition(".")[0] not in keep:
                path.unlink(missing_ok=True)


class Placeholders(Mapping[str, str]):
    """A page number for any anchor, as a placeholder filled in after composing: the dossier is
    composed once, and the parts it shows in are the parts that quote page numbers."""

    def __init__(self) -> None:
        self.anchors: list[str] = []
        self.positions: dict[str, int] = {}
        self.lookups = 0  # a chapter that looks a page number up is composed again each time

    def __getitem__(self, anchor: str) -> str:
        self.lookups += 1
        position = self.positions.setdefault(anchor, len(self.anchors))
        if position == len(self.anchors):
            self.anchors.append(anchor)
        return f"\ue000{position}\ue001"

    def get(self, anchor: str, default: object = None) -> str:
        return self[anchor]

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def quoted_in(self, html: str) -> bool:
        return "\ue000" in html

    def fill(self, html: str, numbers: Mapping[str, object]) -> str:
        """``html`` with each placeholder replaced by its anchor's number ("" if it has none)."""
        return _PLACEHOLDER.sub(lambda m: str(numbers.get(self.anchors[int(m[1])], "")), html)


_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


@dataclass
class Assembled:
    """The outcome: page numbers of every anchor, the page count, the parts to merge and the
    sample of its footer."""

    numbers: dict[str, int]
    pages: int
    layouts: list[PartLayout]
    part_keys: list[str]
    footer: PartLayout  # a page with the dossier's footer set as parts.FOOTER_SAMPLE
    footer_key: str
    laid_out: int = 0
    parts: int = 0
    ahead: int = 0  # how many parts end it after its last chapter: the merge places them ahead

    @property
    def ahead_keys(self) -> list[str]:
        """The keys of the parts the merge places ahead."""
        return self.part_keys[len(self.part_keys) - self.ahead :] if self.ahead else []


@dataclass
class _Pending:
    """A part being laid out, or found in the store; stored once its layout is known."""

    key: str
    future: Future[PartLayout]
    store: PartStore
    cached: bool

    def result(self) -> PartLayout:
        layout = self.future.result()
        if not self.cached:
            self.store.put(self.key, layout)
            self.cached = True
        return layout


@dataclass
class Assembly:
    """One dossier in parts. ``start`` sends the parts that quote no page numbers to the pool,
    with a first draft of those that do; ``finish`` lays the latter out again with the real
    numbers until they hold, and merges."""

    name: str
    compose: Callable[[Mapping[str, object]], str]
    store: PartStore
    salt: str
    chapters_per_part: int
    rows_per_part: int
    previous: list[str] = field(default_factory=list)
    placeholders: Placeholders = field(default_factory=Placeholders)
    cut: Cut = field(default_factory=lambda: Cut("", "", ()))
    independent: dict[int, _Pending] = field(default_factory=dict)
    drafts: dict[int, _Pending] = field(default_factory=dict)
    guesses: dict[int, PartLayout] = field(default_factory=dict)
    dependent: set[int] = field(default_factory=set)
    footer: _Pending | None = None
    count: int = 0
    laid_out: int = 0
    cancelled: bool = False

    def start(self, layout_part: LayoutPart) -> bool:
        """Cut the dossier and send off its parts; False if it cannot be cut."""
        cut_up = cut(self.compose(self.placeholders), self.chapters_per_part, self.rows_per_part)
        if cut_up is None:
            return False
        self.cut = cut_up
        self.count = len(cut_up.parts)
        self.dependent = {
            index
            for index, part in enumerate(cut_up.parts)
            if self.placeholders.quoted_in(cut_up.html(part))
        }
        # Drafts first: the final layouts of their parts wait for them and for everything else.
        # A part at the very end needs none: its length moves no page number (the index is last
        # for that reason); until it is laid out, its anchors are taken to be on its first page.
        for index in sorted(self.dependent):
            previous = self._previous(index)
            if previous is not None:
                self.guesses[index] = previous
            elif all(later in self.dependent for later in range(index, self.count)):
                ids = _ID.findall(cut_up.parts[index].body)
                self.guesses[index] = PartLayout(b"", 1, {i: (0, 0.0, 0.0) for i in ids})
            else:
                # Three digits: most dossiers have fewer than 1000 pages, so the draft is as long.
                draft = dict.fromkeys(self.placeholders.anchors, "000")
                self.drafts[index] = self._submit(index, draft, layout_part)
        for index in range(self.count):
            if index not in self.dependent:
                self.independent[index] = self._submit(index, {}, layout_part)
        self.footer = self._lay_out("footer sample", footer_sample(cut_up), layout_part)
        return True

    def _submit(
        self, index: int, numbers: Mapping[str, object], layout_part: LayoutPart
    ) -> _Pending:
        part = self.cut.parts[index]
        html = self.cut.html(part)
        if index in self.dependent:
            html = self.placeholders.fill(html, numbers)
        return self._lay_out(part.name, html, layout_part)

    def _lay_out(self, name: str, html: str, layout_part: LayoutPart) -> _Pending:
        """A part's layout: from the store, or sent to the pool."""
        if self.cancelled:
            raise CancelledError(f"{self.name}: the build failed elsewhere")
        key = part_key(self.salt, html)
        cached = self.store.get(key)
        future: Future[PartLayout]
        if cached is not None:
            future = Future()
            future.set_result(cached)
        else:
            self.laid_out += 1
            future = layout_part(f"{self.name}, {name}", html)
        return _Pending(key, future, self.store, cached is not None)

    def finish(self, layout_part: LayoutPart) -> Assembled:
        known = {index: pending.result() for index, pending in self.independent.items()}
        guesses = {
            index: self.guesses.get(index) or self.drafts[index].result()
            for index in self.dependent
        }
        for _ in range(MAX_ROUNDS):
            numbers = page_numbers([known.get(i) or guesses[i] for i in range(self.count)])
            pending = {i: self._submit(i, numbers, layout_part) for i in sorted(self.dependent)}
            guesses = {i: job.result() for i, job in pending.items()}
            final = [known.get(i) or guesses[i] for i in range(self.count)]
            if page_numbers(final) == numbers:
                break
        else:
            raise RenderError(
                f"{self.name}: the page numbers in the contents did not settle after "
                f"{MAX_ROUNDS} layouts"
            )
        keys = {
            **{i: job.key for i, job in self.independent.items()},
            **{i: job.key for i, job in pending.items()},
        }
        assert self.footer is not None
        return Assembled(
            numbers=numbers,
            pages=sum(layout.pages for layout in final),
            layouts=final,
            part_keys=[keys[i] for i in range(self.count)],
            footer=self.footer.result(),
            footer_key=self.footer.key,
            laid_out=self.laid_out,
            parts=self.count,
            ahead=self.ahead(),
        )

    def ahead(self) -> int:
        """How many parts follow the last chapter (none if there are no chapters)."""
        names = [part.name for part in self.cut.parts]
        chapters = [i for i, name in enumerate(names) if name.startswith("chapters ")]
        return len(names) - 1 - chapters[-1] if chapters else 0

    def laid_out_so_far(self) -> tuple[list[str], list[str], str] | None:
        """The keys of the leading parts found laid out, of the parts the merge places ahead and
        of the footer sample, for a merge to begin with; a part that quotes page numbers counts
        as last build's (it comes out the same unless the page numbers moved). None if the
        footer sample or a part placed ahead is not known yet."""
        if self.footer is None or not self.footer.cached:
            return None
        known = [self._known_key(index) for index in range(self.count)]
        ahead = known[self.count - self.ahead() :]
        if None in ahead:
            return None
        leading: list[str] = []
        for key in known:
            if key is None:
                break
            leading.append(key)
        return leading, [key for key in ahead if key is not None], self.footer.key

    def _known_key(self, index: int) -> str | None:
        pending = self.independent.get(index)
        if pending is not None:
            return pending.key if pending.cached else None
        return self._previous_key(index)

    def cancel(self) -> None:
        """Lay out no more of this dossier: the build has failed."""
        self.cancelled = True
        for pending in (*self.independent.values(), *self.drafts.values(), self.footer):
            if pending is not None:
                pending.future.cancel()

    def _previous(self, index: int) -> PartLayout | None:
        """The last build's layout of this part, the best first guess at its length."""
        key = self._previous_key(index)
        return self.store.get(key) if key is not None else None

    def _previous_key(self, index: int) -> str | None:
        """The key this part had in the last build, if it is still laid out."""
        if len(self.previous) == self.count and self.store.get(self.previous[index]) is not None:
            return self.previous[index]
        return None
