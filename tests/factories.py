"""Test data: each test makes what it needs, with unique names, and owns it."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.auth.passwords import hash_password
from domain.org import Role
from storage.tables import Camera, Squad, StaffUser, Subject

PASSWORD = "correct-horse-battery"
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid()}x{next(_serial)}"


async def squad_id(code: str) -> int:
    """The id of a seeded squad by its code (310112001 江川路, 310112101 莘庄镇, ...)."""
    row = await Squad.select(Squad.id).where(Squad.code == code).first()
    assert row is not None, f"squad {code} not seeded"
    return int(row["id"])


async def make_user(
    role: Role = Role.officer,
    *,
    squad_code: str | None = "310112001",
    password: str = PASSWORD,
    **values: Any,
) -> dict[str, Any]:
    """A user row (as a dict with ``id``, ``username``, ``password``)."""
    squad = await squad_id(squad_code) if role.is_squad_bound and squad_code else None
    username = values.pop("username", None) or unique(role.value + ".")
    now = datetime.now(UTC)
    rows = await StaffUser.insert(
        StaffUser(
            username=username,
            display_name=values.pop("display_name", username),
            role=role.value,
            squad=squad,
            password_hash=hash_password(password, cost=10),
            created_at=now,
            updated_at=now,
            **values,
        )
    ).returning(StaffUser.id)
    return {"id": rows[0]["id"], "username": username, "password": password, "squad_id": squad}


async def on_shift(
    user_id: int, starts_at: datetime | None = None, ends_at: datetime | None = None
) -> None:
    """Put the officer on the roster: a shift from ``starts_at`` (default an hour ago) to
    ``ends_at`` (default 12 hours after it, at most 24), unless a shift of theirs already
    overlaps it (then that one stands)."""
    start = starts_at or datetime.now(UTC) - timedelta(hours=1)
    end = ends_at or start + timedelta(hours=12)
    await StaffUser.raw(
        """INSERT INTO duty_shift (squad, officer, starts_at, ends_at, created_at)
           SELECT squad, id, {}, {}, now() FROM staff_user WHERE id = {}
           ON CONFLICT DO NOTHING""",
        start,
        end,
        user_id,
    )


async def make_camera(name: str, lng: float, lat: float) -> int:
    """A camera (disabled: nobody polls it) at a point; its id."""
    now = datetime.now(UTC)
    rows = await Camera.insert(
        Camera(
            device_id=unique("CAM-"),
            name=name,
            enabled=False,
            lng=lng,
            lat=lat,
            created_at=now,
            updated_at=now,
        )
    ).returning(Camera.id)
    return int(rows[0]["id"])


async def make_merchant(name: str, lng: float, lat: float, **values: Any) -> int:
    """A merchant subject (沿街商户) at a point, no squad unless given; its id."""
    now = datetime.now(UTC)
    values = {
        "address": "江川路",
        "contact_name": "王店主",
        "contact_phone": "13812345670",
        **values,
    }
    rows = await Subject.insert(
        Subject(
            kind="merchant", name=name, lng=lng, lat=lat, created_at=now, updated_at=now, **values
        )
    ).returning(Subject.id)
    return int(rows[0]["id"])
