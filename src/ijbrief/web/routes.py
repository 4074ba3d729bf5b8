"""serve's routes and the guard in front of them (methods, Host header, body size, security
headers).

Routes (GET and HEAD only, except ``POST /build``):

``/``                 the file listing with previews, a dossier form and the rebuild status
``/files/{path}``     a file inside out/, as a download with a meaningful name
``/preview/{path}``   a brief or dossier shown inline (HTML sandboxed, or PDF)
``POST /build``       start (or join) a dossier build; JSON or a redirect to its status
``/build/{job}``      a build's status: JSON, or a page refreshing itself for a browser
``/status``           the automatic rebuild's status and a counter of finished builds (JSON)
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ijbrief.build import formats as output_formats
from ijbrief.compose import site
from ijbrief.web.forms import _shown
from ijbrief.web.jobs import FormError, QueueFull
from ijbrief.web.service import MAX_QUEUED, Service

MEDIA_TYPES = {
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
PREVIEW_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
)
MAX_BODY = 64 * 1024
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{6,40}")


def content_disposition(disposition: str, name: str) -> str:
    """An RFC 6266 header value: an ASCII ``filename`` and the exact ``filename*`` in UTF-8, with
    no quotes, backslashes, path separators or control characters in either."""
    name = unicodedata.normalize("NFC", name)
    cleaned = "".join(
        "_" if unicodedata.category(c)[0] == "C" or c in '"\\/:*?<>|;' else c for c in name
    )
    cleaned = re.sub("_{2,}", "_", cleaned).strip(" ._") or "download"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        stem, suffix = cleaned, ""
    fallback = _ascii(stem) or "download"
    if _ascii(suffix):
        fallback += "." + _ascii(suffix)
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub("_{2,}", "_", re.sub(r"[^A-Za-z0-9.+-]+", "_", plain)).strip("._")


def _file_response(
    path: Path, disposition: str, name: str, extra: Mapping[str, str] | None = None
) -> Response:
    """The file's bytes as they are at open time (a rebuild swaps files by rename, never
    rewrites them in place), so a download is never half old and half new."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        raise HTTPException(404) from None
    headers = {
        "Content-Disposition": content_disposition(disposition, name),
        "Cache-Control": "no-cache",
        **(extra or {}),
    }
    suffix = path.suffix.lower()
    made = next((f for f in output_formats.formats() if f.suffix == suffix), None)
    media_type = made.media_type if made else MEDIA_TYPES.get(suffix, "application/octet-stream")
    return Response(data, media_type=media_type, headers=headers)


# --- Routes -------------------------------------------------------------------------------------


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/html" not in accept


async def index(request: Request) -> Response:
    nonce = secrets.token_urlsafe(16)
    page = await run_in_threadpool(_service(request).index_page, nonce)
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"script-src 'nonce-{nonce}'; connect-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


async def files(request: Request) -> Response:
    service = _service(request)
    real = await run_in_threadpool(service.resolve, request.path_params["path"])
    if real is None:
        raise HTTPException(404)
    relpath = real.relative_to(service.out).as_posix()
    name = await run_in_threadpool(service.download_name, relpath)
    return await run_in_threadpool(_file_response, real, "attachment", name)


async def preview(request: Request) -> Response:
    service = _service(request)
    relpath = str(request.path_params["path"])
    real = await run_in_threadpool(service.resolve, relpath)
    if real is not None and real.suffix == ".docx":
        stem = real.relative_to(service.out).as_posix().rsplit(".", 1)[0]
        real = next(
            (p for p in (service.resolve(f"{stem}.html"), service.resolve(f"{stem}.pdf")) if p),
            None,
        )
        if real is None:
            return PlainTextResponse(
                "No preview: build this document as PDF or HTML to see it in the browser.", 404
            )
    if real is None or real.suffix not in (".html", ".pdf"):
        raise HTTPException(404)
    relpath = real.relative_to(service.out).as_posix()
    name = await run_in_threadpool(service.download_name, relpath)
    extra = {"Content-Security-Policy": PREVIEW_CSP} if real.suffix == ".html" else {}
    return await run_in_threadpool(_file_response, real, "inline", name, extra)


