"""The officers' mobile app (``web/``, built by Vite) served under ``/app/``.

Any ``/app/...`` path that is not a file of the bundle answers ``index.html`` (the app's
router reads the path: history mode). Hashed assets (``/app/assets/*``) never change
under their name, so phones keep them a year; ``index.html`` is revalidated every time,
so a new release is picked up on the next open. Text files go gzipped to clients that
take it (phones on 4G). Without a build, ``/app/`` answers 503 ``app_not_built``.

Settings the app needs at run time (the Tencent maps key) go into ``index.html`` as
``<meta name="offsite:NAME" content="...">`` when it is served, so one build serves every
deployment and no key is baked into the bundle.
"""

from __future__ import annotations

import functools
import gzip
import html
import mimetypes
from pathlib import Path
from typing import Any

from litestar import HttpMethod, Request, Response, route
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from domain.errors import NotFound, Unavailable

PREFIX = "/app"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_COMPRESSIBLE = {".js", ".css", ".html", ".svg", ".json", ".txt", ".map"}
_PUBLIC = {"exclude_from_auth": True}


@functools.lru_cache(maxsize=256)
def _gzipped(path: Path, mtime_ns: int, size: int, meta: tuple[tuple[str, str], ...]) -> bytes:
    """The file's gzip, once per version of the file (mtime and size key the cache)."""
    return gzip.compress(_read(path, meta), compresslevel=9, mtime=0)


def _read(path: Path, meta: tuple[tuple[str, str], ...]) -> bytes:
    """The file's bytes; the page (``index.html``) with the run-time settings in its head."""
    body = path.read_bytes()
    if path.name != "index.html" or not meta:
        return body
    tags = "".join(
        f'<meta name="offsite:{html.escape(name)}" content="{html.escape(value)}" />'
        for name, value in meta
    )
    return body.replace(b"</head>", tags.encode() + b"</head>", 1)


def _locate(dist: Path, file_path: str) -> Path | None:
    """The bundle's file for a path under /app/, never outside the bundle."""
    relative = file_path.lstrip("/")
    if not relative:
        return None
    candidate = (dist / relative).resolve()
    if not candidate.is_relative_to(dist) or not candidate.is_file():
        return None
    return candidate


def page_policy(object_store: str, tiles: str | None = None) -> str:
    """The Content-Security-Policy of the app's files: its own scripts, styles and fonts
    only (Vant sets inline styles), the object store for photos (presigned view
    links, POST-policy uploads), and the console map's configured tile host (``tiles``)
    for images. The API's own answers keep ``default-src 'none'``."""
    store = object_store.rstrip("/")
    images = f"{store} {tiles}" if tiles else store
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        f" img-src 'self' data: blob: {images}; connect-src 'self' {store};"
        " font-src 'self' data:; object-src 'none'; base-uri 'none';"
        " form-action 'self'; frame-ancestors 'none'"
    )


def _answer(
    path: Path,
    cache_control: str,
    accepts_gzip: bool,
    csp: str,
    meta: tuple[tuple[str, str], ...] = (),
) -> Response[bytes]:
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # Litestar adds the charset to text/*; the others need it said.
    if not media_type.startswith("text/") and media_type.endswith(("javascript", "json", "+xml")):
        media_type += "; charset=utf-8"
    headers = {
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        "Content-Security-Policy": csp,
    }
    if accepts_gzip and path.suffix in _COMPRESSIBLE:
        stat = path.stat()
        headers["Content-Encoding"] = "gzip"
        body = _gzipped(path, stat.st_mtime_ns, stat.st_size, meta)
    else:
        body = _read(path, meta)
    return Response(body, media_type=media_type, headers=headers)


def serve(
    dist: Path,
    file_path: str,
    accepts_gzip: bool,
    csp: str,
    meta: tuple[tuple[str, str], ...] = (),
) -> Response[bytes]:
    """The answer for ``/app/<file_path>`` from the bundle in ``dist`` (resolved); the
    page carries ``meta`` (name, value) as ``offsite:`` meta tags."""
    found = _locate(dist, file_path)
    if found is not None and found.name != "index.html":
        hashed = found.parent == dist / "assets"
        return _answer(found, IMMUTABLE if hashed else REVALIDATE, accepts_gzip, csp)
    if file_path.lstrip("/").startswith("assets/"):
        # A chunk of another release: a 404, not the page (which would not parse as JS).
        raise NotFound("not_found", "no such file in the app's bundle")
    index = dist / "index.html"
    if not index.is_file():
        raise Unavailable(
            "app_not_built",
            "the mobile app is not built: run `make install` (or `npm run build` in web/); "
            f"looked in {dist}",
        )
    return _answer(index, REVALIDATE, accepts_gzip, csp, meta)


def _accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def webapp_handlers(
    dist: Path, csp: str, page_settings: dict[str, str] | None = None
) -> list[HTTPRouteHandler]:
    """Route handlers serving the bundle built into ``dist`` (read at each request, so a
    build made while the API runs is served at once) under the policy ``csp``, the page
    carrying ``page_settings`` (those with a value) for the app to read."""
    dist = dist.resolve()
    meta = tuple(sorted((k, v) for k, v in (page_settings or {}).items() if v))
    methods = [HttpMethod.GET, HttpMethod.HEAD]

    @route(PREFIX, http_method=methods, opt=_PUBLIC, include_in_schema=False, sync_to_thread=False)
    def app_page(request: Request[Any, Any, Any]) -> Response[bytes]:
        return serve(dist, "/", _accepts_gzip(request), csp, meta)

    @route(
        f"{PREFIX}/{{file_path:path}}",
        http_method=methods,
        opt=_PUBLIC,
        include_in_schema=False,
        sync_to_thread=False,
    )
    def app_file(file_path: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
        return serve(dist, file_path, _accepts_gzip(request), csp, meta)

    return [app_page, app_file]
