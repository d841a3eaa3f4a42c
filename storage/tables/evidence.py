"""Evidence objects: photos, clips and camera frames, written once to object storage."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from storage.tables.cases import Case
from storage.tables.org import StaffUser


class Evidence(Table, tablename="evidence"):
    """One file of a case, from its grant to its verification (or refusal)."""

    id = UUID(primary_key=True)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=32)
    purpose = Varchar(length=32)
    status = Varchar(length=16)
    reject_reason = Varchar(length=32, null=True, default=None)
    object_key = Varchar(length=256, unique=True, help_text="Server-chosen, unguessable.")
    content_type = Varchar(length=64, help_text="Declared at the grant.")
    max_bytes = BigInt()
    size = BigInt(null=True, default=None)
    sha256 = Varchar(length=64, null=True, default=None)
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    thumbnail_key = Varchar(length=256, null=True, default=None)
    exif_captured_at = Timestamptz(null=True, default=None)
    exif_lng = DoublePrecision(null=True, default=None, help_text="WGS-84 from EXIF GPS.")
    exif_lat = DoublePrecision(null=True, default=None)
    device_captured_at = Timestamptz(null=True, default=None, help_text="The phone's time.")
    device_lng = DoublePrecision(null=True, default=None, help_text="The phone's fix, WGS-84.")
    device_lat = DoublePrecision(null=True, default=None)
    device_id = Varchar(length=128, null=True, default=None)
    flags = JSONB(default="[]")
    uploader = ForeignKey(references=StaffUser, on_delete=OnDelete.restrict, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    grant_expires_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
