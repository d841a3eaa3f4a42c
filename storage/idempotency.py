"""Idempotent commands: the first answer to an ``Idempotency-Key`` is kept and replayed.

``begin`` runs inside the command's transaction. A key seen before returns the stored
answer; a key being used by a transaction still running makes the second request wait
on the unique index until the first commits (then it replays) or rolls back (then it
runs). A failed command stores nothing, so its retry runs again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import msgspec

from domain.cases.machine import Actor
from domain.errors import InvalidInput
from storage.tables import IdempotencyRecord


class Key(msgspec.Struct, frozen=True):
    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str, *parts: object) -> Key:
        """A key with the digest of what was asked (path, body), to catch key reuse."""
        if not 1 <= len(key) <= 128 or not key.isprintable():
            raise InvalidInput("idempotency_key_invalid", "Idempotency-Key must be 1-128 chars")
        digest = hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()
        return cls(key, digest)


async def begin(actor: Actor, key: Key) -> dict[str, Any] | None:
    """Claim the key for this transaction; the stored answer when it was used before."""
    if actor.user_id is None:
        raise InvalidInput("idempotency_key_invalid", "the system does not use keys")
    claimed = await IdempotencyRecord.raw(
        """INSERT INTO idempotency_record (actor, key, request_hash, created_at)
           VALUES ({}, {}, {}, now()) ON CONFLICT (actor, key) DO NOTHING RETURNING id""",
        actor.user_id,
        key.key,
        key.request_hash,
    )
    if claimed:
        return None
    row = (
        await IdempotencyRecord.select(IdempotencyRecord.request_hash, IdempotencyRecord.response)
        .output(load_json=True)
        .where((IdempotencyRecord.actor == actor.user_id) & (IdempotencyRecord.key == key.key))
        .first()
    )
    assert row is not None
    if row["request_hash"] != key.request_hash:
        raise InvalidInput(
            "idempotency_key_reused", "this Idempotency-Key was used for a different request"
        )
    stored: dict[str, Any] = row["response"]
    return stored


async def finish(actor: Actor, key: Key, response: dict[str, Any]) -> None:
    await IdempotencyRecord.update(
        {
            IdempotencyRecord.response: msgspec.json.encode(response).decode(),
            IdempotencyRecord.status_code: 200,
        }
    ).where((IdempotencyRecord.actor == actor.user_id) & (IdempotencyRecord.key == key.key))


async def purge(before: datetime) -> int:
    """Delete records created before ``before``; how many."""
    rows = (
        await IdempotencyRecord.delete()
        .where(IdempotencyRecord.created_at < before)
        .returning(IdempotencyRecord.id)
    )
    return len(rows)
