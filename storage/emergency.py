"""Emergencies (突发事件) on the case loop: declare, send responders, acknowledge, arrive.

Each command is one transaction on the locked case, with the case's version and an
optional idempotency key, exactly like the case commands; each appends to the case's
hash-chained timeline through ``commands.apply_transition`` (a step that keeps the state),
so the emergency's story *is* the case's audit chain. The first responder becomes the
case's officer when it has none (a Dispatch or Assign through the case machine).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.cases import machine
from domain.cases.machine import Actor, Transition
from domain.cases.model import Action
from domain.emergency import (
    ArrivalKind,
    Candidate,
    Officer,
    ResponderState,
    candidates,
    has_arrived,
    state_of,
    time_to_arrive_s,
)
from domain.emergency.commands import (
    Acknowledge,
    Arrive,
    DeclareEmergency,
    EmergencyFacts,
    SendResponders,
    Step,
    decide,
)
from domain.errors import InvalidInput
from domain.geo import CoordType, LngLat, Location, haversine_m
from domain.org import Role, Scope
from storage import idempotency
from storage.cases import changes, commands, records
from storage.cases.records import CaseRecord
from storage.cases.views import CaseDetail, detail
from storage.db import engine
from storage.roster import squad_officers
from storage.scoping import squad_filter
from storage.tables import Case, CaseResponder, Outbox

_ACTIONS: dict[type, Action] = {
    DeclareEmergency: Action.declare_emergency,
    SendResponders: Action.send_responders,
    Acknowledge: Action.acknowledge,
    Arrive: Action.arrive,
}


class ArrivalEntry(msgspec.Struct, frozen=True):
    """What the timeline records of an arrival."""

    kind: ArrivalKind
    distance_m: float | None
    note: str = ""


class ResponderRead(msgspec.Struct, frozen=True, kw_only=True):
    officer_id: int
    display_name: str
    state: ResponderState
    sent_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    arrival_kind: ArrivalKind | None
    arrival_distance_m: float | None
    time_to_arrive_s: float | None


class CandidateRead(msgspec.Struct, frozen=True, kw_only=True):
    """An officer the desk may send: on shift and on duty, nearest fresh position first."""

    officer_id: int
    display_name: str
    distance_m: float | None
    position_age_s: float | None
    stale: bool
    open_tasks: int
    location: Location | None


async def run(
    deps: commands.Deps,
    case_id: int,
    actor: Actor,
    scope: Scope,
    command: DeclareEmergency | SendResponders | Acknowledge | Arrive,
    *,
    version: int,
    now: datetime,
    position: LngLat | None = None,
    idem: idempotency.Key | None = None,
) -> CaseDetail:
    """Apply one emergency command to one case, exactly once."""
    async with engine().transaction():
        if idem and (replay := await idempotency.begin(actor, idem)) is not None:
            return msgspec.convert(replay, CaseDetail)
        record = await commands.lock_at_version(case_id, scope, version)
        step = decide(await _facts(record), actor, command)
        updated = await _apply(deps, record, actor, command, step, now, position)
        result = await detail(updated)
        if idem:
            await idempotency.finish(actor, idem, msgspec.to_builtins(result))
    return result


class ArrivalWatch(msgspec.Struct, frozen=True):
    """What a duty position update needs to record arrivals at emergencies."""

    deps: commands.Deps
    radius_m: float


async def arrive_by_position(
    watch: ArrivalWatch, officer: int, position: LngLat, now: datetime
) -> list[int]:
    """A phone position (WGS-84) reached the site of emergencies the officer is on the way
    to: record each arrival. Joins the caller's transaction; the cases that were reached."""
    actor = Actor(officer, Role.officer)
    deps, radius_m = watch.deps, watch.radius_m
    rows = await CaseResponder.raw(
        """SELECT r."case" AS case_id, c.lng, c.lat
             FROM case_responder r JOIN enforcement_case c ON c.id = r."case"
            WHERE r.officer = {} AND r.arrived_at IS NULL AND c.emergency
              AND c.state NOT IN ('closed', 'dismissed') AND c.lng IS NOT NULL
            ORDER BY r."case" """,
        officer,
    )
    reached: list[int] = []
    for row in rows:
        if not has_arrived(position, LngLat(row["lng"], row["lat"]), radius_m):
            continue
        record = await records.lock(row["case_id"])
        if record is None or not record.state.is_open:
            continue
        step = decide(await _facts(record), actor, Arrive())
        await _apply(deps, record, actor, Arrive(), step, now, position, by_position=True)
        reached.append(record.id)
    return reached


