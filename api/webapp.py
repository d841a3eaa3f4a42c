"""The officers' mobile app (``web/``, built by Vite) served under ``/app/``.

Any ``/app/...`` path that is not a file of the bundle answers ``index.html`` (the app's
router reads the path: history mode). Hashed assets (``/app/assets/*``) never change
under their name, so phones keep them a year; ``index.html`` is revalidated every time,
so a new release is picked up on the next open. Text files go gzipped to clients that
take it (phones on 4G). Without a build, ``/app/`` answers 503 ``app_not_built``.
"""

from __future__ import annotations

import functools
import gzip
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
def _gzipped(path: Path, mtime_ns: int, size: int) -> bytes:
    """The file's gzip, once per version of the file (mtime and size key the cache)."""
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


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


def _answer(path: Path, cache_control: str, accepts_gzip: bool, csp: str) -> Response[bytes]:
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
        body = _gzipped(path, stat.st_mtime_ns, stat.st_size)
    else:
        body = path.read_bytes()
    return Response(body, media_type=media_type, headers=headers)


def serve(dist: Path, file_path: str, accepts_gzip: bool, csp: str) -> Response[bytes]:
    """The answer for ``/app/<file_path>`` from the bundle in ``dist`` (resolved)."""
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
    return _answer(index, REVALIDATE, accepts_gzip, csp)


def _accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def webapp_handlers(dist: Path, csp: str) -> list[HTTPRouteHandler]:
    """Route handlers serving the bundle built into ``dist`` (read at each request, so a
    build made while the API runs is served at once) under the policy ``csp``."""
    dist = dist.resolve()
    methods = [HttpMethod.GET, HttpMethod.HEAD]

    @route(PREFIX, http_method=methods, opt=_PUBLIC, include_in_schema=False, sync_to_thread=False)
    def app_page(request: Request[Any, Any, Any]) -> Response[bytes]:
        return serve(dist, "/", _accepts_gzip(request), csp)

    @route(
        f"{PREFIX}/{{file_path:path}}",
        http_method=methods,
        opt=_PUBLIC,
        include_in_schema=False,
        sync_to_thread=False,
    )
    def app_file(file_path: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
        return serve(dist, file_path, _accepts_gzip(request), csp)

    return [app_page, app_file]
