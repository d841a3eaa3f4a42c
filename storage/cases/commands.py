"""The case use cases: create a case from any source, and run a command on one.

Each runs in one transaction: lock, decide (``domain.cases.machine``), then write the
case, its timeline entry, its deadlines and its outbox rows together. A command sent
with an idempotency key is answered from the first run when it comes again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from domain.cases.chain import GENESIS
from domain.cases.dispatch import Candidate, choose_officer
from domain.cases.machine import (
    SYSTEM,
    Actor,
    Assign,
    Dispatch,
    NotifyParty,
    Recheck,
    RecordInspection,
    Release,
    Transition,
    Verify,
    action_of,
    decide,
)
from domain.cases.model import Action, Outcome, Source, State
from domain.catalogue import AutoDispatch, FirstStep, Urgency, ViolationType
from domain.errors import Conflict, InvalidInput, NotFound
from domain.geo import LngLat
from domain.hotspots.cells import cells_of
from domain.org import Role, Scope
from domain.sla.calendar import WorkCalendar
from storage import idempotency, photos
from storage.cases import catalogue, changes, deadlines, records, timeline
from storage.cases.records import CaseRecord
from storage.cases.views import CaseDetail, detail
from storage.db import engine
from storage.duty.roster import ON_SHIFT_ARGS, on_shift_sql
from storage.geography import GeoIndex
from storage.tables import Case, Outbox, Squad, StaffUser, Subject

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Fields of a request body that are not the command itself.
_ENVELOPE = {"version", "location"}


class NewCase(msgspec.Struct, frozen=True, kw_only=True):
    """A case as a source reports it (patrol, complaint, alarm, camera, ...)."""

    source: Source
    violation_type: str
    position: LngLat | None
    address: str = ""
    description: str = ""
    subject_id: int | None = None
    camera_id: int | None = None
    external_id: str | None = None
    origin_key: int | None = None  # the integrator that sent it in
    complainant: dict[str, str] | None = None  # a complaint's caller (personal data)


class Deps(msgspec.Struct, frozen=True):
    """What the case use cases need besides the database."""

    calendar: WorkCalendar
    geo: GeoIndex
    notify_parties: bool = False  # an SMS gateway is configured: soft enforcement is on
    urgent_grades: frozenset[str] | None = frozenset({"D"})  # subjects whose cases are urgent


async def create_case(
    deps: Deps, new: NewCase, actor: Actor, now: datetime, idem: idempotency.Key | None = None
) -> CaseDetail:
    """Record a new case, place it, and dispatch it when its type says so."""
    async with engine().transaction():
        if idem and (replay := await idempotency.begin(actor, idem)) is not None:
            return msgspec.convert(replay, CaseDetail)
        if new.external_id and (existing := await _by_external_id(new)) is not None:
            result = await detail(existing)
        else:
            result = await _create(deps, new, actor, now)
        if idem:
            await idempotency.finish(actor, idem, msgspec.to_builtins(result))
    return result


async def run_command(
    deps: Deps,
    case_id: int,
    actor: Actor,
    scope: Scope,
    command: msgspec.Struct,
    *,
    version: int,
    now: datetime,
    position: LngLat | None = None,
    idem: idempotency.Key | None = None,
) -> CaseDetail:
    """Apply one command to one case, exactly once."""
    async with engine().transaction():
        if idem and (replay := await idempotency.begin(actor, idem)) is not None:
            return msgspec.convert(replay, CaseDetail)
        record = await lock_at_version(case_id, scope, version)
        command = _with_defaults(deps, record, command, now)
        transition = decide(record.facts, actor, command, now)
        await check_people(record, command)
        await _check_photos(record, actor, command)
        updated = await apply_transition(deps, record, actor, command, transition, now, position)
        result = await detail(updated)
        if idem:
            await idempotency.finish(actor, idem, msgspec.to_builtins(result))
    return result


async def lock_at_version(case_id: int, scope: Scope, version: int) -> CaseRecord:
    """The case, locked for a command, if ``scope`` sees it and it is still at ``version``
    (404 ``case_not_found`` / 409 ``case_version_conflict`` otherwise)."""
    record = await records.lock(case_id)
    if record is None or not scope.covers(record.squad_id):
        raise NotFound("case_not_found", f"no case {case_id}")
    if version != record.version:
        raise Conflict(
            "case_version_conflict",
            f"the case changed (version {record.version}, not {version}): reload it",
            current_version=record.version,
        )
    return record


async def release_tasks(deps: Deps, user_id: int, reason: str, now: datetime) -> int:
    """Return a user's open tasks that nobody has started on site to their squads' boards
    (a move, a role change, a departure); joins the caller's transaction. How many."""
    rows = await Case.select(Case.id).where(
        (Case.assignee == user_id)
        & Case.state.is_in([State.dispatched.value, State.in_progress.value])
    )
    for row in rows:
        record = await records.lock(row["id"])
        assert record is not None
        command = Release(reason=reason)
        transition = decide(record.facts, SYSTEM, command, now)
        await apply_transition(deps, record, SYSTEM, command, transition, now, None)
    return len(rows)


