"""巡查签到 and 装备: check-in points, check-ins, equipment and its assignments."""

from __future__ import annotations

from piccolo.columns import (
    Array,
    BigSerial,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from storage.tables.org import Squad, StaffUser


class CheckinPoint(Table, tablename="checkin_point"):
    """A patrol check-in point (巡查签到点) of a squad: a WGS-84 point, a radius, what it
    stands for (a subject, a street block, ...) and how many check-ins it plans a day."""

    id = Serial(primary_key=True)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=64)
    lng = DoublePrecision()
    lat = DoublePrecision()
    radius_m = Integer(help_text="10..500 m")
    binding_kind = Varchar(length=32, null=True, default=None, help_text="subject, block, ...")
    binding_id = Integer(null=True, default=None)
    planned_per_day = Integer(default=1)
    weekdays = Array(base_column=Integer(), default=[1, 2, 3, 4, 5, 6, 7], help_text="ISO days")
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deactivated_at = Timestamptz(null=True, default=None)


class PatrolCheckin(Table, tablename="patrol_checkin"):
    """An officer's check-in at a point: where the phone was and how far from the point."""

    id = BigSerial(primary_key=True)
    point = ForeignKey(references=CheckinPoint, on_delete=OnDelete.cascade, null=False)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=False)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.restrict, null=False)
    at = Timestamptz()
    local_date = Date(help_text="the Shanghai day of `at`")
    lng = DoublePrecision()
    lat = DoublePrecision()
    distance_m = DoublePrecision()


class Equipment(Table, tablename="equipment"):
    """An item of the equipment registry (装备): vehicle, body camera or radio."""

    id = Serial(primary_key=True)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=False, index=True)
    kind = Varchar(length=16)
    code = Varchar(length=64, unique=True)
    label = Varchar(length=128)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EquipmentAssignment(Table, tablename="equipment_assignment"):
    """An item in an officer's hands for [starts_at, ends_at) (a shift, usually)."""

    id = BigSerial(primary_key=True)
    equipment = ForeignKey(references=Equipment, on_delete=OnDelete.cascade, null=False)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.restrict, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    assigned_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
