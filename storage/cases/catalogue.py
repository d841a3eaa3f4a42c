"""The violation catalogue in the database: seeded from the data file, edited by admins."""

from __future__ import annotations

import hashlib
from datetime import datetime

import msgspec

from domain.catalogue import ViolationType, decode_type, encode_type, load_catalogue
from domain.errors import InvalidInput
from storage.tables import ViolationTypeRow, ViolationTypeVersion


async def version_of(vt: ViolationType) -> int:
    """The id of this exact definition (created on first use): what a new case points at,
    so later edits of the type apply to new cases only."""
    definition = msgspec.json.encode(encode_type(vt), order="sorted")
    digest = hashlib.sha256(definition).hexdigest()
    known = await ViolationTypeVersion.select(ViolationTypeVersion.id).where(
        ViolationTypeVersion.digest == digest
    )
    if known:
        return int(known[0]["id"])
    rows = await ViolationTypeVersion.raw(
        """INSERT INTO violation_type_version (code, digest, definition, created_at)
           VALUES ({}, {}, {}::jsonb, now()) ON CONFLICT (digest) DO NOTHING RETURNING id""",
        vt.code,
        digest,
        definition.decode(),
    )
    if not rows:
        rows = await ViolationTypeVersion.select(ViolationTypeVersion.id).where(
            ViolationTypeVersion.digest == digest
        )
    return int(rows[0]["id"])


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


async def severities() -> dict[str, int]:
    """Violation type code → severity (1 minor … 3 serious), for grading."""
    return {t.code: t.severity for t in await all_types()}
