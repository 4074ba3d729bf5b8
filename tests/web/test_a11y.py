"""Every kind of page passes axe-core (the accessibility engine, run in Debian's Chromium) with
no violation of impact serious or critical: each audience's HTML briefs and dossier (so each
built-in accent colour is checked for contrast), out/index.html, and each page of ``serve``;
and serve's build form works from the keyboard alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ijbrief.compose import site
from ijbrief.web.serve import create_app

AUDIENCES = ("analyst", "minister", "student")
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def a11y_project(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Any, small_build: Any
) -> Path:
    """Every built-in audience's briefs and dossier on cybersecurity since October 2020, in HTML."""
    root = copy_project(tmp_path_factory.mktemp("a11y") / "project")
    small_build(root, ("html",), AUDIENCES, topics=("cybersecurity",), since=dt.date(2020, 10, 1))
    return root


@pytest.fixture(scope="module")
def served(a11y_project: Path, uvicorn_thread: Any) -> Iterator[tuple[str, Any]]:
    app = create_app(a11y_project, a11y_project / "out", watch=False)
    with uvicorn_thread(app) as url:
        yield url, app.state.service


def _audit(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def _landmarks(page: Any) -> None:
    assert page.locator("html").get_attribute("lang") == "en"
    for landmark in ("header", "main", "nav"):
        assert page.locator(landmark).count() >= 1, landmark


def test_every_html_brief_dossier_and_the_index_pass_axe(a11y_project: Path, browser: Any) -> None:
    out = a11y_project / "out"
    pages = sorted(out.rglob("*.html"))
    kinds = {p.parent.name for p in pages}
    assert {"briefs", *AUDIENCES, "out"} <= kinds  # briefs, dossiers, the index
    context = browser.new_context(offline=True)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        for path in pages:
            page.goto(path.as_uri())
            _landmarks(page)
            problems = _audit(page)
            if problems:
                found[str(path.relative_to(out))] = problems
    finally:
        context.close()
    assert found == {}


def test_each_page_of_serve_passes_axe_and_the_form_works_by_keyboard(
    served: tuple[str, Any], browser: Any
) -> None:
    url, service = served
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url + "/")
        _landmarks(page)
        assert _audit(page) == []

        def tab_to(selector: str, limit: int = 120) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                    return
            raise AssertionError(f"Tab never reached {selector}")

        tab_to("select[name=audience]")
        assert page.evaluate("document.activeElement.value") == "analyst"
        tab_to("input[name=format]")
        page.keyboard.press("ArrowRight")  # PDF → Word
        page.keyboard.press("ArrowRight")  # → HTML
        assert page.locator("input[name=format][value=html]").is_checked()
        tab_to("input[name=topic][value=cybersecurity]")
        page.keyboard.press("Space")
        assert page.locator("input[name=topic][value=cybersecurity]").is_checked()
        tab_to("button[type=submit]")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")  # focus is visible
        page.keyboard.press("Enter")
        link = page.locator("#download-link")
        link.wait_for(state="visible", timeout=90_000)
        assert link.get_attribute("href") == "/files/analyst/analyst-dossier-cybersecurity.html"
        assert _audit(page) == []  # the page with a finished build's status

        job = next(iter(service.jobs))
        page.goto(f"{url}/build/{job}")  # the status page for browsers without script
        assert page.locator("#download-link").is_visible()
        _landmarks_but_nav(page)
        assert _audit(page) == []

        page.set_content(site.message_html("The form needs a correction", ["a date"]))
        _landmarks_but_nav(page)
        assert _audit(page) == []
        assert errors == []
    finally:
        context.close()


def _landmarks_but_nav(page: Any) -> None:
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("header").count() and page.locator("main").count()


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_each_built_in_accent_reads_as_text_on_white_and_under_white(audience: str) -> None:
    """The accent colours headings and links on white and carries white text (the cover, the
    header band): WCAG AA asks 4.5:1 for normal text either way."""
    from ijbrief.compose.audiences import load_audience

    accent = load_audience(Path(__file__).parents[2], audience).spec.branding.accent
    ratio = (1.05) / (_luminance(accent) + 0.05)
    assert ratio >= 4.5, (audience, accent, round(ratio, 2))
