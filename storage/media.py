"""Pictures that integrators send as URLs: fetched later by the outbox, never in a request.

A request that names a URL only writes a ``fetch`` outbox row in its transaction; the
delivery job downloads it (size and type checked), stores it as evidence of the case
and records its hash in the timeline, retrying with back-off while the source fails.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.evidence import Kind
from storage.tables import Outbox


class MediaFetch(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    kind: Kind
    detail: dict[str, object] = {}
    boxes: list[tuple[str, float, tuple[float, float, float, float]]] = []  # drawn if any
    caption: str = ""
    camera_id: int | None = None


async def queue_fetch(case_id: int, fetch: MediaFetch, dedup: str, now: datetime) -> None:
    """Owe the case a picture from ``fetch.url`` (joins the caller's transaction)."""
    await Outbox.raw(
        """INSERT INTO outbox (kind, topic, "case", payload, dedup_key, status, attempts,
                               next_attempt_at, created_at)
           VALUES ('fetch', 'media.fetch', {}, {}::jsonb, {}, 'pending', 0, {}, {})
           ON CONFLICT (dedup_key) DO NOTHING""",
        case_id,
        msgspec.json.encode(fetch).decode(),
        f"fetch:{dedup}",
        now,
        now,
    )
