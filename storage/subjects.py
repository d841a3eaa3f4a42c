"""The registry of supervised subjects: write, find (by text, near a point), import and
export the bureau's registers, and what a subject's page shows (its cases)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from domain.errors import Conflict, NotFound
from domain.geo import LngLat
from domain.org import Scope
from domain.subjects.grading import Grade
from domain.subjects.model import DETAILS_OF, Details, SubjectInput, SubjectKind
from domain.subjects.registers import ParsedRow
from storage.db import engine
from storage.geography import GeoIndex
from storage.scoping import squad_filter
from storage.tables import Case, Subject

EARTH_M = 6_371_000.0


class SubjectRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: SubjectKind
    name: str
    address: str
    lng: float
    lat: float
    squad_id: int | None
    grid_id: int | None
    credit_code: str | None
    contact_name: str | None
    contact_phone: str | None
    details: Details
    grade: Grade
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = None


class CaseLine(msgspec.Struct, frozen=True):
    id: int
    number: str
    violation_type: str
    state: str
    outcome: str | None
    created_at: datetime


class SubjectHistory(msgspec.Struct, frozen=True):
    open_cases: int
    cases_total: int
    by_type: dict[str, int]  # violation type code → cases
    recent: list[CaseLine]


_SELECT = """SELECT s.id, s.kind, s.name, s.address, s.lng, s.lat, s.squad AS squad_id,
                    s.grid AS grid_id, s.credit_code, s.contact_name, s.contact_phone,
                    s.details, s.grade, s.created_at, s.updated_at"""


def _record(row: dict[str, Any]) -> SubjectRecord:
    kind = SubjectKind(row["kind"])
    raw = row["details"]
    details = msgspec.json.decode(raw) if isinstance(raw, str) else (raw or {})
    row = {**row, "details": {**details, "type": kind.value}}
    if "distance_m" in row and row["distance_m"] is None:
        del row["distance_m"]
    return msgspec.convert(row, SubjectRecord)


def _values(subject: SubjectInput, placed: Any, now: datetime) -> dict[str, Any]:
    at = subject.location.to_wgs84()
    return {
        "kind": subject.kind.value,
        "name": subject.name,
        "address": subject.address,
        "lng": at.lng,
        "lat": at.lat,
        "squad": placed.squad.id if placed and placed.squad else None,
        "grid": placed.grid.id if placed and placed.grid else None,
        "credit_code": subject.credit_code,
        "contact_name": subject.contact_name or None,
        "contact_phone": subject.contact_phone or None,
        "details": msgspec.json.encode(subject.details or DETAILS_OF[subject.kind]()).decode(),
        "updated_at": now,
    }


async def create(geo: GeoIndex, subject: SubjectInput, now: datetime) -> SubjectRecord:
    """A new subject (placed in its squad and grid); joins the caller's transaction."""
    subject = subject.checked()
    values = _values(subject, await geo.place(subject.location.to_wgs84()), now)
    try:
        rows = await Subject.raw(
            """INSERT INTO subject (kind, name, address, lng, lat, squad, grid, credit_code,
                                   contact_name, contact_phone, details, created_at, updated_at)
               VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}, {})
            RETURNING id""",
            *values.values(),
            now,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            "subject_duplicate", "a subject of this kind has that credit code already"
        ) from exc
    found = await get(int(rows[0]["id"]))
    assert found is not None
    return found


async def update(
    geo: GeoIndex, subject_id: int, subject: SubjectInput, now: datetime
) -> SubjectRecord:
    """Replace a subject's fields (its kind included); NotFound if there is none."""
    subject = subject.checked()
    values = _values(subject, await geo.place(subject.location.to_wgs84()), now)
    try:
        rows = await Subject.raw(
            """UPDATE subject SET kind = {}, name = {}, address = {}, lng = {}, lat = {},
                      squad = {}, grid = {}, credit_code = {}, contact_name = {},
                      contact_phone = {}, details = {}::jsonb, updated_at = {}
                WHERE id = {} RETURNING id""",
            *values.values(),
            subject_id,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            "subject_duplicate", "a subject of this kind has that credit code already"
        ) from exc
    if not rows:
        raise NotFound("subject_not_found", f"no subject {subject_id}")
    found = await get(subject_id)
    assert found is not None
    return found


async def get(subject_id: int) -> SubjectRecord | None:
    rows = await Subject.raw(_SELECT + " FROM subject s WHERE s.id = {}", subject_id)
    return _record(rows[0]) if rows else None


