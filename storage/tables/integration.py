"""What reaches people and systems outside a request: the integrator feed, webhook
subscriptions, and the staff inbox (the rows that the outbox deliveries write)."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Array,
    BigInt,
    BigSerial,
    Boolean,
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

from storage.tables.cases import Case
from storage.tables.org import IntegratorKey, StaffUser


class FeedEntry(Table, tablename="feed_entry"):
    """The integrators' ordered feed of case changes: one row per timeline entry, in the
    order the relay saw them commit (``pos`` never skips a committed change)."""

    pos = BigSerial(primary_key=True)
    event = BigInt(unique=True, help_text="case_event.id")
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, null=False)
    squad = Integer(null=True, default=None)
    topic = Varchar(length=32, help_text="case.created | case.state_changed | …")
    at = Timestamptz()
    payload = JSONB()


class FeedRelay(Table, tablename="feed_relay"):
    """The relay's progress (one row): transactions below ``low_xid`` are all relayed;
    the batch up to ``high_xid`` has been relayed as far as event ``last_event``."""

    id = Integer(primary_key=True)
    low_xid = Text(help_text="xid8, as text")
    high_xid = Text(null=True, default=None)
    last_event = BigInt(default=0)


class WebhookSubscription(Table, tablename="webhook_subscription"):
    """An integrator's webhook: a URL that gets the feed entries of its topics, signed."""

    id = Serial(primary_key=True)
    key = ForeignKey(references=IntegratorKey, on_delete=OnDelete.cascade, null=False)
    url = Varchar(length=500)
    topics = Array(base_column=Varchar(length=32))
    secret = Text(secret=True, help_text="HMAC-SHA256 key, shown once; sealed (storage/sealing.py)")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class Notification(Table, tablename="notification"):
    """A staff member's inbox entry (站内消息); WeChat messages, when sent, point here."""

    id = BigSerial(primary_key=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    topic = Varchar(length=64)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, null=True)
    title = Varchar(length=200)
    body = Text(default="")
    payload = JSONB()
    outbox = BigInt(help_text="The outbox row it was delivered from.")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)
