"""A long-lived process's dossier chapters, reused from its last composition where nothing a
chapter shows has changed (composing all 500 again was a sixth of a rebuild)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.environment import TemplateModule
from jinja2.runtime import Context, LoopContext, Macro

BLOCK = "chapter"
BlockRender = Callable[[Context], Iterator[str]]

# Where a chapter stands in the loop over the meetings: part of what it is kept under. Any other
# use of the loop (its neighbours, cycle, changed) makes the block never reused.
_LOOP_POSITION = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
# Names through which a block shows what is not its own: other blocks, a parent's version of it.
_ELSEWHERE = frozenset({"self", "super", "caller", "varargs", "kwargs"})
# Templates a block brings in see its loop too.
_BRINGS_IN = (nodes.Include, nodes.Import, nodes.FromImport)


class Watched(dict[str, Any]):
    """The dossier's facts as templates see them, counting the reads of those that change with
    any meeting (the lists of every meeting, agreement and contents entry): a chapter that reads
    them is composed again each time. The ``steady`` ones are part of what chapters are kept under."""

    steady = frozenset({"title", "subtitle", "span", "filters", "parts", "sections"})

    def __init__(self, facts: Mapping[str, Any]) -> None:
        super().__init__(facts)
        self.reads = 0

    def __getitem__(self, key: str) -> Any:
        if key not in self.steady:
            self.reads += 1
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.steady:
            self.reads += 1
        return super().get(key, default)

    def __iter__(self) -> Iterator[str]:
        self.reads += 1
        return super().__iter__()

    def keys(self) -> Any:
        self.reads += 1
        return super().keys()

    def values(self) -> Any:
        self.reads += 1
        return super().values()

    def items(self) -> Any:
        self.reads += 1
        return super().items()

    def copy(self) -> dict[str, Any]:
        self.reads += 1
        return super().copy()

    def __repr__(self) -> str:
        self.reads += 1
        return super().__repr__()


@dataclass
class _Kept:
    """A chapter as composed, with what it was composed from and the sources it cited first."""

    view: Any
    index: int
    length: int
    cited_before: tuple[str, ...]
    signature: str
    html: str
    cited: list[str]


class ChapterReuse:
    """One audience's chapters, kept by a long-lived process from one composition to the next.
    A chapter is reused when its meeting's view is the same object (views are made again when
    anything they show changes), at the same place in the loop, after the same sources were
    cited, with the same everything else (templates, audience, dates); and only if its block,
    when composed, read nothing else: no list of all meetings, no page number, no neighbour."""

    def __init__(self) -> None:
        self.env: jinja2.Environment | None = None
        self.kept: dict[str, _Kept] = {}
        self.composed: dict[str, _Kept] = {}
        self.verdicts: dict[str, bool] = {}
        self.reused = 0

    def blocks(
        self,
        env: jinja2.Environment,
        context: dict[str, Any],
        chapters: Sequence[tuple[dict[str, Any], Any]],
    ) -> dict[str, Callable[[BlockRender], BlockRender]]:
        """Make ``context`` watch its dossier, and return the wrapper of the chapter block.
        ``chapters``: each meeting as the template gets it, with the view it was made from."""
        if env is not self.env:
            self.env, self.kept, self.verdicts = env, {}, {}
        dossier = context["dossier"] = Watched(context["dossier"])
        cite, pages = context["cite"], context["toc_pages"]
        signature = repr(
            (
                sorted(
                    (k, repr(v))
                    for k, v in context.items()
                    if k not in ("dossier", "cite", "toc_pages")
                ),
                sorted((k, repr(v)) for k, v in dict.items(dossier) if k in Watched.steady),
            )
        )
        views = {id(meeting): (meeting["id"], view) for meeting, view in chapters}
        known = set(context) | {"brief", "loop"}
        self.composed, self.reused = {}, 0

        def wrap(block: BlockRender) -> BlockRender:
            if not self._position_only(env, block):
                return block

            def reusing(derived: Context) -> Iterator[str]:
                brief, loop = derived.parent.get("brief"), derived.parent.get("loop")
                found = views.get(id(brief))
                others = [
                    derived.parent[name]
                    for name in derived.parent.keys() - known - env.globals.keys()
                ]
                if found is None or not isinstance(loop, LoopContext) or not _macros_only(others):
                    yield from block(derived)
                    return
                ident, view = found
                before = tuple(cite.numbers)
                kept = self.kept.get(ident)
                if (
                    kept is not None
                    and kept.view is view
                    and (kept.index, kept.length) == (loop.index0, loop.length)
                    and kept.cited_before == before
                    and kept.signature == signature
                ):
                    cite(kept.cited)  # the sources it cites first, numbered as they were
                    self.composed[ident] = kept
                    self.reused += 1
                    yield kept.html
                    return
                reads, lookups = dossier.reads, getattr(pages, "lookups", None)
                html = "".join(block(derived))
                if (dossier.reads, getattr(pages, "lookups", None)) == (reads, lookups):
                    cited = list(cite.numbers)[len(before) :]
                    self.composed[ident] = _Kept(
                        view, loop.index0, loop.length, before, signature, html, cited
                    )
                yield html

            return reusing

        return {BLOCK: wrap}

    def done(self) -> None:
        """The composition went through: keep its chapters (and only those) for the next."""
        self.kept, self.composed = self.composed, {}

    def _position_only(self, env: jinja2.Environment, block: BlockRender) -> bool:
        """Whether the block (as the template that defines it has it) uses its loop only for its
        position and shows no other block."""
        name = getattr(block, "__globals__", {}).get("name")
        if not isinstance(name, str) or env.loader is None:
            return False
        if name not in self.verdicts:
            source, _, _ = env.loader.get_source(env, name)
            found = [b for b in env.parse(source).find_all(nodes.Block) if b.name == BLOCK]
            self.verdicts[name] = len(found) == 1 and _position_only(found[0])
        return self.verdicts[name]


def _macros_only(values: list[Any]) -> bool:
    """Whether these names a template set around the chapters are imported templates of macros
    only (anything else they set may hold what changes with any meeting)."""
    return all(
        isinstance(value, TemplateModule)
        and all(isinstance(v, Macro) for k, v in vars(value).items() if not k.startswith("_"))
        for value in values
    )


def _position_only(block: nodes.Block) -> bool:
    if any(True for _ in block.find_all(_BRINGS_IN)):
        return False
    positions = {
        id(attr.node)
        for attr in block.find_all(nodes.Getattr)
        if isinstance(attr.node, nodes.Name) and attr.attr in _LOOP_POSITION
    }
    for name in block.find_all(nodes.Name):
        if name.name in _ELSEWHERE or (name.name == "loop" and id(name) not in positions):
            return False
    return True
