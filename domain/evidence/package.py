"""The evidence package (证据包): a case's files, their manifest and its audit chain, in
one zip the formal case system (网上办案系统) can check without trusting us.

Layout::

    manifest.json        case, generated_at, and per file: name, sha256, size, kind,
                         purpose, capture times, locations, device id, uploader
    timeline.json        every timeline entry with its hash (the audit chain)
    files/<evidence id>.<ext>

``verify_package`` recomputes every file's SHA-256, the chain, and checks that each
file's hash was recorded in the chain when the file was checked.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime
from typing import IO

import msgspec

from domain.cases.chain import ChainEntry, verify

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


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    format: str = FORMAT
    case_id: int
    case_number: str
    generated_at: datetime
    files: list[ManifestFile]


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
    return PackageReport(not problems, len(manifest.files), problems)


def manifest_bytes(manifest: Manifest) -> bytes:
    return msgspec.json.format(msgspec.json.encode(manifest), indent=2)


def timeline_bytes(records: list[TimelineRecord]) -> bytes:
    return msgspec.json.format(msgspec.json.encode(records), indent=2)
