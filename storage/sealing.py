"""Credentials Offsite must use but need not keep readable: camera passwords (access to a
video feed), webhook and callback secrets (the power to sign as us).

They are sealed with AES-256-GCM under the installation's data key (``OFFSITE_DATA_KEY``,
32 bytes in base64; ``make run`` and ``make test`` generate one under ``.data``), with
the column's name as associated data, so a sealed value copied into another column does
not open. A database dump or a read replica alone no longer gives them away.

A stored value is ``sealed:v1:`` + base64(nonce ‖ ciphertext ‖ tag). A value without the
prefix was written before sealing: it is read as it is, and ``reseal_plaintext`` (run by
``offsite migrate``) seals it in place. An empty value (no credentials) stays empty.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.db import engine
from storage.tables import Camera

PREFIX: Final = "sealed:v1:"
Column = Literal[
    "camera.source_password", "webhook_subscription.secret", "integrator_key.callback_secret"
]
COLUMNS: Final[tuple[Column, ...]] = (
    "camera.source_password",
    "webhook_subscription.secret",
    "integrator_key.callback_secret",
)

_cipher: AESGCM | None = None


class DataKeyError(RuntimeError):
    """The data key is missing or malformed, or a sealed value does not open with it."""


def configure(data_key: str) -> None:
    """Use ``data_key`` (base64 of 32 bytes) from now on, in this process."""
    global _cipher
    try:
        raw = base64.b64decode(data_key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise DataKeyError(
            "OFFSITE_DATA_KEY must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)"
        )
    _cipher = AESGCM(raw)


def _aead() -> AESGCM:
    if _cipher is None:
        raise DataKeyError("the data key is not configured (OFFSITE_DATA_KEY)")
    return _cipher


def seal(plain: str, column: Column) -> str:
    """The value to store for ``plain`` in ``column``."""
    if not plain:
        return plain
    nonce = os.urandom(12)
    sealed = _aead().encrypt(nonce, plain.encode(), column.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(stored: str, column: Column) -> str:
    """The usable value of what ``column`` holds (plaintext from before sealing as is)."""
    if not stored.startswith(PREFIX):
        return stored
    raw = base64.b64decode(stored[len(PREFIX) :])
    try:
        return _aead().decrypt(raw[:12], raw[12:], column.encode()).decode()
    except InvalidTag as exc:
        raise DataKeyError(f"a sealed {column} does not open with this data key") from exc


async def reseal_plaintext() -> int:
    """Seal, in place, values written before sealing; returns how many there were."""
    count = 0
    async with engine().transaction():
        for column in COLUMNS:
            table, field = column.split(".")
            rows = await Camera.raw(
                f"SELECT id, {field} AS value FROM {table}"  # our own names, not input
                f" WHERE {field} <> '' AND {field} NOT LIKE 'sealed:%' FOR UPDATE"
            )
            for row in rows:
                await Camera.raw(
                    f"UPDATE {table} SET {field} = {{}} WHERE id = {{}}",
                    seal(row["value"], column),
                    row["id"],
                )
                count += 1
    return count
