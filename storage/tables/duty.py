"""The duty model (网上勤务): rosters of shifts and leave, the position track, duty
transitions and roll-call spot checks (点名抽查). DDL in migration 2026-12-02T17:00."""

from __future__ import annotations

from piccolo.columns import (
    Array,
    BigSerial,
    Boolean,
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


class DutyShift(Table, tablename="duty_shift"):
    """One officer's shift (班次) in a squad's weekly roster; never overlapping another
    of the same officer (an exclusion constraint), at most 24 h."""

    id = Serial(primary_key=True)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=False)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    starts_at = Timestamptz(help_text="Inclusive.")
    ends_at = Timestamptz(help_text="Exclusive; may be the next day (night shift).")
    grid_ids = Array(base_column=Integer(), help_text="Grid cells (网格) to patrol.")
    area_note = Varchar(length=200, null=True, default=None, help_text="Patrol area, in words.")
    created_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class DutyLeave(Table, tablename="duty_leave"):
    """Leave (请假): the officer is off shift from ``starts_at`` to ``ends_at``."""

    id = Serial(primary_key=True)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=False)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    kind = Varchar(length=32, help_text="annual | sick | personal | compensatory | other")
    reason = Varchar(length=200, null=True, default=None)
    created_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PositionFix(Table, tablename="position_fix"):
    """A position the officer's phone sent (personal data: purged after
    ``OFFSITE_POSITION_RETENTION_DAYS``)."""

    id = BigSerial(primary_key=True)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    at = Timestamptz()
    lng = DoublePrecision(help_text="WGS-84 longitude.")
    lat = DoublePrecision(help_text="WGS-84 latitude.")
    accuracy_m = DoublePrecision(null=True, default=None, help_text="As the phone reported it.")


class DutyTransition(Table, tablename="duty_transition"):
    """The officer went on (or off) duty (在岗/离岗) at ``at``: the duty figures' source."""

    id = BigSerial(primary_key=True)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    at = Timestamptz()
    on_duty = Boolean()


class RollCall(Table, tablename="roll_call"):
    """A roll-call spot check (点名抽查): report your position within N minutes."""

    id = Serial(primary_key=True)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=False)
    officer = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    asked_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    asked_at = Timestamptz()
    deadline_at = Timestamptz()
    state = Varchar(length=16, default="pending", help_text="pending|answered|late|missed")
    answered_at = Timestamptz(null=True, default=None)
    lng = DoublePrecision(null=True, default=None)
    lat = DoublePrecision(null=True, default=None)
    accuracy_m = DoublePrecision(null=True, default=None)
    note = Varchar(length=200, null=True, default=None)
    photo_key = Varchar(
        length=300, null=True, default=None, secret=True, help_text="Object key of the photo."
    )
    photo_at = Timestamptz(null=True, default=None, help_text="The answer came with it.")
