"""Evidence use cases: grant an upload, take the phone's word that it is done, and check
what arrived (hash, type, decode, EXIF, thumbnail, on-site flags).

Phones upload straight to object storage with a presigned POST policy (what
``wx.uploadFile`` can send); the store itself refuses the wrong key, type or size. The
check runs in a job; a refused object is deleted, a verified one is never written again,
and its hash enters the case's audit chain.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import tempfile
import uuid
from datetime import datetime, timedelta
from typing import IO, Any, BinaryIO

import msgspec
from minio.datatypes import PostPolicy
from minio.error import S3Error

from domain.cases.machine import Actor
from domain.cases.model import Action
from domain.errors import Conflict, InvalidInput, NotFound
from domain.evidence import ACCEPTED_TYPES, Flag, Kind, Purpose, RejectReason, Status, onsite_flags
from domain.geo import LngLat
from domain.org import Scope
from offsite.settings import EvidenceSettings
from storage.cases import records, timeline
from storage.db import engine
from storage.objects import ObjectStore
from storage.tables import Evidence
from vision.imaging import ImageRejected, inspect_image

FILE_FIELD = "file"
_MP4_BRANDS = (b"ftyp",)


class Grant(msgspec.Struct, frozen=True):
    """Everything ``wx.uploadFile`` needs: POST ``url`` with ``fields`` and the file under
    ``file_field``; then report it done at /evidence/{evidence_id}/complete."""

    evidence_id: uuid.UUID
    url: str
    fields: dict[str, str]
    file_field: str
    max_bytes: int
    expires_at: datetime


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """What the phone says about the file it uploaded."""

    position: LngLat | None = None
    captured_at: datetime | None = None
    device_id: str | None = None


class EvidenceRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    case_id: int
    kind: Kind
    purpose: Purpose
    status: Status
    reject_reason: RejectReason | None
    object_key: str
    content_type: str
    max_bytes: int
    size: int | None
    sha256: str | None
    width: int | None
    height: int | None
    thumbnail_key: str | None
    exif_captured_at: datetime | None
    exif_lng: float | None
    exif_lat: float | None
    device_captured_at: datetime | None
    device_lng: float | None
    device_lat: float | None
    device_id: str | None
    flags: list[Flag]
    uploader_id: int | None
    created_at: datetime
    grant_expires_at: datetime
    completed_at: datetime | None
    checked_at: datetime | None


def _record(row: dict[str, Any]) -> EvidenceRecord:
    renamed = {{"case": "case_id", "uploader": "uploader_id"}.get(k, k): v for k, v in row.items()}
    if isinstance(renamed["flags"], str):
        renamed["flags"] = msgspec.json.decode(renamed["flags"])
    return msgspec.convert(renamed, EvidenceRecord)


async def get(evidence_id: uuid.UUID, scope: Scope) -> EvidenceRecord:
    """The evidence, if its case lies in ``scope``."""
    row = await Evidence.select().output(load_json=True).where(Evidence.id == evidence_id).first()
    if row is None or await records.get_visible(row["case"], scope) is None:
        raise NotFound("evidence_not_found", f"no evidence {evidence_id}")
    return _record(row)


async def of_case(case_id: int) -> list[EvidenceRecord]:
    rows = (
        await Evidence.select()
        .output(load_json=True)
        .where(Evidence.case == case_id)
        .order_by(Evidence.created_at)
    )
    return [_record(r) for r in rows]


async def grant(
    store: ObjectStore,
    settings: EvidenceSettings,
    *,
    case_id: int,
    actor: Actor,
    scope: Scope,
    content_type: str,
    purpose: Purpose,
    now: datetime,
) -> Grant:
    """An upload grant for one file of an open case in the caller's jurisdiction."""
    kind = ACCEPTED_TYPES.get(content_type)
    if kind is None:
        raise InvalidInput(
            "content_type_unsupported", f"accepted: {', '.join(sorted(ACCEPTED_TYPES))}"
        )
    record = await records.get_visible(case_id, scope)
    if record is None:
        raise NotFound("case_not_found", f"no case {case_id}")
    if not record.state.is_open:
        raise Conflict("case_state_invalid", f"the case is {record.state.value}")
    evidence_id = uuid.uuid4()
    # Unguessable even to someone who knows the case and the evidence id.
    key = f"cases/{case_id}/{evidence_id}-{secrets.token_urlsafe(12)}"
    max_bytes = settings.video_max_bytes if kind is Kind.video else settings.photo_max_bytes
    expires_at = now + timedelta(seconds=settings.grant_ttl_s)
    await Evidence.insert(
        Evidence(
            id=evidence_id,
            case=case_id,
            kind=kind.value,
            purpose=purpose.value,
            status=Status.granted.value,
            object_key=key,
            content_type=content_type,
            max_bytes=max_bytes,
            uploader=actor.user_id,
            created_at=now,
            grant_expires_at=expires_at,
        )
    )
    policy = PostPolicy(store.bucket, expires_at)
    policy.add_equals_condition("key", key)
    policy.add_equals_condition("Content-Type", content_type)
    policy.add_content_length_range_condition(1, max_bytes)
    fields = store.post_policy_fields(policy)
    fields = {**fields, "key": key, "Content-Type": content_type}
    return Grant(evidence_id, store.upload_url(), fields, FILE_FIELD, max_bytes, expires_at)