def _with_defaults(
    deps: Deps, record: CaseRecord, command: msgspec.Struct, now: datetime
) -> msgspec.Struct:
    """An order without a deadline gets the type's rectification period (限期)."""
    if (
        isinstance(command, Verify)
        and command.outcome is Outcome.rectification_ordered
        and command.rectify_by is None
    ):
        vt = record.vtype
        due = deps.calendar.add(now, vt.sla.rectification, urgent=record.urgent)
        return msgspec.structs.replace(command, rectify_by=due)
    return command


async def _check_photos(record: CaseRecord, actor: Actor, command: msgspec.Struct) -> None:
    """What an officer saw on site must be backed by a photo of this case (uploaded and
    completed; the check may still be running, a refused one does not count)."""
    if actor.is_system or not isinstance(command, Verify | Recheck | RecordInspection):
        return
    if isinstance(command, RecordInspection) and command.clean:
        return  # nothing found: the checklist is the record
    await photos.require_accepted(record.id, command.evidence_ids)


async def check_people(record: CaseRecord, command: msgspec.Struct) -> None:
    """Rules that need the database: the officer must be an active officer of the squad."""
    squad: int | None
    if isinstance(command, Dispatch):
        squad, officer = command.squad_id, command.officer_id
        if not await Squad.exists().where(Squad.id == squad):
            raise InvalidInput("squad_not_found", f"no squad {squad}")
    elif isinstance(command, Assign):
        squad, officer = record.squad_id, command.officer_id
    else:
        return
    if officer is None:
        return
    found = await StaffUser.exists().where(
        (StaffUser.id == officer)
        & (StaffUser.role == Role.officer.value)
        & (StaffUser.squad == squad)
        & (StaffUser.is_active == True)  # noqa: E712
    )
    if not found:
        raise InvalidInput("officer_not_in_squad", f"user {officer} is not an officer of the squad")


