"""The violation catalogue in the database: seeded from the data file, edited by admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.catalogue import ViolationType, decode_type, encode_type, load_catalogue
from domain.errors import InvalidInput
from storage.tables import ViolationTypeRow


def snapshot(vt: ViolationType) -> dict[str, Any]:
    """What a case keeps of its type, so later edits apply to new cases only."""
    return encode_type(vt)


async def seed(now: datetime) -> int:
    """Insert the data file's types that are missing (edits made by admins are kept)."""
    added = 0
    for vt in load_catalogue().values():
        if not await ViolationTypeRow.exists().where(ViolationTypeRow.code == vt.code):
            await ViolationTypeRow.insert(
                ViolationTypeRow(
                    code=vt.code,
                    definition=msgspec.json.encode(encode_type(vt)).decode(),
                    updated_at=now,
                )
            )
            added += 1
    return added


async def all_types() -> list[ViolationType]:
    rows = await ViolationTypeRow.select().output(load_json=True).order_by(ViolationTypeRow.code)
    return [decode_type(r["definition"]) for r in rows]


async def get(code: str) -> ViolationType | None:
    row = (
        await ViolationTypeRow.select()
        .output(load_json=True)
        .where(ViolationTypeRow.code == code)
        .first()
    )
    return decode_type(row["definition"]) if row else None


async def get_active(code: str) -> ViolationType:
    vt = await get(code)
    if vt is None or not vt.active:
        raise InvalidInput("violation_type_unknown", f"no active violation type {code!r}")
    return vt


async def put(vt: ViolationType, admin_id: int, now: datetime) -> ViolationType:
    """Create or replace a type; running cases keep the snapshot they were created with."""
    definition = msgspec.json.encode(encode_type(vt)).decode()
    await ViolationTypeRow.raw(
        """INSERT INTO violation_type (code, definition, updated_at, updated_by)
           VALUES ({}, {}::jsonb, {}, {})
           ON CONFLICT (code) DO UPDATE SET definition = EXCLUDED.definition,
               updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by""",
        vt.code,
        definition,
        now,
        admin_id,
    )
    return vt
