"""Frames from cameras (or video platforms) that serve HTTP snapshots.

Basic or digest auth, a timeout, a size limit enforced while reading, and a content-type
check: a camera that answers with an HTML error page is a failure, not a frame.

Snapshots are fetched with aiohttp, not the httpx client the other outside systems use:
a vision worker fetches one 200–400 KiB frame per inference, and aiohttp's C parser
reads one for about 0.25 ms of CPU where httpx spends 1.3 ms (``bench_vision.py``), a
twentieth of a core's frame budget. Redirects are not followed (a camera that redirects
is misconfigured, and an integrator's image URL must stay where the SSRF check put it).
"""

from __future__ import annotations

import aiohttp

ACCEPTED = ("image/jpeg", "image/png")
_CHUNK = 1 << 16


class FrameError(RuntimeError):
    """The camera gave no usable frame; ``reason`` is short and stable (for health)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def open_camera_session(connections: int = 100) -> aiohttp.ClientSession:
    """The client session snapshots are fetched with (one per process, in a running loop).

    Keep-alive connections are reused between samples of a camera; proxies from the
    environment are ignored (cameras sit on the private video network).
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=30.0),
        trust_env=False,
        auto_decompress=False,
    )


async def fetch_snapshot(
    http: aiohttp.ClientSession,
    url: str,
    *,
    auth: str = "none",
    username: str = "",
    password: str = "",
    max_bytes: int = 8_000_000,
    timeout_s: float = 5.0,
) -> bytes:
    """One frame as JPEG/PNG bytes, or FrameError."""
    headers: dict[str, str] = {}
    middlewares: tuple[aiohttp.DigestAuthMiddleware, ...] = ()
    if auth == "basic":
        headers["Authorization"] = aiohttp.encode_basic_auth(username, password)
    elif auth == "digest":
        # Not preemptive: the camera's challenge says which realm, nonce and algorithm.
        middlewares = (aiohttp.DigestAuthMiddleware(username, password, preemptive=False),)
    try:
        async with http.get(
            url,
            headers=headers,
            middlewares=middlewares,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            if response.status != 200:
                raise FrameError("http_status", f"answered {response.status}")
            # aiohttp reads a missing header as application/octet-stream; say it is missing.
            kind = response.content_type.lower() if "Content-Type" in response.headers else ""
            if kind not in ACCEPTED:
                raise FrameError("content_type", f"answered {kind or 'no content type'}")
            declared = response.content_length
            if declared is not None and declared > max_bytes:
                raise FrameError("too_large", f"{declared} bytes, more than {max_bytes}")
            body = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise FrameError("too_large", f"more than {max_bytes} bytes")
            return bytes(body)
    except TimeoutError as exc:
        raise FrameError("timeout", f"no frame within {timeout_s:g} s") from exc
    except (aiohttp.ClientError, ValueError) as exc:
        raise FrameError("unreachable", str(exc) or type(exc).__name__) from exc
