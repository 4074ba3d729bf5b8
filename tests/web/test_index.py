"""The index page (out/index.html and serve's ``/``): one table of meetings and agreements with
the editions as columns, each cell the files of that edition's brief, and a filter that works
in the browser without the network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from starlette.testclient import TestClient

from ijbrief.corpus.loader import load_corpus
from ijbrief.web.serve import create_app

BRIEF = "analyst/briefs/2020-10-07-fmsd-13"


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
    copy_project: Callable[[Path], Path],
    small_build: Callable[..., None],
) -> Path:
    """The shared build's filters (the analyst's, on cybersecurity since October 2020) in a
    project of this module's own: the shared one's out/ gains briefs when other tests build
    from serve's form, and this module needs meetings left unbuilt."""
    root = copy_project(tmp_path_factory.mktemp("index") / "project")
    small_build(root, formats=("pdf", "html"), audiences=("analyst",),
                topics=("cybersecurity",), since=dt.date(2020, 10, 1))  # fmt: skip
    return root


def _table(page: Any) -> Any:
    tables = page.xpath("//table[contains(@class, 'editions')]")
    assert len(tables) == 1
    return tables[0]


def _check_table(page: Any, corpus: Any, files: str) -> None:
    table = _table(page)
    heads = table.xpath("./thead//th[contains(@class, 'edition')]")
    assert [h.get("id") for h in heads] == ["aud-analyst"]
    marking = heads[0].xpath(".//*[contains(@class, 'marking')]")
    assert marking and "restricted" in marking[0].get("class", "").split()
    assert marking[0].text_content() == "For official use — analysis"
    rows = table.xpath("./tbody/tr")
    ids = [row.get("id") for row in rows]
    expected = {f"m-{m}" for m in corpus.meetings} | {f"a-{a}" for a in corpus.agreements}
    assert sorted(ids) == sorted(expected)  # one row per meeting or agreement, no repeats
    for row in rows:
        assert len(row.xpath("./td[contains(@class, 'edition')]")) == 1
    cell = page.get_element_by_id("analyst-fmsd-13")
    assert cell.getparent().get("id") == "m-fmsd-13"
    chips = cell.xpath(".//a[contains(@class, 'file')]")
    assert [c.xpath("./b")[0].text for c in chips] == ["PDF", "HTML"]
    for chip in chips:
        assert chip.get("download") is None  # opens in the browser
        button = chip.getnext()
        assert button.get("class") == "dl" and button.get("download", "").startswith("ijbrief-")
        assert button.get("href").startswith(files + BRIEF)
    # a meeting outside the build's filters is listed, with no brief in the edition
    unbuilt = page.get_element_by_id("m-sd-18").xpath("./td[contains(@class, 'edition')]")[0]
    assert not unbuilt.xpath(".//a") and "Not built" in unbuilt.text_content()


def test_the_static_index_is_one_table_of_meetings_by_edition(built: Path) -> None:
    page = lxml.html.fromstring((built / "out" / "index.html").read_bytes())
    _check_table(page, load_corpus(built), "")


def test_serve_shows_the_same_table(built: Path) -> None:
    with TestClient(create_app(built, built / "out", watch=False)) as client:
        page = lxml.html.fromstring(client.get("/").content)
    _check_table(page, load_corpus(built), "/files/")
    cell = page.get_element_by_id("analyst-fmsd-13")
    assert cell.xpath(".//a[@class='preview']/@href") == [f"/preview/{BRIEF}.html"]
    assert page.xpath("//input[@id='filter' and @type='search']")


def test_the_filter_hides_rows_in_the_browser(built: Path, browser: Any) -> None:
    context = browser.new_context(offline=True)  # the filter needs no network
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((built / "out" / "index.html").as_uri())
        rows = page.locator("table.editions tbody tr")
        total = rows.count()
        page.fill("#filter", "cyber 2020")
        visible = [r for r in rows.all() if r.is_visible()]
        assert 0 < len(visible) < total
        assert all("cyber" in r.inner_text().lower() for r in visible)
        assert page.locator("#m-fmsd-13").is_visible()
        assert not page.locator("#m-sd-18").is_visible()
        assert page.locator("#filter-count").inner_text().endswith("rows")
        page.fill("#filter", "")
        assert all(r.is_visible() for r in rows.all())
        assert errors == []
    finally:
        context.close()
