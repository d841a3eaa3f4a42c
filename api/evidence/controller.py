"""``/api/v1/cases/{id}/evidence`` (grants) and ``/api/v1/evidence/{id}``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, BinaryIO, cast

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from api.cases.controller import actor_of
from api.deps import Caller, Rt
from domain.evidence import Flag, Kind, Purpose, RejectReason, Status
from domain.geo import CoordType, Location
from domain.moments import AwareDatetime, require_offset
from jobs.evidence import enqueue_check
from offsite.runtime import Runtime
from storage import evidence, packages
from storage.evidence import EvidenceRecord, Grant


class GrantRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    content_type: Annotated[str, msgspec.Meta(examples=["image/jpeg"])]
    purpose: Purpose = Purpose.verification


class CompleteRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the phone knows about the file: where and when it was taken, on what."""

    location: Location | None = None
    captured_at: AwareDatetime | None = None
    device_id: Annotated[str, msgspec.Meta(max_length=128)] | None = None


@dataclass
class DirectUpload:
    """multipart/form-data: ``file`` (its part's content type counts) and optional fields."""

    file: UploadFile
    purpose: Purpose = Purpose.verification
    lng: float | None = None
    lat: float | None = None
    coord_type: CoordType = CoordType.wgs84
    captured_at: datetime | None = None
    device_id: str | None = None


# Largest body the direct upload reads: the largest clip plus the form's own fields.
DIRECT_LIMIT = 61 * 1024 * 1024


class EvidenceRead(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    case_id: int
    kind: Kind
    purpose: Purpose
    status: Status
    reject_reason: RejectReason | None
    sha256: str | None
    size: int | None
    width: int | None
    height: int | None
    flags: list[Flag]
    exif_captured_at: datetime | None
    exif_location: Location | None
    device_captured_at: datetime | None
    device_location: Location | None
    view_url: str | None
    thumbnail_url: str | None
    created_at: datetime
    checked_at: datetime | None


def evidence_read(rt: Runtime, ev: EvidenceRecord) -> EvidenceRead:
    ttl = rt.settings.evidence.view_ttl_s
    verified = ev.status is Status.verified
    return EvidenceRead(
        id=ev.id,
        case_id=ev.case_id,
        kind=ev.kind,
        purpose=ev.purpose,
        status=ev.status,
        reject_reason=ev.reject_reason,
        sha256=ev.sha256,
        size=ev.size,
        width=ev.width,
        height=ev.height,
        flags=ev.flags,
        exif_captured_at=ev.exif_captured_at,
        exif_location=Location.from_wgs84(ev.exif_lng, ev.exif_lat)
        if ev.exif_lng is not None and ev.exif_lat is not None
        else None,
        device_captured_at=ev.device_captured_at,
        device_location=Location.from_wgs84(ev.device_lng, ev.device_lat)
        if ev.device_lng is not None and ev.device_lat is not None
        else None,
        view_url=rt.objects.view_url(ev.object_key, ttl) if verified else None,
        thumbnail_url=rt.objects.view_url(ev.thumbnail_key, ttl)
        if verified and ev.thumbnail_key
        else None,
        created_at=ev.created_at,
        checked_at=ev.checked_at,
    )


class EvidenceController(Controller):
    path = "/api/v1"
    tags = ["evidence"]

    @post(
        "/cases/{case_id:int}/evidence",
        operation_id="grant_evidence_upload",
        status_code=HTTP_201_CREATED,
    )
    async def grant(
        self, rt: Rt, principal: Caller, case_id: FromPath[int], data: JSONBody[GrantRequest]
    ) -> Grant:
        """A presigned POST policy for one file: POST ``fields`` and the file (under
        ``file_field``) to ``url`` (what ``wx.uploadFile`` does), then call complete."""
        return await evidence.grant(
            rt.objects,
            rt.settings.evidence,
            case_id=case_id,
            actor=actor_of(principal),
            scope=principal.scope,
            content_type=data.content_type,
            purpose=data.purpose,
            now=datetime.now(UTC),
        )

    @post(
        "/cases/{case_id:int}/evidence/direct",
        operation_id="upload_evidence_directly",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=DIRECT_LIMIT,
    )
    async def direct(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: Annotated[DirectUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> EvidenceRead:
        """Fallback when the phone cannot POST to the store: one multipart request with the
        file and what ``complete`` takes; the same types, limits and checks apply."""
        location = (
            Location(data.lng, data.lat, data.coord_type)
            if data.lng is not None and data.lat is not None
            else None
        )
        upload = data.file
        size = upload.file.seek(0, 2)
        upload.file.seek(0)
        ev = await evidence.direct(
            rt.objects,
            rt.settings.evidence,
            case_id=case_id,
            actor=actor_of(principal),
            scope=principal.scope,
            content_type=upload.content_type,
            purpose=data.purpose,
            file=cast(BinaryIO, upload.file),
            size=size,
            now=datetime.now(UTC),
            report=evidence.Completion(
                position=location.to_wgs84() if location else None,
                captured_at=require_offset(data.captured_at, "captured_at"),
                device_id=data.device_id,
            ),
        )
        if ev.status is Status.processing:
            await enqueue_check(rt.queue, ev.id)
        return evidence_read(rt, ev)

    @post(
        "/evidence/{evidence_id:uuid}/complete",
        operation_id="complete_evidence_upload",
        status_code=HTTP_202_ACCEPTED,
    )
    async def complete(
        self,
        rt: Rt,
        principal: Caller,
        evidence_id: FromPath[uuid.UUID],
        data: JSONBody[CompleteRequest],
    ) -> EvidenceRead:
        """The upload is done: it is checked in the background; poll the evidence until its
        status is ``verified`` or ``rejected``. Repeating this is harmless."""
        report = evidence.Completion(
            position=data.location.to_wgs84() if data.location else None,
            captured_at=data.captured_at,
            device_id=data.device_id,
        )
        ev = await evidence.complete(evidence_id, principal.scope, report, datetime.now(UTC))
        if ev.status is Status.processing:
            await enqueue_check(rt.queue, ev.id)
        return evidence_read(rt, ev)

    @get(
        "/cases/{case_id:int}/package",
        operation_id="get_case_package",
        media_type="application/zip",
    )
    async def package(self, rt: Rt, principal: Caller, case_id: FromPath[int]) -> Stream:
        """The evidence package: a zip of the checked files, ``manifest.json`` (hashes,
        capture times and places, devices, uploaders, and every evidence item of the case
        with its status) and ``timeline.json`` (the audit chain), streamed. While a file's
        check is running: 409 ``evidence_checks_pending`` with ``Retry-After``.
        ``offsite verify-package FILE`` checks one."""
        chunks = await packages.package(rt.objects, case_id, principal.scope, datetime.now(UTC))
        return Stream(
            chunks,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="case-{case_id}-evidence.zip"',
            },
        )

    @get("/evidence/{evidence_id:uuid}", operation_id="get_evidence")
    async def get_evidence(
        self, rt: Rt, principal: Caller, evidence_id: FromPath[uuid.UUID]
    ) -> EvidenceRead:
        """Status, hash, flags, and short-lived links to the file and its thumbnail."""
        return evidence_read(rt, await evidence.get(evidence_id, principal.scope))
