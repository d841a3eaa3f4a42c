"""The position track (personal data) and duty transitions.

``record_duty`` is called inside ``set_duty``'s transaction: one insert per position
(through the (officer, at) index, nothing else), and one per change of duty status.
Positions are purged after ``OFFSITE_POSITION_RETENTION_DAYS``; transitions are kept
(they are the duty figures' record, and hold no position)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.duty.figures import Transition
from domain.duty.roster import Span
from domain.geo import CoordType, LngLat, Location
from storage.tables import DutyTransition, PositionFix

TRACK_MAX_POINTS = 20_000


class TrackPoint(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    location: Location
    accuracy_m: float | None


class DutyChange(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    on_duty: bool


class Track(msgspec.Struct, frozen=True, kw_only=True):
    """An officer's positions and duty changes over ``[from_, to)``, oldest first."""

    user_id: int
    from_: datetime = msgspec.field(name="from")
    to: datetime
    points: list[TrackPoint]
    duty_changes: list[DutyChange]
    truncated: bool


async def lock_duty(officer_id: int) -> bool:
    """The user's duty status, their row locked to the end of the transaction (so two
    phones' changes record their transitions in order)."""
    rows = await DutyTransition.raw(
        "SELECT on_duty FROM staff_user WHERE id = {} FOR UPDATE", officer_id
    )
    return bool(rows and rows[0]["on_duty"])


async def record_duty(
    officer_id: int,
    was_on_duty: bool,
    on_duty: bool,
    position: LngLat | None,
    accuracy_m: float | None,
    now: datetime,
) -> None:
    """Append the position (if any) to the track and the change of duty (if it is one).
    Runs inside the caller's transaction."""
    if position is not None:
        await PositionFix.raw(
            """INSERT INTO position_fix (officer, at, lng, lat, accuracy_m)
               VALUES ({}, {}, {}, {}, {})""",
            officer_id,
            now,
            position.lng,
            position.lat,
            accuracy_m,
        )
    if was_on_duty != on_duty:
        await DutyTransition.raw(
            "INSERT INTO duty_transition (officer, at, on_duty) VALUES ({}, {}, {})",
            officer_id,
            now,
            on_duty,
        )


async def track(officer_id: int, span: Span, coord_type: CoordType) -> Track:
    """Positions in ``coord_type`` and duty changes over ``span`` (at most
    ``TRACK_MAX_POINTS`` points: ``truncated`` says when more were left out)."""
    rows = await PositionFix.raw(
        """SELECT at, lng, lat, accuracy_m FROM position_fix
            WHERE officer = {} AND at >= {} AND at < {} ORDER BY at LIMIT {}""",
        officer_id,
        span.starts_at,
        span.ends_at,
        TRACK_MAX_POINTS + 1,
    )
    changes = await DutyTransition.raw(
        """SELECT at, on_duty FROM duty_transition
            WHERE officer = {} AND at >= {} AND at < {} ORDER BY at""",
        officer_id,
        span.starts_at,
        span.ends_at,
    )
    return Track(
        user_id=officer_id,
        from_=span.starts_at,
        to=span.ends_at,
        points=[
            TrackPoint(
                at=r["at"],
                location=Location.from_wgs84(r["lng"], r["lat"], coord_type),
                accuracy_m=r["accuracy_m"],
            )
            for r in rows[:TRACK_MAX_POINTS]
        ],
        duty_changes=[DutyChange(at=c["at"], on_duty=c["on_duty"]) for c in changes],
        truncated=len(rows) > TRACK_MAX_POINTS,
    )


async def transitions(officer_ids: list[int], span: Span) -> dict[int, list[Transition]]:
    """Each officer's duty transitions in ``span``, with the last one before it (whether
    they were on duty when it began), oldest first."""
    if not officer_ids:
        return {}
    rows = await DutyTransition.raw(
        """SELECT officer, at, on_duty FROM duty_transition
            WHERE officer = ANY({}::int[]) AND at >= {} AND at < {}
           UNION ALL
           (SELECT DISTINCT ON (officer) officer, at, on_duty FROM duty_transition
             WHERE officer = ANY({}::int[]) AND at < {}
             ORDER BY officer, at DESC)""",
        officer_ids,
        span.starts_at,
        span.ends_at,
        officer_ids,
        span.starts_at,
    )
    out: dict[int, list[Transition]] = {o: [] for o in officer_ids}
    for r in rows:
        out[r["officer"]].append(Transition(r["at"], r["on_duty"]))
    for listed in out.values():
        listed.sort(key=lambda t: t.at)
    return out


async def purge_positions(before: datetime) -> int:
    """Delete positions taken before ``before``; how many."""
    rows = await PositionFix.raw(
        "WITH gone AS (DELETE FROM position_fix WHERE at < {} RETURNING 1) "
        "SELECT count(*) AS n FROM gone",
        before,
    )
    return int(rows[0]["n"])
