"""Queries for the organisation: squads, grid cells and staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.org import GridCell, Role, Scope, Squad, User
from storage.scoping import within
from storage.tables import GridCell as GridCellTable
from storage.tables import Squad as SquadTable
from storage.tables import StaffUser

_USER_COLUMNS = (
    StaffUser.id,
    StaffUser.username,
    StaffUser.display_name,
    StaffUser.phone,
    StaffUser.role,
    StaffUser.squad,
    StaffUser.is_active,
    StaffUser.wechat_openid,
    StaffUser.on_duty,
    StaffUser.duty_changed_at,
    StaffUser.last_lng,
    StaffUser.last_lat,
    StaffUser.last_located_at,
    StaffUser.created_at,
)


def user_from_row(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        phone=row["phone"],
        role=Role(row["role"]),
        squad_id=row["squad"],
        is_active=row["is_active"],
        wechat_bound=row["wechat_openid"] is not None,
        on_duty=row["on_duty"],
        duty_changed_at=row["duty_changed_at"],
        last_lng=row["last_lng"],
        last_lat=row["last_lat"],
        last_located_at=row["last_located_at"],
        created_at=row["created_at"],
    )


async def get_user(user_id: int) -> User | None:
    row = await StaffUser.select(*_USER_COLUMNS).where(StaffUser.id == user_id).first()
    return user_from_row(row) if row else None


async def get_user_for_login(username: str) -> tuple[User, str | None] | None:
    """The user and their password hash, for the login use case only."""
    row = (
        await StaffUser.select(*_USER_COLUMNS, StaffUser.password_hash)
        .where(StaffUser.username == username)
        .first()
    )
    return (user_from_row(row), row["password_hash"]) if row else None


async def get_user_by_openid(openid: str) -> User | None:
    row = await StaffUser.select(*_USER_COLUMNS).where(StaffUser.wechat_openid == openid).first()
    return user_from_row(row) if row else None


async def list_users(scope: Scope, *, role: Role | None, after_id: int, limit: int) -> list[User]:
    query = within(
        StaffUser.select(*_USER_COLUMNS).where(StaffUser.id > after_id), scope, StaffUser.squad
    )
    if role is not None:
        query = query.where(StaffUser.role == role.value)
    rows = await query.order_by(StaffUser.id).limit(limit)
    return [user_from_row(r) for r in rows]


async def insert_user(values: dict[str, Any]) -> int:
    rows = await StaffUser.insert(StaffUser(**values)).returning(StaffUser.id)
    return int(rows[0]["id"])


async def update_user(user_id: int, values: dict[Any, Any], now: datetime) -> bool:
    rows = (
        await StaffUser.update({**values, StaffUser.updated_at: now})
        .where(StaffUser.id == user_id)
        .returning(StaffUser.id)
    )
    return bool(rows)


async def username_taken(username: str) -> bool:
    return bool(await StaffUser.exists().where(StaffUser.username == username))


async def any_admin() -> bool:
    return bool(await StaffUser.exists().where(StaffUser.role == Role.admin.value))


def _squad(row: dict[str, Any]) -> Squad:
    return Squad(
        id=row["id"],
        code=row["code"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        kind=row["kind"],
        boundary=row["boundary"],
        centre_lng=row["centre_lng"],
        centre_lat=row["centre_lat"],
    )


async def list_squads(scope: Scope) -> list[Squad]:
    query = within(SquadTable.select().output(load_json=True), scope, SquadTable.id)
    query = query.order_by(SquadTable.code)
    return [_squad(r) for r in await query]


async def get_squad(squad_id: int) -> Squad | None:
    row = await SquadTable.select().output(load_json=True).where(SquadTable.id == squad_id).first()
    return _squad(row) if row else None


async def squad_exists(squad_id: int) -> bool:
    return bool(await SquadTable.exists().where(SquadTable.id == squad_id))


async def list_grids(scope: Scope, after_id: int, limit: int) -> list[GridCell]:
    query = GridCellTable.select().output(load_json=True).where(GridCellTable.id > after_id)
    query = within(query, scope, GridCellTable.squad)
    rows = await query.order_by(GridCellTable.id).limit(limit)
    return [
        GridCell(
            id=r["id"],
            code=r["code"],
            squad_id=r["squad"],
            name_zh=r["name_zh"],
            boundary=r["boundary"],
            area_m2=r["area_m2"],
        )
        for r in rows
    ]
