"""Sign-in use cases. Each runs in one transaction and returns a ``TokenPair``.

Refresh tokens rotate: each refresh spends the presented token and returns its
successor. The successor is derived from the spent token with an HMAC, so a phone that
retries a refresh whose answer it lost (weak network) gets the same successor again
within a short grace period, while a spent token presented later, by anyone, is reuse:
the whole family of that login is revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from api.auth import throttle
from api.security import Principal, issue_access_token
from domain.auth import codes
from domain.auth.passwords import hash_password, needs_rehash, verify_password
from domain.errors import Conflict, Forbidden, NotFound, Unauthenticated
from domain.org import User
from offsite.runtime import Runtime
from storage import ended_sessions, org, sessions
from storage.db import engine
from storage.tables import StaffUser

REFRESH_PREFIX = "rt_"
# How long after a refresh the same request may be replayed and get the same answer.
REPLAY_GRACE = timedelta(seconds=20)


class TokenPair(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _successor(token: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), b"refresh-successor:" + token.encode(), hashlib.sha256)
    return REFRESH_PREFIX + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def _pair(
    rt: Runtime, user: User, family: uuid.UUID, refresh_token: str, now: datetime
) -> TokenPair:
    auth = rt.settings.auth
    principal = Principal(user.id, user.role, user.squad_id, family)
    access = issue_access_token(principal, auth, now)
    return TokenPair(access, refresh_token, auth.access_ttl_s, user)


async def _start_family(rt: Runtime, user: User, client: str, now: datetime) -> TokenPair:
    token = codes.new_token(REFRESH_PREFIX)
    family = uuid.uuid4()
    await sessions.insert_refresh(
        staff_id=user.id,
        family=family,
        token_hash=codes.digest(token),
        now=now,
        expires_at=now + timedelta(seconds=rt.settings.auth.refresh_ttl_s),
        client=client,
    )
    return _pair(rt, user, family, token, now)


async def login(
    rt: Runtime, username: str, password: str, address: str, now: datetime
) -> TokenPair:
    """Password sign-in. Failures slow further attempts from the same address down
    (``domain.auth.throttle``); they never lock the account for its owner elsewhere."""
    auth = rt.settings.auth
    attempt = await throttle.admit(rt.redis, auth, username, address, now.timestamp())
    found = await org.get_user_for_login(username)
    user, stored = found if found else (None, None)
    if not verify_password(password, stored, cost=auth.password_cost) or user is None:
        await attempt.failed(datetime.now(UTC).timestamp())
        raise Unauthenticated("invalid_credentials", "wrong username or password")
    await attempt.succeeded()
    if not user.is_active:
        raise Unauthenticated("account_disabled", "this account is disabled")
    async with engine().transaction():
        if stored and needs_rehash(stored, cost=auth.password_cost):
            await org.update_user(
                user.id,
                {StaffUser.password_hash: hash_password(password, cost=auth.password_cost)},
                now,
            )
        pair = await _start_family(rt, user, "password", now)
    return pair


async def refresh(rt: Runtime, token: str, now: datetime) -> TokenPair:
    """Spend a refresh token for a new pair (see the module docstring for replays)."""
    async with engine().transaction():
        outcome = await _rotate(rt, token, now)
    # Refusals are raised after the commit: revoking a family must stick.
    if isinstance(outcome, Unauthenticated):
        raise outcome
    user, family, successor = outcome
    return _pair(rt, user, family, successor, now)


async def _rotate(
    rt: Runtime, token: str, now: datetime
) -> tuple[User, uuid.UUID, str] | Unauthenticated:
    record = await sessions.lock_refresh(codes.digest(token))
    if record is None:
        return Unauthenticated("refresh_token_invalid", "unknown refresh token")
    # The family, not only this row: a revocation racing this token's own rotation may
    # have missed the successor that rotation inserted.
    if record.revoked_at is not None or await ended_sessions.ended_in_database(record.family):
        return Unauthenticated("refresh_token_revoked", "this session has ended")
    if record.expires_at <= now:
        return Unauthenticated("refresh_token_expired", "sign in again")
    user = await org.get_user(record.staff_id)
    if user is None or not user.is_active:
        await sessions.revoke_family(record.family, now)
        return Unauthenticated("account_disabled", "this account is disabled")
    successor = _successor(token, rt.settings.auth.jwt_secret)
    if record.spent_at is None:
        await sessions.mark_spent(record.id, now)
        await sessions.insert_refresh(
            staff_id=user.id,
            family=record.family,
            token_hash=codes.digest(successor),
            now=now,
            expires_at=now + timedelta(seconds=rt.settings.auth.refresh_ttl_s),
            client=record.client,
        )
        return user, record.family, successor
    nxt = await sessions.find_refresh(codes.digest(successor))
    if (
        now - record.spent_at <= REPLAY_GRACE
        and nxt is not None
        and nxt.spent_at is None
        and nxt.revoked_at is None
    ):
        return user, record.family, successor  # the same request again: the same answer
    await sessions.revoke_family(record.family, now)
    return Unauthenticated(
        "refresh_token_reused", "this refresh token was already used; all its sessions end"
    )


async def logout(
    rt: Runtime, principal: Principal, token: str | None, everywhere: bool, now: datetime
) -> None:
    """End the caller's session (the sign-in of its access token and of ``token``, its
    refresh token) or, with ``everywhere``, every session of the caller."""
    ended: list[uuid.UUID] = []
    async with engine().transaction():
        if everywhere:
            ended += await sessions.revoke_all_of(principal.user_id, now)
        elif principal.session is not None:
            ended += await sessions.revoke_family(principal.session, now)
        record = await sessions.find_refresh(codes.digest(token)) if token else None
        if record is not None and record.staff_id == principal.user_id:
            ended += await sessions.revoke_family(record.family, now)
    # Other processes hear of it from the commit; this one knows it now (the next
    # request of this phone may come right back here).
    rt.ended_sessions.note(ended)


async def wechat_login(rt: Runtime, code: str, now: datetime) -> TokenPair:
    """Sign in with a ``wx.login`` code; the openid must already be bound to a user."""
    session = await rt.wechat.code_to_session(code)
    user = await org.get_user_by_openid(session.openid)
    if user is None:
        raise Forbidden("wechat_not_bound", "bind this WeChat account with a binding code first")
    if not user.is_active:
        raise Unauthenticated("account_disabled", "this account is disabled")
    async with engine().transaction():
        pair = await _start_family(rt, user, "wechat", now)
    return pair


async def wechat_bind(rt: Runtime, code: str, binding_code: str, now: datetime) -> TokenPair:
    """First WeChat sign-in: spend an admin-issued binding code and bind the openid."""
    session = await rt.wechat.code_to_session(code)
    async with engine().transaction():
        staff_id = await sessions.claim_binding(
            codes.digest(codes.normalise_human_code(binding_code)), now
        )
        if staff_id is None:
            raise NotFound("binding_code_invalid", "the binding code is wrong, used or expired")
        holder = await org.get_user_by_openid(session.openid)
        if holder is not None and holder.id != staff_id:
            raise Conflict("wechat_already_bound", "this WeChat account is bound to another user")
        await sessions.bind_openid(staff_id, session.openid, now)
        user = await org.get_user(staff_id)
        if user is None or not user.is_active:
            raise Unauthenticated("account_disabled", "this account is disabled")
        pair = await _start_family(rt, user, "wechat", now)
    return pair


class BindingCode(msgspec.Struct, frozen=True):
    binding_code: str
    expires_at: datetime


async def issue_binding(rt: Runtime, admin_id: int, user_id: int, now: datetime) -> BindingCode:
    """A one-time code the user types into the miniprogram on first sign-in."""
    if await org.get_user(user_id) is None:
        raise NotFound("user_not_found", f"no user {user_id}")
    code = codes.new_human_code()
    expires_at = now + timedelta(seconds=rt.settings.auth.binding_ttl_s)
    async with engine().transaction():
        await sessions.replace_binding(
            staff_id=user_id,
            code_hash=codes.digest(code),
            issued_by=admin_id,
            now=now,
            expires_at=expires_at,
        )
    return BindingCode(f"{code[:4]}-{code[4:]}", expires_at)