async def apply_transition(
    deps: Deps,
    record: CaseRecord,
    actor: Actor,
    command: msgspec.Struct,
    t: Transition,
    now: datetime,
    position: LngLat | None,
) -> CaseRecord:
    vt = record.vtype
    values: dict[Any, Any] = {
        Case.state: t.to_state.value,
        Case.updated_at: now,
        Case.version: record.version + 1,
    }
    if t.violation_type is not None:  # an inspection found a violation: the case is one now
        vt = await catalogue.get_active(t.violation_type)
        values |= {
            Case.violation_type: vt.code,
            Case.type_version: await catalogue.version_of(vt),
            Case.urgent: record.urgent or vt.urgency is Urgency.urgent,
        }
    if t.outcome is not None or t.clear_outcome:
        values[Case.outcome] = t.outcome.value if t.outcome else None
    if t.squad_id is not None:
        values[Case.squad] = t.squad_id
    if t.assignee_id is not None or t.clear_assignee:
        values[Case.assignee] = t.assignee_id
    if t.rectify_by is not None:
        values[Case.rectify_by] = t.rectify_by
    if t.external_ref is not None:
        values[Case.external_ref] = t.external_ref
    if t.rework:
        values[Case.rework_count] = record.rework_count + 1
    if t.extension:
        values[Case.extension_count] = record.extension_count + 1
    values |= _milestones(record, t, now)
    state = await deadlines.sync(
        record.id,
        t.to_state,
        sla=vt.sla,
        urgent=values.get(Case.urgent, record.urgent),
        calendar=deps.calendar,
        now=now,
        restart=t.restart,
        rectify_by=t.rectify_by,
    )
    values[Case.next_due_at] = state.next_due_at
    values[Case.overdue] = state.overdue
    if state.overdue or state.missed_now:
        values[Case.ever_overdue] = True
    data = {k: v for k, v in msgspec.to_builtins(command).items() if k not in _ENVELOPE}
    data |= {"version": record.version + 1}
    if t.rework:
        data["rework"] = True
    head = await timeline.append(
        timeline.ChainHead(record.id, record.chain_seq, record.chain_hash),
        at=now,
        actor=actor,
        action=t.action.value,
        from_state=record.state.value,
        to_state=t.to_state.value,
        data=data,
        lng=position.lng if position else None,
        lat=position.lat if position else None,
    )
    values |= {Case.chain_seq: head.seq, Case.chain_hash: head.hash}
    await Case.update(values).where(Case.id == record.id)
    updated = await records.get(record.id)
    assert updated is not None
    await _notify(updated, t, head.seq, now)
    await changes.announce(
        squads=(record.squad_id, updated.squad_id),
        users=(record.assignee_id, updated.assignee_id),
    )
    return updated


def _milestones(record: CaseRecord, t: Transition, now: datetime) -> dict[Any, Any]:
    """The first time a case reaches each step (for mean times in the figures)."""
    out: dict[Any, Any] = {}
    if t.action is Action.dispatch and record.dispatched_at is None:
        out[Case.dispatched_at] = now
    if t.action is Action.accept and record.accepted_at is None:
        out[Case.accepted_at] = now
    if t.to_state is State.pending_review:
        out[Case.handled_at] = now
    if t.to_state is State.closed:
        out[Case.closed_at] = now
    if t.rework:
        out |= {Case.handled_at: None, Case.closed_at: None}
    return out


async def _notify(case: CaseRecord, t: Transition, seq: int, now: datetime) -> None:
    """Outbox rows for the people the change concerns (delivered by a job)."""
    rows: list[tuple[str, int | None, str | None]] = []
    if t.to_state is State.dispatched and t.action in (
        Action.dispatch,
        Action.assign,
        Action.return_,
        Action.reopen,
        Action.recheck,  # a notified party did not correct it: the squad takes it on
    ):
        if case.assignee_id:
            rows.append(("case.assigned", case.assignee_id, None))
        else:
            rows.append(("case.dispatched", None, Role.squad_leader.value))
    if t.to_state is State.awaiting_rectification and t.action is Action.assign:
        rows.append(("case.assigned", case.assignee_id, None))  # the recheck at the deadline
    if t.to_state is State.pending_review:
        rows.append(("case.review_requested", None, Role.squad_leader.value))
    for topic, user, role in rows:
        await Outbox.insert(
            Outbox(
                kind="notification",
                topic=topic,
                recipient=user,
                recipient_role=role,
                case=case.id,
                created_at=now,
                next_attempt_at=now,
                payload=msgspec.json.encode(
                    {
                        "case_id": case.id,
                        "number": case.number,
                        "state": case.state,
                        "squad_id": case.squad_id,
                    }
                ).decode(),
                dedup_key=f"case:{case.id}:{seq}:{topic}",
            )
        )


