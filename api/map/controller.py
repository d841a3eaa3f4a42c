"""``/api/v1/map``: the command console's layers as GeoJSON, and officers live.

For the command centre, supervisors and admins (the district), and squad leaders (their
squad). Every layer answers in ``coord_type``, the system of the client's base layer
(``GET /api/v1/map/config``), so that an overlay sits on the same street on 天地图
(WGS-84) as on 高德 or 腾讯 (GCJ-02).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent

from api.deps import Caller, Hub, Rt
from api.map import layers
from api.map.basemap import base_of, district_view
from api.map.live import officer_events
from api.map.schemas import (
    BlockLayer,
    CameraLayer,
    CaseLayer,
    GridLayer,
    MapConfig,
    OfficerLayer,
    SquadLayer,
    SubjectLayer,
)
from api.schemas import CoordTypeQuery, SquadQuery
from api.security import requires_role
from domain.geo import CoordType
from domain.geo.mapview import CHINA, MAX_ZOOM, BBox, cluster_cell_deg
from domain.org import Role
from storage import map as layer_rows
from storage import map_cases
from storage.map import POINT_LAYER_LIMIT

console = requires_role(Role.squad_leader, Role.commander, Role.supervisor, Role.admin)

BBoxQuery = Annotated[
    str | None,
    QueryParameter(
        max_length=120,
        description="`west,south,east,north` in decimal degrees, in `coord_type` (the map's"
        " visible bounds); within China's range lng 72.004..137.8347, lat 0.8293..55.8271,"
        " else 400 `bbox_invalid`. Omitted: everywhere.",
    ),
]
ZoomQuery = Annotated[
    int,
    QueryParameter(
        ge=0,
        le=MAX_ZOOM,
        description="The map's web-Mercator zoom level, 0..20. Sizes the cluster grid: a cell"
        " is a quarter of a 256-px tile (360 / 2^zoom / 4 degrees), about 64 px on screen.",
    ),
]
OnDutyQuery = Annotated[
    bool | None, QueryParameter(description="Only officers on (true) or off (false) duty.")
]


def _box(bbox: str | None, coord_type: CoordType) -> BBox | None:
    return BBox.parse(bbox).to_wgs84(coord_type) if bbox is not None else None


class MapController(Controller):
    path = "/api/v1/map"
    tags = ["map"]
    guards = [console]

    @get("/config", operation_id="get_map_config")
    async def config(self, rt: Rt) -> MapConfig:
        """The base layer this installation draws (``OFFSITE_MAP_BASE``) and the
        coordinate system to ask every overlay in. ``base=none`` (isolated networks,
        tests): no tiles; the squads' and grid cells' polygons are the map."""
        base = base_of(rt.settings.map)
        centre, zoom = district_view(base.coord_type)
        return MapConfig(
            base=rt.settings.map.base,  # type: ignore[arg-type]  # checked by MapSettings
            name_zh=base.name_zh,
            coord_type=base.coord_type,
            tile_url=base.tile_url,
            label_url=base.label_url,
            subdomains=base.subdomains,
            attribution=base.attribution,
            max_zoom=base.max_zoom,
            centre=centre,
            zoom=zoom,
        )

    @get("/squads", operation_id="map_squads")
    async def squads(
        self, principal: Caller, coord_type: CoordTypeQuery = CoordType.wgs84
    ) -> SquadLayer:
        """Squads' jurisdiction polygons (中队辖区): all 14 for the district roles, their
        own for a squad leader."""
        rows = await layer_rows.squads(principal.scope)
        return SquadLayer(
            coord_type=coord_type, features=[layers.squad(r, coord_type) for r in rows]
        )

    @get("/grids", operation_id="map_grids")
    async def grids(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> GridLayer:
        """Grid cells (单元网格) as polygons, optionally of one squad."""
        rows = await layer_rows.grids(principal.scope.narrowed(squad_id))
        return GridLayer(coord_type=coord_type, features=[layers.grid(r, coord_type) for r in rows])

    @get("/blocks", operation_id="map_blocks")
    async def blocks(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> BlockLayer:
        """Street blocks (美丽街区) as polygons."""
        rows = await layer_rows.blocks(principal.scope.narrowed(squad_id))
        return BlockLayer(
            coord_type=coord_type, features=[layers.block(r, coord_type) for r in rows]
        )

    @get("/subjects", operation_id="map_subjects")
    async def subjects(
        self,
        principal: Caller,
        bbox: BBoxQuery = None,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> SubjectLayer:
        """Supervised subjects (监管对象) as points with kind and grade; at most 5,000
        (``truncated``): pass the visible ``bbox``."""
        scope = principal.scope.narrowed(squad_id)
        rows = await layer_rows.subjects(scope, _box(bbox, coord_type))
        return SubjectLayer(
            coord_type=coord_type,
            truncated=len(rows) == POINT_LAYER_LIMIT,
            features=[layers.subject(r, coord_type) for r in rows],
        )

    @get("/cameras", operation_id="map_cameras")
    async def cameras(
        self,
        principal: Caller,
        bbox: BBoxQuery = None,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> CameraLayer:
        """Cameras as points with their health (``online``, ``offline``, ``unknown``)."""
        scope = principal.scope.narrowed(squad_id)
        rows = await layer_rows.cameras(scope, _box(bbox, coord_type))
        return CameraLayer(
            coord_type=coord_type,
            truncated=len(rows) == POINT_LAYER_LIMIT,
            features=[layers.camera(r, coord_type) for r in rows],
        )

    @get("/officers", operation_id="map_officers")
    async def officers(
        self,
        principal: Caller,
        on_duty: OnDutyQuery = None,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> OfficerLayer:
        """Officers and squad leaders at their last known position (from the phone's
        ``PUT /api/v1/me/duty``), with its age; ``stale`` after 5 minutes. Live:
        ``GET /api/v1/map/officers/stream``."""
        now = datetime.now(UTC)
        rows = await layer_rows.officers(principal.scope.narrowed(squad_id), on_duty)
        return OfficerLayer(
            coord_type=coord_type,
            at=now,
            features=[layers.officer(r, coord_type, now) for r in rows],
        )

    @get("/officers/stream", operation_id="map_officers_stream", timeout=None)
    async def officers_stream(
        self,
        rt: Rt,
        principal: Caller,
        hub: Hub,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> ServerSentEvent:
        """Server-Sent Events: first a ``positions`` event with every officer of the
        scope (as ``GET /map/officers``), then a ``positions`` event with the officers
        whose position or duty changed, within a fraction of a second of their phone's
        ``PUT /api/v1/me/duty``. Each event's data is an officers FeatureCollection. A
        comment line every 15 s keeps proxies from closing it; the stream ends by then
        once the sign-in has ended. Reconnect to start again from a full snapshot."""
        scope = principal.scope.narrowed(squad_id)
        return ServerSentEvent(officer_events(principal, scope, hub, coord_type, rt.ended_sessions))

    @get("/cases", operation_id="map_cases")
    async def cases(
        self,
        principal: Caller,
        bbox: BBoxQuery = None,
        zoom: ZoomQuery = 12,
        squad_id: SquadQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> CaseLayer:
        """Open cases (not closed or dismissed) in the box, built for 100,000 of them.

        The database counts them on a grid of ``zoom`` (see ``zoom``). When the box
        holds at most 500, or ``zoom`` ≥ 17, the answer is the single cases
        (``clustered=false``; features ``kind=case`` with state, ``overdue`` and number,
        at most 5,000, newest first: ``truncated``). Otherwise it is one feature per
        non-empty cell (``clustered=true``; ``kind=cluster``) at the mean position of its
        cases, with ``count``, ``overdue`` and ``by_state``; the counts add up to
        ``total``. Colour by state and overdue; zoom in on a cluster to split it."""
        box = _box(bbox, coord_type) or CHINA
        found = await map_cases.in_box(principal.scope.narrowed(squad_id), box, zoom)
        cell = cluster_cell_deg(zoom)
        if found.clusters is not None:
            features = [layers.cluster(c, coord_type, cell) for c in found.clusters]
        else:
            features = [layers.case(r, coord_type) for r in found.points or []]
        return CaseLayer(
            coord_type=coord_type,
            zoom=zoom,
            clustered=found.clusters is not None,
            total=found.total,
            truncated=found.clusters is None and len(features) < found.total,
            features=features,
        )
