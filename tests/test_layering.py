"""The package's imports point one way: cli → web → build → {compose, writers} → corpus.

Every import of every module counts, those inside functions and under ``TYPE_CHECKING`` too (a
type-only import is still a dependency a reader has to follow). ``errors``, ``files`` (bounded
reading), ``textdiff`` (word differences), ``accel`` (the speed layer's switch), ``heap`` and
the package's ``__init__`` are leaves anyone may import, and they import only each other;
``corpus.model`` imports nothing of ijbrief; the writers import only the leaves and each other,
and are the only modules that import the heavy engines, but for the corpus's reader of Word
sources. See docs/architecture.md."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ijbrief"

# Each stage and the stages it may import (besides itself and the leaves).
STAGES: dict[str, set[str]] = {
    "corpus": set(),
    "compose": {"corpus"},
    "writers": set(),
    "build": {"compose", "writers", "corpus"},
    "web": {"build", "compose", "corpus"},
    "top": {"web", "build", "compose", "writers", "corpus"},
}
LEAVES = {
    "ijbrief",
    "ijbrief.errors",
    "ijbrief.files",
    "ijbrief.accel",
    "ijbrief.heap",
    "ijbrief.textdiff",
}
TOP = {"ijbrief.cli", "ijbrief.doctor", "ijbrief.__main__"}
# What the writers may import of the rest of ijbrief: they take plain data.
WRITERS_MAY_IMPORT = set(LEAVES)
# Modules that import nothing of ijbrief.
SELF_CONTAINED = {"ijbrief.corpus.model"}
ENGINES = {"weasyprint", "docx", "pikepdf", "fontTools"}
# `source add` reads a Word file a desk brings in with python-docx (inside the call, so `check`
# and `--help` do not load it).
ENGINE_READERS = {"ijbrief.corpus.sources": {"docx"}}

Graph = Mapping[str, Iterable[str]]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str], name: str = "") -> tuple[set[str], set[str]]:
    """The ijbrief modules ``path`` (module ``name``) imports (``from ijbrief.x import y`` counts
    as ``ijbrief.x.y`` when that is a module) and the top-level names of everything else."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    ours: set[str] = set()
    others: set[str] = set()

    def add(target: str) -> None:
        if target == "ijbrief" or target.startswith("ijbrief."):
            ours.add(target)
        else:
            others.add(target.split(".")[0])

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                add(submodule if submodule in modules else source)
    return {m for m in ours if m != name}, others


def package_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every module of the package: the ijbrief modules it imports, and the other packages."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    ours: dict[str, set[str]] = {}
    others: dict[str, set[str]] = {}
    for path in paths:
        ours[module_name(path)], others[module_name(path)] = imported(path, modules)
    return ours, others


def stage(module: str) -> str | None:
    if module in LEAVES:
        return "leaf"
    if module in TOP:
        return "top"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in STAGES:
        return parts[1]
    return None


def violations(graph: Graph, externals: Graph | None = None) -> list[str]:
    """Every import against the direction, and every module in no stage."""
    found = []
    for module, targets in sorted(graph.items()):
        here = stage(module)
        if here is None:
            found.append(
                f"{module} is in no stage: move it into corpus/, compose/, build/, writers/ or web/"
            )
            continue
        for target in sorted(set(targets)):
            there = stage(target)
            if module in SELF_CONTAINED:
                found.append(f"{module} imports {target}: it imports nothing of ijbrief")
            elif here == "leaf" and there != "leaf":
                found.append(f"{module} imports {target}: a leaf imports only other leaves")
            elif here == "writers" and there != "writers" and target not in WRITERS_MAY_IMPORT:
                found.append(f"{module} imports {target}: writers take plain data")
            elif there in (None, "leaf", here):
                continue  # a module in no stage is reported as the importer
            elif there not in STAGES[here]:
                found.append(f"{module} imports {target}: {here} may not import {there}")
    for module, names in sorted((externals or {}).items()):
        for engine in sorted(ENGINES & set(names) - ENGINE_READERS.get(module, set())):
            if stage(module) != "writers":
                found.append(f"{module} imports {engine}: only the writers import the engines")
    return found


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def packages_of(graph: Graph) -> dict[str, set[str]]:
    """The graph between stages (and top-level modules), each module counted in its stage."""

    def key(module: str) -> str:
        return stage(module) if stage(module) not in (None, "leaf", "top") else module

    collapsed: dict[str, set[str]] = {}
    for module, targets in graph.items():
        collapsed.setdefault(key(module), set()).update(
            key(t) for t in targets if key(t) != key(module)
        )
    return collapsed


def test_imports_point_down_the_stages() -> None:
    graph, externals = package_graph()
    assert {"ijbrief.build.pipeline", "ijbrief.corpus.loader", "ijbrief.web.serve"} <= set(graph)
    assert violations(graph, externals) == []


def test_no_import_cycle_between_modules_or_packages() -> None:
    graph, _ = package_graph()
    assert cycles(graph) == []
    assert cycles(packages_of(graph)) == []


