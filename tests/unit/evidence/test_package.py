"""The package's manifest lists every item; the verifier notices one that went missing."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from domain.cases.chain import GENESIS, ChainEntry, entry_hash
from domain.evidence import Status
from domain.evidence.package import (
    Manifest,
    ManifestItem,
    TimelineRecord,
    manifest_bytes,
    pending_checks,
    timeline_bytes,
    verify_package,
)

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _package(items: list[ManifestItem]) -> io.BytesIO:
    entry = ChainEntry(
        case_id=1,
        seq=1,
        at=NOW,
        actor_id=None,
        actor_role=None,
        action="created",
        from_state=None,
        to_state="pending_triage",
        data={},
        prev_hash=GENESIS,
    )
    manifest = Manifest(case_id=1, case_number="C1", generated_at=NOW, files=[], evidence=items)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", manifest_bytes(manifest))
        chain = [TimelineRecord(entry=entry, hash=entry_hash(entry))]
        archive.writestr("timeline.json", timeline_bytes(chain))
    out.seek(0)
    return out


def _item(status: str, file: str | None = None) -> ManifestItem:
    return ManifestItem(evidence_id="e1", status=status, kind="photo", purpose="report", file=file)


def test_items_not_in_the_package_are_fine_when_their_status_says_so() -> None:
    report = verify_package(_package([_item("rejected"), _item("purged"), _item("granted")]))
    assert report.ok, report.problems


def test_a_verified_item_missing_from_the_zip_is_a_problem() -> None:
    report = verify_package(_package([_item("verified", "files/e1.jpg")]))
    assert not report.ok
    assert report.problems == ["evidence e1: verified but not in the package"]


def test_a_running_check_blocks_the_package() -> None:
    statuses = {"b": Status.processing, "a": Status.verified, "c": Status.processing}
    assert pending_checks(statuses) == ["b", "c"]
    assert pending_checks({"a": Status.verified, "r": Status.rejected}) == []
