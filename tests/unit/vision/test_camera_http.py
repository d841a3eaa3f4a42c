"""Snapshot fetching against a local HTTP "camera": auth, limits and refusals."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest

from integrations.camera_http import FrameError, fetch_snapshot, open_camera_session

FRAME = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64 + b"\xff\xd9"
REALM, NONCE = "IP Camera(C2481)", "4e4d4f2d"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class Camera(BaseHTTPRequestHandler):
    """/basic and /digest want viewer:s3cret; /html answers a page; /big is 1 MiB without
    a length; /slow never answers in time; /redirect points elsewhere."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/basic" and self.headers.get("Authorization") != (
            "Basic dmlld2VyOnMzY3JldA=="
        ):
            return self._answer(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="cam"'})
        if self.path == "/digest" and not self._digest_ok():
            challenge = f'Digest realm="{REALM}", qop="auth", nonce="{NONCE}", algorithm=MD5'
            return self._answer(401, b"", "text/plain", {"WWW-Authenticate": challenge})
        if self.path == "/html":
            return self._answer(200, b"<html>login</html>", "text/html; charset=utf-8")
        if self.path == "/untyped":
            return self._answer(200, FRAME, None)
        if self.path == "/redirect":
            return self._answer(302, b"", "text/plain", {"Location": "/basic"})
        if self.path == "/slow":
            time.sleep(1.0)
        if self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"\xff" * (1 << 20))
            self.close_connection = True
            return None
        return self._answer(200, FRAME, "image/jpeg")

    def _digest_ok(self) -> bool:
        header = self.headers.get("Authorization", "")
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header.removeprefix("Digest ")))
        if not header.startswith("Digest ") or fields.get("username") != "viewer":
            return False
        ha1 = _md5(f"viewer:{REALM}:s3cret")
        ha2 = _md5(f"GET:{fields.get('uri')}")
        expected = _md5(
            f"{ha1}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:{fields.get('qop')}:{ha2}"
        )
        return fields.get("response") == expected

    def _answer(
        self, status: int, body: bytes, kind: str | None, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if kind is not None:
            self.send_header("Content-Type", kind)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that stops reading at the size limit hangs up mid-frame


@pytest.fixture(scope="module")
def camera() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Camera)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with open_camera_session() as session:
        yield session


async def test_an_open_camera_gives_its_frame(camera: str, http: aiohttp.ClientSession) -> None:
    assert await fetch_snapshot(http, f"{camera}/open") == FRAME


@pytest.mark.parametrize("auth", ["basic", "digest"])
async def test_basic_and_digest_credentials_are_answered(
    camera: str, http: aiohttp.ClientSession, auth: str
) -> None:
    url = f"{camera}/{auth}"
    got = await fetch_snapshot(http, url, auth=auth, username="viewer", password="s3cret")
    assert got == FRAME

    with pytest.raises(FrameError) as refused:
        await fetch_snapshot(http, url, auth=auth, username="viewer", password="wrong")
    assert refused.value.reason == "http_status"
    assert "401" in str(refused.value)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/html", "content_type"),
        ("/untyped", "content_type"),
        ("/redirect", "http_status"),
    ],
)
async def test_what_is_not_a_frame_is_refused(
    camera: str, http: aiohttp.ClientSession, path: str, reason: str
) -> None:
    with pytest.raises(FrameError) as refused:
        await fetch_snapshot(http, f"{camera}{path}")
    assert refused.value.reason == reason


async def test_the_size_limit_holds_with_and_without_a_declared_length(
    camera: str, http: aiohttp.ClientSession
) -> None:
    for path in ("/open", "/big"):
        with pytest.raises(FrameError) as refused:
            await fetch_snapshot(http, f"{camera}{path}", max_bytes=1000)
        assert refused.value.reason == "too_large"


async def test_a_slow_or_absent_camera_fails_in_time(
    camera: str, http: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    with pytest.raises(FrameError) as slow:
        await fetch_snapshot(http, f"{camera}/slow", timeout_s=0.2)
    assert slow.value.reason == "timeout"
    assert time.monotonic() - started < 0.9

    with pytest.raises(FrameError) as absent:
        await fetch_snapshot(http, "http://127.0.0.1:9/snapshot.jpg")
    assert absent.value.reason == "unreachable"
