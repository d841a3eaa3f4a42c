"""The audit chain: each timeline entry carries the hash of the one before it.

An entry's hash covers every field of the entry and the previous hash, in a canonical
encoding (sorted keys, UTC times with microseconds), so an edit, insertion, deletion or
reordering anywhere in a case's timeline shows when the chain is verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

GENESIS = "0" * 64


class ChainEntry(msgspec.Struct, frozen=True, kw_only=True):
    case_id: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]
    lng: float | None = None
    lat: float | None = None
    prev_hash: str


class ChainReport(msgspec.Struct, frozen=True):
    case_id: int
    ok: bool
    entries: int
    broken_at_seq: int | None = None
    reason: str | None = None


def _canonical(entry: ChainEntry) -> bytes:
    fields = msgspec.structs.asdict(entry)
    fields["at"] = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    return msgspec.json.encode(fields, order="sorted")


def entry_hash(entry: ChainEntry) -> str:
    """The SHA-256 (hex) that the next entry will carry as ``prev_hash``."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def verify(case_id: int, entries: Iterable[tuple[ChainEntry, str]]) -> ChainReport:
    """Check ``(entry, stored hash)`` pairs in ``seq`` order."""
    prev, count = GENESIS, 0
    for count, (entry, stored) in enumerate(entries, start=1):
        if entry.seq != count:
            return ChainReport(case_id, False, count, entry.seq, "sequence has a gap")
        if entry.prev_hash != prev:
            return ChainReport(case_id, False, count, entry.seq, "previous hash does not match")
        if entry_hash(entry) != stored:
            return ChainReport(case_id, False, count, entry.seq, "entry was altered")
        prev = stored
    if count == 0:
        return ChainReport(case_id, False, 0, None, "no timeline")
    return ChainReport(case_id, True, count)
