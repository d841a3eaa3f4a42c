"""Frames from cameras (or video platforms) that serve HTTP snapshots.

Basic or digest auth, a timeout, a size limit enforced while reading, and a content-type
check: a camera that answers with an HTML error page is a failure, not a frame.
"""

from __future__ import annotations

import httpx

ACCEPTED = ("image/jpeg", "image/png")


class FrameError(RuntimeError):
    """The camera gave no usable frame; ``reason`` is short and stable (for health)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


async def fetch_snapshot(
    http: httpx.AsyncClient,
    url: str,
    *,
    auth: str = "none",
    username: str = "",
    password: str = "",
    max_bytes: int = 8_000_000,
    timeout_s: float = 5.0,
) -> bytes:
    """One frame as JPEG/PNG bytes, or FrameError."""
    credentials: httpx.Auth | None = None
    if auth == "basic":
        credentials = httpx.BasicAuth(username, password)
    elif auth == "digest":
        credentials = httpx.DigestAuth(username, password)
    try:
        async with http.stream("GET", url, auth=credentials, timeout=timeout_s) as response:
            if response.status_code != 200:
                raise FrameError("http_status", f"answered {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind not in ACCEPTED:
                raise FrameError("content_type", f"answered {kind or 'no content type'}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FrameError("too_large", f"more than {max_bytes} bytes")
            return bytes(body)
    except httpx.TimeoutException as exc:
        raise FrameError("timeout", str(exc) or "timed out") from exc
    except httpx.HTTPError as exc:
        raise FrameError("unreachable", str(exc)) from exc
