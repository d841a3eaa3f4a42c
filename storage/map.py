"""The console map's layers (一张图) as GeoJSON: squads, grid cells, street blocks,
subjects, cameras and officers, each read within the caller's scope and expressed in
the coordinate system the client's base layer uses. Open cases, which come by the
hundred thousand, are in ``storage/map_cases.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.geo import CoordType, LngLat, from_wgs84
from domain.geo.mapview import BBox
from domain.org import Role, Scope
from storage.db import engine
from storage.duty.roster import ON_SHIFT_ARGS, on_shift_sql
from storage.scoping import squad_filter

# Subjects and cameras in one answer at most (a viewport of the district holds far fewer).
POINT_LAYER_LIMIT = 5000


def point(lng: float, lat: float, coord_type: CoordType) -> list[float]:
    """A GeoJSON position ``[lng, lat]`` of a stored WGS-84 point, in ``coord_type``."""
    p = from_wgs84(LngLat(lng, lat), coord_type)
    return [round(p.lng, 7), round(p.lat, 7)]


def geometry(geojson: dict[str, Any], coord_type: CoordType) -> dict[str, Any]:
    """A stored (WGS-84) Polygon or MultiPolygon with every vertex in ``coord_type``."""

    def ring(r: list[list[float]]) -> list[list[float]]:
        return [point(v[0], v[1], coord_type) for v in r]

    coords = geojson["coordinates"]
    if geojson["type"] == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in p] for p in coords]}
    return {"type": "Polygon", "coordinates": [ring(r) for r in coords]}


async def fetch(sql: str, args: list[object]) -> list[Any]:
    """Rows of ``sql`` (``$n`` placeholders) on the pool."""
    pool = engine().pool
    if pool is None:
        raise RuntimeError("the connection pool is not open")
    return list(await pool.fetch(sql, *args))


def numbered(sql: str) -> str:
    """Piccolo-style ``{}`` placeholders as asyncpg's ``$1, $2, ...``."""
    parts = sql.split("{}")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


def box_filter(column_lng: str, column_lat: str, box: BBox | None, args: list[object]) -> str:
    """`` AND <lng> BETWEEN .. AND <lat> BETWEEN ..`` for a WGS-84 box (``""`` for None)."""
    if box is None:
        return ""
    args.extend([box.min_lng, box.max_lng, box.min_lat, box.max_lat])
    return f" AND {column_lng} BETWEEN {{}} AND {{}} AND {column_lat} BETWEEN {{}} AND {{}}"


async def squads(scope: Scope) -> list[Any]:
    args: list[object] = []
    where = squad_filter(scope, "id", args)
    return await fetch(
        numbered(
            "SELECT id, code, name_zh, kind, boundary::text AS boundary, centre_lng, centre_lat"
            f" FROM squad WHERE true{where} ORDER BY id"
        ),
        args,
    )


async def grids(scope: Scope) -> list[Any]:
    args: list[object] = []
    where = squad_filter(scope, "squad", args)
    return await fetch(
        numbered(
            "SELECT id, code, name_zh, squad AS squad_id, boundary::text AS boundary, area_m2"
            f" FROM grid_cell WHERE true{where} ORDER BY id"
        ),
        args,
    )


async def blocks(scope: Scope) -> list[Any]:
    args: list[object] = []
    where = squad_filter(scope, "squad", args)
    return await fetch(
        numbered(
            "SELECT id, name, squad AS squad_id, polygon::text AS polygon"
            f" FROM street_block WHERE true{where} ORDER BY id"
        ),
        args,
    )


async def subjects(scope: Scope, box: BBox | None) -> list[Any]:
    args: list[object] = []
    where = squad_filter(scope, "squad", args) + box_filter("lng", "lat", box, args)
    args.append(POINT_LAYER_LIMIT)
    return await fetch(
        numbered(
            "SELECT id, kind, name, address, grade, squad AS squad_id, grid AS grid_id, lng, lat"
            f" FROM subject WHERE true{where} ORDER BY id LIMIT {{}}"
        ),
        args,
    )


async def cameras(scope: Scope, box: BBox | None) -> list[Any]:
    args: list[object] = []
    where = squad_filter(scope, "squad", args) + box_filter("lng", "lat", box, args)
    args.append(POINT_LAYER_LIMIT)
    return await fetch(
        numbered(
            "SELECT id, device_id, name, enabled, health, last_frame_at, squad AS squad_id,"
            f" lng, lat FROM camera WHERE true{where} ORDER BY id LIMIT {{}}"
        ),
        args,
    )


_OFFICER_ROLES = [Role.officer.value, Role.squad_leader.value]


async def officers(
    scope: Scope,
    on_duty: bool | None = None,
    changed_since: datetime | None = None,
    now: datetime | None = None,
) -> list[Any]:
    """Active officers and squad leaders with a known position; with ``changed_since``,
    only those whose position or duty changed after it (the live stream's re-read).
    Each with ``on_shift`` (the roster at ``now``: 在班, beside the phone's 在岗) and
    ``equipment``, the items they hold now as JSON ``[{kind, label}]``."""
    at = now or datetime.now(UTC)
    args: list[object] = [at] * ON_SHIFT_ARGS + [at, at, _OFFICER_ROLES]
    where = squad_filter(scope, "u.squad", args)
    if on_duty is not None:
        args.append(on_duty)
        where += " AND u.on_duty = {}"
    if changed_since is not None:
        args.append(changed_since)
        where += " AND greatest(u.last_located_at, u.duty_changed_at) > {}"
    return await fetch(
        numbered(
            "SELECT u.id, u.display_name, u.role, u.squad AS squad_id, u.on_duty,"
            " u.duty_changed_at, u.last_lng AS lng, u.last_lat AS lat, u.last_located_at,"
            " greatest(u.last_located_at, u.duty_changed_at) AS changed_at,"
            f" ({on_shift_sql('u.id')}) AS on_shift,"
            " (SELECT coalesce(json_agg(json_build_object('kind', e.kind, 'label', e.label)"
            "   ORDER BY e.kind, e.id), '[]')::text FROM equipment_assignment a"
            "   JOIN equipment e ON e.id = a.equipment"
            "   WHERE a.officer = u.id AND e.active"
            "     AND a.starts_at <= {} AND a.ends_at > {}) AS equipment"
            " FROM staff_user u WHERE u.role = ANY({}::text[]) AND u.is_active"
            f" AND u.last_lng IS NOT NULL{where} ORDER BY u.id"
        ),
        args,
    )
