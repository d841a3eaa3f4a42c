"""The staff inbox (站内消息): notifications fanned out from outbox rows, listed, read.

A user's notifications are written one transaction at a time (a per-user advisory lock
held to commit), so their ids commit in order: a stream that resumes "after id N" never
misses one that committed late.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import msgspec

from domain.errors import NotFound
from domain.org import Role
from storage.db import engine
from storage.outbox import Claimed
from storage.tables import Notification

_LOCK_SPACE = 0x1B0C  # pg_advisory_xact_lock(space, user): the inbox's lock space

TITLES_ZH = {
    "case.assigned": "新任务 {number}",
    "case.dispatched": "新派遣案件 {number}",
    "case.review_requested": "待核查 {number}",
    "case.escalated": "案件超期 {number}",
    "camera.offline": "摄像头离线 {device_id}",
    "duty.roll_call": "点名抽查：请在 {within_minutes} 分钟内上报位置",
}


class NotificationItem(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    topic: str
    case_id: int | None
    title: str
    body: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class FannedOut(msgspec.Struct, frozen=True):
    recipients: int
    items: list[tuple[int, NotificationItem]]  # (user id, notification) written just now


def title_of(topic: str, payload: dict[str, Any]) -> str:
    template = TITLES_ZH.get(topic, topic)
    try:
        return template.format(**payload)
    except (KeyError, IndexError):
        return template.split(" ", 1)[0]


async def fan_out(row: Claimed, wechat_topics: Collection[str], now: datetime) -> FannedOut:
    """Write the notifications of one outbox row to its recipients' inboxes (once per
    user, however often it is delivered), and a WeChat outbox row for each recipient
    with a bound WeChat account where the topic has a template."""
    squad = row.payload.get("squad_id")
    squad_bound = [r.value for r in Role if r.is_squad_bound]
    async with engine().transaction():
        users = await Notification.raw(
            """SELECT id, wechat_openid IS NOT NULL AS wechat FROM staff_user
                WHERE is_active AND (id = {} OR (role = {} AND (NOT role = ANY({}::text[])
                                                                OR squad = {})))
                ORDER BY id""",
            row.recipient,
            row.recipient_role,
            squad_bound,
            squad,
        )
        for user in users:  # ascending ids: no two fan-outs wait on each other in a cycle
            await Notification.raw("SELECT pg_advisory_xact_lock({}, {})", _LOCK_SPACE, user["id"])
        title = title_of(row.topic, row.payload)
        rows = await Notification.raw(
            """INSERT INTO notification ("user", topic, "case", title, body, payload, outbox,
                                         created_at)
               SELECT u, {}, {}, {}, '', {}::jsonb, {}, {} FROM unnest({}::int[]) AS u
               ON CONFLICT (outbox, "user") DO NOTHING
            RETURNING id, "user", topic, "case", title, body, payload, created_at, read_at""",
            row.topic,
            row.case,
            title,
            msgspec.json.encode(row.payload).decode(),
            row.id,
            now,
            [u["id"] for u in users],
        )
        wechat = [u["id"] for u in users if u["wechat"]] if row.topic in wechat_topics else []
        fresh = {r["user"] for r in rows}
        if wechat and fresh:
            await Notification.raw(
                """INSERT INTO outbox (kind, topic, recipient, "case", payload, dedup_key,
                                       status, attempts, next_attempt_at, created_at)
                   SELECT 'wechat', {}, u, {}, {}::jsonb, 'wechat:' || {}::bigint || ':' || u,
                          'pending', 0, {}, {}
                     FROM unnest({}::int[]) AS u
                   ON CONFLICT (dedup_key) DO NOTHING""",
                row.topic,
                row.case,
                msgspec.json.encode({**row.payload, "title": title}).decode(),
                row.id,
                now,
                now,
                [u for u in wechat if u in fresh],
            )
    return FannedOut(len(users), [(r["user"], _item(r)) for r in rows])


def _item(row: dict[str, Any]) -> NotificationItem:
    payload = row["payload"]
    return NotificationItem(
        id=row["id"],
        topic=row["topic"],
        case_id=row["case"],
        title=row["title"],
        body=row["body"],
        payload=msgspec.json.decode(payload) if isinstance(payload, str) else payload,
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


_COLUMNS = 'id, topic, "case", title, body, payload, created_at, read_at'


async def newest(
    user: int, limit: int, before: int | None = None, unread: bool = False
) -> list[NotificationItem]:
    """A user's notifications, newest first (``before`` an id, for the next page)."""
    rows = await Notification.raw(
        f"""SELECT {_COLUMNS} FROM notification
             WHERE "user" = {{}} AND id < {{}} AND (NOT {{}} OR read_at IS NULL)
             ORDER BY id DESC LIMIT {{}}""",
        user,
        before if before is not None else 2**62,
        unread,
        limit,
    )
    return [_item(r) for r in rows]


async def after(user: int, after_id: int, limit: int = 200) -> list[NotificationItem]:
    """A user's notifications after ``after_id``, oldest first (a stream resuming)."""
    rows = await Notification.raw(
        f"""SELECT {_COLUMNS} FROM notification WHERE "user" = {{}} AND id > {{}}
             ORDER BY id LIMIT {{}}""",
        user,
        after_id,
        limit,
    )
    return [_item(r) for r in rows]


async def last_id(user: int) -> int:
    rows = await Notification.raw(
        'SELECT coalesce(max(id), 0) AS id FROM notification WHERE "user" = {}', user
    )
    return int(rows[0]["id"])


async def mark_read(user: int, notification_id: int, now: datetime) -> NotificationItem:
    """Mark one of the user's notifications read (again: no change)."""
    rows = await Notification.raw(
        f"""UPDATE notification SET read_at = coalesce(read_at, {{}})
             WHERE id = {{}} AND "user" = {{}} RETURNING {_COLUMNS}""",
        now,
        notification_id,
        user,
    )
    if not rows:
        raise NotFound("notification_not_found", "no such notification of yours")
    return _item(rows[0])


async def unread_count(user: int) -> int:
    rows = await Notification.raw(
        'SELECT count(*) AS n FROM notification WHERE "user" = {} AND read_at IS NULL', user
    )
    return int(rows[0]["n"])
