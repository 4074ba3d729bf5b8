"""``ijbrief serve --no-watch`` says when out/ is older than what a build would make, and the
page says whether anything was built at all (never the data's date as if it were)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ijbrief.web.serve import create_app

STALE = re.compile(r"ijbrief: \S+ is out of date for (\d+) documents?: run `ijbrief build`")


def _page(root: Path) -> str:
    with TestClient(create_app(root, root / "out", watch=False)) as client:
        return client.get("/").text


def test_no_watch_on_a_stale_out_says_so(
    project: Path, small_build: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    small_build(project, formats=("html",), audiences=("student",), only=("fmsd-13",))
    capsys.readouterr()
    fresh = _page(project)
    assert not STALE.search(capsys.readouterr().err)
    assert 'id="stale"' not in fresh and "Prepared " in fresh

    meeting = project / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml"
    meeting.write_text(meeting.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    page = _page(project)
    said = STALE.search(capsys.readouterr().err)
    assert said, "serve --no-watch started on a stale out/ without saying so"
    count = int(said[1])
    assert count >= 1
    assert 'id="stale"' in page
    assert f"out/ is out of date for {count} document" in page
    assert "Not watching for changes" in page and "Watching <code>" not in page

    # the notice's button rebuilds what out/ holds, and then out/ is up to date
    with TestClient(create_app(project, project / "out", watch=False)) as client:
        token = re.search(r'name="token" value="([^"]+)"', client.get("/").text)
        assert token and 'name="rebuild" value="1"' in page
        started = client.post(
            "/build",
            data={"token": token[1], "rebuild": "1"},
            headers={"accept": "application/json"},
        )
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        while (job := client.get(f"/build/{started.json()['id']}").json())["state"] not in (
            "done",
            "error",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert job["state"] == "done", job
        assert 'id="stale"' not in client.get("/").text


def test_a_page_with_nothing_built_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = _page(project)
    assert "Not built yet" in page
    assert "Prepared " not in page  # the data's latest date is not when anything was made
    assert "nothing is built in" in capsys.readouterr().err
