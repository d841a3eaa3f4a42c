"""Rosters: a squad's shifts a week at a time, leave, and who is on shift when.

A week is replaced in one transaction under the squad's advisory lock; the database's
exclusion constraint refuses an overlap with a neighbouring week's shift (a Sunday night
shift that runs into Monday)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from domain.duty.roster import (
    MAX_SHIFT,
    WEEK,
    LeaveKind,
    PlannedShift,
    Span,
    check_leave,
    check_no_overlap,
    check_shift,
    shifted,
)
from domain.errors import Conflict, InvalidInput, NotFound
from domain.org import Role
from storage.db import engine
from storage.tables import DutyLeave, DutyShift

_LOCK_SPACE = 0x0D07  # pg_advisory_xact_lock(space, squad): a squad's roster


class ShiftRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One shift (班次) of the roster."""

    id: int
    squad_id: int
    officer_id: int
    officer_name: str
    starts_at: datetime
    ends_at: datetime
    grid_ids: list[int]
    area_note: str | None


class LeaveRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Leave (请假) of one officer."""

    id: int
    squad_id: int
    officer_id: int
    officer_name: str
    starts_at: datetime
    ends_at: datetime
    kind: LeaveKind
    reason: str | None


# The officers on shift at an instant: a shift covers it (shifts last at most 24 h, so
# only those that started within a day are looked at, through (officer, starts_at)) and
# no leave does. ``{officer}`` is the column naming the officer; the instant is bound
# ``ON_SHIFT_ARGS`` times, as the query's next placeholders.
ON_SHIFT_SQL = """EXISTS (SELECT 1 FROM duty_shift s
                  WHERE s.officer = {officer} AND s.starts_at <= {{}}::timestamptz
                    AND s.starts_at > {{}}::timestamptz - interval '24 hours'
                    AND s.ends_at > {{}}::timestamptz)
              AND NOT EXISTS (SELECT 1 FROM duty_leave l
                  WHERE l.officer = {officer} AND l.starts_at <= {{}}::timestamptz
                    AND l.ends_at > {{}}::timestamptz)"""
ON_SHIFT_ARGS = 5  # how often the instant is bound in ON_SHIFT_SQL


def on_shift_sql(officer_column: str) -> str:
    return ON_SHIFT_SQL.format(officer=officer_column)


_SHIFT_COLUMNS = """s.id, s.squad, s.officer, u.display_name, s.starts_at, s.ends_at,
                    s.grid_ids, s.area_note"""


def _shift(r: dict[str, Any]) -> ShiftRecord:
    return ShiftRecord(
        id=r["id"],
        squad_id=r["squad"],
        officer_id=r["officer"],
        officer_name=r["display_name"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        grid_ids=list(r["grid_ids"] or []),
        area_note=r["area_note"],
    )


async def week_shifts(squad_id: int, week: Span) -> list[ShiftRecord]:
    """The squad's shifts that start in ``week``, by start then officer."""
    rows = await DutyShift.raw(
        f"""SELECT {_SHIFT_COLUMNS} FROM duty_shift s JOIN staff_user u ON u.id = s.officer
             WHERE s.squad = {{}} AND s.starts_at >= {{}} AND s.starts_at < {{}}
             ORDER BY s.starts_at, s.officer, s.id""",
        squad_id,
        week.starts_at,
        week.ends_at,
    )
    return [_shift(r) for r in rows]


async def _squad_officers(squad_id: int) -> set[int]:
    rows = await DutyShift.raw(
        "SELECT id FROM staff_user WHERE squad = {} AND role = {} AND is_active",
        squad_id,
        Role.officer.value,
    )
    return {r["id"] for r in rows}


async def replace_week(
    squad_id: int, week: Span, shifts: list[PlannedShift], by: int, now: datetime
) -> list[ShiftRecord]:
    """Make ``shifts`` the squad's roster for ``week``, all or nothing: every shift is
    checked (ends after it starts, ≤ 24 h, starts in the week, its officer an active
    officer of the squad, no overlaps among them or with neighbouring weeks)."""
    for shift in shifts:
        check_shift(shift, week)
    check_no_overlap(shifts)
    async with engine().transaction():
        await DutyShift.raw("SELECT pg_advisory_xact_lock({}, {})", _LOCK_SPACE, squad_id)
        officers = await _squad_officers(squad_id)
        strangers = sorted({s.officer_id for s in shifts} - officers)
        if strangers:
            raise InvalidInput(
                "shift_officer_invalid",
                f"not active officers of this squad: {', '.join(map(str, strangers))}",
            )
        grids = sorted({g for s in shifts for g in s.grid_ids})
        if grids:
            known = await DutyShift.raw(
                "SELECT id FROM grid_cell WHERE squad = {} AND id = ANY({}::int[])",
                squad_id,
                grids,
            )
            if len(known) != len(grids):
                raise InvalidInput("shift_grid_invalid", "grid cells must be the squad's own")
        await DutyShift.raw(
            "DELETE FROM duty_shift WHERE squad = {} AND starts_at >= {} AND starts_at < {}",
            squad_id,
            week.starts_at,
            week.ends_at,
        )
        try:
            for s in shifts:  # a week of a squad: a few hundred rows at most
                await DutyShift.raw(
                    """INSERT INTO duty_shift (squad, officer, starts_at, ends_at, grid_ids,
                                               area_note, created_by, created_at)
                       VALUES ({}, {}, {}, {}, {}::int[], {}, {}, {})""",
                    squad_id,
                    s.officer_id,
                    s.span.starts_at,
                    s.span.ends_at,
                    list(s.grid_ids),
                    s.area_note,
                    by,
                    now,
                )
        except asyncpg.ExclusionViolationError as exc:
            raise Conflict(
                "shift_overlap", "a shift overlaps the officer's shift in a neighbouring week"
            ) from exc
    return await week_shifts(squad_id, week)


