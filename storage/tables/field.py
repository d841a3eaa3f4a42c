"""What is out on the streets: cameras and the supervised subjects (监管对象).

The first cut, enough to seed a demo district and to link zones and cases to; the
camera's frame source and zones arrive with the vision pipeline, the subjects' own
fields and grades with the governance programmes.
"""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    OnDelete,
    Serial,
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
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
