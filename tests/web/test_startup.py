"""serve starts on an out/ older than the files it was built from: it brings it up to date."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from tests.web.test_jobs import rebuilt_since, wait_for

from ijbrief.web.serve import create_app


def test_serve_rebuilds_a_stale_out_on_start(
    project: Path, small_build: Callable[..., None]
) -> None:
    small_build(project, ("html",), ("student",), only=("cyber-moc",))
    brief = project / "out/student/briefs/2020-10-07-cyber-moc.html"
    assert "capacity building, training," not in brief.read_text(encoding="utf-8")
    # Edited while nothing watched.
    agreement = project / "briefs/agreements/cyber-moc.yaml"
    agreement.write_text(
        agreement.read_text(encoding="utf-8").replace(
            "capacity building,", "capacity building, training,", 1
        ),
        encoding="utf-8",
    )
    with TestClient(create_app(project, project / "out", poll_interval=0.05)) as client:
        job: dict[str, Any] = wait_for(lambda: rebuilt_since(client, 0))
        assert job["state"] == "done" and job["written"] == 2, job
    assert "capacity building, training," in brief.read_text(encoding="utf-8")
