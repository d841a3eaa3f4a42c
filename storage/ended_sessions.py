"""Sessions that ended (sign-out, deactivation, a new password or role, refresh reuse),
known to every API process at once, so their access tokens stop working at once.

A session is one sign-in: the family of its rotating refresh tokens. Access tokens name
it (claim ``sid``) and are self-contained for 15 minutes, so a process cannot tell by
the token alone that the session ended. The database is the record (``revoked_at`` on
the family's refresh tokens); the transaction that ends a session also ``pg_notify``\\s
its family, which PostgreSQL delivers to every listening process when (and only if) it
commits. Each process keeps the recently ended families in a set: checking a request is
a set lookup, no round trip. Only the last access-token lifetime matters (an older
family's access tokens have expired), so the set stays small. While the listener is not
connected, a process asks the database instead: slower, never wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import asyncpg

from storage.tables import RefreshToken

CHANNEL = "offsite_session_ended"
log = logging.getLogger("offsite.sessions")
# pg_notify refuses payloads of 8000 bytes or more; 36 characters and a comma each.
_PER_NOTICE = 150


async def announce(families: Iterable[uuid.UUID]) -> None:
    """Tell every API process, at commit, that these sessions ended."""
    ended = sorted({str(f) for f in families})
    for start in range(0, len(ended), _PER_NOTICE):
        payload = ",".join(ended[start : start + _PER_NOTICE])
        await RefreshToken.raw("SELECT pg_notify({}, {})", CHANNEL, payload)


async def ended_in_database(family: uuid.UUID) -> bool:
    """Whether any token of the family was revoked (revocation covers the whole family)."""
    return bool(
        await RefreshToken.exists().where(
            (RefreshToken.family == family) & RefreshToken.revoked_at.is_not_null()
        )
    )


async def _ended_since(since: datetime) -> list[uuid.UUID]:
    rows = await RefreshToken.raw(
        "SELECT DISTINCT family FROM refresh_token WHERE revoked_at > {}", since
    )
    return [row["family"] for row in rows]


class EndedSessions:
    """One process's view of the sessions ended within the last ``keep_s`` seconds
    (an access token's lifetime plus the clock leeway)."""

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._ended: dict[uuid.UUID, float] = {}  # family -> when heard (monotonic)
        self._pruned = time.monotonic()
        self.connected = False

    async def has_ended(self, family: uuid.UUID) -> bool:
        """Whether the session is over; a set lookup while the listener is connected."""
        if not self.connected:
            return await ended_in_database(family)
        self._prune()
        return family in self._ended

    def note(self, families: Iterable[uuid.UUID]) -> None:
        heard = time.monotonic()
        for family in families:
            self._ended[family] = heard

    def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned < 60:
            return
        self._pruned = now
        self._ended = {f: t for f, t in self._ended.items() if now - t < self.keep_s}

    def _on_notice(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            self.note(uuid.UUID(part) for part in payload.split(","))
        except ValueError:
            # Not ours to guess: ask the database until the listener is back.
            log.warning("unreadable session notice; reconnecting")
            self.connected = False

    async def listen(self, dsn: str) -> None:
        """Hold a LISTEN connection for the life of the process (run as a task)."""
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notice)
                # Listening first, then reading: a session ended in between is in one or
                # the other (or both), never in neither.
                since = datetime.now(UTC) - timedelta(seconds=self.keep_s)
                self.note(await _ended_since(since))
                self.connected = True
                while self.connected and not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=5.0)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("session listener lost: %s; retrying", exc)
            finally:
                self.connected = False
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(1.0)
