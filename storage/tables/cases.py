"""Cases (案件), their hash-chained timeline, deadlines, escalations, and the outbox."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigSerial,
    Boolean,
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

from storage.tables.field import Camera, Subject
from storage.tables.org import GridCell, IntegratorKey, Squad, StaffUser


class ViolationTypeRow(Table, tablename="violation_type"):
    """The catalogue, seeded from domain/catalogue/violation_types.json; admins edit it.
    A case copies the type's SLA when it is created, so edits apply to new cases only."""

    code = Varchar(length=16, primary_key=True)
    definition = JSONB(help_text="The ViolationType as JSON (names, SLA, urgency, rules).")
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)


class ViolationTypeVersion(Table, tablename="violation_type_version"):
    """Each distinct definition a type has had; a case points at the one it started with,
    so catalogue edits apply to new cases only (and a million cases share a few rows)."""

    id = Serial(primary_key=True)
    code = Varchar(length=16)
    digest = Varchar(length=64, unique=True, help_text="SHA-256 of the canonical definition.")
    definition = JSONB()
    created_at = Timestamptz(default=TimestamptzNow())


class Case(Table, tablename="enforcement_case"):
    """One case through the closed loop. ``version`` guards concurrent commands."""

    id = BigSerial(primary_key=True)
    number = Varchar(length=32, unique=True, help_text="Human case number, e.g. MH2611240001.")
    source = Varchar(length=16)
    external_id = Varchar(length=128, null=True, default=None, help_text="Id at the source.")
    origin_key = ForeignKey(
        references=IntegratorKey,
        on_delete=OnDelete.set_null,
        null=True,
        help_text="The integrator that sent it in (its status callbacks go there).",
    )
    complainant = JSONB(
        null=True, default=None, help_text="A complaint's caller: name, phone (personal data)."
    )
    violation_type = Varchar(length=16, help_text="Catalogue code, e.g. 05-04.")
    type_version = ForeignKey(
        references=ViolationTypeVersion,
        on_delete=OnDelete.restrict,
        null=False,
        help_text="The violation type's definition (SLA, urgency) as of creation.",
    )
    state = Varchar(length=32)
    outcome = Varchar(length=32, null=True, default=None)
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, null=True)
    grid = ForeignKey(references=GridCell, on_delete=OnDelete.set_null, null=True)
    assignee = ForeignKey(references=StaffUser, on_delete=OnDelete.restrict, null=True)
    reporter = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    subject = ForeignKey(references=Subject, on_delete=OnDelete.set_null, null=True)
    camera = ForeignKey(references=Camera, on_delete=OnDelete.set_null, null=True)
    zone_key = Varchar(length=64, null=True, default=None, help_text="Camera zone that fired.")
    lng = DoublePrecision(null=True, default=None, help_text="WGS-84.")
    lat = DoublePrecision(null=True, default=None)
    address = Varchar(length=256, default="")
    h3_r9 = Varchar(length=15, null=True, default=None, help_text="H3 cell, resolution 9.")
    h3_r10 = Varchar(length=15, null=True, default=None, help_text="H3 cell, resolution 10.")
    description = Text(default="")
    flags = JSONB(default="[]", help_text='Reviewer flags, e.g. ["out_of_district"].')
    urgent = Boolean(default=False)
    emergency = Boolean(default=False, help_text="The desk runs it live (突发事件).")
    rectify_by = Timestamptz(null=True, default=None)
    external_ref = Varchar(length=128, null=True, default=None, help_text="网上办案 case no.")
    rework_count = Integer(default=0)
    extension_count = Integer(default=0)
    next_due_at = Timestamptz(null=True, default=None, help_text="Earliest running deadline.")
    overdue = Boolean(default=False, help_text="A running deadline has passed.")
    ever_overdue = Boolean(default=False, help_text="Any deadline ever passed (按期 figures).")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    dispatched_at = Timestamptz(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    handled_at = Timestamptz(null=True, default=None, help_text="Submitted for review.")
    closed_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    chain_seq = Integer(default=0, help_text="seq of the last timeline entry.")
    chain_hash = Varchar(length=64, default="0" * 64, help_text="hash of the last entry.")


class CaseEvent(Table, tablename="case_event"):
    """The timeline: append-only and hash-chained per case (the legal record)."""

    id = BigSerial(primary_key=True)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, null=False)
    seq = Integer()
    at = Timestamptz()
    actor = ForeignKey(references=StaffUser, on_delete=OnDelete.restrict, null=True)
    actor_role = Varchar(length=32, null=True)
    action = Varchar(length=32)
    from_state = Varchar(length=32, null=True)
    to_state = Varchar(length=32)
    data = JSONB()
    lng = DoublePrecision(null=True, default=None)
    lat = DoublePrecision(null=True, default=None)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class CaseDeadline(Table, tablename="case_deadline"):
    """A running or past deadline of a case, and how far it has escalated."""

    id = BigSerial(primary_key=True)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16)
    due_at = Timestamptz()
    next_escalation_at = Timestamptz(null=True, help_text="Null once cleared or at the top.")
    level = Integer(default=0, help_text="Escalation levels reached (0 = none yet).")
    started_at = Timestamptz()
    cleared_at = Timestamptz(null=True, default=None)
    missed = Boolean(default=False)


class CaseEscalation(Table, tablename="case_escalation"):
    """One escalation step; unique per (deadline, level), so it happens once."""

    id = BigSerial(primary_key=True)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, null=False)
    deadline = ForeignKey(references=CaseDeadline, on_delete=OnDelete.restrict, null=False)
    level = Integer()
    at = Timestamptz()


class Outbox(Table, tablename="outbox"):
    """Side effects to deliver, written in the transaction of the change that caused them."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=32, help_text="notification | wechat | webhook | callback | sms | fetch")
    topic = Varchar(length=64, help_text="e.g. case.escalated")
    recipient = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=True)
    recipient_role = Varchar(length=32, null=True, default=None)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, null=True)
    payload = JSONB()
    dedup_key = Varchar(length=200, unique=True)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    created_at = Timestamptz(default=TimestamptzNow())
    delivered_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    lease_until = Timestamptz(
        null=True, default=None, help_text="A worker is delivering it until then."
    )
    target = Integer(
        null=True, default=None, help_text="webhook: subscription id; callback: key id"
    )


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """The first answer to a command sent with an ``Idempotency-Key``; replays get it."""

    id = BigSerial(primary_key=True)
    actor = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    key = Varchar(length=128)
    request_hash = Varchar(length=64)
    status_code = Integer(null=True, default=None)
    response = JSONB(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


__all__ = [
    "Case",
    "CaseDeadline",
    "CaseEscalation",
    "CaseEvent",
    "IdempotencyRecord",
    "Outbox",
    "ViolationTypeRow",
    "ViolationTypeVersion",
]
