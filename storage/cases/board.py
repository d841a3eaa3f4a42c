"""The board's lists, built as JSON by PostgreSQL: a squad's cases, the triage queue,
an officer's tasks."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from domain.cases.model import TASK_STATES, Source, State
from domain.errors import Forbidden, InvalidInput
from domain.geo import CoordType, LngLat, Location
from domain.org import Scope
from storage.cases.changes import ReadCache
from storage.tables import Case


class CaseSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A row of the board or of the phone's task list."""

    id: int
    number: str
    version: int
    state: State
    state_label_zh: str
    violation_type: str
    violation_name_zh: str
    source: Source
    squad_id: int | None
    grid_id: int | None
    assignee_id: int | None
    urgent: bool
    emergency: bool
    overdue: bool
    next_due_at: datetime | None
    address: str
    location: Location | None
    created_at: datetime


class CasePage(msgspec.Struct, frozen=True):
    items: list[CaseSummary]
    next_cursor: str | None


class BoardQuery(msgspec.Struct, frozen=True, kw_only=True):
    state: State | None = None
    squad_id: int | None = None
    type: str | None = None
    grid: int | None = None
    # An H3 cell (resolution 9 or 10, by the index): the cases a hotspot map cell counts.
    cell: str | None = None
    source: Source | None = None
    overdue: bool | None = None
    unassigned: bool | None = None
    assignee_id: int | None = None
    # The cases behind a camera's precision or a repeat offender (the dashboard's lists).
    camera_id: int | None = None
    subject_id: int | None = None
    subject_grade: str | None = None  # the cases of subjects of this grade (A-D) now
    # The cases inside a street block (美丽街区): its polygon, WGS-84 (lng, lat) vertices.
    block: tuple[tuple[float, float], ...] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # Cases within ``radius_m`` of ``near`` (WGS-84): "is this the same one?" on a report.
    near: LngLat | None = None
    radius_m: float = 50.0
    # Only cases still open (not dismissed or closed).
    open: bool | None = None
    limit: int = 50
    cursor: str | None = None

    @property
    def cell_resolution(self) -> int:
        import h3

        return int(h3.get_resolution(self.cell)) if self.cell else 9


EARTH_M = 6_371_000.0
_OPEN_STATES = ", ".join(f"'{s.value}'" for s in State if s.is_open)
_JOIN = "JOIN violation_type_version v ON v.id = c.type_version"
_TASK_STATES = ", ".join(f"'{s.value}'" for s in TASK_STATES)
_STATE_LABEL = (
    "CASE c.state " + " ".join(f"WHEN '{s.value}' THEN '{s.label_zh}'" for s in State) + " END"
)
# Each row is built as JSON by PostgreSQL in the shape of CaseSummary: the lists are the
# hottest reads, and this spares Python decoding and re-encoding every field of every row
# (a test decodes the result as CasePage, so the two cannot drift apart).
_ROW = f"""json_build_object(
    'id', c.id, 'number', c.number, 'version', c.version, 'state', c.state,
    'state_label_zh', {_STATE_LABEL}, 'violation_type', c.violation_type,
    'violation_name_zh', v.definition->>'name_zh', 'source', c.source, 'squad_id', c.squad,
    'grid_id', c.grid, 'assignee_id', c.assignee, 'urgent', c.urgent, 'emergency', c.emergency,
    'overdue', c.overdue,
    'next_due_at', c.next_due_at, 'address', c.address,
    'location', CASE WHEN c.lng IS NULL THEN NULL ELSE
        json_build_object('lng', c.lng, 'lat', c.lat, 'coord_type', 'wgs84') END,
    'created_at', c.created_at)::text AS j, c.created_at, c.id"""


def _page(rows: list[dict[str, Any]], limit: int | None) -> bytes:
    """``{"items": [...], "next_cursor": ...}`` from rows carrying their JSON text."""
    last = rows[-1] if limit is not None and len(rows) == limit else None
    cursor = _encode_cursor(last["created_at"], last["id"]) if last else None
    items = ",".join(r["j"] for r in rows)
    return f'{{"items":[{items}],"next_cursor":{msgspec.json.encode(cursor).decode()}}}'.encode()


