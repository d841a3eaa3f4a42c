"""The evidence package (证据包): a case's files, their manifest and its audit chain, in
one zip the formal case system (网上办案系统) can check without trusting us.

Layout::

    manifest.json        case, generated_at, and per file: name, sha256, size, kind,
                         purpose, capture times, locations, device id, uploader;
                         ``evidence``: every evidence item of the case with its status,
                         including those not in the package (rejected, purged, an
                         upload never finished) and why
    timeline.json        every timeline entry with its hash (the audit chain)
    files/<evidence id>.<ext>

``verify_package`` recomputes every file's SHA-256, the chain, and checks that each
file's hash was recorded in the chain when the file was checked.

A package is not made while a check is running (``pending_checks``): a legal reviewer
needs every file of the case, each one vouched for. An unchecked file has no hash in the
audit chain, so nothing could prove it is the file the officer uploaded, and leaving it
out silently would hide evidence; a check takes seconds, so the export is refused with
409 ``evidence_checks_pending`` and simply asked again.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime
from typing import IO

import msgspec

from domain.cases.chain import ChainEntry, verify
from domain.evidence.rules import Status

FORMAT = "offsite-evidence-package/1"


class ManifestFile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    evidence_id: str
    sha256: str
    size: int
    kind: str
    purpose: str
    content_type: str
    exif_captured_at: datetime | None = None
    exif_location: dict[str, float] | None = None
    device_captured_at: datetime | None = None
    device_location: dict[str, float] | None = None
    device_id: str | None = None
    uploader_id: int | None = None
    flags: list[str] = []


class ManifestItem(msgspec.Struct, frozen=True, kw_only=True):
    """One evidence item of the case, in the package or not, and why."""

    evidence_id: str
    status: str  # verified (in the package), rejected, purged, granted (never uploaded)
    kind: str
    purpose: str
    file: str | None  # its name in the package; None when it is not in it
    reject_reason: str | None = None
    sha256: str | None = None  # kept for a purged file too
    flags: list[str] = []


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    format: str = FORMAT
    case_id: int
    case_number: str
    generated_at: datetime
    files: list[ManifestFile]
    evidence: list[ManifestItem] = []


def pending_checks(statuses: dict[str, Status]) -> list[str]:
    """The evidence ids whose check is still running: while any is, no package is made."""
    return sorted(i for i, s in statuses.items() if s is Status.processing)


class TimelineRecord(msgspec.Struct, frozen=True, kw_only=True):
    entry: ChainEntry
    hash: str


class PackageReport(msgspec.Struct, frozen=True):
    ok: bool
    files: int
    problems: list[str]


def verify_package(source: str | IO[bytes]) -> PackageReport:
    """Check a package: file hashes, the audit chain, and the files' place in it."""
    problems: list[str] = []
    with zipfile.ZipFile(source) as archive:
        manifest = msgspec.json.decode(archive.read("manifest.json"), type=Manifest)
        chain = msgspec.json.decode(archive.read("timeline.json"), type=list[TimelineRecord])
        for f in manifest.files:
            try:
                digest = hashlib.sha256(archive.read(f.name)).hexdigest()
            except KeyError:
                problems.append(f"{f.name}: missing from the package")
                continue
            if digest != f.sha256:
                problems.append(f"{f.name}: SHA-256 differs from the manifest")
    report = verify(manifest.case_id, ((r.entry, r.hash) for r in chain))
    if not report.ok:
        problems.append(f"timeline: {report.reason} at entry {report.broken_at_seq}")
    recorded = {
        (r.entry.data.get("evidence_id"), r.entry.data.get("sha256"))
        for r in chain
        if r.entry.action == "evidence"
    }
    for f in manifest.files:
        if (f.evidence_id, f.sha256) not in recorded:
            problems.append(f"{f.name}: its hash is not in the case's audit chain")
    names = {f.name for f in manifest.files}
    for item in manifest.evidence:
        if item.status == Status.processing or (
            item.status == Status.verified and item.file not in names
        ):
            problems.append(f"evidence {item.evidence_id}: {item.status} but not in the package")
    return PackageReport(not problems, len(manifest.files), problems)


def manifest_bytes(manifest: Manifest) -> bytes:
    return msgspec.json.format(msgspec.json.encode(manifest), indent=2)


def timeline_bytes(records: list[TimelineRecord]) -> bytes:
    return msgspec.json.format(msgspec.json.encode(records), indent=2)
