"""``/api/v1/hotspots``: the week's hot cells (Gi*, FDR 0.05), repeat places (高发点位) and
a squad's patrol priorities (巡查重点). Everything is limited to the caller's jurisdiction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import h3
import msgspec
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.deps import Caller
from api.schemas import INT4_MAX, CoordTypeQuery, SquadQuery
from domain.duty.roster import parse_week
from domain.geo import CoordType
from domain.hotspots.priorities import GradedSubject, HotCell, Place, rank_priorities
from storage import hotspots as store
from storage import repeat_places
from storage.map import point
from storage.tables import Case

WeekQuery = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^\d{4}-W\d{2}$",
        description="ISO week YYYY-Www (Shanghai); default the last complete week.",
    ),
]
TypeQuery = Annotated[
    str | None,
    QueryParameter(max_length=16, description="Violation type code; omitted: all types."),
]
ResolutionQuery = Annotated[int, QueryParameter(ge=9, le=10, description="H3 resolution.")]
LimitQuery = Annotated[int, QueryParameter(ge=1, le=500)]


class Centre(msgspec.Struct, frozen=True):
    lng: float
    lat: float


class HotspotItem(msgspec.Struct, frozen=True):
    rank: int
    cell: str
    resolution: int
    squad_id: int
    squad_name: str
    violation_type: str | None
    cases: int
    z: float
    p: float
    q: float
    trend: str | None
    weeks_hot: int
    centre: Centre


class HotspotList(msgspec.Struct, frozen=True):
    week: str
    refreshed_at: datetime | None
    items: list[HotspotItem]


class RepeatPlaceItem(msgspec.Struct, frozen=True):
    rank: int
    violation_type: str
    squad_id: int
    cases: int
    case_ids: list[int]
    first_at: datetime
    last_at: datetime
    centre: Centre
    address: str | None


class RepeatPlaceList(msgspec.Struct, frozen=True):
    days: int
    refreshed_at: datetime | None  # when the hourly refresh last found the window's places
    items: list[RepeatPlaceItem]


class PriorityItem(msgspec.Struct, frozen=True):
    rank: int
    kind: str
    score: float
    reason: str
    centre: Centre
    cell: str | None
    subject_id: int | None
    grade: str | None
    violation_type: str | None
    checkin_point_ids: list[int]


class PriorityList(msgspec.Struct, frozen=True):
    week: str
    squad_id: int
    items: list[PriorityItem]


def _week(week: str | None) -> date:
    return parse_week(week) if week is not None else store.last_complete_week()


def _label(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def _centre(lng: float, lat: float, coord_type: CoordType) -> Centre:
    x, y = point(lng, lat, coord_type)
    return Centre(x, y)


def _cell_centre(cell: str, coord_type: CoordType) -> Centre:
    lat, lng = h3.cell_to_latlng(cell)
    return _centre(lng, lat, coord_type)


async def _hotspots(
    principal: Any,
    week: str | None,
    squad_id: int | None,
    type: str | None,
    resolution: int,
    coord_type: CoordType,
    limit: int,
) -> HotspotList:
    monday = _week(week)
    at, rows = await store.hotspots(
        principal.scope,
        monday,
        squad_id=squad_id,
        violation_type=type,
        resolution=resolution,
        limit=limit,
    )
    items = [
        HotspotItem(
            rank=i,
            cell=r.cell,
            resolution=r.resolution,
            squad_id=r.squad_id,
            squad_name=r.squad_name,
            violation_type=r.violation_type or None,
            cases=r.cases,
            z=r.z,
            p=r.p,
            q=r.q,
            trend=r.trend,
            weeks_hot=r.weeks_hot,
            centre=_cell_centre(r.cell, coord_type),
        )
        for i, r in enumerate(rows, start=1)
    ]
    return HotspotList(_label(monday), at, items)


class HotspotController(Controller):
    path = "/api/v1/hotspots"
    tags = ["figures"]

    @get("", operation_id="list_hotspots")
    async def list_hotspots(
        self,
        principal: Caller,
        week: WeekQuery = None,
        squad_id: SquadQuery = None,
        type: TypeQuery = None,
        resolution: ResolutionQuery = 9,
        coord_type: CoordTypeQuery = CoordType.wgs84,
        limit: LimitQuery = 100,
    ) -> HotspotList:
        """The week's hot cells (Getis-Ord Gi* over each squad's cells, Benjamini–Hochberg
        at q = 0.05, z > 0), hottest first, with their trend over the last 4 weeks. Read
        from the refresh job's results (``refreshed_at``); 400 ``week_invalid``."""
        return await _hotspots(principal, week, squad_id, type, resolution, coord_type, limit)

    @get("/geojson", operation_id="hotspots_geojson")
    async def hotspots_geojson(
        self,
        principal: Caller,
        week: WeekQuery = None,
        squad_id: SquadQuery = None,
        type: TypeQuery = None,
        resolution: ResolutionQuery = 9,
        coord_type: CoordTypeQuery = CoordType.wgs84,
        limit: LimitQuery = 100,
    ) -> dict[str, Any]:
        """The same hot cells as a GeoJSON FeatureCollection of hexagons in ``coord_type``."""
        found = await _hotspots(principal, week, squad_id, type, resolution, coord_type, limit)
        features = []
        for item in found.items:
            ring = [point(lng, lat, coord_type) for lat, lng in h3.cell_to_boundary(item.cell)]
            ring.append(ring[0])
            features.append(
                {
                    "type": "Feature",
                    "id": item.cell,
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": msgspec.to_builtins(item),
                }
            )
        return {
            "type": "FeatureCollection",
            "week": found.week,
            "refreshed_at": found.refreshed_at.isoformat() if found.refreshed_at else None,
            "features": features,
        }

    @get("/places", operation_id="list_repeat_places")
    async def list_repeat_places(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        type: TypeQuery = None,
        days: Annotated[
            Literal[7, 30, 90],
            QueryParameter(description="The window: the last 7, 30 or 90 days."),
        ] = 30,
        min_cases: Annotated[int, QueryParameter(ge=2, le=100)] = 3,
        coord_type: CoordTypeQuery = CoordType.wgs84,
        limit: LimitQuery = 100,
    ) -> RepeatPlaceList:
        """Repeat places (高发点位): at least ``min_cases`` cases of one type within 50 m
        in the last ``days`` days, most cases first. Found by the hourly refresh
        (``refreshed_at``), from which ``days`` counts back."""
        at, rows = await repeat_places.places(
            principal.scope,
            days=days,
            min_cases=min_cases,
            squad_id=squad_id,
            violation_type=type,
            limit=limit,
        )
        return RepeatPlaceList(days, at, _place_items(rows, coord_type))