async def search(
    scope: Scope,
    *,
    kind: SubjectKind | None,
    text: str | None,
    near: LngLat | None,
    radius_m: float,
    after_id: int,
    limit: int,
) -> list[SubjectRecord]:
    """Subjects by kind, by text (name, shop sign, credit code) and near a point — nearest
    first when ``near`` is given (within ``radius_m``), else by id (cursor ``after_id``)."""
    args: list[object] = []
    where: list[str] = ["TRUE" + squad_filter(scope, "s.squad", args)]
    if kind is not None:
        where.append("s.kind = {}")
        args.append(kind.value)
    if text:
        where.append(
            "(s.name || ' ' || coalesce(s.details->>'shop_sign', '') || ' ' ||"
            " coalesce(s.credit_code, '')) ILIKE {}"
        )
        args.append(f"%{_like(text)}%")
    if near is None:
        where.append("s.id > {}")
        args.append(after_id)
        rows = await Subject.raw(
            _SELECT
            + ", NULL::float8 AS distance_m FROM subject s WHERE "
            + " AND ".join(where)
            + " ORDER BY s.id LIMIT {}",
            *args,
            limit,
        )
        return [_record(r) for r in rows]
    dlat = math.degrees(radius_m / EARTH_M)
    dlng = dlat / max(0.01, math.cos(math.radians(near.lat)))
    where.append("s.lat BETWEEN {} AND {} AND s.lng BETWEEN {} AND {}")
    args += [near.lat - dlat, near.lat + dlat, near.lng - dlng, near.lng + dlng]
    distance = (
        "2 * {r} * asin(sqrt(power(sin(radians(s.lat - {lat}) / 2), 2) + cos(radians({lat}))"
        " * cos(radians(s.lat)) * power(sin(radians(s.lng - {lng}) / 2), 2)))"
    ).format(r=EARTH_M, lat=float(near.lat), lng=float(near.lng))
    rows = await Subject.raw(
        f"SELECT * FROM ({_SELECT}, {distance} AS distance_m FROM subject s WHERE "
        + " AND ".join(where)
        + ") AS found WHERE distance_m <= {} ORDER BY distance_m, id LIMIT {}",
        *args,
        radius_m,
        limit,
    )
    return [_record(r) for r in rows]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def history(subject_id: int, scope: Scope, recent: int = 20) -> SubjectHistory:
    """The subject's cases in ``scope``: how many, open, by violation type, the latest
    (a merchant on a squad's border may have cases in the next squad too)."""
    args: list[object] = [subject_id]
    in_scope = squad_filter(scope, "squad", args)
    totals = await Case.raw(
        f"""SELECT violation_type, count(*) AS n,
                  count(*) FILTER (WHERE state NOT IN ('closed', 'dismissed')) AS open
             FROM enforcement_case WHERE subject = {{}}{in_scope} GROUP BY violation_type""",
        *args,
    )
    lines = await Case.raw(
        f"""SELECT id, number, violation_type, state, outcome, created_at FROM enforcement_case
            WHERE subject = {{}}{in_scope} ORDER BY created_at DESC, id DESC LIMIT {{}}""",
        *args,
        recent,
    )
    return SubjectHistory(
        open_cases=sum(int(t["open"]) for t in totals),
        cases_total=sum(int(t["n"]) for t in totals),
        by_type={t["violation_type"]: int(t["n"]) for t in totals},
        recent=[msgspec.convert(r, CaseLine) for r in lines],
    )


class ImportCounts(msgspec.Struct, frozen=True):
    created: int
    updated: int


async def unknown_ids(ids: list[int]) -> set[int]:
    """Which of ``ids`` name no subject (register rows that cannot be matched)."""
    if not ids:
        return set()
    rows = await Subject.raw(
        "SELECT u.id FROM unnest({}::int[]) AS u(id)"
        " WHERE NOT EXISTS (SELECT 1 FROM subject s WHERE s.id = u.id)",
        ids,
    )
    return {r["id"] for r in rows}


async def import_rows(geo: GeoIndex, rows: list[ParsedRow], now: datetime) -> ImportCounts:
    """Write checked register rows in one transaction. A row that names its subject (编号,
    from an export) updates it; otherwise a row whose kind and credit code match a subject
    updates that one; any other row is a new subject."""
    created = updated = 0
    async with engine().transaction():
        for row in rows:
            subject, existing = row.subject, row.subject_id
            if existing is None and subject.credit_code:
                found = (
                    await Subject.select(Subject.id)
                    .where(
                        (Subject.kind == subject.kind.value)
                        & (Subject.credit_code == subject.credit_code)
                    )
                    .first()
                )
                existing = found["id"] if found is not None else None
            if existing is not None:
                await update(geo, existing, subject, now)
                updated += 1
            else:
                await create(geo, subject, now)
                created += 1
    return ImportCounts(created, updated)


async def export_rows(kind: SubjectKind | None, scope: Scope) -> list[SubjectRecord]:
    """Every subject (of a kind) in ``scope``, by id: what the export writes."""
    args: list[object] = []
    where: list[str] = ["TRUE" + squad_filter(scope, "s.squad", args)]
    if kind is not None:
        where.append("s.kind = {}")
        args.append(kind.value)
    rows = await Subject.raw(
        _SELECT + " FROM subject s WHERE " + " AND ".join(where) + " ORDER BY s.id", *args
    )
    return [_record(r) for r in rows]
