"""Duty figures per squad and officer for a month (formulas in domain/duty/figures.py)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.duty.figures import OfficerFigures, officer_figures, squad_total
from domain.duty.roster import MAX_SHIFT, Span
from domain.org import Role
from storage.blocks import month_bounds
from storage.duty import roll_calls, track
from storage.tables import DutyShift


class DutyFigures(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int
    month: str
    squad: OfficerFigures
    officers: list[OfficerFigures]


async def duty_figures(squad_id: int, month: str, now: datetime) -> DutyFigures:
    """The squad's month: every officer who is in the squad or had a shift in it."""
    start, end = month_bounds(month)
    officers = await DutyShift.raw(
        """SELECT id, display_name FROM staff_user
            WHERE (squad = {} AND role = {} AND is_active)
               OR id IN (SELECT officer FROM duty_shift
                          WHERE squad = {} AND starts_at >= {} AND starts_at < {})
            ORDER BY display_name, id""",
        squad_id,
        Role.officer.value,
        squad_id,
        start,
        end,
    )
    ids = [o["id"] for o in officers]
    shift_rows = await DutyShift.raw(
        """SELECT officer, starts_at, ends_at FROM duty_shift
            WHERE squad = {} AND starts_at >= {} AND starts_at < {} ORDER BY starts_at""",
        squad_id,
        start,
        end,
    )
    shifts: dict[int, list[Span]] = {}
    for r in shift_rows:
        shifts.setdefault(r["officer"], []).append(Span(r["starts_at"], r["ends_at"]))
    duty = await track.transitions(ids, Span(start, end + MAX_SHIFT))
    calls = await roll_calls.states_in(squad_id, start, end)
    rows = [
        officer_figures(
            o["id"],
            o["display_name"],
            shifts.get(o["id"], []),
            duty.get(o["id"], []),
            calls.get(o["id"], []),
            now,
        )
        for o in officers
    ]
    return DutyFigures(squad_id=squad_id, month=month, squad=squad_total(rows), officers=rows)
