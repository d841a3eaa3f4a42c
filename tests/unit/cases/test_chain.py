from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.cases.chain import GENESIS, ChainEntry, ChainReport, entry_hash, verify

CASE_ID = 42
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

STEPS: list[tuple[str, str | None, str, dict[str, Any]]] = [
    ("created", None, "pending_triage", {"source": "patrol"}),
    ("dispatch", "pending_triage", "dispatched", {"squad_id": 3, "officer_id": 11}),
    ("accept", "dispatched", "in_progress", {"note": ""}),
    ("verify", "in_progress", "pending_review", {"outcome": "corrected_on_site"}),
    ("close", "pending_review", "closed", {"note": "ok"}),
]


def build(
    steps: list[tuple[str, str | None, str, dict[str, Any]]] = STEPS,
) -> list[tuple[ChainEntry, str]]:
    chain: list[tuple[ChainEntry, str]] = []
    prev = GENESIS
    for seq, (action, from_state, to_state, data) in enumerate(steps, start=1):
        entry = ChainEntry(
            case_id=CASE_ID,
            seq=seq,
            at=T0 + timedelta(minutes=7 * seq, microseconds=seq),
            actor_id=11 if seq > 1 else None,
            actor_role="officer" if seq > 1 else None,
            action=action,
            from_state=from_state,
            to_state=to_state,
            data=data,
            lng=121.47 if seq % 2 else None,
            lat=31.23 if seq % 2 else None,
            prev_hash=prev,
        )
        prev = entry_hash(entry)
        chain.append((entry, prev))
    return chain


def edit(
    chain: list[tuple[ChainEntry, str]], index: int, **changes: Any
) -> list[tuple[ChainEntry, str]]:
    """The chain with one entry's fields changed but its stored hash kept."""
    out = list(chain)
    entry, stored = out[index]
    out[index] = (msgspec.structs.replace(entry, **changes), stored)
    return out


def rehash_from(chain: list[tuple[ChainEntry, str]], index: int) -> list[tuple[ChainEntry, str]]:
    """Recompute the stored hash of entry ``index`` only (a careful forger's first step)."""
    out = list(chain)
    entry, _ = out[index]
    out[index] = (entry, entry_hash(entry))
    return out


def test_a_built_chain_verifies() -> None:
    report = verify(CASE_ID, build())
    assert report == ChainReport(CASE_ID, True, len(STEPS))


def test_an_empty_timeline_does_not_verify() -> None:
    report = verify(CASE_ID, [])
    assert not report.ok
    assert report.entries == 0


@pytest.mark.parametrize("index", range(len(STEPS)))
def test_edited_data_is_detected_at_that_entry(index: int) -> None:
    chain = build()
    entry = chain[index][0]
    report = verify(CASE_ID, edit(chain, index, data=entry.data | {"note": "edited"}))
    assert not report.ok
    assert report.broken_at_seq == index + 1
    assert report.reason == "entry was altered"


@pytest.mark.parametrize(
    "changes",
    [
        {"at": T0 + timedelta(days=1)},
        {"actor_id": 99},
        {"actor_role": "admin"},
        {"action": "dismiss"},
        {"to_state": "dismissed"},
        {"lng": 0.0},
    ],
)
def test_any_edited_field_is_detected(changes: dict[str, Any]) -> None:
    report = verify(CASE_ID, edit(build(), 2, **changes))
    assert not report.ok
    assert report.broken_at_seq == 3


def test_edited_time_by_one_microsecond_is_detected() -> None:
    chain = build()
    at = chain[1][0].at + timedelta(microseconds=1)
    report = verify(CASE_ID, edit(chain, 1, at=at))
    assert (report.ok, report.broken_at_seq) == (False, 2)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    chain = rehash_from(edit(build(), 1, data={"squad_id": 4, "officer_id": 11}), 1)
    report = verify(CASE_ID, chain)
    assert not report.ok
    assert report.broken_at_seq == 3
    assert report.reason == "previous hash does not match"


def test_reordered_entries_are_detected() -> None:
    chain = build()
    swapped = [chain[0], chain[2], chain[1], *chain[3:]]
    report = verify(CASE_ID, swapped)
    assert not report.ok
    assert report.broken_at_seq == 3

    # Renumbering the swapped entries does not help: the links no longer match.
    renumbered = edit(edit(swapped, 1, seq=2), 2, seq=3)
    report = verify(CASE_ID, renumbered)
    assert not report.ok
    assert report.broken_at_seq == 2
    assert report.reason in ("previous hash does not match", "entry was altered")


def test_a_removed_middle_entry_leaves_a_gap() -> None:
    chain = build()
    report = verify(CASE_ID, chain[:2] + chain[3:])
    assert not report.ok
    assert report.broken_at_seq == 4
    assert report.reason == "sequence has a gap"

    # Closing the gap by renumbering still breaks the link to the removed entry.
    renumbered = chain[:2] + edit(chain[3:], 0, seq=3)
    report = verify(CASE_ID, renumbered)
    assert not report.ok
    assert report.broken_at_seq == 3


def test_a_removed_first_entry_is_detected() -> None:
    report = verify(CASE_ID, build()[1:])
    assert not report.ok
    assert report.broken_at_seq == 2


def test_wrong_prev_hash_is_detected() -> None:
    chain = build()
    report = verify(CASE_ID, edit(chain, 3, prev_hash="f" * 64))
    assert not report.ok
    assert report.broken_at_seq == 4
    assert report.reason == "previous hash does not match"
    report = verify(CASE_ID, edit(chain, 0, prev_hash=chain[0][1]))
    assert (report.ok, report.broken_at_seq) == (False, 1)


def test_hash_is_independent_of_data_key_order() -> None:
    entry = build()[1][0]
    forward = {"squad_id": 3, "officer_id": 11, "nested": {"a": 1, "b": [1, 2]}}
    backward = {"nested": {"b": [1, 2], "a": 1}, "officer_id": 11, "squad_id": 3}
    assert list(forward) != list(backward)
    a = msgspec.structs.replace(entry, data=forward)
    b = msgspec.structs.replace(entry, data=backward)
    assert entry_hash(a) == entry_hash(b)


offsets = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)),
    st.integers(-14 * 60, 14 * 60),
)


@settings(max_examples=100, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(2000, 1, 2),
        max_value=datetime(2090, 1, 1),
        timezones=st.just(UTC),
    ),
    tz=offsets,
)
def test_hash_is_independent_of_the_timezone_of_at(at: datetime, tz: timezone) -> None:
    entry = build()[2][0]
    in_utc = msgspec.structs.replace(entry, at=at)
    elsewhere = msgspec.structs.replace(entry, at=at.astimezone(tz))
    assert entry_hash(in_utc) == entry_hash(elsewhere)
    later = msgspec.structs.replace(entry, at=at + timedelta(microseconds=1))
    assert entry_hash(later) != entry_hash(in_utc)


def test_china_time_and_utc_hash_alike() -> None:
    entry = build()[1][0]
    cst = timezone(timedelta(hours=8))
    assert entry_hash(entry) == entry_hash(
        msgspec.structs.replace(entry, at=entry.at.astimezone(cst))
    )
