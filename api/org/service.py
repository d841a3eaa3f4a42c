"""Use cases of the organisation: staff accounts and duty status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.org.schemas import UserCreate, UserUpdate
from domain.auth.passwords import hash_password
from domain.errors import Conflict, InvalidInput, NotFound
from domain.geo import LngLat
from domain.org import Role, User
from offsite.runtime import Runtime
from storage import org, sessions
from storage.cases.commands import release_tasks
from storage.db import engine
from storage.duty import track
from storage.tables import StaffUser


async def _check_squad_for_role(role: Role, squad_id: int | None) -> None:
    if role.is_squad_bound and squad_id is None:
        raise InvalidInput("squad_required", f"a {role.value} must belong to a squad")
    if not role.is_squad_bound and squad_id is not None:
        raise InvalidInput("squad_not_allowed", f"a {role.value} works district-wide")
    if squad_id is not None and not await org.squad_exists(squad_id):
        raise InvalidInput("squad_not_found", f"no squad {squad_id}")


async def create_user(rt: Runtime, data: UserCreate, now: datetime) -> User:
    await _check_squad_for_role(data.role, data.squad_id)
    async with engine().transaction():
        if await org.username_taken(data.username):
            raise Conflict("username_taken", f"username {data.username!r} is taken")
        user_id = await org.insert_user(
            {
                "username": data.username,
                "display_name": data.display_name,
                "phone": data.phone,
                "role": data.role.value,
                "squad": data.squad_id,
                "created_at": now,
                "updated_at": now,
                "password_hash": hash_password(data.password, cost=rt.settings.auth.password_cost),
            }
        )
        user = await org.get_user(user_id)
    assert user is not None
    return user


async def update_user(rt: Runtime, user_id: int, data: UserUpdate, now: datetime) -> User:
    """Change an account; a new password, role, squad or deactivation ends its sessions."""
    current = await org.get_user(user_id)
    if current is None:
        raise NotFound("user_not_found", f"no user {user_id}")
    role = current.role if data.role is msgspec.UNSET else data.role
    squad_id = current.squad_id if data.squad_id is msgspec.UNSET else data.squad_id
    await _check_squad_for_role(role, squad_id)
    values: dict[Any, Any] = {StaffUser.role: role.value, StaffUser.squad: squad_id}
    if data.display_name is not msgspec.UNSET:
        values[StaffUser.display_name] = data.display_name
    if data.phone is not msgspec.UNSET:
        values[StaffUser.phone] = data.phone
    if data.is_active is not msgspec.UNSET:
        values[StaffUser.is_active] = data.is_active
    if data.password is not msgspec.UNSET:
        values[StaffUser.password_hash] = hash_password(
            data.password, cost=rt.settings.auth.password_cost
        )
    ends_sessions = (
        data.password is not msgspec.UNSET
        or data.is_active is False
        or role != current.role
        or squad_id != current.squad_id
    )
    ended = []
    async with engine().transaction():
        await org.update_user(user_id, values, now)
        if ends_sessions:
            ended = await sessions.revoke_all_of(user_id, now)
        if squad_id != current.squad_id or role != current.role or data.is_active is False:
            await release_tasks(rt.cases, user_id, "officer moved, changed role or left", now)
        user = await org.get_user(user_id)
    rt.ended_sessions.note(ended)  # at once here; other processes at the commit's notice
    assert user is not None
    return user


async def set_duty(
    user_id: int,
    on_duty: bool,
    position: LngLat | None,
    now: datetime,
    accuracy_m: float | None = None,
) -> User:
    """Record duty status and, when the phone sent one, the last known position; the
    position joins the officer's track and a change of status the duty record."""
    values: dict[Any, Any] = {StaffUser.on_duty: on_duty, StaffUser.duty_changed_at: now}
    if position is not None:
        values |= {
            StaffUser.last_lng: position.lng,
            StaffUser.last_lat: position.lat,
            StaffUser.last_located_at: now,
        }
    async with engine().transaction():
        was_on_duty = await track.lock_duty(user_id)
        await org.update_user(user_id, values, now)
        await track.record_duty(user_id, was_on_duty, on_duty, position, accuracy_m, now)
        user = await org.get_user(user_id)
    assert user is not None
    return user


async def ensure_bootstrap_admin(rt: Runtime, now: datetime) -> str | None:
    """Create the ``OFFSITE_BOOTSTRAP_ADMIN`` admin when no admin exists; its username."""
    spec = rt.settings.auth.bootstrap_admin
    if not spec:
        return None
    username, sep, password = spec.partition(":")
    if not sep or not username or len(password) < 8:
        raise InvalidInput(
            "bootstrap_admin_invalid",
            "OFFSITE_BOOTSTRAP_ADMIN must be username:password (8+ chars)",
        )
    if await org.any_admin():
        return None
    await create_user(rt, UserCreate(username, "Administrator", password, Role.admin), now)
    return username
