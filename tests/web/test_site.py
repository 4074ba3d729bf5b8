"""The static out/index.html, the names files are downloaded under, and ``serve()`` itself."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ijbrief.compose.select import Filters
from ijbrief.compose.site import download_name, filters_of
from ijbrief.corpus.loader import load_corpus
from ijbrief.web import serve as serve_module


def test_static_index_is_self_contained_with_relative_links(built: Path) -> None:
    out = built / "out"
    page = (out / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    # one inline script (the filter), which asks nothing of the network
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 1 and scripts[0][0] == ""
    assert not re.search(r"fetch|XMLHttpRequest|WebSocket|import|src=", scripts[0][1])
    assert "<style>" in page and 'rel="stylesheet"' not in page
    urls = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert urls
    for url in urls:
        assert not re.match(r"^(?:[a-z]+:|/)", url) or url == "data:,", url
        if not url.startswith("#") and url != "data:,":
            assert url in manifest, url  # every link is a file of out/, relative to it
    assert "@import" not in page and "url(" not in page
    for relpath, entry in manifest.items():
        assert f'href="{relpath}"' in page
        assert re.search(rf'href="{re.escape(relpath)}" download="ijbrief-[^"/]+"', page)
        if entry["format"] == "pdf":
            assert f"{entry['pages']} p." in page


def test_static_index_shows_every_meeting_on_the_timeline(built: Path) -> None:
    page = (built / "out" / "index.html").read_text(encoding="utf-8")
    corpus = load_corpus(built)
    svg = page[page.index("<svg") : page.index("</svg>")]
    for meeting in corpus.meetings.values():
        assert f'href="#m-{meeting.id}"' in svg
        assert f'id="m-{meeting.id}"' in page  # the timeline's links land on a row
    assert "7 October 2020" in page and "8 September 2022" in page
    assert "India–Japan: the record" in page  # the analyst's dossier by its title
    assert "Cybersecurity · from 1 October 2020" in page  # and by its filters
    assert re.search(r"\d+ KB", page)


def test_dossier_filters_are_read_back_from_the_file_name(built: Path) -> None:
    corpus = load_corpus(built)
    entry = {"audience": "analyst", "kind": "dossier", "format": "pdf"}
    cases = {
        "analyst/analyst-dossier.pdf": Filters(),
        "analyst/analyst-dossier-cybersecurity-5g-since-2020-10-01.pdf": Filters(
            (), dt.date(2020, 10, 1), None, ("cybersecurity", "5g")
        ),
        "analyst/analyst-dossier-critical-minerals-two-plus-two-2-until-2023-01-01.pdf": Filters(
            ("two-plus-two-2",), None, dt.date(2023, 1, 1), ("critical-minerals",)
        ),
        "analyst/analyst-dossier-cyber-moc.pdf": Filters(("cyber-moc",)),
    }
    for path, filters in cases.items():
        assert filters_of(path, entry, corpus) == filters, path
        assert Path(path).stem == f"analyst-dossier{filters.slug()}"
    assert filters_of("analyst/analyst-dossier-not-a-topic.pdf", entry, corpus) is None


def test_download_names(built: Path) -> None:
    corpus = load_corpus(built)
    brief = {"audience": "minister", "kind": "meeting", "format": "pdf", "id": "fmsd-13"}
    assert (
        download_name("minister/briefs/2020-10-07-fmsd-13.pdf", brief, corpus)
        == "ijbrief-minister-2020-10-07-fmsd-13.pdf"
    )
    dossier = {"audience": "analyst", "kind": "dossier", "format": "pdf", "id": "dossier"}
    assert (
        download_name("analyst/analyst-dossier-since-2020-10-01.pdf", dossier, corpus)
        == "ijbrief-analyst-dossier-2020-10-07_2026-01-16.pdf"
    )
    assert (
        download_name("analyst/analyst-dossier.pdf", dossier, corpus)
        == "ijbrief-analyst-dossier-2019-11_2026-01-16.pdf"
    )
    assert download_name("manifest.json", None, corpus) == "ijbrief-manifest.json"


def test_serve_warns_when_binding_beyond_this_machine(
    built: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, int, object]] = []

    def fake_run(server: object, sockets: object = None) -> None:
        config = server.config  # type: ignore[attr-defined]
        calls.append((config.host, config.port, config.app))

    monkeypatch.setattr("uvicorn.Server.run", fake_run)
    assert serve_module.serve(built, built / "out", "127.0.0.1", 8123) == 1  # never started
    assert "warning" not in capsys.readouterr().err
    serve_module.serve(built, built / "out", "0.0.0.0", 8124)
    err = capsys.readouterr().err
    assert "warning: binding 0.0.0.0" in err and "127.0.0.1" in err
    assert [(h, p) for h, p, _ in calls] == [("127.0.0.1", 8123), ("0.0.0.0", 8124)]
    assert serve_module.is_loopback("localhost") and serve_module.is_loopback("::1")
    assert not serve_module.is_loopback("0.0.0.0") and not serve_module.is_loopback("")
    assert not serve_module.is_loopback("example.org")
