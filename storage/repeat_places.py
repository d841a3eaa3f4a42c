"""Repeat places (高发点位), found ahead of the request.

The hourly hotspot refresh (jobs/hotspots.py) clusters each squad's located cases of the
last 7, 30 and 90 days (``domain.hotspots.repeat_places``: 50 m, with the least
``min_cases`` the API allows) and replaces each window's rows in one transaction, so a
request reads rows instead of clustering a quarter of the district's cases.

A request's larger ``min_cases`` is a filter on these rows, with the same answer as
clustering again: the greedy rule takes the largest remaining neighbourhood first, so the
sizes it picks never grow, and its places for ``min_cases = m`` are exactly the first
places found that hold at least m cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from domain.hotspots.places import PlacedCase, repeat_places
from domain.org import Scope
from storage.db import engine
from storage.tables import Case

WINDOWS = (7, 30, 90)  # days
MIN_CASES = 2  # the least the API asks for


class PlaceRow(msgspec.Struct, frozen=True, kw_only=True):
    days: int
    squad: int
    violation_type: str
    centre_case: int
    lng: float
    lat: float
    address: str
    cases: int
    case_ids: list[int]
    first_at: datetime
    last_at: datetime


async def refresh(now: datetime | None = None) -> int:
    """Find every window's places again, squad by squad; the places written."""
    now = now or datetime.now(UTC)
    squads = [r["id"] for r in await Case.raw("SELECT id FROM squad ORDER BY id")]
    found: list[PlaceRow] = []
    for squad in squads:
        found.extend(await _squad_places(squad, now))
    async with engine().transaction():
        await Case.raw("DELETE FROM repeat_place")
        if found:
            await Case.raw(
                """INSERT INTO repeat_place (days, squad, violation_type, centre_case, lng, lat,
                                             address, cases, case_ids, first_at, last_at,
                                             refreshed_at)
                   SELECT x.*, {} FROM jsonb_to_recordset({}::jsonb) AS x(
                       days smallint, squad integer, violation_type varchar, centre_case bigint,
                       lng double precision, lat double precision, address text,
                       cases integer, case_ids bigint[], first_at timestamptz,
                       last_at timestamptz)""",
                now,
                msgspec.json.encode(found).decode(),
            )
        await Case.raw(
            """INSERT INTO repeat_place_refresh (days, refreshed_at)
               SELECT unnest({}::smallint[]), {}
               ON CONFLICT (days) DO UPDATE SET refreshed_at = excluded.refreshed_at""",
            list(WINDOWS),
            now,
        )
    return len(found)


async def _squad_places(squad: int, now: datetime) -> list[PlaceRow]:
    rows = await Case.raw(
        """SELECT c.id, c.violation_type, c.lng, c.lat, c.created_at,
                  coalesce(c.address, '') AS address
             FROM enforcement_case c
            WHERE c.squad = {} AND c.created_at > {} AND c.created_at <= {}
              AND c.lng IS NOT NULL AND c.lat IS NOT NULL AND c.state <> 'dismissed'""",
        squad,
        now - timedelta(days=max(WINDOWS)),
        now,
    )
    address = {r["id"]: r["address"] for r in rows}
    cases = [
        PlacedCase(
            id=r["id"],
            violation_type=r["violation_type"],
            lng=r["lng"],
            lat=r["lat"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
    out: list[PlaceRow] = []
    for days in WINDOWS:
        for p in repeat_places(cases, now, min_cases=MIN_CASES, window=timedelta(days=days)):
            out.append(
                PlaceRow(
                    days=days,
                    squad=squad,
                    violation_type=p.violation_type,
                    centre_case=p.centre_case_id,
                    lng=p.lng,
                    lat=p.lat,
                    address=address[p.centre_case_id],
                    cases=p.cases,
                    case_ids=list(p.case_ids),
                    first_at=p.first_at,
                    last_at=p.last_at,
                )
            )
    return out


async def places(
    scope: Scope,
    *,
    days: int,
    min_cases: int,
    squad_id: int | None,
    violation_type: str | None,
    limit: int,
) -> tuple[datetime | None, list[PlaceRow]]:
    """The window's places in the caller's jurisdiction with at least ``min_cases``
    cases, most cases first, then the latest; and when the window was last found."""
    where = ["p.days = {}", "p.cases >= {}"]
    args: list[object] = [days, min_cases]
    own = scope.narrowed(squad_id).squad_id
    if own is not None:
        where.append("p.squad = {}")
        args.append(own)
    if violation_type is not None:
        where.append("p.violation_type = {}")
        args.append(violation_type)
    args.append(limit)
    rows = await Case.raw(
        f"""SELECT p.days, p.squad, p.violation_type, p.centre_case, p.lng, p.lat, p.address,
                   p.cases, p.case_ids, p.first_at, p.last_at
              FROM repeat_place p WHERE {" AND ".join(where)}
             ORDER BY p.cases DESC, p.last_at DESC, p.centre_case LIMIT {{}}""",
        *args,
    )
    at = await Case.raw("SELECT refreshed_at FROM repeat_place_refresh WHERE days = {}", days)
    return (at[0]["refreshed_at"] if at else None), [msgspec.convert(r, PlaceRow) for r in rows]
