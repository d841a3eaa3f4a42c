"""Refresh tokens and WeChat binding codes (only their SHA-256 digests are stored)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from storage import ended_sessions
from storage.tables import RefreshToken, StaffUser, WechatBinding


class RefreshRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    staff_id: int
    family: uuid.UUID
    expires_at: datetime
    spent_at: datetime | None
    revoked_at: datetime | None
    client: str


def _record(row: dict[str, Any]) -> RefreshRecord:
    return RefreshRecord(
        id=row["id"],
        staff_id=row["staff"],
        family=row["family"],
        expires_at=row["expires_at"],
        spent_at=row["spent_at"],
        revoked_at=row["revoked_at"],
        client=row["client"],
    )


async def insert_refresh(
    *,
    staff_id: int,
    family: uuid.UUID,
    token_hash: str,
    now: datetime,
    expires_at: datetime,
    client: str,
) -> None:
    await RefreshToken.insert(
        RefreshToken(
            staff=staff_id,
            family=family,
            token_hash=token_hash,
            issued_at=now,
            expires_at=expires_at,
            client=client,
        )
    )


async def lock_refresh(token_hash: str) -> RefreshRecord | None:
    """The token's row, locked until the transaction ends (two refreshes serialise)."""
    row = (
        await RefreshToken.select()
        .where(RefreshToken.token_hash == token_hash)
        .lock_rows("UPDATE")
        .first()
    )
    return _record(row) if row else None


async def find_refresh(token_hash: str) -> RefreshRecord | None:
    row = await RefreshToken.select().where(RefreshToken.token_hash == token_hash).first()
    return _record(row) if row else None


async def mark_spent(token_id: int, now: datetime) -> None:
    await RefreshToken.update({RefreshToken.spent_at: now}).where(RefreshToken.id == token_id)


async def revoke_family(family: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """End one sign-in: its refresh tokens and, at commit, its access tokens in every
    process (the caller notes the families returned in its own at once)."""
    await RefreshToken.update({RefreshToken.revoked_at: now}).where(
        (RefreshToken.family == family) & RefreshToken.revoked_at.is_null()
    )
    await ended_sessions.announce([family])
    return [family]


async def revoke_all_of(staff_id: int, now: datetime) -> list[uuid.UUID]:
    """End every sign-in of a user, like ``revoke_family``."""
    rows = (
        await RefreshToken.update({RefreshToken.revoked_at: now})
        .where((RefreshToken.staff == staff_id) & RefreshToken.revoked_at.is_null())
        .returning(RefreshToken.family)
    )
    families = sorted({row["family"] for row in rows})
    await ended_sessions.announce(families)
    return families


async def purge_expired(before: datetime) -> int:
    """Delete tokens that expired before ``before``; returns how many."""
    rows = (
        await RefreshToken.delete()
        .where(RefreshToken.expires_at < before)
        .returning(RefreshToken.id)
    )
    return len(rows)


async def replace_binding(
    *, staff_id: int, code_hash: str, issued_by: int, now: datetime, expires_at: datetime
) -> None:
    """Issue a binding code for a user; any earlier unused code of theirs stops working."""
    await WechatBinding.delete().where(
        (WechatBinding.staff == staff_id) & WechatBinding.used_at.is_null()
    )
    await WechatBinding.insert(
        WechatBinding(
            staff=staff_id,
            code_hash=code_hash,
            issued_by=issued_by,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def claim_binding(code_hash: str, now: datetime) -> int | None:
    """Spend a valid binding code; the user id it was issued for, else None."""
    rows = (
        await WechatBinding.update({WechatBinding.used_at: now})
        .where(
            (WechatBinding.code_hash == code_hash)
            & WechatBinding.used_at.is_null()
            & (WechatBinding.expires_at > now)
        )
        .returning(WechatBinding.staff)
    )
    return int(rows[0]["staff"]) if rows else None


async def bind_openid(staff_id: int, openid: str, now: datetime) -> None:
    await StaffUser.update({StaffUser.wechat_openid: openid, StaffUser.updated_at: now}).where(
        StaffUser.id == staff_id
    )