async def direct(
    store: ObjectStore,
    settings: EvidenceSettings,
    *,
    case_id: int,
    actor: Actor,
    scope: Scope,
    content_type: str,
    purpose: Purpose,
    file: BinaryIO,
    size: int,
    report: Completion,
    now: datetime,
) -> EvidenceRecord:
    """The fallback for clients that cannot POST to the store: the API receives the file
    (spooled, bounded) and puts it under a grant of its own, already completed."""
    granted = await grant(
        store,
        settings,
        case_id=case_id,
        actor=actor,
        scope=scope,
        content_type=content_type,
        purpose=purpose,
        now=now,
    )
    if size > granted.max_bytes:
        raise InvalidInput("file_too_large", f"at most {granted.max_bytes} bytes")
    key = granted.fields["key"]
    await asyncio.to_thread(store.put_stream, key, file, size, content_type)
    return await complete(granted.evidence_id, scope, report, now)


async def complete(
    evidence_id: uuid.UUID, scope: Scope, report: Completion, now: datetime
) -> EvidenceRecord:
    """The phone says the upload is done: record what it says and queue the check.
    Saying it twice is harmless."""
    async with engine().transaction():
        row = (
            await Evidence.select()
            .output(load_json=True)
            .where(Evidence.id == evidence_id)
            .lock_rows("UPDATE")
            .first()
        )
        if row is None or await records.get_visible(row["case"], scope) is None:
            raise NotFound("evidence_not_found", f"no evidence {evidence_id}")
        if row["status"] == Status.granted.value:
            expired = row["grant_expires_at"] < now
            await Evidence.update(
                {
                    Evidence.status: Status.rejected.value if expired else Status.processing.value,
                    Evidence.reject_reason: RejectReason.grant_expired.value if expired else None,
                    Evidence.completed_at: now,
                    Evidence.device_captured_at: report.captured_at,
                    Evidence.device_id: report.device_id,
                    Evidence.device_lng: report.position.lng if report.position else None,
                    Evidence.device_lat: report.position.lat if report.position else None,
                }
            ).where(Evidence.id == evidence_id)
        done = (
            await Evidence.select().output(load_json=True).where(Evidence.id == evidence_id).first()
        )
    assert done is not None
    return _record(done)


async def check(
    store: ObjectStore, settings: EvidenceSettings, evidence_id: uuid.UUID, now: datetime
) -> EvidenceRecord | None:
    """Check one completed upload (the job's body); None when another worker has it or
    it was already checked."""
    async with engine().transaction():
        row = (
            await Evidence.select()
            .output(load_json=True)
            .where((Evidence.id == evidence_id) & (Evidence.status == Status.processing.value))
            .lock_rows("UPDATE", skip_locked=True)
            .first()
        )
        if row is None:
            return None
        ev = _record(row)
        outcome = await asyncio.to_thread(_examine, store, settings, ev)
        if isinstance(outcome, RejectReason):
            await asyncio.to_thread(store.remove, final_key(ev))
            await Evidence.update(
                {
                    Evidence.status: Status.rejected.value,
                    Evidence.reject_reason: outcome.value,
                    Evidence.checked_at: now,
                }
            ).where(Evidence.id == evidence_id)
        else:
            await _accept(ev, outcome, settings, now)
        done = (
            await Evidence.select().output(load_json=True).where(Evidence.id == evidence_id).first()
        )
    assert done is not None
    return _record(done)


class _Examined(msgspec.Struct, frozen=True):
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    captured_at: datetime | None = None
    gps: tuple[float, float] | None = None
    thumbnail_key: str | None = None


_MISSING = ("NoSuchKey", "NoSuchObject", "NotFound")


def _exists(store: ObjectStore, key: str) -> bool:
    try:
        store.size(key)
    except S3Error as exc:
        if exc.code in _MISSING:
            return False
        raise
    return True