def expressed_in(body: bytes, coord_type: CoordType) -> bytes:
    """A page built (and cached) in WGS-84 with every location in ``coord_type``.

    The cache keeps the one WGS-84 rendering; converting after it keeps a page per datum
    from being cached three times and invalidated three times.
    """
    if coord_type is CoordType.wgs84:
        return body
    page = msgspec.json.decode(body, type=CasePage)
    items = [
        msgspec.structs.replace(item, location=item.location.expressed_in(coord_type))
        if item.location is not None
        else item
        for item in page.items
    ]
    return msgspec.json.encode(CasePage(items, page.next_cursor))


def _encode_cursor(created_at: datetime, case_id: int) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), case_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, case_id = msgspec.json.decode(raw, type=tuple[datetime, int])
    except (ValueError, msgspec.DecodeError) as exc:
        raise InvalidInput("cursor_invalid", "the cursor is not one this API returned") from exc
    return at, case_id


async def list_cases(
    scope: Scope,
    q: BoardQuery,
    cache: ReadCache | None,
    coord_type: CoordType = CoordType.wgs84,
) -> bytes:
    """Cases in the caller's jurisdiction, newest first, keyset-paged, with locations in
    ``coord_type``."""
    where: list[str] = ["TRUE"]
    args: list[object] = []

    def add(sql: str, value: object) -> None:
        where.append(sql)
        args.append(value)

    squad = scope.squad_id
    if squad is not None and q.squad_id not in (None, squad):
        raise Forbidden("out_of_jurisdiction", "this belongs to another squad's jurisdiction")
    if (wanted := squad if squad is not None else q.squad_id) is not None:
        add("c.squad = {}", wanted)
    for column, value in (
        ("state", q.state),
        ("violation_type", q.type),
        ("grid", q.grid),
        ("source", q.source),
        ("assignee", q.assignee_id),
        ("camera", q.camera_id),
        ("subject", q.subject_id),
    ):
        if value is not None:
            add(f"c.{column} = {{}}", value)
    if q.subject_grade is not None:
        add("c.subject IN (SELECT s.id FROM subject s WHERE s.grade = {})", q.subject_grade)
    if q.block is not None:
        _inside(q.block, where, args)
    if q.cell is not None:
        column = "h3_r10" if q.cell_resolution == 10 else "h3_r9"
        add(f"c.{column} = {{}}", q.cell)
    if q.overdue is not None:
        add("c.overdue = {}", q.overdue)
    if q.unassigned:
        where.append("c.assignee IS NULL")
    if q.created_from is not None:
        add("c.created_at >= {}", q.created_from)
    if q.created_to is not None:
        add("c.created_at < {}", q.created_to)
    if q.open is not None:
        where.append(f"c.state {'' if q.open else 'NOT '}IN ({_OPEN_STATES})")
    if q.near is not None:
        _within(q.near, q.radius_m, add)
    if q.cursor:
        at, case_id = _decode_cursor(q.cursor)
        where.append("(c.created_at, c.id) < ({}, {})")
        args += [at, case_id]
    key = ("board", msgspec.structs.replace(q, squad_id=wanted))
    generation = cache.generation(squad=wanted) if cache else ()
    if cache and (hit := cache.get(key, generation)) is not None:
        return expressed_in(hit, coord_type)
    body = _page(await Case.raw(board_query(where, q.limit), *args), q.limit)
    if cache:
        cache.put(key, generation, body)
    return expressed_in(body, coord_type)


def _within(near: LngLat, radius_m: float, add: Callable[[str, object], None]) -> None:
    """Rows within ``radius_m`` of ``near``: a box the latitude index narrows, then the
    great-circle distance."""
    dlat = math.degrees(radius_m / EARTH_M)
    dlng = dlat / max(0.01, math.cos(math.radians(near.lat)))
    add("c.lat >= {}", near.lat - dlat)
    add("c.lat <= {}", near.lat + dlat)
    add("c.lng >= {}", near.lng - dlng)
    add("c.lng <= {}", near.lng + dlng)
    lat, lng = float(near.lat), float(near.lng)
    distance = (
        f"2 * {EARTH_M} * asin(sqrt(power(sin(radians(c.lat - {lat}) / 2), 2)"
        f" + cos(radians({lat})) * cos(radians(c.lat))"
        f" * power(sin(radians(c.lng - {lng}) / 2), 2)))"
    )
    add(distance + " <= {}", float(radius_m))


