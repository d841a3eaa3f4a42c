"""Signed HTTP deliveries to integrators: webhooks and complaint status callbacks.

Every attempt of one outbox row carries the same ``X-Offsite-Delivery`` id (and
``Idempotency-Key``), so a receiver that remembers it applies a retried delivery once.
"""

from __future__ import annotations

import time

import httpx

from domain.integration.signing import HEADER, signature


class DeliveryFailed(Exception):
    """The receiver did not take it (network error, timeout, or a non-2xx answer)."""


async def post_signed(
    http: httpx.AsyncClient,
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
        response = await http.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.status_code
