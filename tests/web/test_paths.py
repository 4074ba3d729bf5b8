"""Nothing outside out/ is ever served: traversal, encodings, absolute paths, symlinks, hidden
files and folders all give 404, over the ASGI interface and over a real socket."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import Message

from ijbrief.web.serve import create_app

DOSSIER = "analyst/analyst-dossier-cybersecurity-since-2020-10-01.pdf"

# Paths as a client may send them, before any normalisation.
TRAVERSALS = [
    "/files/../pyproject.toml",
    "/files/../secret.txt",
    "/files/analyst/../../pyproject.toml",
    "/files/%2e%2e/pyproject.toml",
    "/files/%2E%2E/secret.txt",
    "/files/..%2fpyproject.toml",
    "/files/..%2Fsecret.txt",
    "/files/analyst%2f..%2f..%2fpyproject.toml",
    "/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/files/..%5cpyproject.toml",
    "/files//etc/passwd",
    "/files/%2fetc%2fpasswd",
    "/files/%2Fetc/passwd",
    "/files/./analyst/../../pyproject.toml",
    "/files/analyst/./briefs",
    "/files/%00pyproject.toml",
    "/preview/../pyproject.toml",
    "/preview/%2e%2e/secret.txt",
    "/preview/..%2fpyproject.toml",
    "/preview//etc/passwd",
]
SYMLINKS = ["/files/passwd.pdf", "/files/secret.pdf", "/files/cache.json", "/preview/passwd.pdf"]
HIDDEN = [
    "/files/.ijbrief.lock",
    "/files/.ijbrief-cache.json",
    "/files/.hidden.pdf",
    "/files/analyst/.hidden",
    "/files/%2eijbrief.lock",
    "/preview/.hidden.pdf",
]
FOLDERS = ["/files/", "/files/analyst", "/files/analyst/", "/files/analyst/briefs", "/preview/"]


def raw_get(app: Starlette, raw_path: str) -> tuple[int, bytes]:
    """Send ``raw_path`` untouched (httpx would resolve ``..`` before sending), decoded the way
    uvicorn decodes it into the ASGI scope."""
    from urllib.parse import unquote

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    # In a thread of its own: no event loop may be running in the thread that calls anyio.run.
    worker = threading.Thread(target=anyio.run, args=(app, scope, receive, send))
    worker.start()
    worker.join(timeout=30)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.fixture
def app(built: Path) -> Starlette:
    return create_app(built, built / "out", watch=False)


def test_the_decoys_exist_and_a_real_file_is_served(built: Path, app: Starlette) -> None:
    # The traversal tests mean something only if the targets exist and serving works at all.
    assert (built / "pyproject.toml").read_text().startswith("decoy")
    assert (built / "out" / DOSSIER).is_file()
    status, body = raw_get(app, "/files/" + DOSSIER)
    assert status == 200 and body.startswith(b"%PDF-")
    status, body = raw_get(
        app, "/files/analyst%2fanalyst-dossier-cybersecurity-since-2020-10-01.pdf"
    )
    assert status == 200  # an encoded slash inside out/ is still inside out/


@pytest.mark.parametrize("path", TRAVERSALS + SYMLINKS + HIDDEN + FOLDERS)
def test_refused_over_asgi(app: Starlette, path: str) -> None:
    status, body = raw_get(app, path)
    assert status == 404, path
    assert b"decoy" not in body and b"root:" not in body


@pytest.mark.parametrize("path", TRAVERSALS + SYMLINKS + HIDDEN + FOLDERS)
def test_refused_over_a_socket(live_url: str, path: str) -> None:
    if "%00" in path:
        path = path.replace("%00", "%2500")  # http.client refuses to send a raw NUL, rightly
    parts = urlsplit(live_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 404, path
    assert b"decoy" not in body and b"root:" not in body


@pytest.mark.parametrize(
    "path", ["/files/../pyproject.toml", "/files/%2e%2e/pyproject.toml", "/files/..%2fsecret.txt"]
)
def test_refused_through_the_test_client(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "decoy" not in response.text


def test_symlink_inside_out_to_a_file_inside_out_is_served(app: Starlette) -> None:
    status, body = raw_get(app, "/files/latest-dossier.pdf")
    assert status == 200 and body.startswith(b"%PDF-")