def _place_items(
    rows: list[repeat_places.PlaceRow], coord_type: CoordType
) -> list[RepeatPlaceItem]:
    return [
        RepeatPlaceItem(
            rank=i,
            violation_type=p.violation_type,
            squad_id=p.squad,
            cases=p.cases,
            case_ids=p.case_ids,
            first_at=p.first_at,
            last_at=p.last_at,
            centre=_centre(p.lng, p.lat, coord_type),
            address=p.address or None,
        )
        for i, p in enumerate(rows, start=1)
    ]


class PatrolPriorityController(Controller):
    path = "/api/v1/squads/{squad_id:int}"
    tags = ["figures"]

    @get("/patrol-priorities", operation_id="list_patrol_priorities")
    async def list_patrol_priorities(
        self,
        principal: Caller,
        squad_id: FromPath[Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)]],
        week: WeekQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> PriorityList:
        """The squad's patrol priorities (巡查重点) for the week: D then C subjects inside a
        hot cell, hot cells (persistent, new, intermittent, fading), repeat places, other
        D/C subjects; each with a reason and the check-in points inside it."""
        monday = _week(week)
        scope = principal.scope.narrowed(squad_id)
        _, hot = await store.hotspots(
            scope, monday, squad_id=squad_id, violation_type=None, resolution=9, limit=50
        )
        names = await _type_names()
        cells = [
            HotCell(
                cell=h.cell,
                z=h.z,
                trend=h.trend,
                weeks_hot=h.weeks_hot,
                cases=h.cases,
                type_name=names.get(h.violation_type, "各类违法"),
                violation_type=None,
                lng=h3.cell_to_latlng(h.cell)[1],
                lat=h3.cell_to_latlng(h.cell)[0],
            )
            for h in hot
        ]
        places = [
            Place(
                violation_type=p.violation_type,
                type_name=names.get(p.violation_type, ""),
                cases=p.cases,
                cell=None,
                lng=p.lng,
                lat=p.lat,
            )
            for p in (
                await repeat_places.places(
                    scope, days=30, min_cases=3, squad_id=squad_id, violation_type=None, limit=50
                )
            )[1]
        ]
        subjects = [
            GradedSubject(
                subject_id=r["id"],
                name=r["name"],
                grade=r["grade"],
                cell=h3.latlng_to_cell(r["lat"], r["lng"], 9),
                lng=r["lng"],
                lat=r["lat"],
            )
            for r in await Case.raw(
                "SELECT id, name, grade, lng, lat FROM subject WHERE squad = {}"
                " AND grade IN ('C', 'D') ORDER BY grade DESC, id LIMIT 200",
                squad_id,
            )
        ]
        points = await Case.raw(
            "SELECT id, lng, lat FROM checkin_point WHERE squad = {} ORDER BY id", squad_id
        )
        point_cells = [(r["id"], h3.latlng_to_cell(r["lat"], r["lng"], 9)) for r in points]
        items = []
        for i, pr in enumerate(rank_priorities(cells, places, subjects), start=1):
            cell = pr.cell or h3.latlng_to_cell(pr.lat, pr.lng, 9)
            items.append(
                PriorityItem(
                    rank=i,
                    kind=pr.kind.value,
                    score=round(pr.score, 3),
                    reason=pr.reason,
                    centre=_centre(pr.lng, pr.lat, coord_type),
                    cell=pr.cell,
                    subject_id=pr.subject_id,
                    grade=pr.grade,
                    violation_type=pr.violation_type,
                    checkin_point_ids=[pid for pid, c in point_cells if c == cell],
                )
            )
        return PriorityList(_label(monday), squad_id, items)


async def _type_names() -> dict[str, str]:
    rows = await Case.raw("SELECT code, definition->>'name_zh' AS name_zh FROM violation_type")
    return {r["code"]: r["name_zh"] for r in rows}