def same_external(source: Source, origin_key: int | None, external_id: str) -> Any:
    """Where-clause of the case an outside id names: ids are unique per source *and*
    sending key (two integrators may use the same number); the unique index agrees."""
    sender = Case.origin_key.is_null() if origin_key is None else Case.origin_key == origin_key
    return (Case.source == source.value) & (Case.external_id == external_id) & sender


async def _by_external_id(new: NewCase) -> CaseRecord | None:
    assert new.external_id is not None
    row = (
        await Case.select(Case.id)
        .where(same_external(new.source, new.origin_key, new.external_id))
        .first()
    )
    return await records.get(row["id"]) if row else None


async def _create(deps: Deps, new: NewCase, actor: Actor, now: datetime) -> CaseDetail:
    vt = await catalogue.get_active(new.violation_type)
    if new.subject_id is not None and not await Subject.exists().where(
        Subject.id == new.subject_id
    ):
        raise InvalidInput("subject_not_found", f"no subject {new.subject_id}")
    placed = await deps.geo.place(new.position) if new.position else None
    squad = placed.squad.id if placed and placed.squad else None
    flags = [] if squad is not None else ["out_of_district" if new.position else "no_location"]
    repeat_offender = new.source is not Source.inspection and await _repeat_offender(
        deps, new.subject_id
    )
    if repeat_offender:
        flags.append("repeat_offender")
    case_id = int(
        (await Case.raw("SELECT nextval(pg_get_serial_sequence('enforcement_case', 'id')) AS id"))[
            0
        ]["id"]
    )
    await Case.insert(
        Case(
            id=case_id,
            number=f"MH{now.astimezone(SHANGHAI):%y%m%d}{case_id:07d}",
            source=new.source.value,
            external_id=new.external_id,
            violation_type=vt.code,
            type_version=await catalogue.version_of(vt),
            state=State.pending_triage.value,
            squad=squad,
            grid=placed.grid.id if placed and placed.grid else None,
            reporter=actor.user_id,
            subject=new.subject_id,
            camera=new.camera_id,
            origin_key=new.origin_key,
            complainant=msgspec.json.encode(new.complainant).decode() if new.complainant else None,
            **located(new.position),
            address=new.address,
            description=new.description,
            flags=msgspec.json.encode(flags).decode(),
            urgent=vt.urgency is Urgency.urgent or repeat_offender,
            created_at=now,
            updated_at=now,
        )
    )
    head = await timeline.append(
        timeline.ChainHead(case_id, 0, GENESIS),
        at=now,
        actor=actor,
        action=Action.created.value,
        from_state=None,
        to_state=State.pending_triage.value,
        data={
            "source": new.source.value,
            "violation_type": vt.code,
            "flags": flags,
            "external_id": new.external_id,
            "subject_id": new.subject_id,
            "camera_id": new.camera_id,
            "address": new.address,
            "description": new.description,
        },
        lng=new.position.lng if new.position else None,
        lat=new.position.lat if new.position else None,
    )
    await Case.update({Case.chain_seq: head.seq, Case.chain_hash: head.hash}).where(
        Case.id == case_id
    )
    record = await records.get(case_id)
    assert record is not None
    await changes.announce(squads=(squad,), users=())
    party = await _party_to_notify(deps, vt, squad, new.subject_id)
    if party is not None:
        record = await _notify_party(deps, record, vt, party, now)
    elif squad is not None and vt.auto_dispatch is not AutoDispatch.none:
        record = await _auto_dispatch(deps, record, vt, squad, new.position, now)
    return await detail(record)


def located(position: LngLat | None) -> dict[str, Any]:
    """A case's location columns, written together: the WGS-84 point and its H3 cells
    (the hotspot counts read the cells). Create is the only path that sets a case's
    location today (commands carry the actor's position, for the timeline); a path that
    moves a case must write these too."""
    r9, r10 = cells_of(position) if position else (None, None)
    return {
        "lng": position.lng if position else None,
        "lat": position.lat if position else None,
        "h3_r9": r9,
        "h3_r10": r10,
    }


