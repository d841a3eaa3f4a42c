"""Rows of the map queries shaped as GeoJSON features, in the client's coordinate system."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.map.schemas import (
    BlockFeature,
    BlockProperties,
    CameraFeature,
    CameraProperties,
    CaseFeature,
    CaseProperties,
    ClusterProperties,
    GridFeature,
    GridProperties,
    MultiPolygon,
    OfficerEquipment,
    OfficerFeature,
    OfficerProperties,
    Point,
    Polygon,
    SquadFeature,
    SquadProperties,
    SubjectFeature,
    SubjectProperties,
)
from domain.cases.model import State
from domain.geo import CoordType
from domain.org import Role
from storage.map import geometry, point
from storage.map_cases import Cluster

# Positions older than this are drawn faded: the phone has stopped reporting.
STALE_AFTER_S = 300


def squad(r: Any, ct: CoordType) -> SquadFeature:
    props = SquadProperties(
        r["id"], r["code"], r["name_zh"], r["kind"], point(r["centre_lng"], r["centre_lat"], ct)
    )
    return SquadFeature(r["id"], _geometry(r["boundary"], ct), props)


def grid(r: Any, ct: CoordType) -> GridFeature:
    props = GridProperties(r["id"], r["code"], r["name_zh"], r["squad_id"], r["area_m2"])
    return GridFeature(r["id"], _geometry(r["boundary"], ct), props)


def block(r: Any, ct: CoordType) -> BlockFeature:
    ring = [point(v[0], v[1], ct) for v in msgspec.json.decode(r["polygon"])]
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])  # GeoJSON rings are closed
    return BlockFeature(
        r["id"], Polygon([ring]), BlockProperties(r["id"], r["name"], r["squad_id"])
    )


def subject(r: Any, ct: CoordType) -> SubjectFeature:
    props = SubjectProperties(
        subject_id=r["id"],
        kind=r["kind"],
        name=r["name"],
        address=r["address"],
        grade=r["grade"],
        squad_id=r["squad_id"],
        grid_id=r["grid_id"],
    )
    return SubjectFeature(r["id"], Point(point(r["lng"], r["lat"], ct)), props)


def camera(r: Any, ct: CoordType) -> CameraFeature:
    props = CameraProperties(
        camera_id=r["id"],
        device_id=r["device_id"],
        name=r["name"],
        enabled=r["enabled"],
        health=r["health"],
        last_frame_at=r["last_frame_at"],
        squad_id=r["squad_id"],
    )
    return CameraFeature(r["id"], Point(point(r["lng"], r["lat"], ct)), props)


def officer(r: Any, ct: CoordType, now: datetime) -> OfficerFeature:
    located = r["last_located_at"] or r["duty_changed_at"] or now
    age = max(0, int((now - located).total_seconds()))
    props = OfficerProperties(
        officer_id=r["id"],
        display_name=r["display_name"],
        role=Role(r["role"]),
        squad_id=r["squad_id"],
        on_duty=r["on_duty"],
        on_shift=r["on_shift"],
        equipment=msgspec.json.decode(r["equipment"], type=list[OfficerEquipment]),
        located_at=located,
        age_s=age,
        stale=age > STALE_AFTER_S,
    )
    return OfficerFeature(r["id"], Point(point(r["lng"], r["lat"], ct)), props)


def case(r: Any, ct: CoordType) -> CaseFeature:
    state = State(r["state"])
    props = CaseProperties(
        case_id=r["id"],
        number=r["number"],
        state=state,
        state_label_zh=state.label_zh,
        violation_type=r["violation_type"],
        squad_id=r["squad_id"],
        assignee_id=r["assignee"],
        overdue=r["overdue"],
        urgent=r["urgent"],
        next_due_at=r["next_due_at"],
        created_at=r["created_at"],
    )
    return CaseFeature(f"case:{r['id']}", Point(point(r["lng"], r["lat"], ct)), props)


def cluster(c: Cluster, ct: CoordType, cell_deg: float) -> CaseFeature:
    props = ClusterProperties(
        count=c.count,
        overdue=c.overdue,
        by_state={State(k): v for k, v in c.by_state.items()},
        cell_deg=cell_deg,
    )
    return CaseFeature(f"cluster:{c.gx}:{c.gy}", Point(point(c.lng, c.lat, ct)), props)


def _geometry(text: str, ct: CoordType) -> Polygon | MultiPolygon:
    shape = geometry(msgspec.json.decode(text), ct)
    if shape["type"] == "MultiPolygon":
        return MultiPolygon(shape["coordinates"])
    return Polygon(shape["coordinates"])