def test_inner_imports_and_type_only_imports_count(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ijbrief.build.pipeline import Task\n"
        "def f():\n    from ijbrief.compose.site import index_html\n    import weasyprint.text\n"
        "from ijbrief import errors, __version__\n",
        encoding="utf-8",
    )
    modules = {"ijbrief.compose.site", "ijbrief.errors"}
    ours, others = imported(source, modules, "ijbrief.web.m")
    assert ours == {"ijbrief.build.pipeline", "ijbrief.compose.site", "ijbrief.errors", "ijbrief"}
    assert "weasyprint" in others


@pytest.mark.parametrize(
    ("graph", "externals", "message"),
    [
        (
            {"ijbrief.corpus.loader": {"ijbrief.build.pipeline"}},
            {},
            "ijbrief.corpus.loader imports ijbrief.build.pipeline: corpus may not import build",
        ),
        (
            {"ijbrief.build.pipeline": {"ijbrief.web.serve"}},
            {},
            "ijbrief.build.pipeline imports ijbrief.web.serve: build may not import web",
        ),
        (
            {"ijbrief.compose.select": {"ijbrief.writers.pdf"}},
            {},
            "ijbrief.compose.select imports ijbrief.writers.pdf: compose may not import writers",
        ),
        (
            {"ijbrief.writers.pdf": {"ijbrief.build.parts"}},
            {},
            "ijbrief.writers.pdf imports ijbrief.build.parts: writers take plain data",
        ),
        (
            {"ijbrief.writers.docx": {"ijbrief.corpus.yamlio"}},
            {},
            "ijbrief.writers.docx imports ijbrief.corpus.yamlio: writers take plain data",
        ),
        (
            {"ijbrief.writers.pdf": {"ijbrief.compose.textfmt"}},
            {},
            "ijbrief.writers.pdf imports ijbrief.compose.textfmt: writers take plain data",
        ),
        (
            {"ijbrief.corpus.model": {"ijbrief.errors"}},
            {},
            "ijbrief.corpus.model imports ijbrief.errors: it imports nothing of ijbrief",
        ),
        (
            {"ijbrief.heap": {"ijbrief.corpus.loader"}},
            {},
            "ijbrief.heap imports ijbrief.corpus.loader: a leaf imports only other leaves",
        ),
        (
            {"ijbrief.stray": {"ijbrief.corpus.loader"}},
            {},
            "ijbrief.stray is in no stage: move it into corpus/, compose/, build/, writers/ or web/",
        ),
        (
            {"ijbrief.doctor": set()},
            {"ijbrief.doctor": {"weasyprint", "rich"}},
            "ijbrief.doctor imports weasyprint: only the writers import the engines",
        ),
        (
            {"ijbrief.compose.timeline": set()},
            {"ijbrief.compose.timeline": {"fontTools"}},
            "ijbrief.compose.timeline imports fontTools: only the writers import the engines",
        ),
    ],
)
def test_an_import_against_the_direction_is_named(
    graph: dict[str, set[str]], externals: dict[str, set[str]], message: str
) -> None:
    assert violations(graph, externals) == [message]


def test_imports_with_the_direction_pass() -> None:
    graph = {
        "ijbrief.cli": {"ijbrief.web.serve", "ijbrief.build.pipeline", "ijbrief.writers.syslibs"},
        "ijbrief.web.serve": {"ijbrief.build.pipeline", "ijbrief.compose.site"},
        "ijbrief.build.pipeline": {
            "ijbrief.compose.composer",
            "ijbrief.writers.pdf",
            "ijbrief.heap",
        },
        "ijbrief.compose.composer": {"ijbrief.corpus.loader", "ijbrief", "ijbrief.errors"},
        "ijbrief.writers.pdf": {"ijbrief.errors", "ijbrief.writers.syslibs"},
        "ijbrief.corpus.loader": {"ijbrief.corpus.model", "ijbrief.heap"},
        "ijbrief.corpus.model": set(),
    }
    externals = {"ijbrief.writers.pdf": {"weasyprint"}, "ijbrief.writers.docx": {"docx"}}
    assert violations(graph, externals) == []
    assert cycles(graph) == []


def test_a_cycle_is_found_between_modules_and_between_packages() -> None:
    modules = {
        "ijbrief.build.pipeline": {"ijbrief.build.progress"},
        "ijbrief.build.progress": {"ijbrief.build.pipeline"},
        "ijbrief.compose.select": {"ijbrief.corpus.loader"},
    }
    assert cycles(modules) == [["ijbrief.build.pipeline", "ijbrief.build.progress"]]
    across = {
        "ijbrief.compose.select": {"ijbrief.corpus.loader"},
        "ijbrief.corpus.loader": {"ijbrief.corpus.yamlio"},
        "ijbrief.corpus.yamlio": {"ijbrief.compose.textfmt"},
    }
    assert cycles(across) == []  # no two modules import each other...
    assert cycles(packages_of(across)) == [["compose", "corpus"]]  # ...but the stages do
