"""A fake WeChat server API: ``/sns/jscode2session`` as documented, checking what the
real one checks (appid, secret, grant_type, a code used at most once)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import msgspec


class FakeWechat(msgspec.Struct):
    app_id: str = "wx-test-app"
    app_secret: str = "wx-test-secret"
    # code -> openid, or code -> errcode (int) to make WeChat refuse it
    codes: dict[str, str | int] = msgspec.field(default_factory=dict)
    used: set[str] = msgspec.field(default_factory=set)
    requests: list[dict[str, str]] = msgspec.field(default_factory=list)

    def reply(self, query: dict[str, str]) -> dict[str, object]:
        self.requests.append(query)
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        code = query.get("js_code", "")
        outcome = self.codes.get(code)
        if outcome is None or code in self.used:
            return {"errcode": 40029, "errmsg": "invalid code"}
        if isinstance(outcome, int):
            return {"errcode": outcome, "errmsg": "refused"}
        self.used.add(code)
        return {"openid": outcome, "session_key": "c2Vzc2lvbg=="}


@contextmanager
def serve(fake: FakeWechat) -> Iterator[str]:
    """Run the fake on 127.0.0.1; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/sns/jscode2session":
                self.send_error(404)
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = json.dumps(fake.reply(query)).encode()
            self.send_response(200)
            # WeChat really answers JSON as text/plain.
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
