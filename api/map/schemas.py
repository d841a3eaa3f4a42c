"""GeoJSON (RFC 7946) shapes of the console map's layers.

Every layer is a ``FeatureCollection`` whose features carry a typed ``properties``
object; positions are ``[lng, lat]`` in the collection's ``coord_type`` (a foreign
member: RFC 7946 assumes WGS-84, the Chinese base maps do not).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from domain.cases.model import State
from domain.geo import CoordType
from domain.org import Role
from domain.patrol.equipment import EquipmentKind

Position = Annotated[
    list[float], msgspec.Meta(min_length=2, max_length=2, description="[lng, lat]")
]
Ring = list[Position]


class Point(msgspec.Struct, frozen=True, tag_field="type", tag="Point"):
    coordinates: Position


class Polygon(msgspec.Struct, frozen=True, tag_field="type", tag="Polygon"):
    coordinates: list[Ring]


class MultiPolygon(msgspec.Struct, frozen=True, tag_field="type", tag="MultiPolygon"):
    coordinates: list[list[Ring]]


Area = Polygon | MultiPolygon
_FEATURE = {"tag_field": "type", "tag": "Feature", "frozen": True}
_COLLECTION = {"tag_field": "type", "tag": "FeatureCollection", "frozen": True, "kw_only": True}
CoordTypeMember = Annotated[
    CoordType, msgspec.Meta(description="Coordinate system of every position in the layer.")
]


# squads (中队辖区)
class SquadProperties(msgspec.Struct, frozen=True):
    squad_id: int
    code: str
    name_zh: str
    kind: str
    centre: Annotated[Position, msgspec.Meta(description="A point for the squad's label.")]


class SquadFeature(msgspec.Struct, **_FEATURE):
    id: int
    geometry: Area
    properties: SquadProperties


class SquadLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    features: list[SquadFeature]


# grid cells (单元网格)
class GridProperties(msgspec.Struct, frozen=True):
    grid_id: int
    code: str
    name_zh: str
    squad_id: int
    area_m2: float


class GridFeature(msgspec.Struct, **_FEATURE):
    id: int
    geometry: Area
    properties: GridProperties


class GridLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    features: list[GridFeature]


# street blocks (美丽街区)
class BlockProperties(msgspec.Struct, frozen=True):
    block_id: int
    name: str
    squad_id: int | None


class BlockFeature(msgspec.Struct, **_FEATURE):
    id: int
    geometry: Polygon
    properties: BlockProperties


class BlockLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    features: list[BlockFeature]


# subjects (监管对象)
class SubjectProperties(msgspec.Struct, frozen=True, kw_only=True):
    subject_id: int
    kind: str
    name: str
    address: str
    grade: Annotated[str, msgspec.Meta(description="分类分级 A (low) … D (high risk).")]
    squad_id: int | None
    grid_id: int | None


class SubjectFeature(msgspec.Struct, **_FEATURE):
    id: int
    geometry: Point
    properties: SubjectProperties


class SubjectLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    truncated: Annotated[bool, msgspec.Meta(description="More than 5,000: narrow the bbox.")]
    features: list[SubjectFeature]


# cameras (with health)
class CameraProperties(msgspec.Struct, frozen=True, kw_only=True):
    camera_id: int
    device_id: str
    name: str
    enabled: bool
    health: Annotated[str, msgspec.Meta(description="unknown | online | offline")]
    last_frame_at: datetime | None
    squad_id: int | None


class CameraFeature(msgspec.Struct, **_FEATURE):
    id: int
    geometry: Point
    properties: CameraProperties


class CameraLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    truncated: bool
    features: list[CameraFeature]


# officers (last known position)
class OfficerEquipment(msgspec.Struct, frozen=True):
    """An item the officer holds now (装备: assigned for the current span)."""

    kind: EquipmentKind
    label: str


class OfficerProperties(msgspec.Struct, frozen=True, kw_only=True):
    officer_id: int
    display_name: str
    role: Role
    squad_id: int | None
    on_duty: Annotated[bool, msgspec.Meta(description="在岗: what the phone says.")]
    on_shift: Annotated[
        bool,
        msgspec.Meta(
            description="在班: a roster shift covers the moment of the answer (and no leave)."
        ),
    ]
    equipment: Annotated[
        list[OfficerEquipment], msgspec.Meta(description="What they hold now (装备).")
    ]
    located_at: Annotated[datetime, msgspec.Meta(description="When the position was taken.")]
    age_s: Annotated[int, msgspec.Meta(description="Age of the position when answered, s.")]
    stale: Annotated[
        bool, msgspec.Meta(description="Older than 5 minutes: drawn faded on the console.")
    ]


class OfficerFeature(msgspec.Struct, **_FEATURE):
    id: int
    geometry: Point
    properties: OfficerProperties


class OfficerLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    at: Annotated[datetime, msgspec.Meta(description="When the layer was read.")]
    features: list[OfficerFeature]


# open cases: single ones, or clusters
class CaseProperties(msgspec.Struct, frozen=True, kw_only=True, tag="case", tag_field="kind"):
    case_id: int
    number: str
    state: State
    state_label_zh: str
    violation_type: str
    squad_id: int | None
    assignee_id: int | None
    overdue: bool
    urgent: bool
    next_due_at: datetime | None
    created_at: datetime


class ClusterProperties(msgspec.Struct, frozen=True, kw_only=True, tag="cluster", tag_field="kind"):
    count: Annotated[int, msgspec.Meta(description="Open cases in the cell.")]
    overdue: Annotated[int, msgspec.Meta(description="Of which overdue (超期).")]
    by_state: Annotated[dict[State, int], msgspec.Meta(description="Counts per open state.")]
    cell_deg: Annotated[float, msgspec.Meta(description="Side of the cell, WGS-84 degrees.")]


class CaseFeature(msgspec.Struct, **_FEATURE):
    id: Annotated[str, msgspec.Meta(description="case:<id>, or cluster:<gx>:<gy>")]
    geometry: Point
    properties: CaseProperties | ClusterProperties


class CaseLayer(msgspec.Struct, **_COLLECTION):
    coord_type: CoordTypeMember
    zoom: int
    clustered: Annotated[
        bool,
        msgspec.Meta(
            description="True: the features are clusters (``kind=cluster``) with counts; false:"
            " single cases (``kind=case``)."
        ),
    ]
    total: Annotated[int, msgspec.Meta(description="Open cases in the box (the scope's).")]
    truncated: Annotated[bool, msgspec.Meta(description="Single cases beyond 5,000 left out.")]
    features: list[CaseFeature]


# the base layer setting
class MapConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The base layer (底图) the console draws under the overlays."""

    base: Annotated[
        Literal["none", "tianditu", "amap", "tencent"],
        msgspec.Meta(
            description="none: no tiles, the district's GeoJSON (squads, grid cells) is the map."
        ),
    ]
    name_zh: str
    coord_type: Annotated[
        CoordType,
        msgspec.Meta(description="Ask every overlay in this (``?coord_type=``)."),
    ]
    tile_url: Annotated[
        str | None,
        msgspec.Meta(description="Leaflet URL template ({s}, {z}, {x}, {y} or {-y})."),
    ]
    label_url: Annotated[str | None, msgspec.Meta(description="An annotation layer above.")]
    subdomains: str
    attribution: str
    max_zoom: int
    centre: Annotated[Position, msgspec.Meta(description="District centre, in coord_type.")]
    zoom: Annotated[int, msgspec.Meta(description="Zoom that shows the whole district.")]
