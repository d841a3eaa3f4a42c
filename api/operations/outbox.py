"""``/api/v1/outbox``: what could not be delivered (dead letters), and a retry (admin)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from api.schemas import CursorQuery, LimitQuery, decode_cursor, next_cursor
from api.security import admin_only
from domain.errors import NotFound
from storage import outbox
from storage.outbox import OutboxRow, Status


class OutboxPage(msgspec.Struct, frozen=True):
    items: list[OutboxRow]
    next_cursor: str | None


class OutboxController(Controller):
    path = "/api/v1/outbox"
    tags = ["operations"]
    guards = [admin_only]

    @get("/", operation_id="list_outbox")
    async def listing(
        self,
        status: FromQuery[Status] = Status.dead,
        kind: FromQuery[str | None] = None,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
    ) -> OutboxPage:
        """Deliveries by status — by default the dead ones, with their last error."""
        rows = await outbox.listing(status, kind, decode_cursor(cursor), limit)
        return OutboxPage(rows, next_cursor([r.id for r in rows], limit))

    @post("/{outbox_id:int}/retry", operation_id="retry_outbox", status_code=HTTP_200_OK)
    async def retry(self, outbox_id: FromPath[int]) -> OutboxRow:
        """Try a dead delivery again, with a fresh set of attempts."""
        row = await outbox.retry(outbox_id, datetime.now(UTC))
        if row is None:
            raise NotFound("outbox_row_not_dead", f"no dead outbox row {outbox_id}")
        return row