async def copy_previous(squad_id: int, week: Span, by: int, now: datetime) -> list[ShiftRecord]:
    """Replace ``week`` with the week before's shifts, a week later (same weekdays and
    times). Shifts of officers no longer in the squad are left out."""
    previous = Span(week.starts_at - WEEK, week.starts_at)
    officers = await _squad_officers(squad_id)
    planned = [
        shifted(
            PlannedShift(s.officer_id, Span(s.starts_at, s.ends_at), tuple(s.grid_ids), s.area_note)
        )
        for s in await week_shifts(squad_id, previous)
        if s.officer_id in officers
    ]
    return await replace_week(squad_id, week, planned, by, now)


async def officer_shifts(officer_id: int, span: Span) -> list[ShiftRecord]:
    """The officer's shifts that overlap ``span``, by start."""
    rows = await DutyShift.raw(
        f"""SELECT {_SHIFT_COLUMNS} FROM duty_shift s JOIN staff_user u ON u.id = s.officer
             WHERE s.officer = {{}} AND s.starts_at < {{}} AND s.starts_at > {{}}
               AND s.ends_at > {{}}
             ORDER BY s.starts_at""",
        officer_id,
        span.ends_at,
        span.starts_at - MAX_SHIFT,
        span.starts_at,
    )
    return [_shift(r) for r in rows]


async def current_shift_ends(officer_ids: list[int], t: datetime) -> dict[int, datetime]:
    """For each officer on shift at ``t`` (and not on leave), when that shift ends."""
    if not officer_ids:
        return {}
    rows = await DutyShift.raw(
        """SELECT s.officer, s.ends_at FROM duty_shift s
            WHERE s.officer = ANY({}::int[]) AND s.starts_at <= {} AND s.starts_at > {}
              AND s.ends_at > {}
              AND NOT EXISTS (SELECT 1 FROM duty_leave l WHERE l.officer = s.officer
                                 AND l.starts_at <= {} AND l.ends_at > {})""",
        officer_ids,
        t,
        t - MAX_SHIFT,
        t,
        t,
        t,
    )
    return {r["officer"]: r["ends_at"] for r in rows}


# --- leave -------------------------------------------------------------------------

_LEAVE_COLUMNS = (
    "l.id, l.squad, l.officer, u.display_name, l.starts_at, l.ends_at, l.kind, l.reason"
)


def _leave(r: dict[str, Any]) -> LeaveRecord:
    return LeaveRecord(
        id=r["id"],
        squad_id=r["squad"],
        officer_id=r["officer"],
        officer_name=r["display_name"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        kind=LeaveKind(r["kind"]),
        reason=r["reason"],
    )


async def create_leave(
    squad_id: int,
    officer_id: int,
    span: Span,
    kind: LeaveKind,
    reason: str | None,
    by: int,
    now: datetime,
) -> LeaveRecord:
    """Record leave for an officer of the squad (409 ``leave_overlap`` over other leave)."""
    check_leave(span)
    async with engine().transaction():
        await DutyShift.raw("SELECT pg_advisory_xact_lock({}, {})", _LOCK_SPACE, squad_id)
        if officer_id not in await _squad_officers(squad_id):
            raise InvalidInput("shift_officer_invalid", "not an active officer of this squad")
        clash = await DutyLeave.raw(
            """SELECT 1 FROM duty_leave WHERE officer = {} AND starts_at < {} AND ends_at > {}
                LIMIT 1""",
            officer_id,
            span.ends_at,
            span.starts_at,
        )
        if clash:
            raise Conflict("leave_overlap", "the officer is on leave for part of that time")
        rows = await DutyLeave.raw(
            """INSERT INTO duty_leave (squad, officer, starts_at, ends_at, kind, reason,
                                       created_by, created_at)
               VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id""",
            squad_id,
            officer_id,
            span.starts_at,
            span.ends_at,
            kind.value,
            reason,
            by,
            now,
        )
        made = await get_leave(rows[0]["id"])
    assert made is not None
    return made


async def get_leave(leave_id: int) -> LeaveRecord | None:
    rows = await DutyLeave.raw(
        f"""SELECT {_LEAVE_COLUMNS} FROM duty_leave l JOIN staff_user u ON u.id = l.officer
             WHERE l.id = {{}}""",
        leave_id,
    )
    return _leave(rows[0]) if rows else None


async def squad_leave(squad_id: int, span: Span) -> list[LeaveRecord]:
    """The squad's leave that overlaps ``span``, by start."""
    rows = await DutyLeave.raw(
        f"""SELECT {_LEAVE_COLUMNS} FROM duty_leave l JOIN staff_user u ON u.id = l.officer
             WHERE l.squad = {{}} AND l.starts_at < {{}} AND l.ends_at > {{}}
             ORDER BY l.starts_at, l.id""",
        squad_id,
        span.ends_at,
        span.starts_at,
    )
    return [_leave(r) for r in rows]


async def cancel_leave(leave_id: int) -> LeaveRecord:
    async with engine().transaction():
        leave = await get_leave(leave_id)
        if leave is None:
            raise NotFound("leave_not_found", f"no leave {leave_id}")
        await DutyLeave.delete().where(DutyLeave.id == leave_id)
    assert leave is not None
    return leave


__all__ = [
    "ON_SHIFT_ARGS",
    "LeaveRecord",
    "ShiftRecord",
    "cancel_leave",
    "copy_previous",
    "create_leave",
    "current_shift_ends",
    "officer_shifts",
    "on_shift_sql",
    "replace_week",
    "squad_leave",
    "week_shifts",
]
