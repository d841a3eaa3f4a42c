"""The camera registry: cameras, their frame sources, legal fields, health and zones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from domain.cameras import SourceAuth, SourceKind, ZoneSpec, check_zones
from domain.errors import Conflict, InvalidInput, NotFound
from domain.geo import LngLat
from domain.org import Scope
from storage.cases import catalogue
from storage.db import engine
from storage.geography import GeoIndex
from storage.scoping import within
from storage.sealing import seal, unseal
from storage.tables import Camera, CameraZone, Case, Outbox, Subject


class CameraRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    device_id: str
    name: str
    lng: float
    lat: float
    squad_id: int | None
    grid_id: int | None
    published_location: str | None
    legal_review_date: date | None
    technical_review_date: date | None
    enabled: bool
    source_kind: SourceKind
    source_url: str
    source_auth: SourceAuth
    has_credentials: bool
    sample_interval_s: int
    active_schedule: list[tuple[str, str]]
    health: str
    last_frame_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    zones: list[ZoneSpec]


_PUBLIC = (
    Camera.id,
    Camera.device_id,
    Camera.name,
    Camera.lng,
    Camera.lat,
    Camera.squad,
    Camera.grid,
    Camera.published_location,
    Camera.legal_review_date,
    Camera.technical_review_date,
    Camera.enabled,
    Camera.source_kind,
    Camera.source_url,
    Camera.source_auth,
    Camera.source_username,
    Camera.sample_interval_s,
    Camera.active_schedule,
    Camera.health,
    Camera.last_frame_at,
    Camera.consecutive_failures,
    Camera.last_error,
)


async def _zones(camera_ids: list[int]) -> dict[int, list[ZoneSpec]]:
    rows = (
        await CameraZone.select()
        .output(load_json=True)
        .where(CameraZone.camera.is_in(camera_ids or [0]))
        .order_by(CameraZone.key)
    )
    out: dict[int, list[ZoneSpec]] = {}
    for r in rows:
        out.setdefault(r["camera"], []).append(
            msgspec.convert(
                {
                    "key": r["key"],
                    "name": r["name"],
                    "polygon": r["polygon"],
                    "rules": r["rules"],
                    "subject_id": r["subject"],
                },
                ZoneSpec,
            )
        )
    return out


def _record(row: dict[str, Any], zones: list[ZoneSpec]) -> CameraRecord:
    values = {k: v for k, v in row.items() if k not in ("squad", "grid", "source_username")}
    values |= {
        "squad_id": row["squad"],
        "grid_id": row["grid"],
        "zones": zones,
        "has_credentials": bool(row["source_username"]),
    }
    return msgspec.convert(values, CameraRecord)


async def list_cameras(scope: Scope, after_id: int, limit: int) -> list[CameraRecord]:
    query = Camera.select(*_PUBLIC).output(load_json=True).where(Camera.id > after_id)
    query = within(query, scope, Camera.squad)
    rows = await query.order_by(Camera.id).limit(limit)
    zones = await _zones([r["id"] for r in rows])
    return [_record(r, zones.get(r["id"], [])) for r in rows]


async def get(camera_id: int, scope: Scope) -> CameraRecord:
    row = await Camera.select(*_PUBLIC).output(load_json=True).where(Camera.id == camera_id).first()
    if row is None or not scope.covers(row["squad"]):
        raise NotFound("camera_not_found", f"no camera {camera_id}")
    return _record(row, (await _zones([camera_id])).get(camera_id, []))


def check_source(kind: SourceKind, url: str) -> None:
    """Credentials go in their own fields (never returned), not inside the URL."""
    schemes = (
        ("http://", "https://") if kind is SourceKind.http_snapshot else ("rtsp://", "rtsps://")
    )
    if url and not url.startswith(schemes):
        raise InvalidInput("source_url_invalid", f"a {kind.value} URL starts with {schemes[0]}")
    if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        raise InvalidInput("source_url_credentials", "put credentials in username/password")


async def save(
    values: dict[str, Any],
    *,
    camera_id: int | None,
    position: LngLat | None,
    geo: GeoIndex,
    now: datetime,
) -> int:
    """Create (``camera_id`` None) or change a camera; squad and grid follow its position."""
    check_source(
        SourceKind(values.get("source_kind", "http_snapshot")), values.get("source_url", "")
    )
    if position is not None:
        placed = await geo.place(position)
        values |= {
            "lng": position.lng,
            "lat": position.lat,
            "squad": placed.squad.id if placed.squad else None,
            "grid": placed.grid.id if placed.grid else None,
        }
    if "source_password" in values:
        values["source_password"] = seal(values["source_password"], "camera.source_password")
    changes: dict[Any, Any] = {**values, "updated_at": now}
    async with engine().transaction():
        if camera_id is None:
            if await Camera.exists().where(Camera.device_id == values["device_id"]):
                raise Conflict("camera_device_taken", f"device {values['device_id']} exists")
            rows = await Camera.insert(Camera(**changes, created_at=now)).returning(Camera.id)
            saved = int(rows[0]["id"])
        else:
            updated = (
                await Camera.update(changes).where(Camera.id == camera_id).returning(Camera.id)
            )
            if not updated:
                raise NotFound("camera_not_found", f"no camera {camera_id}")
            saved = camera_id
    return saved


async def replace_zones(camera_id: int, zones: list[ZoneSpec], now: datetime) -> None:
    """All of a camera's zones at once (what the console's zone editor saves)."""
    check_zones(zones)
    for zone in zones:
        for rule in zone.rules:
            await catalogue.get_active(rule.violation_type)
        if zone.subject_id is not None and not await Subject.exists().where(
            Subject.id == zone.subject_id
        ):
            raise InvalidInput("subject_not_found", f"no subject {zone.subject_id}")
    async with engine().transaction():
        if not await Camera.exists().where(Camera.id == camera_id):
            raise NotFound("camera_not_found", f"no camera {camera_id}")
        await CameraZone.delete().where(CameraZone.camera == camera_id)
        for zone in zones:
            await CameraZone.insert(
                CameraZone(
                    camera=camera_id,
                    key=zone.key,
                    name=zone.name,
                    polygon=msgspec.json.encode(zone.polygon).decode(),
                    rules=msgspec.json.encode(zone.rules).decode(),
                    subject=zone.subject_id,
                    created_at=now,
                )
            )


async def delete(camera_id: int) -> None:
    """Remove a camera no case points at (one that has evidence is disabled instead)."""
    async with engine().transaction():
        if await Case.exists().where(Case.camera == camera_id):
            raise Conflict("camera_in_use", "cases refer to this camera: disable it instead")
        removed = await Camera.delete().where(Camera.id == camera_id).returning(Camera.id)
        if not removed:
            raise NotFound("camera_not_found", f"no camera {camera_id}")


class CameraSource(msgspec.Struct, frozen=True, kw_only=True):
    """What the sampler needs of a camera, credentials included (never leaves the worker)."""

    id: int
    device_id: str
    enabled: bool
    kind: SourceKind
    url: str
    auth: str
    username: str
    password: str
    sample_interval_s: int
    consecutive_failures: int
    position: LngLat
    zones: list[ZoneSpec]


async def source(camera_id: int) -> CameraSource:
    row = await Camera.select().where(Camera.id == camera_id).first()
    if row is None:
        raise NotFound("camera_not_found", f"no camera {camera_id}")
    return CameraSource(
        id=row["id"],
        device_id=row["device_id"],
        enabled=row["enabled"],
        kind=SourceKind(row["source_kind"]),
        url=row["source_url"],
        auth=row["source_auth"],
        username=row["source_username"],
        password=unseal(row["source_password"], "camera.source_password"),
        sample_interval_s=row["sample_interval_s"],
        consecutive_failures=row["consecutive_failures"],
        position=LngLat(row["lng"], row["lat"]),
        zones=(await _zones([camera_id])).get(camera_id, []),
    )


class DueCamera(msgspec.Struct, frozen=True):
    id: int
    sample_interval_s: int
    consecutive_failures: int


async def due_for_sampling() -> list[DueCamera]:
    """Enabled cameras with a frame source (the poller decides the slot)."""
    rows = await Camera.select(
        Camera.id, Camera.sample_interval_s, Camera.consecutive_failures
    ).where((Camera.enabled == True) & (Camera.source_url != ""))  # noqa: E712
    return [DueCamera(r["id"], r["sample_interval_s"], r["consecutive_failures"]) for r in rows]


async def record_frame(camera_id: int, now: datetime) -> None:
    await Camera.update(
        {
            Camera.health: "online",
            Camera.consecutive_failures: 0,
            Camera.last_frame_at: now,
            Camera.last_error: None,
        }
    ).where(Camera.id == camera_id)


async def record_failure(camera_id: int, reason: str, offline_after: int, now: datetime) -> None:
    """Count a failed sample; at ``offline_after`` in a row the camera is offline and the
    operations desk hears of it once (an outbox row), not at every later failure."""
    async with engine().transaction():
        rows = await Camera.raw(
            """UPDATE camera SET consecutive_failures = consecutive_failures + 1,
                      last_error = {}, updated_at = {},
                      health = CASE WHEN consecutive_failures + 1 >= {} THEN 'offline'
                                    ELSE health END
                WHERE id = {}
            RETURNING consecutive_failures, device_id, squad""",
            reason[:500],
            now,
            offline_after,
            camera_id,
        )
        if rows and rows[0]["consecutive_failures"] == offline_after:
            payload = {
                "camera_id": camera_id,
                "device_id": rows[0]["device_id"],
                "squad_id": rows[0]["squad"],
                "reason": reason,
            }
            await Outbox.insert(
                Outbox(
                    kind="notification",
                    topic="camera.offline",
                    recipient_role="commander",
                    payload=msgspec.json.encode(payload).decode(),
                    created_at=now,
                    next_attempt_at=now,
                    dedup_key=f"camera-offline:{camera_id}:{now.isoformat()}",
                )
            )
