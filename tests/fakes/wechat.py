"""A fake WeChat server API, checking what the real one checks:

- ``GET /sns/jscode2session``: appid, secret, grant_type, a code used at most once;
- ``GET /cgi-bin/token``: appid, secret, grant_type=client_credential; each call issues a
  new token and the previous ones keep working only ``token_grace_s`` more (as WeChat
  does), so two processes refreshing at once would show;
- ``POST /cgi-bin/message/subscribe/send?access_token=``: a current token (40001 unknown
  or revoked, 42001 expired), a JSON body, a known template (40037) and openid (40003),
  each data value within its field type's limit (47003), and one subscription used per
  message (43101 when none is left).
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

Reply = dict[str, object]

_CJK = "\u4e00-\u9fff\u3400-\u4dbf"
_PUNCT = re.escape(string.punctuation)


def _is(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _name(value: str) -> bool:
    return len(value) <= (20 if value.isascii() else 10)


# What the real API accepts per field type (sendMessage docs, 参数值限制).
_VALID: dict[str, Callable[[str], bool]] = {
    "thing": _is(r"[^\r\n]{1,20}"),
    "phrase": _is(f"[{_CJK}]{{1,5}}"),
    "character_string": _is(r"[!-~]{1,32}"),
    "number": lambda v: len(v) <= 32 and _is(r"\d+(\.\d+)?")(v),
    "letter": _is(r"[A-Za-z]{1,32}"),
    "symbol": _is(f"[{_PUNCT}]{{1,5}}"),
    "phone_number": _is(f"[0-9{_PUNCT}]{{1,17}}"),
    "car_number": lambda v: len(v) <= 8 and _is(f"[{_CJK}]?[A-Z0-9]+[{_CJK}]?")(v),
    "name": _name,
    "amount": _is(r"[¥￥$€£]?\d{1,10}(\.\d+)?元?"),
}
_KEY = re.compile(r"([a-z_]+?)\d+")
_STATES = {"developer", "trial", "formal"}
_LANGS = {"zh_CN", "en_US", "zh_HK", "zh_TW"}


class FakeWechat(msgspec.Struct):
    app_id: str = "wx-test-app"
    app_secret: str = "wx-test-secret"
    # code -> openid, or code -> errcode (int) to make WeChat refuse it
    codes: dict[str, str | int] = msgspec.field(default_factory=dict)
    used: set[str] = msgspec.field(default_factory=set)
    requests: list[dict[str, str]] = msgspec.field(default_factory=list)
    # access tokens
    token_ttl_s: int = 7200
    token_grace_s: float = 300.0
    token_delay_s: float = 0.0  # how long a token request takes, to widen races
    tokens: dict[str, float] = msgspec.field(default_factory=dict)  # token -> expiry
    token_requests: int = 0
    # subscribe messages
    templates: set[str] = msgspec.field(default_factory=set)
    openids: set[str] = msgspec.field(default_factory=set)
    subscriptions: dict[tuple[str, str], int] = msgspec.field(default_factory=dict)
    messages: list[dict[str, Any]] = msgspec.field(default_factory=list)
    send_attempts: int = 0
    fail_next: list[int] = msgspec.field(default_factory=list)  # errcodes to answer first
    lock: Any = msgspec.field(default_factory=threading.Lock)

    def reply(self, query: dict[str, str]) -> Reply:
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

    # --- test controls -------------------------------------------------------------------

    def subscribe(self, openid: str, template_id: str, times: int = 1) -> None:
        """The officer ticked "allow" ``times`` times for this template in the miniprogram."""
        with self.lock:
            self.templates.add(template_id)
            self.openids.add(openid)
            key = (openid, template_id)
            self.subscriptions[key] = self.subscriptions.get(key, 0) + times

    def revoke(self, token: str) -> None:
        """WeChat forgets the token: the next use gets 40001."""
        with self.lock:
            self.tokens.pop(token, None)

    def expire(self, token: str) -> None:
        """The token's time is up: the next use gets 42001."""
        with self.lock:
            self.tokens[token] = time.time() - 1

    # --- endpoints -----------------------------------------------------------------------

    def token(self, query: dict[str, str]) -> Reply:
        with self.lock:
            self.token_requests += 1
        time.sleep(self.token_delay_s)
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        now = time.time()
        new = secrets.token_urlsafe(24)
        with self.lock:
            for old, expiry in self.tokens.items():
                self.tokens[old] = min(expiry, now + self.token_grace_s)
            self.tokens[new] = now + self.token_ttl_s
        return {"access_token": new, "expires_in": self.token_ttl_s}

    def send(self, query: dict[str, str], body: bytes) -> Reply:
        with self.lock:
            self.send_attempts += 1
            expiry = self.tokens.get(query.get("access_token", ""))
            if expiry is None:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if expiry <= time.time():
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if self.fail_next:
                return {"errcode": self.fail_next.pop(0), "errmsg": "forced by the test"}
            try:
                message = json.loads(body)
            except ValueError:
                return {"errcode": 47001, "errmsg": "data format error"}
            refused = self._check(message)
            if refused is not None:
                return refused
            key = (message["touser"], message["template_id"])
            if self.subscriptions.get(key, 0) <= 0:
                return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            self.subscriptions[key] -= 1
            self.messages.append(message)
            return {"errcode": 0, "errmsg": "ok", "msgid": len(self.messages)}

    def _check(self, message: Any) -> Reply | None:
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            return {"errcode": 47001, "errmsg": "data format error"}
        if message.get("template_id") not in self.templates:
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        if message.get("touser") not in self.openids:
            return {"errcode": 40003, "errmsg": "invalid openid"}
        for field in ("miniprogram_state", "lang"):
            allowed = _STATES if field == "miniprogram_state" else _LANGS
            if field in message and message[field] not in allowed:
                return {"errcode": 47003, "errmsg": f"argument invalid! {field} invalid"}
        for key, entry in message["data"].items():
            value = entry.get("value") if isinstance(entry, dict) else None
            if not isinstance(value, str):
                return {"errcode": 47001, "errmsg": "data format error"}
            if not value:
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value is empty"}
            found = _KEY.fullmatch(key)
            valid = _VALID.get(found.group(1), bool) if found else None
            if valid is None or not valid(value):
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
        return None


@contextmanager
def serve(fake: FakeWechat) -> Iterator[str]:
    """Run the fake on 127.0.0.1; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/sns/jscode2session":
                self._answer(fake.reply(query))
            elif url.path == "/cgi-bin/token":
                self._answer(fake.token(query))
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/cgi-bin/message/subscribe/send":
                self.send_error(404)
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(fake.send(query, body))

        def _answer(self, reply: Reply) -> None:
            body = json.dumps(reply).encode()
            self.send_response(200)
            # WeChat really answers JSON as text/plain.
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