async def _repeat_offender(deps: Deps, subject_id: int | None) -> bool:
    """The subject's grade is the policy's urgent one or worse: its cases run on the
    wall clock, with the type's deadlines (分类分级 raises the urgency)."""
    if subject_id is None or deps.urgent_grades is None:
        return False
    row = await Subject.select(Subject.grade).where(Subject.id == subject_id).first()
    return row is not None and row["grade"] in deps.urgent_grades


async def _party_to_notify(
    deps: Deps, vt: ViolationType, squad: int | None, subject_id: int | None
) -> dict[str, Any] | None:
    """The subject to notify first, where the type's ladder starts with the party and
    the party has a registered mobile number (else an officer goes at once)."""
    if not deps.notify_parties or vt.first_step is not FirstStep.notify_party:
        return None
    if squad is None or subject_id is None:
        return None
    row = (
        await Subject.select(Subject.name, Subject.contact_name, Subject.contact_phone)
        .where(Subject.id == subject_id)
        .first()
    )
    return row if row and row["contact_phone"] else None


async def _notify_party(
    deps: Deps, record: CaseRecord, vt: ViolationType, party: dict[str, Any], now: datetime
) -> CaseRecord:
    """Soft enforcement's first rung: a deadline for the party, and an SMS (outbox)."""
    due = deps.calendar.add(now, vt.sla.rectification, urgent=record.urgent)
    command = NotifyParty(rectify_by=due, note="notified by SMS")
    transition = decide(record.facts, SYSTEM, command, now)
    record = await apply_transition(deps, record, SYSTEM, command, transition, now, None)
    await Outbox.insert(
        Outbox(
            kind="sms",
            topic="party.notice",
            case=record.id,
            created_at=now,
            next_attempt_at=now,
            payload=msgspec.json.encode(
                {
                    "phone": party["contact_phone"],
                    "template": "party_notice",
                    "params": {
                        "party": party["name"],
                        "number": record.number,
                        "violation": vt.name_zh,
                        "address": record.address,
                        "deadline": f"{due.astimezone(SHANGHAI):%m月%d日 %H:%M}",
                    },
                }
            ).decode(),
            dedup_key=f"sms:{record.id}:notice",
        )
    )
    return record


async def _auto_dispatch(
    deps: Deps,
    record: CaseRecord,
    vt: ViolationType,
    squad: int,
    position: LngLat | None,
    now: datetime,
) -> CaseRecord:
    officer = None
    if vt.auto_dispatch is AutoDispatch.officer:
        officer = choose_officer(await candidates(squad, now), position)
    command = Dispatch(squad_id=squad, officer_id=officer, note="auto-dispatch")
    transition = decide(record.facts, SYSTEM, command, now)
    return await apply_transition(deps, record, SYSTEM, command, transition, now, None)


async def candidates(squad: int, now: datetime) -> list[Candidate]:
    """The squad's on-duty officers with their open tasks, last known position, and
    whether the roster has them on shift at ``now`` (``choose_officer`` wants both)."""
    rows = await StaffUser.raw(
        f"""SELECT u.id, u.last_lng, u.last_lat, {on_shift_sql("u.id")} AS on_shift,
                  (SELECT count(*) FROM enforcement_case c WHERE c.assignee = u.id
                     AND c.state IN ('dispatched', 'in_progress', 'awaiting_rectification')
                  ) AS open_tasks
             FROM staff_user u
            WHERE u.squad = {{}} AND u.role = 'officer' AND u.on_duty AND u.is_active""",
        *([now] * ON_SHIFT_ARGS),
        squad,
    )
    return [
        Candidate(
            r["id"],
            r["open_tasks"],
            LngLat(r["last_lng"], r["last_lat"]) if r["last_lng"] is not None else None,
            on_duty=True,
            on_shift=r["on_shift"],
        )
        for r in rows
    ]


__all__ = [
    "Deps",
    "NewCase",
    "action_of",
    "apply_transition",
    "candidates",
    "create_case",
    "run_command",
]
