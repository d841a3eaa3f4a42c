"""Who must forget what: change announcements for the board's read cache.

Every transaction that changes cases announces the squads and users whose lists it
touched with ``pg_notify``; PostgreSQL delivers the notice to every listening API
process when (and only if) the transaction commits. ``ReadCache`` keeps the hottest
lists (an officer's tasks, a squad's board) per process and drops them on notice; a
short time-to-live bounds staleness should a notice ever be missed, and a lost
listening connection empties the cache until it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

import asyncpg
import msgspec

from storage.tables import Case

CHANNEL = "offsite_case_changed"
log = logging.getLogger("offsite.cache")


class Notice(msgspec.Struct, frozen=True):
    squads: list[int] = []
    users: list[int] = []
    everything: bool = False


async def announce(squads: Iterable[int | None], users: Iterable[int | None]) -> None:
    """Tell every API process, at commit, which squads' and users' lists changed."""
    notice = Notice(sorted({s for s in squads if s}), sorted({u for u in users if u}))
    payload = msgspec.json.encode(notice)
    if len(payload) > 7000:  # pg_notify's limit is 8000 bytes
        payload = msgspec.json.encode(Notice(everything=True))
    await Case.raw("SELECT pg_notify({}, {})", CHANNEL, payload.decode())


class ReadCache:
    """Per-process cache of list responses, each stored with the generations of the
    squads/users it depends on; a notice bumps them, so stale entries are never served."""

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 20_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[Any, tuple[tuple[int, ...], float, bytes]] = {}
        self._everything = 0
        self._district = 0
        self._squads: dict[int, int] = {}
        self._users: dict[int, int] = {}
        self.connected = False

    def generation(self, *, squad: int | None = None, user: int | None = None) -> tuple[int, ...]:
        """The version a list of this squad (None: the district) or user depends on;
        read it *before* querying, so a change during the query makes the entry stale."""
        if user is not None:
            return (self._everything, self._users.get(user, 0))
        if squad is not None:
            return (self._everything, self._squads.get(squad, 0))
        return (self._everything, self._district)

    def get(self, key: Any, generation: tuple[int, ...]) -> bytes | None:
        if not self.connected:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] != generation or time.monotonic() - entry[1] > self.ttl_s:
            return None
        return entry[2]

    def put(self, key: Any, generation: tuple[int, ...], body: bytes) -> None:
        if not self.connected:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (generation, time.monotonic(), body)

    def invalidate(self, notice: Notice) -> None:
        if notice.everything:
            self._everything += 1
            self._entries.clear()
            return
        self._district += 1
        for squad in notice.squads:
            self._squads[squad] = self._squads.get(squad, 0) + 1
        for user in notice.users:
            self._users[user] = self._users.get(user, 0) + 1

    def _on_notice(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            self.invalidate(msgspec.json.decode(payload, type=Notice))
        except msgspec.DecodeError:
            log.warning("unreadable change notice; dropping the cache")
            self.invalidate(Notice(everything=True))

    async def listen(self, dsn: str) -> None:
        """Hold a LISTEN connection for the life of the process (run as a task)."""
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notice)
                self.invalidate(Notice(everything=True))  # anything missed while away
                self.connected = True
                await lost.wait()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("change listener lost: %s; retrying", exc)
            finally:
                self.connected = False
                self.invalidate(Notice(everything=True))
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(1.0)
