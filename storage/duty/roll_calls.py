"""Roll calls (点名抽查): asked with an inbox notification in one transaction, answered by
the officer, marked missed at the deadline (a deferred job, and the minute's reconciler
for a job Redis lost)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.cases.machine import Actor
from domain.duty.roll_calls import RollCallState, answered_state, deadline
from domain.errors import Conflict, NotFound
from domain.geo import CoordType, LngLat, Location
from domain.org import Role, Scope
from storage import idempotency
from storage.db import engine
from storage.duty.roster import ON_SHIFT_ARGS, on_shift_sql
from storage.scoping import squad_filter
from storage.tables import Outbox, RollCall


class RollCallRead(msgspec.Struct, frozen=True, kw_only=True):
    """A roll-call spot check and its answer."""

    id: int
    squad_id: int
    officer_id: int
    officer_name: str
    asked_by: int | None
    asked_at: datetime
    deadline_at: datetime
    state: RollCallState
    state_label_zh: str
    answered_at: datetime | None
    location: Location | None
    accuracy_m: float | None
    note: str | None
    has_photo: bool
    photo_url: str | None = None  # on the single read: a short-lived link


_COLUMNS = """r.id, r.squad, r.officer, u.display_name, r.asked_by, r.asked_at, r.deadline_at,
              r.state, r.answered_at, r.lng, r.lat, r.accuracy_m, r.note,
              r.photo_at IS NOT NULL AS has_photo"""


def _read(r: dict[str, Any], coord_type: CoordType = CoordType.wgs84) -> RollCallRead:
    state = RollCallState(r["state"])
    return RollCallRead(
        id=r["id"],
        squad_id=r["squad"],
        officer_id=r["officer"],
        officer_name=r["display_name"],
        asked_by=r["asked_by"],
        asked_at=r["asked_at"],
        deadline_at=r["deadline_at"],
        state=state,
        state_label_zh=state.label_zh,
        answered_at=r["answered_at"],
        location=(
            Location.from_wgs84(r["lng"], r["lat"], coord_type) if r["lng"] is not None else None
        ),
        accuracy_m=r["accuracy_m"],
        note=r["note"],
        has_photo=r["has_photo"],
    )


async def get(roll_call_id: int, coord_type: CoordType = CoordType.wgs84) -> RollCallRead | None:
    rows = await RollCall.raw(
        f"""SELECT {_COLUMNS} FROM roll_call r JOIN staff_user u ON u.id = r.officer
             WHERE r.id = {{}}""",
        roll_call_id,
    )
    return _read(rows[0], coord_type) if rows else None


async def ask(
    officer_id: int, scope: Scope, asked_by: int, within_minutes: int, now: datetime
) -> RollCallRead:
    """Ask an on-shift officer in ``scope`` to report within ``within_minutes``: the roll
    call and the officer's notification commit together."""
    due = deadline(now, within_minutes)
    async with engine().transaction():
        args: list[object] = [officer_id, Role.officer.value]
        where = squad_filter(scope, "u.squad", args)
        officer = await RollCall.raw(
            f"""SELECT u.id, u.squad, {on_shift_sql("u.id")} AS on_shift FROM staff_user u
                 WHERE u.id = {{}} AND u.role = {{}} AND u.is_active{where}""",
            *([now] * ON_SHIFT_ARGS),
            *args,
        )
        if not officer:
            raise NotFound("officer_not_found", f"no officer {officer_id} in your jurisdiction")
        if not officer[0]["on_shift"]:
            raise Conflict("officer_not_on_shift", "roll calls go to officers on shift")
        squad = officer[0]["squad"]
        rows = await RollCall.raw(
            """INSERT INTO roll_call (squad, officer, asked_by, asked_at, deadline_at, state)
               VALUES ({}, {}, {}, {}, {}, 'pending') RETURNING id""",
            squad,
            officer_id,
            asked_by,
            now,
            due,
        )
        roll_call_id = rows[0]["id"]
        await Outbox.insert(
            Outbox(
                kind="notification",
                topic="duty.roll_call",
                recipient=officer_id,
                created_at=now,
                next_attempt_at=now,
                payload=msgspec.json.encode(
                    {
                        "roll_call_id": roll_call_id,
                        "squad_id": squad,
                        "within_minutes": within_minutes,
                        "deadline_at": due.isoformat(),
                    }
                ).decode(),
                dedup_key=f"roll-call:{roll_call_id}",
            )
        )
        made = await get(roll_call_id)
    assert made is not None
    return made