def _action(command: msgspec.Struct) -> Action:
    """The timeline action of a command (request bodies subclass the commands)."""
    return next(_ACTIONS[kind] for kind in type(command).__mro__ if kind in _ACTIONS)


async def _facts(record: CaseRecord) -> EmergencyFacts:
    rows = await CaseResponder.select(
        CaseResponder.officer, CaseResponder.acknowledged_at, CaseResponder.arrived_at
    ).where(CaseResponder.case == record.id)
    return EmergencyFacts(
        case=record.facts,
        emergency=record.emergency,
        responders=frozenset(r["officer"] for r in rows),
        acknowledged=frozenset(
            r["officer"] for r in rows if r["acknowledged_at"] or r["arrived_at"]
        ),
        arrived=frozenset(r["officer"] for r in rows if r["arrived_at"]),
    )


async def _apply(
    deps: commands.Deps,
    record: CaseRecord,
    actor: Actor,
    command: msgspec.Struct,
    step: Step,
    now: datetime,
    position: LngLat | None,
    *,
    by_position: bool = False,
) -> CaseRecord:
    if step.new_responders:
        await _check_available(record, step.new_responders, now)
    if step.lead is not None:
        await commands.check_people(record, step.lead)
        lead = machine.decide(record.facts, actor, step.lead, now)
        record = await commands.apply_transition(
            deps, record, actor, step.lead, lead, now, position
        )
    if step.declare:
        await Case.update({Case.emergency: True, Case.urgent: True}).where(Case.id == record.id)
        record = await _reread(record.id)
    entry: msgspec.Struct = command
    if step.acknowledge is not None:
        await CaseResponder.update({CaseResponder.acknowledged_at: now}).where(
            (CaseResponder.case == record.id) & (CaseResponder.officer == step.acknowledge)
        )
    if step.arrive is not None:
        entry = await _arrive(record, step.arrive, command, now, position, by_position)
    stay = Transition(action=_action(command), to_state=record.state)
    updated = await commands.apply_transition(deps, record, actor, entry, stay, now, position)
    if step.new_responders:
        await _send(updated, actor, step.new_responders, now)
    return updated


async def _arrive(
    record: CaseRecord,
    officer: int,
    command: msgspec.Struct,
    now: datetime,
    position: LngLat | None,
    by_position: bool,
) -> ArrivalEntry:
    """Record the arrival; a check-in far from the site is kept with its distance, not
    refused (the desk judges it)."""
    site = (
        LngLat(record.lng, record.lat)
        if record.lng is not None and record.lat is not None
        else None
    )
    distance = round(haversine_m(position, site), 1) if position and site else None
    kind = ArrivalKind.position if by_position else ArrivalKind.check_in
    await CaseResponder.update(
        {
            CaseResponder.arrived_at: now,
            CaseResponder.arrival_kind: kind.value,
            CaseResponder.arrival_lng: position.lng if position else None,
            CaseResponder.arrival_lat: position.lat if position else None,
            CaseResponder.arrival_distance_m: distance,
        }
    ).where((CaseResponder.case == record.id) & (CaseResponder.officer == officer))
    await changes.announce(squads=(), users=(officer,))  # off their list: on site now
    note = command.note if isinstance(command, Arrive) else ""
    return ArrivalEntry(kind=kind, distance_m=distance, note=note)


async def _check_available(record: CaseRecord, officer_ids: tuple[int, ...], now: datetime) -> None:
    """Responders are active officers of the case's squad, on shift and on duty now."""
    assert record.squad_id is not None
    known = {o.id: o for o in await squad_officers(record.squad_id, now=now)}
    for officer in officer_ids:
        found = known.get(officer)
        if found is None:
            raise InvalidInput(
                "officer_not_in_squad", f"user {officer} is not an officer of the squad"
            )
        if not (found.on_shift and found.on_duty):
            raise InvalidInput(
                "officer_not_available", f"officer {officer} is not on shift and on duty"
            )


