"""The staff inbox (``/api/v1/notifications``) and the live stream (``/api/v1/stream``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.deps import Caller, Hub, Rt
from api.schemas import CursorQuery, LimitQuery, decode_cursor, next_cursor
from api.security import Principal
from domain.errors import InvalidInput
from domain.org import Role
from storage import feed, inbox, live, subscriptions
from storage.ended_sessions import EndedSessions
from storage.feed import FeedItem
from storage.inbox import NotificationItem
from storage.live import LiveHub

HEARTBEAT_S = 15.0


class NotificationPage(msgspec.Struct, frozen=True):
    items: list[NotificationItem]
    unread: int
    next_cursor: str | None


class WechatSubscriptions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    template_ids: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]],
        msgspec.Meta(min_length=1, max_length=20),
    ]


class Cursor(msgspec.Struct, frozen=True):
    """Where a stream is: the last notification id and board position it sent."""

    notification: int
    board: int

    def encode(self) -> str:
        return f"{self.notification}.{self.board}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            notification, board = (int(p) for p in text.split("."))
        except ValueError as exc:
            raise InvalidInput("stream_cursor_invalid", "Last-Event-ID is not ours") from exc
        return cls(notification, board)


class NotificationController(Controller):
    path = "/api/v1"
    tags = ["notifications"]

    @get("/notifications", operation_id="list_notifications")
    async def list_notifications(
        self,
        principal: Caller,
        limit: LimitQuery = 50,
        cursor: CursorQuery = None,
        unread: Annotated[bool, QueryParameter(description="Only unread ones.")] = False,
    ) -> NotificationPage:
        """The signed-in user's notifications, newest first."""
        before = decode_cursor(cursor) if cursor else None  # newest first: ids fall
        items = await inbox.newest(principal.user_id, limit, before, unread)
        return NotificationPage(
            items,
            await inbox.unread_count(principal.user_id),
            next_cursor([n.id for n in items], limit),
        )

    @post(
        "/notifications/{notification_id:int}/read",
        operation_id="mark_notification_read",
        status_code=HTTP_200_OK,
    )
    async def mark_read(
        self, principal: Caller, notification_id: FromPath[int]
    ) -> NotificationItem:
        return await inbox.mark_read(principal.user_id, notification_id, datetime.now(UTC))

    @post(
        "/me/wechat-subscriptions",
        operation_id="record_wechat_subscriptions",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def wechat_subscribed(
        self, rt: Rt, principal: Caller, data: JSONBody[WechatSubscriptions]
    ) -> None:
        """The phone reports the templates the user just accepted in
        ``wx.requestSubscribeMessage``; messages that fell back to the inbox for lack of a
        subscription (errcode 43101) go to WeChat again."""
        await subscriptions.subscribed(rt.redis, principal.user_id, data.template_ids)

    @get("/stream", operation_id="stream", timeout=None)
    async def stream(
        self,
        rt: Rt,
        principal: Caller,
        hub: Hub,
        last_event_id: Annotated[
            str | None,
            HeaderParameter(
                name="Last-Event-ID",
                required=False,
                description="Resume after this event (browsers send it on reconnect).",
            ),
        ] = None,
    ) -> ServerSentEvent:
        """Server-Sent Events for the signed-in user: ``notification`` events (their
        inbox) and, for squad leaders and the district roles, ``board`` events (feed
        items of their squad or the district). Every event's id is a cursor: reconnect
        with ``Last-Event-ID`` and nothing in between is lost. Without one, the stream
        starts from now. A comment line every 15 s keeps proxies from closing it."""
        start = (
            Cursor.decode(last_event_id)
            if last_event_id
            else Cursor(await inbox.last_id(principal.user_id), await feed.head())
        )
        return ServerSentEvent(_events(principal, hub, start, rt.ended_sessions))


def board_of(principal: Principal) -> tuple[bool, int | None]:
    """Whether the user's stream carries board events, and of which squad (None: all)."""
    if principal.role is Role.squad_leader:
        return True, principal.squad_id
    if principal.role in (Role.commander, Role.supervisor, Role.admin):
        return True, None
    return False, None


async def _events(
    principal: Principal, hub: LiveHub, cursor: Cursor, ended: EndedSessions | None = None
) -> AsyncIterator[ServerSentEventMessage | str]:
    """Read what is new after the cursor whenever the bell rings (or the heartbeat
    comes); the database, not the bell, says what is new. The stream stops by the next
    heartbeat once its sign-in has ended (``ended``): it was authorised only once."""
    boards, squad = board_of(principal)
    channels = [live.user_channel(principal.user_id)]
    if boards:
        channels.append(live.board_channel(squad))
    with hub.bell(channels) as bell:
        while True:
            session = principal.session
            if ended is not None and session is not None and await ended.has_ended(session):
                return
            bell.clear()  # before reading: a ring during the read is not lost
            notes = await inbox.after(principal.user_id, cursor.notification)
            items = await feed.read(cursor.board, 200, squad) if boards else []
            for note in notes:
                cursor = Cursor(note.id, cursor.board)
                yield _message("notification", cursor, note)
            for item in items:
                cursor = Cursor(cursor.notification, item.pos)
                yield _message("board", cursor, item)
            if len(notes) == 200 or len(items) == 200:
                continue  # more to catch up on
            try:
                await asyncio.wait_for(bell.wait(), HEARTBEAT_S)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")


def _message(
    kind: str, cursor: Cursor, data: NotificationItem | FeedItem
) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        data=msgspec.json.encode(data).decode(), event=kind, id=cursor.encode()
    )