async def answer(
    roll_call_id: int,
    officer_id: int,
    position: LngLat,
    accuracy_m: float | None,
    note: str | None,
    now: datetime,
    idem: idempotency.Key | None,
    photo_key: str | None = None,
) -> RollCallRead:
    """The officer's answer with their position (and the photo uploaded to ``photo_key``,
    checked present by the caller): in time up to the deadline, late after it (also once
    it was marked missed). Only the officer asked may answer."""
    actor = Actor(officer_id, Role.officer, None)
    async with engine().transaction():
        if idem is not None and (stored := await idempotency.begin(actor, idem)) is not None:
            return msgspec.convert(stored, RollCallRead)
        rows = await RollCall.raw(
            """SELECT officer, state, deadline_at, photo_key FROM roll_call
                WHERE id = {} FOR UPDATE""",
            roll_call_id,
        )
        if not rows or rows[0]["officer"] != officer_id:
            raise NotFound("roll_call_not_found", f"no roll call {roll_call_id} for you")
        if photo_key is not None and rows[0]["photo_key"] != photo_key:
            raise Conflict("roll_call_photo_missing", "a newer photo grant replaced this one")
        state = answered_state(RollCallState(rows[0]["state"]), rows[0]["deadline_at"], now)
        await RollCall.raw(
            """UPDATE roll_call SET state = {}, answered_at = {}, lng = {}, lat = {},
                      accuracy_m = {}, note = {}, photo_at = {} WHERE id = {}""",
            state.value,
            now,
            position.lng,
            position.lat,
            accuracy_m,
            note,
            now if photo_key is not None else None,
            roll_call_id,
        )
        done = await get(roll_call_id)
        assert done is not None
        if idem is not None:
            await idempotency.finish(actor, idem, msgspec.to_builtins(done))
    assert done is not None
    return done


async def photo_key(roll_call_id: int, answered: bool) -> str | None:
    """The key of the roll call's photo: granted (``answered`` False) or part of the
    answer (True)."""
    rows = await RollCall.raw(
        "SELECT photo_key, photo_at FROM roll_call WHERE id = {}", roll_call_id
    )
    if not rows or (answered and rows[0]["photo_at"] is None):
        return None
    key: str | None = rows[0]["photo_key"]
    return key


async def expire(roll_call_id: int, now: datetime) -> bool:
    """Mark the roll call missed if it is still pending past its deadline."""
    rows = await RollCall.raw(
        """UPDATE roll_call SET state = 'missed'
            WHERE id = {} AND state = 'pending' AND deadline_at < {} RETURNING id""",
        roll_call_id,
        now,
    )
    return bool(rows)


async def expire_all(now: datetime) -> int:
    """Mark every pending roll call past its deadline missed; how many."""
    rows = await RollCall.raw(
        """WITH gone AS (UPDATE roll_call SET state = 'missed'
                          WHERE state = 'pending' AND deadline_at < {} RETURNING 1)
           SELECT count(*) AS n FROM gone""",
        now,
    )
    return int(rows[0]["n"])


async def pending() -> list[tuple[int, datetime]]:
    """Pending roll calls and their deadlines (for re-queueing lost deadline jobs)."""
    rows = await RollCall.raw(
        "SELECT id, deadline_at FROM roll_call WHERE state = 'pending' ORDER BY deadline_at"
    )
    return [(r["id"], r["deadline_at"]) for r in rows]


async def listed(
    scope: Scope,
    *,
    officer_id: int | None = None,
    state: RollCallState | None = None,
    before_id: int | None = None,
    limit: int = 100,
    coord_type: CoordType = CoordType.wgs84,
) -> list[RollCallRead]:
    """Roll calls in ``scope`` (or of one officer), newest first."""
    args: list[object] = []
    where = squad_filter(scope, "r.squad", args)
    if officer_id is not None:
        args.append(officer_id)
        where += " AND r.officer = {}"
    if state is not None:
        args.append(state.value)
        where += " AND r.state = {}"
    if before_id:
        args.append(before_id)
        where += " AND r.id < {}"
    args.append(limit)
    rows = await RollCall.raw(
        f"""SELECT {_COLUMNS} FROM roll_call r JOIN staff_user u ON u.id = r.officer
             WHERE TRUE{where} ORDER BY r.id DESC LIMIT {{}}""",
        *args,
    )
    return [_read(r, coord_type) for r in rows]


async def states_in(
    squad_id: int, start: datetime, end: datetime
) -> dict[int, list[RollCallState]]:
    """The states of the squad's roll calls asked in ``[start, end)``, per officer."""
    rows = await RollCall.raw(
        """SELECT officer, state FROM roll_call
            WHERE squad = {} AND asked_at >= {} AND asked_at < {}""",
        squad_id,
        start,
        end,
    )
    out: dict[int, list[RollCallState]] = {}
    for r in rows:
        out.setdefault(r["officer"], []).append(RollCallState(r["state"]))
    return out
