"""Methods, headers, downloads, previews and the page, through Starlette's TestClient."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

from ijbrief.web.serve import content_disposition, create_app

DOSSIER = "analyst/analyst-dossier-cybersecurity-since-2020-10-01"
BRIEF = "analyst/briefs/2020-10-07-fmsd-13"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", [f"/files/{DOSSIER}.pdf", f"/preview/{BRIEF}.html", "/"])
def test_only_get_and_head(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_build_takes_post_only(client: TestClient, method: str) -> None:
    response = client.request(method, "/build")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert client.get("/build").status_code == 405
    assert client.request(method, "/nowhere").status_code == 405


def test_download_of_a_brief(client: TestClient, built: Path) -> None:
    response = client.get(f"/files/{BRIEF}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == (built / "out" / f"{BRIEF}.pdf").read_bytes()
    assert response.headers["content-disposition"] == (
        'attachment; filename="ijbrief-analyst-2020-10-07-fmsd-13.pdf"; '
        "filename*=UTF-8''ijbrief-analyst-2020-10-07-fmsd-13.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"


def test_download_of_a_dossier_is_named_by_audience_span_and_filters(client: TestClient) -> None:
    response = client.get(f"/files/{DOSSIER}.pdf")
    assert response.status_code == 200
    # The two meetings on cybersecurity since October 2020: 7 October 2020 and 8 September 2022.
    name = "ijbrief-analyst-dossier-2020-10-07_2022-09-08-cybersecurity.pdf"
    assert f'filename="{name}"' in response.headers["content-disposition"]
    html = client.get(f"/files/{DOSSIER}.html")
    assert html.headers["content-disposition"].startswith("attachment;")
    assert html.headers["content-type"] == "text/html; charset=utf-8"


def test_head_gives_the_headers_without_the_body(client: TestClient, built: Path) -> None:
    response = client.head(f"/files/{DOSSIER}.pdf")
    assert response.status_code == 200
    assert (
        int(response.headers["content-length"]) == (built / "out" / f"{DOSSIER}.pdf").stat().st_size
    )
    assert response.content == b""
    assert client.head("/files/../pyproject.toml").status_code == 404


def test_preview_is_inline_and_html_is_sandboxed(client: TestClient) -> None:
    html = client.get(f"/preview/{BRIEF}.html")
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].startswith("inline;")
    csp = html.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert "13th India–Japan Foreign Ministers" in html.text
    pdf = client.get(f"/preview/{BRIEF}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline;")
    assert client.get("/preview/manifest.json").status_code == 404


@pytest.mark.parametrize(
    ("name", "ascii_name", "exact"),
    [
        ("plain-name_1.pdf", "plain-name_1.pdf", "plain-name_1.pdf"),
        ('evil"; filename="x.exe.pdf', "evil_filename_x.exe.pdf", "evil_ filename=_x.exe.pdf"),
        ("line\r\nSet-Cookie: a=b.pdf", "line_Set-Cookie_a_b.pdf", "line_Set-Cookie_ a=b.pdf"),
        ("../../etc/passwd", "etc_passwd", "etc_passwd"),
        ("back\\slash.pdf", "back_slash.pdf", "back_slash.pdf"),
        ("日本とインド.pdf", "download.pdf", "日本とインド.pdf"),
        ("Café – résumé.docx", "Cafe_resume.docx", "Café – résumé.docx"),
        ("", "download", "download"),
    ],
)
def test_content_disposition_is_sanitised(name: str, ascii_name: str, exact: str) -> None:
    header = content_disposition("attachment", name)
    assert "\r" not in header and "\n" not in header
    header.encode("ascii")  # header values stay ASCII
    match = re.fullmatch(
        r"attachment; filename=\"([^\"\\]*)\"; filename\*=UTF-8''([^\s;\"]+)", header
    )
    assert match, header
    assert match[1] == ascii_name
    assert unquote(match[2]) == exact
    assert not set(unquote(match[2])) & set('"\\/\r\n')


def test_security_headers_on_the_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'<script nonce="{nonce[1]}">' in response.text
    assert "default-src 'none'" in csp


def test_the_page_lists_files_with_previews_and_the_form(client: TestClient) -> None:
    page = client.get("/").text
    assert f'href="/files/{DOSSIER}.pdf"' in page
    assert f'href="/preview/{BRIEF}.html"' in page
    assert 'download="ijbrief-analyst-2020-10-07-fmsd-13.pdf"' in page
    assert '<form id="build-form"' in page and 'action="/build"' in page
    for value in ("analyst", "minister", "student"):
        assert f'<option value="{value}">' in page
    for fmt in ("pdf", "docx", "html"):
        assert f'name="format" value="{fmt}"' in page
    assert 'name="topic" value="cybersecurity"' in page
    assert 'type="date" name="since"' in page and 'type="date" name="until"' in page
    assert 'type="text" name="since_edition"' in page  # sent as the build's since-edition
    for title in ("18th India–Japan Strategic Dialogue", "First India–Japan 2+2"):
        assert title in page  # every meeting is listed, built or not
    assert "<svg" in page and 'href="#m-sd-18"' in page


def test_status_and_unknown_jobs(client: TestClient) -> None:
    status = client.get("/status").json()
    assert status["generation"] == 0 and status["rebuild"] is None
    assert client.get("/build/no-such-job").status_code == 404
    assert client.get("/build/..%2f..%2fetc").status_code == 404


def test_unexpected_host_is_refused_when_bound_to_loopback(built: Path) -> None:
    app = create_app(built, built / "out", watch=False, allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as local:
        assert local.get("/status").status_code == 200
        assert local.get("/status", headers={"host": "localhost:8000"}).status_code == 200
        assert local.get("/status", headers={"host": "evil.example:8000"}).status_code == 400


def test_cross_site_form_posts_are_refused(client: TestClient) -> None:
    response = client.post(
        "/build",
        data={"audience": "analyst", "format": "pdf"},
        headers={"origin": "http://evil.example"},
    )
    assert response.status_code == 403


FORM = {"audience": "analyst", "format": "pdf"}


def page_token(client: TestClient) -> str:
    found = re.search(r'name="token" value="([^"]+)"', client.get("/").text)
    assert found, "the page's form carries no token"
    return found[1]


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Origin and no token: a form or script on another site, an old client
        {"origin": "null"},  # a sandboxed iframe on another site
        {"referer": "http://evil.example/page"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "http://testserver.evil.example"},
    ],
)
def test_build_requests_from_elsewhere_are_refused(built: Path, headers: dict[str, str]) -> None:
    # issue 28.4: each of these was accepted.
    with TestClient(create_app(built, built / "out", watch=False)) as bare:
        response = bare.post("/build", data=FORM, headers={"accept": "application/json", **headers})
        assert response.status_code == 403
        assert response.json()["problems"][0].startswith("Refused:")
        assert bare.app.state.service.jobs == {}  # type: ignore[attr-defined]


def test_a_forged_token_is_refused_and_the_pages_accepted(built: Path) -> None:
    with TestClient(create_app(built, built / "out", watch=False)) as bare:
        forged = bare.post("/build", data={**FORM, "token": "x" * 32})
        assert forged.status_code == 403
        # A client that sends no Origin (curl) but the page's token is the page's own.
        token = page_token(bare)
        with_token = bare.post(
            "/build", data={**FORM, "token": token}, headers={"accept": "application/json"}
        )
        assert with_token.status_code == 202
        # With a foreign Referer the token does not help.
        foreign = bare.post(
            "/build",
            data={**FORM, "token": token},
            headers={"referer": "http://evil.example/", "accept": "application/json"},
        )
        assert foreign.status_code == 403