async def _send(
    record: CaseRecord, actor: Actor, officer_ids: tuple[int, ...], now: datetime
) -> None:
    """Responder rows and their call-outs; their task lists change (at commit)."""
    await changes.announce(squads=(record.squad_id,), users=officer_ids)
    for officer in officer_ids:
        await CaseResponder.insert(
            CaseResponder(case=record.id, officer=officer, sent_by=actor.user_id, sent_at=now)
        )
        await Outbox.insert(
            Outbox(
                kind="notification",
                topic="case.emergency",
                recipient=officer,
                recipient_role=None,
                case=record.id,
                created_at=now,
                next_attempt_at=now,
                payload=msgspec.json.encode(
                    {
                        "case_id": record.id,
                        "number": record.number,
                        "state": record.state,
                        "squad_id": record.squad_id,
                    }
                ).decode(),
                dedup_key=f"case:{record.id}:{record.chain_seq}:case.emergency:{officer}",
            )
        )


async def _reread(case_id: int) -> CaseRecord:
    record = await records.get(case_id)
    assert record is not None
    return record


async def responders(case_id: int) -> list[ResponderRead]:
    rows = await CaseResponder.raw(
        """SELECT r.*, u.display_name FROM case_responder r
             JOIN staff_user u ON u.id = r.officer
            WHERE r."case" = {} ORDER BY r.sent_at, r.id""",
        case_id,
    )
    return [
        ResponderRead(
            officer_id=r["officer"],
            display_name=r["display_name"],
            state=state_of(r["acknowledged_at"], r["arrived_at"]),
            sent_at=r["sent_at"],
            acknowledged_at=r["acknowledged_at"],
            arrived_at=r["arrived_at"],
            arrival_kind=ArrivalKind(r["arrival_kind"]) if r["arrival_kind"] else None,
            arrival_distance_m=r["arrival_distance_m"],
            time_to_arrive_s=time_to_arrive_s(r["sent_at"], r["arrived_at"]),
        )
        for r in rows
    ]


async def responder_candidates(
    record: CaseRecord, now: datetime, coord_type: CoordType, limit: int
) -> list[CandidateRead]:
    """The case's squad's officers the desk may send now, ranked (domain.emergency)."""
    if record.squad_id is None or record.lng is None or record.lat is None:
        return []
    officers = await squad_officers(record.squad_id, now=now)
    by_id = {o.id: o for o in officers}
    ranked: list[Candidate] = candidates(
        [
            Officer(
                user_id=o.id,
                on_shift=o.on_shift,
                on_duty=o.on_duty,
                open_tasks=o.open_tasks,
                position=o.last_location.to_wgs84() if o.last_location else None,
                located_at=o.last_located_at,
            )
            for o in officers
        ],
        LngLat(record.lng, record.lat),
        now,
        limit=limit,
    )
    out = []
    for c in ranked:
        officer = by_id[c.user_id]
        location = officer.last_location
        out.append(
            CandidateRead(
                officer_id=c.user_id,
                display_name=officer.display_name,
                distance_m=c.distance_m,
                position_age_s=c.position_age_s,
                stale=c.stale,
                open_tasks=c.open_tasks,
                location=location.expressed_in(coord_type) if location else None,
            )
        )
    return out


class EmergencyRead(msgspec.Struct, frozen=True, kw_only=True):
    """An emergency on the desk's list, with where each responder stands."""

    case_id: int
    number: str
    state: str
    squad_id: int | None
    violation_type: str
    address: str
    location: Location | None
    created_at: datetime
    overdue: bool
    responders: list[ResponderRead]


async def open_emergencies(scope: Scope, coord_type: CoordType) -> list[EmergencyRead]:
    """The emergencies still open in the caller's jurisdiction, newest first."""
    args: list[object] = []
    where = squad_filter(scope, "squad", args)
    rows = await Case.raw(
        f"""SELECT id, number, state, squad, violation_type, address, lng, lat, created_at,
                   overdue
              FROM enforcement_case
             WHERE emergency AND state NOT IN ('closed', 'dismissed'){where}
             ORDER BY created_at DESC, id DESC LIMIT 200""",
        *args,
    )
    out = []
    for r in rows:
        out.append(
            EmergencyRead(
                case_id=r["id"],
                number=r["number"],
                state=r["state"],
                squad_id=r["squad"],
                violation_type=r["violation_type"],
                address=r["address"],
                location=(
                    Location.from_wgs84(r["lng"], r["lat"], coord_type)
                    if r["lng"] is not None
                    else None
                ),
                created_at=r["created_at"],
                overdue=r["overdue"],
                responders=await responders(r["id"]),
            )
        )
    return out
