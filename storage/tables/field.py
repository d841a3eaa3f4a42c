"""What is out on the streets: cameras and the supervised subjects (监管对象).

The first cut, enough to seed a demo district and to link zones and cases to; the
camera's frame source and zones arrive with the vision pipeline, the subjects' own
fields and grades with the governance programmes.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from storage.tables.org import GridCell, Squad


class Camera(Table, tablename="camera"):
    """A street camera whose frames may become evidence (行政处罚法 art. 41)."""

    id = Serial(primary_key=True)
    device_id = Varchar(length=32, unique=True, help_text="Device id, e.g. GB/T 28181 code.")
    name = Varchar(length=128)
    lng = DoublePrecision(help_text="WGS-84 longitude.")
    lat = DoublePrecision(help_text="WGS-84 latitude.")
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=True, index=True)
    grid = ForeignKey(references=GridCell, on_delete=OnDelete.set_null, null=True)
    published_location = Varchar(
        length=256, null=True, default=None, help_text="Location as published to the public."
    )
    legal_review_date = Date(null=True, default=None, help_text="Date of the legal review.")
    technical_review_date = Date(null=True, default=None, help_text="Technical review date.")
    enabled = Boolean(default=True)
    source_kind = Varchar(length=16, default="http_snapshot", help_text="http_snapshot | rtsp")
    source_url = Varchar(length=512, default="", help_text="Without credentials.")
    source_auth = Varchar(length=8, default="none", help_text="none | basic | digest")
    source_username = Varchar(length=128, default="", secret=True)
    source_password = Text(default="", secret=True, help_text="sealed (storage/sealing.py)")
    sample_interval_s = Integer(default=10)
    active_schedule = JSONB(default="[]", help_text='[["07:00","22:00"], ...]; empty: always')
    health = Varchar(length=16, default="unknown", help_text="unknown | online | offline")
    last_frame_at = Timestamptz(null=True, default=None)
    consecutive_failures = Integer(default=0)
    last_error = Varchar(length=512, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Subject(Table, tablename="subject"):
    """A supervised party: street-front merchant, construction site, business premises,
    or illegal structure."""

    id = Serial(primary_key=True)
    kind = Varchar(
        length=32, help_text="merchant | construction_site | business_premises | illegal_structure"
    )
    name = Varchar(length=128)
    address = Varchar(length=256)
    lng = DoublePrecision(help_text="WGS-84 longitude.")
    lat = DoublePrecision(help_text="WGS-84 latitude.")
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=True, index=True)
    grid = ForeignKey(references=GridCell, on_delete=OnDelete.set_null, null=True)
    credit_code = Varchar(
        length=18,
        null=True,
        default=None,
        help_text="Unified social credit code (统一社会信用代码).",
    )
    contact_name = Varchar(length=64, null=True, default=None, help_text="Personal data.")
    contact_phone = Varchar(length=32, null=True, default=None, help_text="Personal data.")
    details = JSONB(default="{}", help_text="The kind's own fields (domain/subjects/model.py).")
    grade = Varchar(length=1, default="A", help_text="In force: the override, else computed.")
    grade_computed = Varchar(length=1, default="A", help_text="What the grading policy gives.")
    grade_points = DoublePrecision(default=0.0)
    graded_at = Timestamptz(null=True, default=None)
    grade_override = Varchar(length=1, null=True, default=None)
    grade_override_reason = Varchar(length=500, null=True, default=None)
    grade_override_until = Timestamptz(null=True, default=None)
    next_inspection_at = Timestamptz(
        null=True, default=None, help_text="When its next routine inspection is due."
    )
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SubjectGrade(Table, tablename="subject_grade"):
    """A subject's grade history: every change, computed or by hand, and why."""

    id = BigSerial(primary_key=True)
    subject = ForeignKey(references=Subject, on_delete=OnDelete.cascade, null=False, index=True)
    at = Timestamptz()
    grade = Varchar(length=1, help_text="In force after this entry.")
    computed = Varchar(length=1)
    points = DoublePrecision()
    source = Varchar(length=16, help_text="nightly | on_demand | override | override_ended")
    reason = Varchar(length=500, default="")
    actor = Integer(null=True, default=None, help_text="The staff user who set an override.")


class CameraZone(Table, tablename="camera_zone"):
    """A zone of a camera's picture (normalised polygon), its rules, and its party."""

    id = Serial(primary_key=True)
    camera = ForeignKey(references=Camera, on_delete=OnDelete.cascade, null=False, index=True)
    key = Varchar(length=64, help_text="Stable name within the camera, e.g. shopfront-1.")
    name = Varchar(length=128, default="")
    polygon = JSONB(help_text="[[x, y], ...] in 0..1 image coordinates.")
    rules = JSONB(help_text="Violation types with their parameters (see ZoneRule).")
    subject = ForeignKey(references=Subject, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class IllegalStructure(Table, tablename="illegal_structure"):
    """An illegal structure's lifecycle (the structure itself is a subject of that kind)."""

    id = Serial(primary_key=True)
    subject = ForeignKey(references=Subject, on_delete=OnDelete.restrict, null=False, unique=True)
    case = BigInt(help_text="The case that found it; its photos back every step.")
    kind = Varchar(length=8, help_text="new (控违) | stock (拆违)")
    state = Varchar(length=24, default="discovered")
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=True, index=True)
    discovered_at = Timestamptz()
    verified_area_m2 = DoublePrecision(null=True, default=None)
    demolished_area_m2 = DoublePrecision(null=True, default=None)
    demolished_at = Timestamptz(null=True, default=None)
    deadline = Timestamptz(null=True, default=None)
    external_ref = Varchar(length=64, null=True, default=None)
    approval_ref = Varchar(length=64, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class StructureEvent(Table, tablename="structure_event"):
    """One step of a structure's lifecycle, with who, when and the photos behind it."""

    id = BigSerial(primary_key=True)
    structure = ForeignKey(
        references=IllegalStructure, on_delete=OnDelete.cascade, null=False, index=True
    )
    at = Timestamptz()
    actor = Integer(null=True, default=None)
    step = Varchar(length=24)
    from_state = Varchar(length=24, null=True, default=None)
    to_state = Varchar(length=24)
    data = JSONB()


class StructureTarget(Table, tablename="structure_target"):
    """The year's targets of a squad (or the district, squad empty) set by the admin."""

    id = Serial(primary_key=True)
    year = Integer()
    squad = ForeignKey(references=Squad, on_delete=OnDelete.cascade, null=True)
    stock_demolish_m2 = DoublePrecision(help_text="拆违: stock to take down this year, m².")
    new_max = Integer(default=0, help_text="控违: new structures tolerated (0: none).")
