"""Formats and kinds of brief are registered in one place each (issue 26): a format registered
in build/formats.py is offered by the CLI, written by a build and listed by the index page; a
kind registered in build/kinds.py is planned like the meetings and agreements."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ijbrief.build import formats, kinds
from ijbrief.build.formats import Written
from ijbrief.build.kinds import Kind
from ijbrief.build.plan import BuildOptions, _audiences, _plan, _stamp
from ijbrief.cli import _parser, main
from ijbrief.compose.textfmt import iso_prefix
from ijbrief.corpus.loader import load_corpus
from ijbrief.errors import IjbriefError


@dataclass(frozen=True)
class Plain:
    """A format made from the composed HTML: its text, tags dropped."""

    name: str = "txt"
    suffix: str = ".txt"
    label: str = "Plain text"
    media_type: str = "text/plain; charset=utf-8"
    in_browser: bool = True
    final_page_numbers: bool = True

    def render(self, document: Written) -> bytes:
        body = document.html.split("<body", 1)[-1].split(">", 1)[-1]
        text = re.sub(r"<[^>]+>", " ", body)
        return f"{document.title}\n{' '.join(text.split())}\n".encode()


@pytest.fixture
def plain() -> Iterator[Plain]:
    writer = formats.register(Plain())
    try:
        yield writer
    finally:
        formats.unregister(writer.name)


def _format_choices() -> list[str]:
    parser = _parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    build = commands.choices["build"]  # type: ignore[index]
    return list(next(a for a in build._actions if a.dest == "format").choices)


def test_the_built_in_formats_are_registered_in_their_order() -> None:
    assert formats.names() == ("pdf", "docx", "html")
    assert _format_choices() == ["pdf", "docx", "html", "all"]


def test_a_registered_format_is_offered_built_and_listed(
    plain: Plain, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "txt" in _format_choices()
    code = main(
        ["-C", str(project), "build", "--format", "txt", "--audience", "student", "--only",
         "fmsd-13", "--quiet", "--jobs", "1"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    out = project / "out" / "student"
    brief = out / "briefs" / "2020-10-07-fmsd-13.txt"
    text = brief.read_text(encoding="utf-8")
    assert text.startswith("13th India–Japan Foreign Ministers")
    assert "study notes" in text and "<" not in text
    dossier = next(out.glob("student-dossier*.txt"))
    assert dossier.stat().st_size > 0
    manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["outputs"]["student/briefs/2020-10-07-fmsd-13.txt"]
    assert entry["format"] == "txt" and entry["kind"] == "meeting"
    assert not list(project.glob("out/**/*.pdf"))  # only what was asked for
    index = (project / "out" / "index.html").read_text(encoding="utf-8")
    assert 'class="file txt"' in index and "Plain text" in index


def test_an_unknown_format_is_refused_by_name(project: Path) -> None:
    from ijbrief.build.pipeline import build

    with pytest.raises(IjbriefError, match=r"unknown format\(s\): txt \(known: pdf, docx, html\)"):
        build(BuildOptions(root=project, formats=("txt",), quiet=True))
    assert not (project / "out" / "manifest.json").exists()


def _on(meeting: Any, topic: str) -> bool:
    return any(o.topic == topic for o in meeting.outcomes)


def test_a_registered_kind_is_planned_like_meetings_and_agreements(project: Path) -> None:
    """One brief per topic: its file name, and a key that changes with the meetings on it."""
    corpus = load_corpus(project)
    topic_kind = Kind(
        name="topic",
        records=lambda corpus, filters: corpus.topics.values(),
        stem=lambda topic: f"topic-{topic.id}",
        inputs=lambda corpus, topic: sorted(
            corpus.files[m.id] for m in corpus.meetings.values() if _on(m, topic.id)
        ),
        views=lambda composer: {},
        template="brief-topic.html.j2",
    )
    kinds.register(topic_kind)
    try:
        options = BuildOptions(root=project, formats=("pdf",), audiences=("student",))
        audiences = _audiences(project, options.audiences)
        stamp = _stamp(corpus, None)
        tasks = _plan(project, corpus, audiences, options, stamp)
        by_kind = {t.kind for t in tasks}
        assert by_kind == {"meeting", "agreement", "topic", "dossier"}
        topics = {t.ident: t for t in tasks if t.kind == "topic"}
        assert set(topics) == set(corpus.topics)
        some = next(iter(topics.values()))
        assert some.stem == Path("student") / "briefs" / f"topic-{some.ident}"
        # A meeting on the topic changes: its key changes, the other topics' do not all.
        meeting = next(m for m in corpus.meetings.values() if _on(m, some.ident))
        prefix = iso_prefix(meeting.date, meeting.date_precision)
        path = project / corpus.files[meeting.id]
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        again = {t.ident: t for t in _plan(project, corpus, audiences, options, stamp)}
        assert again[some.ident].key != some.key
        unrelated = [i for i in topics if not _on(meeting, i)]
        assert unrelated and all(again[i].key == topics[i].key for i in unrelated)
        assert prefix  # the meeting's brief is named by its date, as before
    finally:
        kinds.unregister("topic")
    assert kinds.names() == ("meeting", "agreement")
