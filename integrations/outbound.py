"""Where integrator-given URLs may lead: webhooks, status callbacks and picture URLs are
supplied by outside systems, so a delivery must not be turned against this network
(SSRF). Each request first resolves the host and refuses loopback, private, link-local
and other non-public addresses — unless private targets are allowed (development, tests,
or an installation whose integrators really sit on the internal network)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefused(Exception):
    """The URL leads somewhere deliveries may not go."""


async def ensure_public(url: str, allow_private: bool) -> None:
    if allow_private:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"not an http(s) URL: {parts.scheme}://")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except OSError as exc:
        raise TargetRefused(f"{parts.hostname} does not resolve: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise TargetRefused(f"{parts.hostname} resolves to a non-public address ({address})")
