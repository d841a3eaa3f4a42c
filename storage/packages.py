"""Building a case's evidence package as a stream (see domain/evidence/package.py)."""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime

from domain.errors import Conflict, NotFound
from domain.evidence import Status
from domain.evidence.package import (
    Manifest,
    ManifestFile,
    ManifestItem,
    TimelineRecord,
    manifest_bytes,
    pending_checks,
    timeline_bytes,
)
from domain.org import Scope
from storage import evidence
from storage.cases import records, timeline
from storage.objects import ObjectStore
from storage.photos import CHECK_RETRY_AFTER_S

_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heif",
    "video/mp4": "mp4",
}


class _Sink:
    """A write-only, unseekable file for zipfile; the bytes are taken out as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes, /) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _name(e: evidence.EvidenceRecord) -> str:
    return f"files/{e.id}.{_EXTENSIONS.get(e.content_type, 'bin')}"


def _location(lng: float | None, lat: float | None) -> dict[str, float] | None:
    return {"lng": lng, "lat": lat} if lng is not None and lat is not None else None


async def package(
    store: ObjectStore, case_id: int, scope: Scope, now: datetime
) -> AsyncIterator[bytes]:
    """The zip, chunk by chunk: each file streamed from storage, never held whole."""
    case = await records.get_visible(case_id, scope)
    if case is None:
        raise NotFound("case_not_found", f"no case {case_id}")
    every = await evidence.of_case(case_id)
    pending = pending_checks({str(e.id): e.status for e in every})
    if pending:
        raise Conflict(
            "evidence_checks_pending",
            "a file of the case is still being checked: ask again in a moment",
            pending=pending,
            retry_after_s=CHECK_RETRY_AFTER_S,
        )
    files = [e for e in every if e.status is Status.verified]
    rows = await timeline.entries(case_id)
    manifest = Manifest(
        case_id=case.id,
        case_number=case.number,
        generated_at=now,
        files=[
            ManifestFile(
                name=_name(e),
                evidence_id=str(e.id),
                sha256=e.sha256 or "",
                size=e.size or 0,
                kind=e.kind.value,
                purpose=e.purpose.value,
                content_type=e.content_type,
                exif_captured_at=e.exif_captured_at,
                exif_location=_location(e.exif_lng, e.exif_lat),
                device_captured_at=e.device_captured_at,
                device_location=_location(e.device_lng, e.device_lat),
                device_id=e.device_id,
                uploader_id=e.uploader_id,
                flags=[f.value for f in e.flags],
            )
            for e in files
        ],
        evidence=[
            ManifestItem(
                evidence_id=str(e.id),
                status=e.status.value,
                kind=e.kind.value,
                purpose=e.purpose.value,
                file=_name(e) if e.status is Status.verified else None,
                reject_reason=e.reject_reason.value if e.reject_reason else None,
                sha256=e.sha256,
                flags=[f.value for f in e.flags],
            )
            for e in every
        ],
    )
    chain = [TimelineRecord(entry=timeline.entry_of(r), hash=r["hash"]) for r in rows]
    return _stream(store, manifest, chain, [e.object_key for e in files])


async def _stream(
    store: ObjectStore, manifest: Manifest, chain: list[TimelineRecord], keys: list[str]
) -> AsyncIterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", manifest_bytes(manifest))
        archive.writestr("timeline.json", timeline_bytes(chain))
        yield sink.take()
        for entry, key in zip(manifest.files, keys, strict=True):
            with archive.open(entry.name, mode="w", force_zip64=True) as member:
                chunks = store.stream(key)
                while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
                    member.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
