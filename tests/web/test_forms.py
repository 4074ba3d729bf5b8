"""Bad form input gets a 400 with a clear message (JSON for scripts, a page for browsers), never
a traceback, and starts no build."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

GOOD = {"audience": "analyst", "format": "pdf", "since": "2020-10-01", "until": "2022-12-31"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"audience": "nobody"},
            "audience: unknown audience 'nobody' (known: analyst, minister, student)",
        ),
        ({"audience": "../analyst"}, "audience: unknown audience '../analyst'"),
        ({"audience": ""}, "audience: required"),
        ({"format": "exe"}, "format: 'exe' is not one of pdf, docx, html"),
        ({"format": ""}, "format: required"),
        ({"since": "2020-13-01"}, "from date: '2020-13-01' is not a real date"),
        ({"since": "1/10/2020"}, "from date: '1/10/2020' is not a date written as YYYY-MM-DD"),
        ({"until": "20221231"}, "to date: '20221231' is not a date written as YYYY-MM-DD"),
        ({"until": "2022-02-30"}, "to date: '2022-02-30' is not a real date"),
        (
            {"until": "'; DROP TABLE"},
            'to date: "\'; DROP TABLE" is not a date written as YYYY-MM-DD',
        ),
        (
            {"since": "2023-01-01", "until": "2020-01-01"},
            "dates: the from date (2023-01-01) is after the to date (2020-01-01)",
        ),
        ({"topic": ["cybersecurity", "no-such-topic"]}, "topic: unknown topic 'no-such-topic'"),
        (
            {"topic": "<script>alert(1)</script>"},
            "topic: unknown topic '<script>alert(1)</script>'",
        ),
        ({"audience": ["analyst", "minister"]}, "audience: give one value"),
        (
            {"since_edition": "no-such-edition"},
            "since edition: no-such-edition: not a manifest, an out/ folder or a git revision",
        ),
        ({"since_edition": "secret.txt"}, "since edition: secret.txt: not a manifest ijbrief"),
        ({"since_edition": "/etc/passwd"}, "since edition: '/etc/passwd' is outside the project"),
        ({"since_edition": "../.."}, "since edition: '../..' is outside the project"),
        ({"since_edition": "--output=/tmp/x"}, "since edition: '--output=/tmp/x' is not a"),
        ({"since_edition": ["out", "out"]}, "since edition: give one value"),
    ],
)
def test_bad_input_is_a_400_with_a_clear_message(
    client: TestClient, changes: dict[str, object], message: str
) -> None:
    data = {**GOOD, **changes}
    response = client.post("/build", data=data, headers={"accept": "application/json"})
    assert response.status_code == 400
    body = response.json()
    assert any(problem.startswith(message) for problem in body["problems"]), body
    assert "Traceback" not in response.text
    assert client.get("/status").json()["generation"] == 0
    assert client.app.state.service.jobs == {}  # type: ignore[attr-defined]


def test_every_problem_is_reported_at_once(client: TestClient) -> None:
    data = {"audience": "nobody", "format": "exe", "since": "x", "topic": "y"}
    response = client.post("/build", data=data, headers={"accept": "application/json"})
    assert response.status_code == 400
    assert len(response.json()["problems"]) == 4


def test_a_browser_gets_a_page_with_the_messages_escaped(client: TestClient) -> None:
    data = {**GOOD, "topic": "<script>alert(1)</script>"}
    response = client.post("/build", data=data, headers={"accept": "text/html"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "The form needs a correction" in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text


def test_body_that_is_not_a_form(client: TestClient) -> None:
    response = client.post("/build", json=GOOD, headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["problems"] == ["send the form as application/x-www-form-urlencoded"]
    malformed = client.post(
        "/build",
        content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert malformed.status_code == 400
    assert "Traceback" not in malformed.text


def test_file_uploads_and_huge_bodies_are_refused(client: TestClient) -> None:
    upload = client.post("/build", data=GOOD, files={"topic": ("a.txt", b"x")})
    assert upload.status_code == 400
    huge = client.post("/build", data={**GOOD, "topic": "x" * 100_000})
    assert huge.status_code == 413
