"""Builds on demand (shared between identical requests, errors shown with their location) and
the automatic rebuild when briefs/ change."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from ijbrief.build.outputs import locked
from ijbrief.build.pipeline import BuildOptions, out_of_date
from ijbrief.web.serve import create_app

JSON = {"accept": "application/json"}
SAME_ORIGIN = {"origin": "http://testserver"}  # as a browser sends the page's form
REQUEST = {"audience": "student", "format": "html", "since": "2026-01-01", "topic": "ai"}
FAILED = '<span id="rebuild-status"><strong class="bad">Last rebuild failed</strong>'
LOCATED = re.compile(r"^briefs/meetings/2022-09-08-two-plus-two-2\.yaml:\d+(:\d+)?: ")


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def finished(client: TestClient, job_id: str) -> dict[str, Any]:
    def state() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/build/{job_id}", headers=JSON).json()
        return job if job["state"] in ("done", "error") else None

    result: dict[str, Any] = wait_for(state)
    return result


def rebuilt_since(client: TestClient, generation: int) -> dict[str, Any] | None:
    """The automatic rebuild, once one after ``generation`` has ended."""
    status: dict[str, Any] = client.get("/status").json()
    job = status["rebuild"]
    ready = status["generation"] > generation and job and job["state"] in ("done", "error")
    return job if ready else None


def test_build_on_demand_then_download(project: Path) -> None:
    with TestClient(
        create_app(project, project / "out", watch=False), headers=SAME_ORIGIN
    ) as client:
        response = client.post("/build", data=REQUEST, headers=JSON)
        assert response.status_code == 202
        job = response.json()
        assert response.headers["location"] == f"/build/{job['id']}"
        assert job["state"] in ("queued", "running")
        done = finished(client, job["id"])
        assert done["state"] == "done", done
        assert done["written"] >= 2 and done["problems"] == []
        download = done["download"]
        path = "student/student-dossier-ai-since-2026-01-01.html"
        assert download["url"] == f"/files/{path}"
        assert download["name"] == "ijbrief-student-dossier-2026-01-16-ai.html"
        assert download["preview"] == f"/preview/{path}"
        file = client.get(download["url"])
        assert file.status_code == 200
        assert "India–Japan relations: study notes" in file.text
        assert download["name"] in file.headers["content-disposition"]
        # The same request again reuses what is built: nothing is written.
        again = finished(client, client.post("/build", data=REQUEST, headers=JSON).json()["id"])
        assert again["state"] == "done" and again["written"] == 0 and again["skipped"] >= 2
        status_page = client.get(again["status_url"], headers={"accept": "text/html"}).text
        assert f'id="download-link" href="/files/{path}"' in status_page
        assert 'http-equiv="refresh"' not in status_page
        # A browser without script is redirected to a status page that refreshes itself.
        plain = client.post(
            "/build", data=REQUEST, headers={"accept": "text/html"}, follow_redirects=False
        )
        assert plain.status_code == 303
        page = client.get(plain.headers["location"], headers={"accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text
        # The page lists the new dossier.
        assert f'href="/files/{path}"' in client.get("/").text


def test_identical_requests_share_one_build(project: Path) -> None:
    out = project / "out"
    with TestClient(create_app(project, out, watch=False), headers=SAME_ORIGIN) as client:
        with locked(out):  # holds every build at its lock, as another build would
            first = client.post("/build", data=REQUEST, headers=JSON).json()
            second = client.post("/build", data=REQUEST, headers=JSON).json()
            other = client.post("/build", data={**REQUEST, "format": "pdf"}, headers=JSON).json()
            assert second["id"] == first["id"]
            assert other["id"] != first["id"]
            wait_for(
                lambda: (
                    client.get(f"/build/{first['id']}", headers=JSON).json()["state"] == "running"
                )
            )
            assert client.get(f"/build/{other['id']}", headers=JSON).json()["state"] == "queued"
            assert not (out / "student").exists()  # nothing visible before the build commits
        assert finished(client, first["id"])["state"] == "done"
        assert finished(client, other["id"])["state"] == "done"
        assert len(client.app.state.service.jobs) == 2  # type: ignore[attr-defined]


def test_errors_are_shown_with_their_location(project: Path) -> None:
    meeting = project / "briefs" / "meetings" / "2022-09-08-two-plus-two-2.yaml"
    text = meeting.read_text(encoding="utf-8")
    meeting.write_text(text.replace("date: 2022-09-08", "date: 2022-09-31", 1), encoding="utf-8")
    with TestClient(
        create_app(project, project / "out", watch=False), headers=SAME_ORIGIN
    ) as client:
        response = client.post("/build", data=REQUEST, headers=JSON)
        assert response.status_code == 202
        job = finished(client, response.json()["id"])
        assert job["state"] == "error"
        assert any(LOCATED.match(p) and "2022-09-31" in p for p in job["problems"]), job
        assert "Traceback" not in str(job)
        page = client.get("/")
        assert page.status_code == 200
        assert "briefs/meetings/2022-09-08-two-plus-two-2.yaml:" in page.text
        status_page = client.get(job["status_url"], headers={"accept": "text/html"})
        assert "The build failed." in status_page.text
        assert "2022-09-31 is not a real date" in status_page.text


def test_changes_to_briefs_rebuild_what_is_in_out(
    project: Path, small_build: Callable[..., None]
) -> None:
    small_build(project, ("html",), ("student",), only=("cyber-moc",))
    out = project / "out"
    dossier = out / "student" / "student-dossier-cyber-moc.html"
    brief = out / "student" / "briefs" / "2020-10-07-cyber-moc.html"
    assert dossier.is_file() and brief.is_file()
    agreement = project / "briefs" / "agreements" / "cyber-moc.yaml"
    original = agreement.read_text(encoding="utf-8")
    app = create_app(project, out, poll_interval=0.05)
    with TestClient(app, headers=SAME_ORIGIN) as client:
        assert client.get("/status").json()["watching"] is True

        def rebuilt(generation: int) -> dict[str, Any] | None:
            return rebuilt_since(client, generation + 1)

        # On start, out/ is brought up to date: here it was, so nothing is written.
        start = wait_for(lambda: rebuilt(-1))
        assert start["state"] == "done" and start["written"] == 0, start
        before = dossier.stat().st_mtime_ns

        # An edit: the outputs that depend on the file are rebuilt, in the formats present.
        agreement.write_text(
            original.replace("capacity building,", "capacity building, training,", 1),
            encoding="utf-8",
        )
        job = wait_for(lambda: rebuilt(0))
        assert job["state"] == "done", job
        assert job["written"] == 2
        assert dossier.stat().st_mtime_ns > before
        assert not (out / "student" / "briefs" / "2020-10-07-cyber-moc.pdf").exists()
        assert not (out / "analyst").exists()

        # A mistake: the server stays up and shows the problem with its location.
        agreement.write_text(original.replace("status: ", "status: nonsense-", 1), encoding="utf-8")
        job = wait_for(lambda: rebuilt(1))
        assert job["state"] == "error"
        assert any(p.startswith("briefs/agreements/cyber-moc.yaml:") for p in job["problems"]), job
        page = client.get("/").text
        assert FAILED + ": see the problems above." in page
        assert '<pre class="problems">briefs/agreements/cyber-moc.yaml:' in page

        # Fixed again: a clean rebuild.
        agreement.write_text(original, encoding="utf-8")
        job = wait_for(lambda: rebuilt(2))
        assert job["state"] == "done", job
        assert FAILED not in client.get("/").text


def test_successive_builds_do_not_reuse_the_last_builds_filters(project: Path) -> None:
    # One job renders in the server's own process, where build() keeps state between calls.
    with TestClient(
        create_app(project, project / "out", watch=False, jobs=1), headers=SAME_ORIGIN
    ) as client:
        first = {"audience": "student", "format": "html", "since": "2026-01-01"}
        second = {"audience": "student", "format": "html", "until": "2020-12-31"}
        for data in (first, second):
            job = finished(client, client.post("/build", data=data, headers=JSON).json()["id"])
            assert job["state"] == "done", job
        recent = client.get("/files/student/student-dossier-since-2026-01-01.html").text
        early = client.get("/files/student/student-dossier-until-2020-12-31.html").text
    assert "18th India–Japan Strategic Dialogue" in recent
    assert "13th India–Japan Foreign Ministers" not in recent
    assert "13th India–Japan Foreign Ministers" in early
    assert "18th India–Japan Strategic Dialogue" not in early


def test_the_rebuild_plan_follows_the_dossiers_in_out(project: Path) -> None:
    out = project / "out"
    out.mkdir()

    def dossier(audience: str, fmt: str) -> dict[str, Any]:
        return {"audience": audience, "kind": "dossier", "id": "dossier", "format": fmt}

    outputs = {
        "analyst/analyst-dossier.pdf": dossier("analyst", "pdf"),
        "analyst/analyst-dossier.html": dossier("analyst", "html"),
        "minister/minister-dossier.pdf": dossier("minister", "pdf"),
        "minister/briefs/2020-10-07-fmsd-13.pdf": {
            "audience": "minister", "kind": "meeting", "id": "fmsd-13", "format": "pdf"
        },
        "student/student-dossier-5g-cybersecurity-until-2021-01-01.docx": dossier("student", "docx"),
        "gone/gone-dossier.pdf": dossier("gone", "pdf"),  # templates/gone no longer exists
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps({"outputs": outputs}), encoding="utf-8")
    service = create_app(project, out, watch=False).state.service
    plan = service.rebuild_plan()
    assert [(o.audiences, o.formats, o.topics, o.until) for o in plan] == [
        # The formats in the order they are registered (build/formats.py) and written.
        (("analyst", "minister"), ("pdf", "html"), (), None),
        (("student",), ("docx",), ("5g", "cybersecurity"), dt.date(2021, 1, 1)),
    ]
    assert all(o.out == out.resolve() and o.quiet for o in plan)
    (out / "manifest.json").write_text(json.dumps({"outputs": {}}), encoding="utf-8")
    assert service.rebuild_plan() == ()
    assert service.start_rebuild() is None  # an empty out/ is left alone


def test_a_watching_server_keeps_workers_for_its_rebuilds_and_lets_them_go(
    project: Path, tmp_path: Path
) -> None:
    import multiprocessing
    import os

    from ijbrief.build import pool as building
    from ijbrief.build.pipeline import BuildOptions, build

    where = str(project.resolve())
    dossier = project / "out" / "analyst" / "analyst-dossier.pdf"
    meeting = project / "briefs" / "meetings" / "2020-10-07-fmsd-13.yaml"
    with TestClient(
        create_app(project, project / "out", poll_interval=0.05, jobs=2), headers=SAME_ORIGIN
    ) as client:
        job = client.post("/build", data={"audience": "analyst", "format": "pdf"}, headers=JSON)
        assert finished(client, job.json()["id"])["state"] == "done"
        # As build --watch does after its first build: workers of its own for the parts.
        resident = wait_for(lambda: building._RESIDENT.get(where))
        workers = {
            resident.parts.submit(os.getpid).result(),
            resident.merger.submit(os.getpid).result(),
        }
        generation = client.get("/status").json()["generation"]
        meeting.write_text(
            meeting.read_text(encoding="utf-8").replace("finalised", "settled", 1), encoding="utf-8"
        )
        job = wait_for(lambda: rebuilt_since(client, generation), timeout=120)
        assert job["state"] == "done", job
        assert building._RESIDENT.get(where) is resident  # the rebuild kept them
    assert where not in building._RESIDENT  # the server stopped: they are let go
    wait_for(lambda: not workers & {p.pid for p in multiprocessing.active_children()})
    # What a fresh build in parts makes (a long-lived process lays out every dossier in parts).
    fresh = tmp_path / "fresh"
    build(
        BuildOptions(
            root=project,
            out=fresh,
            formats=("pdf",),
            audiences=("analyst",),
            whole_up_to=0,
            quiet=True,
        )
    )
    assert dossier.read_bytes() == (fresh / "analyst" / "analyst-dossier.pdf").read_bytes()


def test_the_queue_of_dossier_builds_is_bounded(project: Path) -> None:
    # issue 28.4: 300 requests were queued in 1.4 s, each a build to run.
    from ijbrief.web.serve import MAX_QUEUED

    out = project / "out"
    app = create_app(project, out, watch=False)
    # The first build waits at the lock; the others queue behind it.
    with TestClient(app, headers=SAME_ORIGIN) as client, locked(out):
        codes = []
        for day in range(1, MAX_QUEUED + 5):
            request = {**REQUEST, "since": f"2026-01-{day:02d}"}
            response = client.post("/build", data=request, headers=JSON)
            codes.append(response.status_code)
        refused = client.post("/build", data={**REQUEST, "since": "2026-02-01"}, headers=JSON)
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert "builds are waiting already" in refused.json()["problems"][0]
        service = client.app.state.service  # type: ignore[attr-defined]
        assert sum(j.state == "queued" for j in service.jobs.values()) == MAX_QUEUED
        assert codes.count(202) == MAX_QUEUED + 1  # one running (at the lock), the rest wait
        with service.lock:  # let the queued go: the server drops them as it stops
            for job in service.jobs.values():
                if job.state == "queued":
                    job.state = "error"


def test_the_automatic_rebuild_keeps_only_the_latest_filter_sets(project: Path) -> None:
    # issue 28.4: every filtered dossier ever asked for was rebuilt on every edit, for ever.
    import os

    from ijbrief.web.serve import MAX_REBUILT_FILTER_SETS

    out = project / "out"
    (out / "student").mkdir(parents=True)
    outputs = {}
    count = MAX_REBUILT_FILTER_SETS + 4
    for day in range(1, count + 1):
        since = f"2025-01-{day:02d}"
        relpath = f"student/student-dossier-since-{since}.html"
        (out / relpath).write_text("x", encoding="utf-8")
        os.utime(out / relpath, ns=(day * 10**9, day * 10**9))  # built in this order
        filters = {"only": [], "since": since, "until": None, "topics": []}
        outputs[relpath] = {
            "audience": "student",
            "format": "html",
            "kind": "dossier",
            "filters": filters,
        }
    outputs["student/student-dossier.html"] = {
        "audience": "student",
        "format": "html",
        "kind": "dossier",
        "filters": {"only": [], "since": None, "until": None, "topics": []},
    }
    (out / "student/student-dossier.html").write_text("x", encoding="utf-8")
    manifest = {"generator": "test", "prepared": "2026-01-01", "outputs": outputs}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    service = create_app(project, out, watch=False).state.service
    plan = service.rebuild_plan()
    kept = sorted(str(options.since) for options in plan if options.since)
    assert len(plan) == MAX_REBUILT_FILTER_SETS + 1  # the whole dossier, and the latest sets
    first_kept = count - MAX_REBUILT_FILTER_SETS + 1
    assert kept == [f"2025-01-{day:02d}" for day in range(first_kept, count + 1)]
    assert any(not options.filters.active for options in plan)


def _earlier_edition(project: Path) -> None:
    """An earlier edition in old/, of 10 January 2026: before the 18th dialogue (16 January)."""
    from ijbrief.compose.changes import record_of
    from ijbrief.corpus.loader import load_corpus

    record = record_of(load_corpus(project))
    del record["meetings"]["sd-18"]
    (project / "old").mkdir()
    manifest = {"prepared": "2026-01-10", "outputs": {}, "record": record}
    (project / "old" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_a_dossier_is_built_since_an_earlier_edition(project: Path) -> None:
    _earlier_edition(project)
    with TestClient(
        create_app(project, project / "out", watch=False), headers=SAME_ORIGIN
    ) as client:
        response = client.post("/build", data={**REQUEST, "since_edition": "old"}, headers=JSON)
        assert response.status_code == 202, response.text
        assert response.json()["label"].endswith(" · changes since 2026-01-10")
        done = finished(client, response.json()["id"])
        assert done["state"] == "done", done
        html = client.get(done["download"]["url"]).text
        assert "Changes since 10 January 2026" in html
        # Without it, the same dossier is a build of its own and says nothing of changes.
        plain = finished(client, client.post("/build", data=REQUEST, headers=JSON).json()["id"])
        assert plain["state"] == "done" and plain["id"] != done["id"]
        assert "Changes since" not in client.get(plain["download"]["url"]).text


def test_the_automatic_rebuild_keeps_a_dossier_saying_what_changed_since_its_edition(
    project: Path,
) -> None:
    _earlier_edition(project)
    meeting = next((project / "briefs" / "meetings").glob("*sd-18.yaml"))
    with TestClient(
        create_app(project, project / "out", poll_interval=0.05), headers=SAME_ORIGIN
    ) as client:
        response = client.post("/build", data={**REQUEST, "since_edition": "old"}, headers=JSON)
        done = finished(client, response.json()["id"])
        assert done["state"] == "done", done
        url, relpath = done["download"]["url"], done["download"]["path"]
        assert "Changes since 10 January 2026" in client.get(url).text
        manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["outputs"][relpath]["since_edition"] == "old"  # not where the project is
        generation = client.get("/status").json()["generation"]

        meeting.write_text(meeting.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
        job = wait_for(lambda: rebuilt_since(client, generation))
        assert job["state"] == "done", job
        assert "Changes since 10 January 2026" in client.get(url).text
    # Nor is it out of date for a server that does not watch (it is what a build since old/ makes).
    options = BuildOptions(
        root=project,
        formats=("html",),
        audiences=("student",),
        since=dt.date(2026, 1, 1),
        topics=("ai",),
        out=project / "out",
        since_edition=str(project / "old"),
    )
    assert str(Path(relpath).with_suffix("")) not in out_of_date(options)
