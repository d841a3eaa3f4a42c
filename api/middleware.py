"""Request ids, one access-log line per request, and the security headers."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.proxies import Network, is_https
from offsite.logs import request_id_var
from offsite.settings import HttpSettings, trusted_networks

log = logging.getLogger("offsite.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take ``X-Request-ID`` from the caller (or make one), log with it, echo it back."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = rid
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "status": status,
                    "method": method,
                    "path": path,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)

    return middleware


# What every answer carries. The API serves JSON, event streams and files, never a page:
# nothing may be framed, sniffed into HTML, or run as a script, and no URL leaks onward.
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# Tokens and personal data must not stay in a browser's, a WebView's or a proxy's cache;
# an answer that sets its own Cache-Control keeps it.
_NO_STORE = (b"cache-control", b"no-store")
_PRIVATE_PREFIXES = ("/api/", "/integrator/")


def security_headers(http: HttpSettings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A ``before_send`` hook (it sees every answer, a 404 of no route too): security
    headers, and HSTS on answers to HTTPS requests (directly, or ``X-Forwarded-Proto:
    https`` from a trusted proxy) unless ``hsts_max_age_s`` is 0."""
    trusted = trusted_networks(http.trusted_proxies)
    hsts = (b"strict-transport-security", f"max-age={http.hsts_max_age_s}".encode())

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", ()))
        names = {name.lower() for name, _ in headers}
        headers.extend(_ALWAYS)
        if _CSP[0] not in names:
            headers.append(_CSP)
        if scope["path"].startswith(_PRIVATE_PREFIXES) and _NO_STORE[0] not in names:
            headers.append(_NO_STORE)
        if http.hsts_max_age_s > 0 and _over_tls(scope, trusted):
            headers.append(hsts)
        message["headers"] = headers

    return hook


def _over_tls(scope: Scope, trusted: Sequence[Network]) -> bool:
    scheme = scope.get("scheme", "http")
    if scheme == "https" or not trusted:  # no proxy to believe: no header to read
        return scheme == "https"
    client = scope.get("client")
    peer = client[0] if client else ""
    proto = next((v for k, v in scope["headers"] if k == b"x-forwarded-proto"), b"")
    return is_https(scheme, peer, proto.decode("latin-1") or None, trusted)