def _examine(
    store: ObjectStore, settings: EvidenceSettings, ev: EvidenceRecord
) -> _Examined | RejectReason:
    """Stat, stream for SHA-256 into a spool, decode; runs in a worker thread."""
    # Write-once: the file leaves the key the grant could still write to before anything
    # is read, so whatever is hashed and kept is what nobody can replace any more.
    key = final_key(ev)
    try:
        store.move(ev.object_key, key)
    except S3Error as exc:
        if exc.code not in _MISSING:
            raise
        # An earlier attempt may have moved it before the store went away mid-check:
        # then the file is already where it belongs.
        if not _exists(store, key):
            return RejectReason.object_missing
    size = store.size(key)
    if size > ev.max_bytes:
        return RejectReason.too_large
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        digest = _copy_hashing(store, key, spool)
        spool.seek(0)
        if ev.kind is Kind.video:
            head = spool.read(12)
            return (
                _Examined(size, digest)
                if head[4:8] in _MP4_BRANDS
                else (RejectReason.type_mismatch)
            )
        try:
            seen = inspect_image(spool, ev.content_type, settings.max_pixels)
        except ImageRejected as exc:
            return RejectReason(exc.reason)
        facts = seen.facts
        thumb_key = f"{key}.thumb.jpg"
        store.put_bytes(thumb_key, seen.thumbnail, "image/jpeg")
    return _Examined(
        size, digest, facts.width, facts.height, facts.captured_at, facts.gps, thumb_key
    )


def final_key(ev: EvidenceRecord) -> str:
    """Where a checked file lives for good (no upload grant ever names this key)."""
    return f"evidence/{ev.case_id}/{ev.id}"


def _copy_hashing(store: ObjectStore, key: str, out: IO[bytes]) -> str:
    sha = hashlib.sha256()
    for chunk in store.stream(key):
        sha.update(chunk)
        out.write(chunk)
    return sha.hexdigest()


async def _accept(
    ev: EvidenceRecord, seen: _Examined, settings: EvidenceSettings, now: datetime
) -> None:
    case = await records.lock(ev.case_id)
    assert case is not None
    photo = (
        LngLat(*seen.gps)
        if seen.gps
        else (
            LngLat(ev.device_lng, ev.device_lat)
            if ev.device_lng is not None and ev.device_lat is not None
            else None
        )
    )
    window = None
    if ev.purpose in (Purpose.verification, Purpose.recheck):
        start = case.accepted_at or case.dispatched_at or case.created_at
        slack = timedelta(seconds=settings.window_slack_s)
        window = (start - slack, (ev.completed_at or now) + slack)
    flags = (
        onsite_flags(
            case_point=LngLat(case.lng, case.lat)
            if case.lng is not None and case.lat is not None
            else None,
            photo_point=photo,
            radius_m=settings.onsite_radius_m,
            window=window,
            exif_time=seen.captured_at,
            device_time=ev.device_captured_at,
        )
        if ev.kind is not Kind.video
        else []
    )
    await Evidence.update(
        {
            Evidence.status: Status.verified.value,
            Evidence.object_key: final_key(ev),
            Evidence.size: seen.size,
            Evidence.sha256: seen.sha256,
            Evidence.width: seen.width,
            Evidence.height: seen.height,
            Evidence.thumbnail_key: seen.thumbnail_key,
            Evidence.exif_captured_at: seen.captured_at,
            Evidence.exif_lng: seen.gps[0] if seen.gps else None,
            Evidence.exif_lat: seen.gps[1] if seen.gps else None,
            Evidence.flags: msgspec.json.encode([f.value for f in flags]).decode(),
            Evidence.checked_at: now,
        }
    ).where(Evidence.id == ev.id)
    await timeline.note(
        case.id,
        action=Action.evidence.value,
        at=now,
        data={
            "evidence_id": str(ev.id),
            "sha256": seen.sha256,
            "size": seen.size,
            "kind": ev.kind.value,
            "purpose": ev.purpose.value,
            "flags": [f.value for f in flags],
            "uploader_id": ev.uploader_id,
        },
    )


async def stuck(older_than: datetime) -> list[uuid.UUID]:
    """Completed uploads still unchecked (their job was lost): the reconciler's list."""
    rows = (
        await Evidence.select(Evidence.id)
        .where((Evidence.status == Status.processing.value) & (Evidence.completed_at < older_than))
        .limit(500)
    )
    return [r["id"] for r in rows]


