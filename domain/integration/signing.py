"""Webhook signatures: ``X-Offsite-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256(secret, f"{t}.".encode() + body).

The receiver's recipe (any language): split the header on ``,`` into ``t`` and ``v1``;
reject when ``|now - t|`` exceeds the replay window (300 s); compute the HMAC of the
timestamp, a dot and the raw body bytes exactly as received; compare in constant time.
``verify`` below is that recipe in Python, and is what the tests use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

HEADER: Final = "X-Offsite-Signature"
REPLAY_WINDOW_S: Final = 300


def new_secret() -> str:
    """A fresh signing secret (shown to the integrator once)."""
    return "whsec_" + secrets.token_hex(24)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, now: float, window_s: int = REPLAY_WINDOW_S
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within the replay window."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > window_s:
        return False
    expected = signature(secret, timestamp, body).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
