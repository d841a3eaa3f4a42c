"""A fake SMS gateway speaking integrations/sms.py's protocol, checking what the real
adapter checks: the bearer key, the fields, mainland mobile numbers, known templates,
and ``request_id`` (a repeat is answered with the first message and not sent again)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec

MOBILE = re.compile(r"^(\+86)?1[3-9]\d{9}$")


class FakeSms(msgspec.Struct):
    api_key: str = "sms-test-key"
    templates: set[str] = msgspec.field(default_factory=lambda: {"party_notice"})
    sent: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)  # request_id → body
    attempts: int = 0
    fail_next: int = 0  # answer 503 this many times

    def reply(self, auth: str, body: dict[str, Any]) -> tuple[int, dict[str, str]]:
        self.attempts += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503, {"code": "busy"}
        if auth != f"Bearer {self.api_key}":
            return 401, {"code": "unauthorized"}
        if not all(body.get(k) for k in ("to", "sign", "template", "request_id")):
            return 400, {"code": "missing_field"}
        if body["request_id"] in self.sent:
            return 200, {"code": "ok", "message_id": f"m-{body['request_id']}"}
        if not MOBILE.match(str(body["to"])):
            return 400, {"code": "invalid_number"}
        if body["template"] not in self.templates:
            return 400, {"code": "template_invalid"}
        self.sent[body["request_id"]] = body
        return 200, {"code": "ok", "message_id": f"m-{body['request_id']}"}


@contextmanager
def serve(fake: FakeSms) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/v1/messages":
                self.send_error(404)
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, reply = fake.reply(self.headers.get("Authorization", ""), body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
