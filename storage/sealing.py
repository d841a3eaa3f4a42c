"""Credentials Offsite must use but need not keep readable: camera passwords (access to a
video feed), webhook and callback secrets (the power to sign as us).

They are sealed with AES-256-GCM under the installation's data key (``OFFSITE_DATA_KEY``,
32 bytes in base64; ``make run`` and ``make test`` generate one under ``.data``), with
the column's name as associated data, so a sealed value copied into another column does
not open. A database dump or a read replica alone no longer gives them away.

A stored value is ``sealed:v1:`` + base64(nonce ‖ ciphertext ‖ tag). A value without the
prefix was written before sealing: it is read as it is, and ``reseal`` (run by ``offsite
migrate``) seals it in place. An empty value (no credentials) stays empty.

Rotating the key: put a new one in ``OFFSITE_DATA_KEY`` and the old one in
``OFFSITE_DATA_KEYS_RETIRED``, restart and run ``offsite migrate`` (values sealed under
the old key open meanwhile, and ``reseal`` moves them to the new one), then drop the
retired key.
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

_ciphers: list[AESGCM] = []  # the current key first, then retired ones (they only open)


class DataKeyError(RuntimeError):
    """The data key is missing or malformed, or a sealed value does not open with it."""


def _cipher_of(data_key: str, name: str) -> AESGCM:
    try:
        raw = base64.b64decode(data_key.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise DataKeyError(
            f"{name} must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)"
        )
    return AESGCM(raw)


def configure(data_key: str, retired: str = "") -> None:
    """Seal with ``data_key`` (base64 of 32 bytes) from now on, in this process; values
    sealed under a ``retired`` key (comma-separated) still open, until ``reseal`` has
    moved them to the current one."""
    ciphers = [_cipher_of(data_key, "OFFSITE_DATA_KEY")]
    ciphers += [
        _cipher_of(k, "each of OFFSITE_DATA_KEYS_RETIRED") for k in retired.split(",") if k.strip()
    ]
    _ciphers[:] = ciphers


def _current() -> AESGCM:
    if not _ciphers:
        raise DataKeyError("the data key is not configured (OFFSITE_DATA_KEY)")
    return _ciphers[0]


def seal(plain: str, column: Column) -> str:
    """The value to store for ``plain`` in ``column``."""
    if not plain:
        return plain
    nonce = os.urandom(12)
    sealed = _current().encrypt(nonce, plain.encode(), column.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(stored: str, column: Column) -> str:
    """The usable value of what ``column`` holds (plaintext from before sealing as is)."""
    return _open(stored, column)[0]


def _open(stored: str, column: Column) -> tuple[str, int | None]:
    """The value and the index of the key that opened it (None: not sealed)."""
    if not stored.startswith(PREFIX):
        return stored, None
    raw = base64.b64decode(stored[len(PREFIX) :])
    _current()
    for index, cipher in enumerate(_ciphers):
        try:
            return cipher.decrypt(raw[:12], raw[12:], column.encode()).decode(), index
        except InvalidTag:
            continue
    raise DataKeyError(f"a sealed {column} opens with none of the configured data keys")


async def reseal() -> int:
    """Seal, in place, values written before sealing and values sealed under a retired
    key, with the current key; returns how many were rewritten."""
    count = 0
    async with engine().transaction():
        for column in COLUMNS:
            table, field = column.split(".")
            rows = await Camera.raw(
                f"SELECT id, {field} AS value FROM {table}"  # our own names, not input
                f" WHERE {field} <> '' FOR UPDATE"
            )
            for row in rows:
                plain, key = _open(row["value"], column)
                if key == 0:
                    continue
                await Camera.raw(
                    f"UPDATE {table} SET {field} = {{}} WHERE id = {{}}",
                    seal(plain, column),
                    row["id"],
                )
                count += 1
    return count
