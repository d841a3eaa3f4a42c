"""Signed HTTP deliveries to integrators: webhooks and complaint status callbacks.

Every attempt of one outbox row carries the same ``X-Offsite-Delivery`` id (and
``Idempotency-Key``), so a receiver that remembers it applies a retried delivery once.
"""

from __future__ import annotations

import time

import aiohttp

from domain.integration.signing import HEADER, signature


class DeliveryFailed(Exception):
    """The receiver did not take it (network error, timeout, or a non-2xx answer);
    ``unreachable`` when it did not answer at all."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


async def post_signed(
    http: aiohttp.ClientSession,
    url: str,
    secret: str,
    body: bytes,
    *,
    delivery_id: str,
    topic: str,
    timeout_s: float = 10.0,
) -> int:
    """POST ``body`` to ``url`` signed with ``secret``; the status code, or DeliveryFailed."""
    headers = {
        "Content-Type": "application/json",
        HEADER: signature(secret, int(time.time()), body),
        "X-Offsite-Delivery": delivery_id,
        "X-Offsite-Topic": topic,
        "Idempotency-Key": delivery_id,
        "User-Agent": "Offsite-Webhooks/1",
    }
    try:
        async with http.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            if not 200 <= response.status < 300:
                said = (await response.content.read(200)).decode("utf-8", "replace")
                raise DeliveryFailed(f"HTTP {response.status}: {said}")
            return response.status
    except TimeoutError as exc:
        raise DeliveryFailed(f"no answer within {timeout_s:g} s", unreachable=True) from exc
    except aiohttp.ClientError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}", unreachable=True) from exc
