"""Camera alerts become cases: one case per (camera, zone, violation type) while it is
open, with the raw and the annotated frame as evidence; later samples add observations
("still present", "cleared") to that case instead of new cases."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timedelta

import msgspec

from domain.cases.machine import SYSTEM, Actor
from domain.cases.model import Action, Source, State
from domain.evidence import Flag, Kind, Purpose, Status
from domain.geo import LngLat
from storage.cases import timeline
from storage.cases.commands import Deps, NewCase, create_case, same_external
from storage.db import engine
from storage.media import MediaFetch, queue_fetch
from storage.objects import ObjectStore
from storage.tables import Case, Evidence

CAMERA_ACTOR: Actor = SYSTEM


class Frame(msgspec.Struct, frozen=True):
    raw: bytes
    annotated: bytes
    content_type: str = "image/jpeg"


async def open_case(camera_id: int, zone_key: str, violation_type: str) -> int | None:
    """The open case this camera zone raised for this type, if any."""
    row = (
        await Case.select(Case.id)
        .where(
            (Case.camera == camera_id)
            & (Case.zone_key == zone_key)
            & (Case.violation_type == violation_type)
            & Case.state.not_in([State.closed.value, State.dismissed.value])
        )
        .first()
    )
    return int(row["id"]) if row else None


async def recently_closed(
    camera_id: int, zone_key: str, violation_type: str, since: datetime
) -> bool:
    """A case of the same zone and type closed within the cooldown (survives restarts)."""
    return bool(
        await Case.exists().where(
            (Case.camera == camera_id)
            & (Case.zone_key == zone_key)
            & (Case.violation_type == violation_type)
            & (Case.updated_at >= since)
            & Case.state.is_in([State.closed.value, State.dismissed.value])
        )
    )


async def raise_alert(
    deps: Deps,
    store: ObjectStore,
    *,
    camera_id: int,
    position: LngLat,
    zone_key: str,
    violation_type: str,
    subject_id: int | None,
    frame: Frame,
    detail: dict[str, object],
    cooldown_s: int,
    now: datetime,
) -> int | None:
    """The case for a firing (new, or the open one observed again); None in cooldown."""
    existing = await open_case(camera_id, zone_key, violation_type)
    if existing is not None:
        await observe(existing, "still_present", detail, now)
        return existing
    if await recently_closed(
        camera_id, zone_key, violation_type, now - timedelta(seconds=cooldown_s)
    ):
        return None
    async with engine().transaction():
        case = await create_case(
            deps,
            NewCase(
                source=Source.camera,
                violation_type=violation_type,
                position=position,
                subject_id=subject_id,
                camera_id=camera_id,
            ),
            CAMERA_ACTOR,
            now,
        )
        await Case.update({Case.zone_key: zone_key}).where(Case.id == case.id)
        for kind, data in ((Kind.camera_frame, frame.raw), (Kind.annotated_frame, frame.annotated)):
            await attach_frame(
                store,
                case.id,
                kind,
                data,
                frame.content_type,
                detail,
                now,
                await camera_flags(camera_id),
            )
    return case.id


async def camera_flags(camera_id: int | None) -> tuple[Flag, ...]:
    """Flags its frames carry: none for a camera with its legal fields complete."""
    from storage.tables import Camera

    if camera_id is None:
        return (Flag.camera_not_reviewed,)
    row = (
        await Camera.select(
            Camera.published_location, Camera.legal_review_date, Camera.technical_review_date
        )
        .where(Camera.id == camera_id)
        .first()
    )
    if (
        row
        and row["published_location"]
        and row["legal_review_date"]
        and (row["technical_review_date"])
    ):
        return ()
    return (Flag.camera_not_reviewed,)


async def attach_frame(
    store: ObjectStore,
    case_id: int,
    kind: Kind,
    data: bytes,
    content_type: str,
    detail: dict[str, object],
    now: datetime,
    flags: tuple[Flag, ...] = (),
) -> None:
    """A frame as verified evidence of the case, its hash in the audit chain."""
    evidence_id = uuid.uuid4()
    key = f"evidence/{case_id}/{evidence_id}"
    digest = hashlib.sha256(data).hexdigest()
    await asyncio.to_thread(store.put_bytes, key, data, content_type)
    await Evidence.insert(
        Evidence(
            id=evidence_id,
            case=case_id,
            kind=kind.value,
            purpose=Purpose.report.value,
            status=Status.verified.value,
            object_key=key,
            content_type=content_type,
            max_bytes=len(data),
            size=len(data),
            sha256=digest,
            created_at=now,
            grant_expires_at=now,
            completed_at=now,
            checked_at=now,
            flags=msgspec.json.encode([f.value for f in flags]).decode(),
        )
    )
    await timeline.note(
        case_id,
        action=Action.evidence.value,
        at=now,
        data={
            "evidence_id": str(evidence_id),
            "sha256": digest,
            "size": len(data),
            "kind": kind.value,
            "purpose": Purpose.report.value,
            "flags": [f.value for f in flags],
            **detail,
        },
    )


async def observe(case_id: int, what: str, detail: dict[str, object], now: datetime) -> None:
    """A camera observation on the case (still present / cleared)."""
    await timeline.note(
        case_id, action=Action.observation.value, at=now, data={"observation": what, **detail}
    )


class AlarmBox(msgspec.Struct, frozen=True):
    label: str
    score: float
    x1: float
    y1: float
    x2: float
    y2: float


class Alarm(msgspec.Struct, frozen=True, kw_only=True):
    """A vendor AI box's or video platform's alarm, as the integrator API receives it."""

    alarm_id: str
    device_id: str
    violation_type: str
    occurred_at: datetime
    image: bytes | None
    position: LngLat | None
    boxes: list[AlarmBox]
    description: str = ""
    image_url: str | None = None  # fetched afterwards by the outbox


class AlarmResult(msgspec.Struct, frozen=True):
    case_id: int
    number: str
    duplicate: bool


async def intake_alarm(
    deps: Deps, store: ObjectStore, alarm: Alarm, key_id: int | None, now: datetime
) -> AlarmResult:
    """Turn an alarm into a case (source ``alarm``), once per alarm id of the sending
    key (``key_id``; two vendors' boxes may number their alarms alike)."""
    from storage.tables import Camera

    camera = (
        await Camera.select(Camera.id, Camera.lng, Camera.lat)
        .where(Camera.device_id == alarm.device_id)
        .first()
    )
    position = alarm.position or (LngLat(camera["lng"], camera["lat"]) if camera else None)
    if position is None:
        from domain.errors import InvalidInput

        raise InvalidInput("location_required", "unknown device: send the alarm's location")
    async with engine().transaction():
        # Concurrent sends of one alarm (by one sender) queue up here; the first creates
        # the case.
        await Case.raw(
            "SELECT pg_advisory_xact_lock(hashtext({}))", f"alarm:{key_id}:{alarm.alarm_id}"
        )
        existing = (
            await Case.select(Case.id, Case.number)
            .where(same_external(Source.alarm, key_id, alarm.alarm_id))
            .first()
        )
        if existing is not None:
            return AlarmResult(existing["id"], existing["number"], True)
        case = await create_case(
            deps,
            NewCase(
                source=Source.alarm,
                violation_type=alarm.violation_type,
                position=position,
                camera_id=camera["id"] if camera else None,
                external_id=alarm.alarm_id,
                origin_key=key_id,
                description=alarm.description,
            ),
            CAMERA_ACTOR,
            now,
        )
        detail: dict[str, object] = {
            "alarm_id": alarm.alarm_id,
            "device_id": alarm.device_id,
            "occurred_at": alarm.occurred_at.isoformat(),
        }
        if alarm.image_url is not None:
            await queue_fetch(
                case.id,
                MediaFetch(
                    url=alarm.image_url,
                    kind=Kind.camera_frame,
                    detail=detail,
                    boxes=[(b.label, b.score, (b.x1, b.y1, b.x2, b.y2)) for b in alarm.boxes],
                    caption=f"{alarm.device_id}  {alarm.alarm_id}",
                    camera_id=camera["id"] if camera else None,
                ),
                f"alarm:{case.id}",
                now,
            )
        if alarm.image is not None:
            flags = await camera_flags(camera["id"] if camera else None)
            await attach_frame(
                store, case.id, Kind.camera_frame, alarm.image, "image/jpeg", detail, now, flags
            )
            if alarm.boxes:
                from vision.annotate import annotate

                boxes = [(b.label, b.score, (b.x1, b.y1, b.x2, b.y2)) for b in alarm.boxes]
                drawn = await asyncio.to_thread(
                    annotate, alarm.image, boxes, [], f"{alarm.device_id}  {alarm.alarm_id}"
                )
                await attach_frame(
                    store, case.id, Kind.annotated_frame, drawn, "image/jpeg", detail, now, flags
                )
    return AlarmResult(case.id, case.number, False)