async def start_build(request: Request) -> Response:
    service = _service(request)
    foreign = _cross_site(request)
    if foreign:
        return _forbidden(request, f"Refused: the form was sent from another site ({foreign}).")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _refused(request, ["send the form as application/x-www-form-urlencoded"])
    form = await request.form(max_files=0, max_fields=256, max_part_size=16 * 1024)
    if "origin" not in request.headers:
        # A browser sends Origin with every POST; without it, only the page's token says
        # where the request comes from.
        token = form.get("token")
        if not isinstance(token, str) or not secrets.compare_digest(token, service.token):
            return _forbidden(
                request,
                "Refused: a build request needs the Origin header of this server's page, "
                "or the token of its form.",
            )
    if form.get("rebuild") == "1":  # the page's button when out/ is out of date
        rebuild = await run_in_threadpool(service.start_rebuild)
        if rebuild is None:
            return _refused(request, ["out/ holds nothing to rebuild: build a dossier first"])
        return _started(request, service, rebuild.id)
    try:
        label, plan, target = await run_in_threadpool(service.dossier_request, form)
    except FormError as exc:
        return _refused(request, exc.problems)
    try:
        job = service.submit("dossier", label, plan, target)
    except QueueFull:
        message = f"{MAX_QUEUED} builds are waiting already; try again when one has finished."
        if _wants_json(request):
            return JSONResponse(
                {"error": "busy", "problems": [message]},
                status_code=503,
                headers={"Retry-After": "10"},
            )
        return PlainTextResponse(message, 503, headers={"Retry-After": "10"})
    return _started(request, service, job.id)


def _started(request: Request, service: Service, job_id: str) -> Response:
    url = f"/build/{job_id}"
    if _wants_json(request):
        return JSONResponse(service.job_json(job_id), status_code=202, headers={"Location": url})
    return RedirectResponse(url, status_code=303)


def _cross_site(request: Request) -> str | None:
    """Why a POST looks sent by another site (None if it does not): a browser's Sec-Fetch-Site
    saying so, an Origin other than this server's (``null`` included: a sandboxed frame or a
    redirect), or a Referer from another host."""
    headers = request.headers
    host = headers.get("host", "").lower()
    fetch_site = headers.get("sec-fetch-site", "").lower()
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site: {_shown(fetch_site)}"
    origin = headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            return f"Origin: {_shown(origin)}"
    referer = headers.get("referer")
    if referer and urlsplit(referer.strip()).netloc.lower() != host:
        return "Referer from another host"
    return None


def _forbidden(request: Request, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "forbidden", "problems": [message]}, status_code=403)
    return PlainTextResponse(message, 403)


def _refused(request: Request, problems: list[str]) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "bad request", "problems": problems}, status_code=400)
    return HTMLResponse(site.message_html("The form needs a correction", problems), 400)


async def build_status(request: Request) -> Response:
    job_id = str(request.path_params["job"])
    job = _service(request).job_json(job_id) if _JOB_ID.fullmatch(job_id) else None
    if job is None:
        raise HTTPException(404)
    if _wants_json(request):
        return JSONResponse(job)
    return HTMLResponse(site.job_html(job))


async def status(request: Request) -> Response:
    return JSONResponse(_service(request).status_json())


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        return PlainTextResponse("Internal server error (see the server's console).", 500)
    messages = {404: "Not found.", 405: "Method not allowed."}
    text = messages.get(exc.status_code) or str(exc.detail)
    return PlainTextResponse(text, exc.status_code, headers=exc.headers)


class Guard:
    """Refuses methods other than GET/HEAD (and POST on /build), unexpected Host headers (DNS
    rebinding) and oversized bodies; adds protective headers to every response."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str] | None = None) -> None:
        self.app = app
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        refusal: Response | None = None
        if method not in ("GET", "HEAD") and not (method == "POST" and path == "/build"):
            allow = "POST" if path == "/build" else "GET, HEAD"
            refusal = PlainTextResponse("Method not allowed.", 405, headers={"Allow": allow})
        elif self.allowed_hosts is not None and _host_name(scope) not in self.allowed_hosts:
            refusal = PlainTextResponse("Unexpected Host header.", 400)
        elif method == "POST" and _content_length(scope) > MAX_BODY:
            refusal = PlainTextResponse("Request body too large.", 413)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _SECURITY_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)


def _host_name(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host: str = bytes(value).decode("latin-1").strip().lower()
            if host.startswith("["):
                return host[1:].split("]", 1)[0]
            return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return ""


def _content_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return MAX_BODY + 1
    return 0


def create_app(
    root: Path,
    out: Path,
    *,
    watch: bool = True,
    poll_interval: float = 1.0,
    jobs: int | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The web app for the project at ``root`` serving ``out``. The watcher starts with the app's
    lifespan (``watch=False`` turns it off); builds run in a worker thread started on demand."""
    service = Service(
        root,
        out,
        jobs=jobs if jobs is not None else min(4, os.cpu_count() or 1),
        poll_interval=poll_interval,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start(watch)
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            Route("/files/{path:path}", files, methods=["GET", "HEAD"]),
            Route("/preview/{path:path}", preview, methods=["GET", "HEAD"]),
            Route("/build", start_build, methods=["POST"]),
            Route("/build/{job}", build_status, methods=["GET", "HEAD"]),
            Route("/status", status, methods=["GET", "HEAD"]),
        ],
        middleware=[Middleware(Guard, allowed_hosts=allowed_hosts)],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
    app.state.service = service
    return app
