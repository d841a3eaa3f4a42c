"""Where integrator-given URLs may lead: webhooks, status callbacks and picture URLs are
supplied by outside systems, so a delivery must not be turned against this network
(SSRF). Loopback, private, link-local and other non-public addresses are refused —
unless private targets are allowed (development, tests, or an installation whose
integrators really sit on the internal network).

Two checks, for two reasons. ``ensure_public`` resolves the URL's host before a request,
for a clear refusal (and it covers IP literals, which never reach a resolver). The
session from ``open_outbound_session`` resolves through ``PublicResolver``, which
refuses non-public answers at connection time: the address connected to is the address
checked, so a name that answers a public address to the check and a private one to the
connection (DNS rebinding) gets nowhere.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class TargetRefused(OSError):
    """The URL leads somewhere deliveries may not go. An OSError with a ``strerror``, so
    that aiohttp reports a refusal inside its resolver as a connection error, saying why."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EPERM, message)

    def __str__(self) -> str:
        return str(self.strerror)


class PublicResolver(AbstractResolver):
    """Resolves as aiohttp's default resolver does, and refuses non-public answers."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        for answer in answers:
            address = ipaddress.ip_address(answer["host"])
            if not address.is_global:
                raise TargetRefused(f"{host} resolves to a non-public address ({address})")
        return answers

    async def close(self) -> None:
        await self._inner.close()


def open_outbound_session(allow_private: bool) -> aiohttp.ClientSession:
    """The session integrator-given URLs are reached with (one per process, in a running
    loop): no redirects are followed by its callers, no proxies from the environment,
    and, unless ``allow_private``, only public addresses are connected to."""
    resolver = None if allow_private else PublicResolver()
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=50, resolver=resolver),
        trust_env=False,
    )


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