UPLOAD_PREFIX = "cases/"
# How long past its grant an upload may sit before it counts as abandoned.
ABANDONED_AFTER = timedelta(hours=1)
EVIDENCE_PREFIX = "evidence/"
# Files are written under evidence/ before the transaction that records them commits
# (an alarm's picture, a camera frame, a checked upload's copy); one whose transaction
# rolled back is never recorded. Far longer than any transaction runs, so a file whose
# row is still on its way is never taken.
UNRECORDED_AFTER = timedelta(hours=6)
_KEYS_PER_QUERY = 1000


class Cleanup(msgspec.Struct, frozen=True):
    expired_grants: int
    orphans_removed: int
    purged: int
    unrecorded_removed: int = 0  # files under evidence/ no evidence row names


async def clean_up(store: ObjectStore, settings: EvidenceSettings, now: datetime) -> Cleanup:
    """Expire grants never completed, remove objects no evidence will ever use (uploads
    of expired grants, a second POST under a used grant), and purge files kept past
    their retention (their hashes stay in the audit chain)."""
    cutoff = now - ABANDONED_AFTER
    expired = await Evidence.raw(
        """UPDATE evidence SET status = 'rejected', reject_reason = 'grant_expired',
                  checked_at = {}
            WHERE status = 'granted' AND grant_expires_at < {} RETURNING id""",
        now,
        cutoff,
    )
    orphans = await asyncio.to_thread(store.older_than, UPLOAD_PREFIX, cutoff)
    waiting = {
        r["object_key"]
        for r in await Evidence.select(Evidence.object_key).where(
            Evidence.object_key.is_in(orphans or [""])
            & Evidence.status.is_in([Status.granted.value, Status.processing.value])
        )
    }
    removable = [key for key in orphans if key not in waiting]
    for key in removable:
        await asyncio.to_thread(store.remove, key)
    purged = await _purge(store, settings, now)
    unrecorded = await _remove_unrecorded(store, now - UNRECORDED_AFTER)
    return Cleanup(len(expired), len(removable), purged, unrecorded)


async def _remove_unrecorded(store: ObjectStore, cutoff: datetime) -> int:
    """Remove files under evidence/ written before ``cutoff`` that belong to no evidence
    row: left by a transaction that rolled back (an alarm, a camera alert).

    A file is kept while any row has its key or its evidence id (``evidence/<case>/<id>``
    and ``<id>``'s thumbnail): a check that moved a photo and then failed is retried, and
    the photo must still be there for it.
    """
    listed = await asyncio.to_thread(store.older_than, EVIDENCE_PREFIX, cutoff)
    removed = 0
    for start in range(0, len(listed), _KEYS_PER_QUERY):
        keys = listed[start : start + _KEYS_PER_QUERY]
        owners = {key: _evidence_id_of(key) for key in keys}
        wanted = [i for i in owners.values() if i is not None]
        known = (
            {r["id"] for r in await Evidence.select(Evidence.id).where(Evidence.id.is_in(wanted))}
            if wanted
            else set()
        )
        named = {
            r["object_key"]
            for r in await Evidence.select(Evidence.object_key).where(
                Evidence.object_key.is_in(keys)
            )
        }
        for key, owner in owners.items():
            if key not in named and owner not in known:
                await asyncio.to_thread(store.remove, key)
                removed += 1
    return removed


def _evidence_id_of(key: str) -> uuid.UUID | None:
    """The evidence id in ``evidence/<case>/<id>[.thumb.jpg]``; None for any other key."""
    parts = key.split("/")
    if len(parts) != 3:
        return None
    try:
        return uuid.UUID(parts[2].split(".", 1)[0])
    except ValueError:
        return None


async def _purge(store: ObjectStore, settings: EvidenceSettings, now: datetime) -> int:
    days = {
        Kind.photo: settings.retention_days_photo,
        Kind.video: settings.retention_days_video,
        Kind.camera_frame: settings.retention_days_frame,
        Kind.annotated_frame: settings.retention_days_frame,
    }
    total = 0
    for kind, keep in days.items():
        rows = await Evidence.raw(
            """UPDATE evidence e SET status = 'purged'
                 FROM enforcement_case c
                WHERE c.id = e."case" AND c.state IN ('closed', 'dismissed')
                  AND c.updated_at < {} AND e.kind = {} AND e.status = 'verified'
            RETURNING e.object_key, e.thumbnail_key""",
            now - timedelta(days=keep),
            kind.value,
        )
        for row in rows:
            for key in (row["object_key"], row["thumbnail_key"]):
                if key:
                    await asyncio.to_thread(store.remove, key)
        total += len(rows)
    return total
