"""Duty figures per squad and officer for a month (formulas in domain/duty/figures.py)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.duty.figures import OfficerFigures, officer_figures, squad_total
from domain.duty.roster import MAX_SHIFT, SHANGHAI, Span
from domain.emergency import arrival_figures, time_to_arrive_s
from domain.org import Role
from storage import patrol
from storage.blocks import month_bounds
from storage.duty import roll_calls, track
from storage.tables import DutyShift


class CheckinPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The squad's check-ins (巡查签到) for the month so far: planned, done toward the
    plan, all done, and the rate (done toward the plan / planned)."""

    planned: int
    done_toward_plan: int
    done: int
    rate: float | None


class DutyFigures(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int
    month: str
    squad: OfficerFigures
    officers: list[OfficerFigures]
    checkins: CheckinPlan


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
    patrol_month = await patrol.month_summary(squad_id, start.astimezone(SHANGHAI).date(), now)
    checkins = {o.officer_id: o.done for o in patrol_month.officers}
    arrivals = await _arrival_times(squad_id, start, end)
    rows = [
        msgspec.structs.replace(
            officer_figures(
                o["id"],
                o["display_name"],
                shifts.get(o["id"], []),
                duty.get(o["id"], []),
                calls.get(o["id"], []),
                now,
            ),
            checkins_done=checkins.get(o["id"], 0),
            emergencies=arrival_figures(arrivals.get(o["id"], [])),
        )
        for o in officers
    ]
    squad = msgspec.structs.replace(
        squad_total(rows),
        checkins_done=patrol_month.done,
        emergencies=arrival_figures(t for times in arrivals.values() for t in times),
    )
    plan = CheckinPlan(
        planned=patrol_month.planned,
        done_toward_plan=patrol_month.done_toward_plan,
        done=patrol_month.done,
        rate=patrol_month.rate,
    )
    return DutyFigures(squad_id=squad_id, month=month, squad=squad, officers=rows, checkins=plan)


async def _arrival_times(
    squad_id: int, start: datetime, end: datetime
) -> dict[int, list[float | None]]:
    """Each responder sent to the squad's emergencies in the period: dispatch to arrival
    in seconds (None while not arrived), by officer."""
    rows = await DutyShift.raw(
        """SELECT r.officer, r.sent_at, r.arrived_at
             FROM case_responder r JOIN enforcement_case c ON c.id = r."case"
            WHERE c.squad = {} AND r.sent_at >= {} AND r.sent_at < {}""",
        squad_id,
        start,
        end,
    )
    out: dict[int, list[float | None]] = {}
    for r in rows:
        out.setdefault(r["officer"], []).append(time_to_arrive_s(r["sent_at"], r["arrived_at"]))
    return out
