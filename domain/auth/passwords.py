"""Password hashing with scrypt (memory-hard, salted; from the standard library).

Stored form: ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`` so the cost can rise
later and old hashes still verify (``needs_rehash`` tells when to upgrade one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_R = 8
_P = 1
_DKLEN = 32
# A hash to compare against when the account does not exist, so that the time of a
# failed login does not reveal whether the username is known.
_DUMMY_SALT = b"offsite-dummy-salt"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    n = 1 << log_n
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=256 * n * r + (1 << 20)
    )


def hash_password(password: str, *, cost: int = 15) -> str:
    """A new salted hash of ``password``; ``cost`` is log2 of scrypt's N (15 ≈ 50 ms)."""
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, cost, _R, _P)
    return f"scrypt${cost}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None, *, cost: int = 15) -> bool:
    """Whether ``password`` matches ``stored``; with no stored hash, spends the same time."""
    if not stored:
        _derive(password, _DUMMY_SALT, cost, _R, _P)
        return False
    try:
        scheme, log_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _derive(password, _unb64(salt), int(log_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, _unb64(digest))


def needs_rehash(stored: str, *, cost: int) -> bool:
    """Whether a stored hash uses a lower cost than the current setting."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or int(parts[1]) < cost
