"""Templates are anyone's to edit: whatever object a template reaches, the sandbox's own checks
decide, and the known ways out of a Jinja sandbox are refused through each of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tests.conftest import copy_project

from ijbrief.build.assemble import Placeholders
from ijbrief.compose import audiences
from ijbrief.compose import composer as compose
from ijbrief.compose.composer import Composer, Stamp
from ijbrief.compose.select import Filters
from ijbrief.compose.templating import render
from ijbrief.corpus.loader import load_corpus
from ijbrief.errors import TemplateError

# Every kind of object a brief's or the dossier's template sees, by an expression that makes it.
OBJECTS = {
    "view": "brief",
    "nested view": "brief.participants[0]",
    "settings model": "branding",
    "section model": "sections[0]",
    "markup": "brief.title",
    "string": "'text'",
    "list": "sections",
    "number": "fit.scale",
    "citations": "cite",
    "loop": "loop",
    "imported template": "s",
    "macro": "s.person",
    "template reference": "self",
    "cycler": "cycler",
    "a cycler": "cycler(1, 2)",
    "a joiner": "joiner()",
    "a namespace": "namespace(a=1)",
    "a range": "range(2)",
    "lipsum": "lipsum",
    "filtered": "(brief.title|md)",
    "dossier facts": "dossier",
    "dossier meeting": "dossier.meetings[0]",
    "page numbers": "toc_pages",
}
DOSSIER_ONLY = {"dossier facts", "dossier meeting", "page numbers"}
ESCAPES = {
    "class": "{x}.__class__",
    "mro": "{x}.__class__.__mro__",
    "subclasses": "{x}.__class__.__mro__[-1].__subclasses__()",
    "init globals": "{x}.__init__.__globals__",
    "getattribute": "{x}.__getattribute__('__class__')",
    "attr filter": "{x}|attr('__class__')",
    "str.format": "'{{0.__class__}}'.format({x})",
    "format via attr": "('{{0.__class__}}'|attr('format'))({x})",
    "format_map": "'{{a.__class__}}'.format_map({{'a': {x}}})",
    "markup format": "(brief.title ~ '{{0.__class__}}').format({x})",
}
NAMED = {
    "cycler globals": "cycler.__init__.__globals__",
    "template context": "self._TemplateReference__context",
    "subclasses of object": "().__class__.__base__.__subclasses__()",
    "lipsum globals": "lipsum.__globals__",
    "loop internals": "loop._iterator",
    "macro code": "s.person.__code__",
    "namespace globals": "namespace.__init__.__globals__",
    "percent format": "'%s'|format(brief.__class__)",
}
PROBE = '{{% import "base/sections.html.j2" as s with context %}}{{% for i in [1] %}}{{{{ {} }}}}{{% endfor %}}'


def _cases() -> list[tuple[str, str, str]]:
    cases = [
        (f"{escape} through {name}", expression.format(x=made), name)
        for name, made in OBJECTS.items()
        for escape, expression in ESCAPES.items()
    ]
    return cases + [(name, expression, "") for name, expression in NAMED.items()]


CASES = _cases()


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Composer, Path, dict[str, Any]]:
    """A derived audience holding one template per case, with the real contexts of a meeting
    brief and of the dossier as it is composed for its parts (its page numbers placeholders)."""
    root = copy_project(tmp_path_factory.mktemp("sandbox"))
    folder = audiences.create(root, "probe", "analyst")
    for index, (_, expression, _) in enumerate(CASES):
        (folder / f"probe-{index}.j2").write_text(PROBE.format(expression), encoding="utf-8")
    (folder / "probe-plain.j2").write_text(
        PROBE.format("[branding.accent, loop.index, s.person, toc_pages.get, cite([])]|length"),
        encoding="utf-8",
    )
    corpus = load_corpus(root)
    stamp = Stamp(dt.date(2026, 1, 20), dt.datetime(2026, 1, 20, tzinfo=dt.UTC))
    composer = Composer(
        root,
        corpus,
        audiences.load_audience(root, "probe"),
        stamp,
        Filters((), None, None, ()),
    )
    contexts: dict[str, Any] = {}
    stock = compose.render

    def capture(env: Any, name: str, context: Any, project: Path) -> str:
        contexts[name] = dict(context)
        return str(stock(env, name, context, project))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compose, "render", capture)
        view = composer.meetings["sd-18"]
        composer.brief_html(view, composer.sections(view), 1.0)
        composer.dossier_html(Placeholders(), literal_pages=True)
    context = {**contexts["brief-meeting.html.j2"], **contexts["dossier.html.j2"]}
    assert isinstance(context["toc_pages"], Placeholders)
    return composer, root, context


def run(probe: tuple[Composer, Path, dict[str, Any]], name: str) -> str:
    composer, root, context = probe
    return render(composer.env, name, context, root)


def test_the_probe_reaches_every_object(probe: tuple[Composer, Path, dict[str, Any]]) -> None:
    assert run(probe, "probe-plain.j2") == "5"


@pytest.mark.parametrize(
    ("index", "expression"),
    [(index, expression) for index, (_, expression, _) in enumerate(CASES)],
    ids=[case[0] for case in CASES],
)
def test_escapes_are_refused(
    probe: tuple[Composer, Path, dict[str, Any]], index: int, expression: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        run(probe, f"probe-{index}.j2")
    message = str(caught.value)
    # Refused, or nothing there by that name (a namespace's attributes are its own items).
    refused = "refused by the sandbox" in message and "unsafe" in message
    assert refused or ("undefined: " in message and "has no attribute" in message), message
    assert f"templates/probe/probe-{index}.j2:1" in message


@pytest.mark.parametrize(
    "expression",
    ["branding.accent", "loop.index", "s.person", "toc_pages.get", "sections[0].title"],
)
def test_every_attribute_is_the_sandboxs_to_allow(
    probe: tuple[Composer, Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, expression: str
) -> None:
    """A later Jinja that refuses more (a fix to its sandbox) is obeyed on every path: here,
    one that allows no attribute at all."""
    monkeypatch.setattr(ImmutableSandboxedEnvironment, "is_safe_attribute", lambda *a: False)
    composer, root, _ = probe
    (root / "templates/probe/probe-attr.j2").write_text(PROBE.format(expression), encoding="utf-8")
    composer.env.cache = None  # the template was just written
    with pytest.raises(TemplateError, match="refused by the sandbox"):
        run(probe, "probe-attr.j2")


@pytest.mark.parametrize("expression", ["cite([])", "s.person(brief.participants[0])"])
def test_every_call_is_the_sandboxs_to_allow(
    probe: tuple[Composer, Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, expression: str
) -> None:
    monkeypatch.setattr(ImmutableSandboxedEnvironment, "is_safe_callable", lambda *a: False)
    composer, root, _ = probe
    (root / "templates/probe/probe-call.j2").write_text(PROBE.format(expression), encoding="utf-8")
    composer.env.cache = None
    with pytest.raises(TemplateError, match="refused by the sandbox"):
        run(probe, "probe-call.j2")
