"""Integrator API keys (stored as SHA-256 digests with a short visible prefix)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from storage.sealing import seal
from storage.tables import IntegratorKey


class KeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    rate_limit_per_min: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    callback_url: str | None = None


_COLUMNS = (
    IntegratorKey.id,
    IntegratorKey.name,
    IntegratorKey.prefix,
    IntegratorKey.scopes,
    IntegratorKey.rate_limit_per_min,
    IntegratorKey.created_at,
    IntegratorKey.revoked_at,
    IntegratorKey.last_used_at,
    IntegratorKey.callback_url,
)


def _record(row: dict[str, Any]) -> KeyRecord:
    return msgspec.convert(row, KeyRecord)


async def insert_key(
    *,
    name: str,
    prefix: str,
    key_hash: str,
    scopes: list[str],
    rate_limit_per_min: int,
    created_by: int | None,
    now: datetime,
    callback_url: str | None = None,
    callback_secret: str | None = None,
) -> KeyRecord:
    rows = await IntegratorKey.insert(
        IntegratorKey(
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            scopes=scopes,
            rate_limit_per_min=rate_limit_per_min,
            created_by=created_by,
            created_at=now,
            callback_url=callback_url,
            callback_secret=seal(callback_secret, "integrator_key.callback_secret")
            if callback_secret
            else None,
        )
    ).returning(*_COLUMNS)
    return _record(rows[0])


async def list_keys(after_id: int, limit: int) -> list[KeyRecord]:
    rows = await (
        IntegratorKey.select(*_COLUMNS)
        .where(IntegratorKey.id > after_id)
        .order_by(IntegratorKey.id)
        .limit(limit)
    )
    return [_record(r) for r in rows]


async def revoke_key(key_id: int, now: datetime) -> KeyRecord | None:
    """Revoke a key (idempotent: revoking twice keeps the first time)."""
    await IntegratorKey.update({IntegratorKey.revoked_at: now}).where(
        (IntegratorKey.id == key_id) & IntegratorKey.revoked_at.is_null()
    )
    row = await IntegratorKey.select(*_COLUMNS).where(IntegratorKey.id == key_id).first()
    return _record(row) if row else None


# How stale ``last_used_at`` may be: it answers "is this key still in use?", which a
# minute's precision answers as well as a write per request would.
USED_PRECISION = timedelta(minutes=1)


async def mark_used(key_id: int, now: datetime) -> None:
    """Record that the key was used at ``now``, unless it already was within the last
    minute (by any process): at most one row write per key and minute."""
    await IntegratorKey.update({IntegratorKey.last_used_at: now}).where(
        (IntegratorKey.id == key_id)
        & (
            IntegratorKey.last_used_at.is_null()
            | (IntegratorKey.last_used_at <= now - USED_PRECISION)
        )
    )
