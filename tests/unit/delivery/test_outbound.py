"""Integrator URLs may not lead deliveries into this network (SSRF)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from integrations.camera_http import FrameError, fetch_snapshot
from integrations.outbound import (
    PublicResolver,
    TargetRefused,
    ensure_public,
    open_outbound_session,
)
from integrations.webhooks import DeliveryFailed, post_signed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/x",
        "http://192.168.1.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "ftp://8.8.8.8/x",
    ],
)
async def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        await ensure_public(url, allow_private=False)


async def test_public_addresses_pass_and_private_ones_when_allowed() -> None:
    await ensure_public("https://8.8.8.8/hook", allow_private=False)
    await ensure_public("http://127.0.0.1:8000/hook", allow_private=True)


class Rebinding(AbstractResolver):
    """A name that answers a public address first and a loopback one afterwards."""

    def __init__(self) -> None:
        self.asked = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked += 1
        address = "8.8.8.8" if self.asked == 1 else "127.0.0.1"
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": family,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass


async def test_the_address_connected_to_is_the_address_checked() -> None:
    resolver = PublicResolver(Rebinding())
    assert (await resolver.resolve("hooks.example.com", 80))[0]["host"] == "8.8.8.8"
    with pytest.raises(TargetRefused, match="non-public"):
        await resolver.resolve("hooks.example.com", 80)  # what a connection would get now


@pytest.fixture
def receiver() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_outbound_session_connects_only_where_it_may(receiver: str) -> None:
    async with open_outbound_session(allow_private=False) as guarded:
        with pytest.raises(DeliveryFailed, match="non-public"):
            await post_signed(guarded, receiver, "s3cret", b"{}", delivery_id="d1", topic="t")
        with pytest.raises(FrameError) as refused:
            await fetch_snapshot(guarded, receiver.replace("/hook", "/p.jpg"))
        assert refused.value.reason == "unreachable"
    async with open_outbound_session(allow_private=True) as open_:
        assert (
            await post_signed(open_, receiver, "s3cret", b"{}", delivery_id="d1", topic="t") == 204
        )
