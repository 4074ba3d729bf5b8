"""A real browser (Debian's Chromium, headless, driven by Playwright) against ``ijbrief serve``
started from the command line: fill the form, build, download, open the file (a PDF, then a
Word document)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from pypdf import PdfReader

TITLE = "India–Japan: the record"  # the analyst's dossier title (templates/analyst)
NAME = "ijbrief-analyst-dossier-2020-10-07_2022-09-08-cybersecurity.pdf"


def test_build_and_download_a_dossier_in_the_browser(
    project: Path, tmp_path: Path, browser: Any, cli_server: Callable[..., Any]
) -> None:
    log = tmp_path / "serve.log"
    with cli_server(project, log) as url:
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            page.goto(url + "/")
            assert page.title().startswith("India–Japan briefs and dossiers")
            assert page.locator(".card h2", has_text="Build a dossier").is_visible()
            assert page.locator("text=Nothing has been built yet.").is_visible()

            page.select_option("select[name=audience]", "analyst")
            page.check("input[name=format][value=pdf]")
            page.fill("input[name=since]", "2020-10-01")
            page.fill("input[name=until]", "2022-12-31")
            page.check("input[name=topic][value=cybersecurity]")
            page.click("button[type=submit]")

            link = page.locator("#download-link")
            link.wait_for(state="visible", timeout=45_000)
            assert page.locator("#build-status.ok").is_visible()
            assert link.get_attribute("href") == (
                "/files/analyst/analyst-dossier-cybersecurity-since-2020-10-01-until-2022-12-31.pdf"
            )
            page.screenshot(path=str(tmp_path / "built.png"), full_page=True)

            with page.expect_download() as info:
                link.click()
            download = info.value
            assert download.suggested_filename == NAME
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)

            reader = PdfReader(saved)
            assert len(reader.pages) >= 3
            text = "\n".join(p.extract_text() for p in reader.pages[:3])
            assert TITLE in text
            assert "Cybersecurity" in text
            assert reader.metadata is not None and reader.metadata.title == TITLE

            # The listing picks the new files up; every brief gets a preview.
            page.goto(url + "/")
            assert page.locator("#dossiers", has_text="Cybersecurity").is_visible()
            preview = page.locator("td.edition.analyst a.preview").first
            href = preview.get_attribute("href")
            assert href is not None and href.startswith("/preview/analyst/briefs/")
            response = page.request.get(url + href)
            assert response.status == 200
            assert response.headers["content-disposition"].startswith("inline;")

            # A Word dossier for another audience, from the same page.
            page.goto(url + "/")
            page.select_option("select[name=audience]", "student")
            page.check("input[name=format][value=docx]")
            page.fill("input[name=since]", "2026-01-01")
            page.check("input[name=topic][value=ai]")
            page.click("button[type=submit]")
            link.wait_for(state="visible", timeout=45_000)
            with page.expect_download() as info:
                link.click()
            word = info.value
            assert word.suggested_filename == "ijbrief-student-dossier-2026-01-16-ai.docx"
            saved = tmp_path / word.suggested_filename
            word.save_as(saved)
            document = docx.Document(str(saved))
            assert document.core_properties.title == "India–Japan relations: study notes"
            body = "\n".join(p.text for p in document.paragraphs)
            assert "18th India–Japan Strategic Dialogue" in body
            assert "Artificial intelligence" in body

            assert problems == []  # no script errors, no refused resources
        finally:
            context.close()
    output = log.read_text(encoding="utf-8")
    assert f"ijbrief: serving {project / 'out'} at {url}/" in output
    assert "warning" not in output.lower()
    assert "Traceback" not in output
    assert "Application shutdown complete" in output


_LAYOUT = """() => {
  const lines = (label) => {
    const range = document.createRange();
    range.selectNodeContents(label.lastChild);
    return range.getClientRects().length;
  };
  const field = document.querySelector("input[name=since_edition]");
  const style = getComputedStyle(field);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const needed = context.measureText(field.placeholder).width
    + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return {
    pills: [...document.querySelectorAll("label.pill")].map(lines),
    placeholder: needed <= field.clientWidth,
  };
}"""


def test_the_build_form_lays_out_at_every_width(
    project: Path, tmp_path: Path, browser: Any, cli_server: Callable[..., Any]
) -> None:
    """No format's label wraps, and the earlier-edition field shows its whole hint, on a wide
    screen, a narrow window and a phone."""
    with cli_server(project, tmp_path / "serve.log") as url:
        for width in (1280, 800, 420):
            context = browser.new_context(viewport={"width": width, "height": 900})
            try:
                page = context.new_page()
                page.goto(url + "/")
                layout = page.evaluate(_LAYOUT)
                assert layout["pills"] and set(layout["pills"]) == {1}, (width, layout)
                assert layout["placeholder"], (width, layout)
            finally:
                context.close()
