"""Secrets handed to people or machines, and the digests we keep of them.

Refresh tokens, WeChat binding codes and integrator API keys are random strings shown
once; only their SHA-256 is stored, so a database leak does not leak usable secrets.
"""

from __future__ import annotations

import hashlib
import secrets

# Unambiguous characters for a code a person reads aloud or types (no 0/O, 1/I/L).
_HUMAN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def digest(secret: str) -> str:
    """Hex SHA-256 of a high-entropy secret (no salt needed: the secret is random)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    """A URL-safe random token, optionally prefixed so that leaked keys are recognisable."""
    return prefix + secrets.token_urlsafe(nbytes)


def new_human_code(length: int = 8) -> str:
    """A random code a person can type from a screen or a phone call: 8 chars ≈ 39 bits."""
    return "".join(secrets.choice(_HUMAN_ALPHABET) for _ in range(length))


def normalise_human_code(code: str) -> str:
    """Accept what people type: spaces, dashes, lower case."""
    return "".join(ch for ch in code.upper() if ch.isalnum())
