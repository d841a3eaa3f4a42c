"""Request bodies of the case endpoints: each command plus the case's ``version`` and
the phone's position when it acted."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from domain.cases.machine import (
    Accept,
    Assign,
    Close,
    Comment,
    Dismiss,
    Dispatch,
    File,
    OrderRectification,
    Recheck,
    RecordInspection,
    Reopen,
    Return,
    SubmitReview,
    Verify,
)
from domain.cases.model import Source
from domain.geo import CoordType, Location
from storage.cases.views import CaseDetail

Version = Annotated[int, msgspec.Meta(ge=1, description="The case's current version.")]


class DispatchRequest(Dispatch, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class DismissRequest(Dismiss, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class AssignRequest(Assign, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class AcceptRequest(Accept, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class VerifyRequest(Verify, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Without ``rectify_by``, an order gets the violation type's rectification period."""

    version: Version
    location: Location | None = None


class OrderRectificationRequest(
    OrderRectification, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    version: Version
    location: Location | None = None


class RecheckRequest(Recheck, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class FileRequest(File, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class SubmitReviewRequest(SubmitReview, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class CloseRequest(Close, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class ReturnRequest(Return, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class ReopenRequest(Reopen, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class CommentRequest(Comment, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class RecordInspectionRequest(
    RecordInspection, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    version: Version
    location: Location | None = None


CommandRequest = (
    DispatchRequest
    | DismissRequest
    | AssignRequest
    | AcceptRequest
    | VerifyRequest
    | OrderRectificationRequest
    | RecheckRequest
    | FileRequest
    | SubmitReviewRequest
    | CloseRequest
    | ReturnRequest
    | ReopenRequest
    | CommentRequest
    | RecordInspectionRequest
)


class CaseCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A report from the field (巡查上报); other sources use the same shape internally."""

    violation_type: Annotated[str, msgspec.Meta(examples=["05-04"])]
    location: Location
    description: Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^[^\x00]*$")] = ""
    address: Annotated[str, msgspec.Meta(max_length=256, pattern=r"^[^\x00]*$")] = ""
    subject_id: int | None = None
    source: Source = Source.patrol


class TimelineEntry(msgspec.Struct, frozen=True):
    seq: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    from_state: str | None
    to_state: str
    data: dict[str, object]
    location: Location | None
    hash: str

    @classmethod
    def of(cls, r: dict[str, Any], coord_type: CoordType = CoordType.wgs84) -> TimelineEntry:
        return cls(
            seq=r["seq"],
            at=r["at"],
            actor_id=r["actor"],
            actor_role=r["actor_role"],
            action=r["action"],
            from_state=r["from_state"],
            to_state=r["to_state"],
            data=r["data"],
            location=_entry_location(r, coord_type),
            hash=r["hash"],
        )


def _entry_location(row: dict[str, Any], coord_type: CoordType) -> Location | None:
    if row["lng"] is None:
        return None
    return Location.from_wgs84(row["lng"], row["lat"], coord_type)


class Timeline(msgspec.Struct, frozen=True):
    case_id: int
    items: list[TimelineEntry]

    @classmethod
    def of(
        cls, case_id: int, rows: list[dict[str, Any]], coord_type: CoordType = CoordType.wgs84
    ) -> Timeline:
        """The timeline of stored entries (case_event rows), oldest first."""
        return cls(case_id, [TimelineEntry.of(r, coord_type) for r in rows])


class ChainCheck(msgspec.Struct, frozen=True):
    case_id: int
    ok: bool
    entries: int
    broken_at_seq: int | None
    reason: str | None


__all__ = ["CaseDetail"]