def tasks_query(limit: int) -> str:
    """The SQL of "my tasks" (placeholders: the officer, then their squad or NULL). The
    inner query walks the partial index in order and stops at the limit; type names join
    those rows only. The squad keeps a moved officer from seeing the old squad's cases."""
    return f"""SELECT {_ROW}
              FROM (SELECT * FROM enforcement_case
                     WHERE assignee = {{}} AND state IN ({_TASK_STATES})
                       AND squad IS NOT DISTINCT FROM coalesce({{}}::int, squad)
                     ORDER BY overdue DESC, next_due_at ASC NULLS LAST, id
                     LIMIT {int(limit)}) c
              {_JOIN}
             ORDER BY c.overdue DESC, c.next_due_at ASC NULLS LAST, c.id"""


# Emergencies the officer was sent to and has not reached yet, whoever leads them: they
# head "my tasks" (placeholders: the officer, then their squad or NULL).
EMERGENCY_TASKS = f"""SELECT {_ROW}
      FROM case_responder r
      JOIN enforcement_case c ON c.id = r."case"
      {_JOIN}
     WHERE r.officer = {{}} AND r.arrived_at IS NULL AND c.emergency
       AND c.state IN ({_OPEN_STATES})
       AND c.squad IS NOT DISTINCT FROM coalesce({{}}::int, c.squad)
     ORDER BY r.sent_at DESC, c.id"""


def board_query(where: list[str], limit: int) -> str:
    """The SQL of the board (``{}`` placeholders in ``where``), newest first."""
    return (
        f"SELECT {_ROW} FROM enforcement_case c {_JOIN} WHERE {' AND '.join(where)}"
        f" ORDER BY c.created_at DESC, c.id DESC LIMIT {int(limit)}"
    )


async def my_tasks(
    user_id: int,
    scope: Scope,
    limit: int,
    cache: ReadCache | None,
    coord_type: CoordType = CoordType.wgs84,
) -> bytes:
    """An officer's open work: emergencies they are on the way to first, then overdue,
    then the nearest deadline; locations in ``coord_type``."""
    squad = scope.squad_id
    key = ("tasks", user_id, squad, limit)
    generation = cache.generation(user=user_id) if cache else ()
    if cache and (hit := cache.get(key, generation)) is not None:
        return expressed_in(hit, coord_type)
    calls = await Case.raw(EMERGENCY_TASKS, user_id, squad)
    called = {r["id"] for r in calls}
    tasks = [r for r in await Case.raw(tasks_query(limit), user_id, squad) if r["id"] not in called]
    body = _page([*calls, *tasks][: max(limit, len(calls))], None)
    if cache:
        cache.put(key, generation, body)
    return expressed_in(body, coord_type)


_SCALE = 100_000  # degrees to about a metre


def _inside(polygon: tuple[tuple[float, float], ...], where: list[str], args: list[object]) -> None:
    """Cases whose point lies in the polygon (PostgreSQL's own ``point <@ polygon``), the
    bounding box first so that the location index narrows the rows. The test runs on
    coordinates relative to the first vertex, scaled to about a metre: on raw degrees
    (121.4, 31.0) PostgreSQL's fuzzy geometry counts points 60 m outside as inside."""
    lngs, lats = [p[0] for p in polygon], [p[1] for p in polygon]
    x0, y0 = polygon[0]
    local = ",".join(f"({(x - x0) * _SCALE!r},{(y - y0) * _SCALE!r})" for x, y in polygon)
    where.append(
        "c.lng >= {} AND c.lng <= {} AND c.lat >= {} AND c.lat <= {}"
        f" AND point((c.lng - {{}}) * {_SCALE}, (c.lat - {{}}) * {_SCALE})"
        " <@ ({}::text)::polygon"
    )
    args += [min(lngs), max(lngs), min(lats), max(lats), x0, y0, f"({local})"]
