"""The emergency commands and what each may do to a case (pure, like the case machine).

An emergency (突发事件) is a case like any other: the same states, the same timeline and
audit chain. These commands add to it: the desk declares a case an emergency, sends one
or several officers at once (the first one becomes the case's officer when it has none,
so the usual loop goes on from there), and each responder acknowledges and arrives.
``decide`` says whether a command may run and what it does; the use case applies it.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.cases.machine import Actor, Assign, CaseFacts, Dispatch, Reason, Text
from domain.cases.model import State
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.org import Role

MAX_RESPONDERS = 10

_DESK = frozenset({Role.commander, Role.admin})
_DISPATCHERS = frozenset({Role.commander, Role.admin, Role.squad_leader})
_INT4 = 2**31 - 1
OfficerId = Annotated[int, msgspec.Meta(ge=1, le=_INT4)]


class DeclareEmergency(msgspec.Struct, frozen=True):
    """The desk runs this case live as an emergency (突发事件): it becomes urgent."""

    reason: Reason


class SendResponders(msgspec.Struct, frozen=True):
    """Send officers to the emergency at once (派警); the first leads when nobody does."""

    officer_ids: Annotated[
        tuple[OfficerId, ...], msgspec.Meta(min_length=1, max_length=MAX_RESPONDERS)
    ]
    note: Text = ""


class Acknowledge(msgspec.Struct, frozen=True):
    """A responder has seen the call and is on the way (响应)."""

    note: Text = ""


class Arrive(msgspec.Struct, frozen=True):
    """A responder checks in at the site (到场签到); a position near it also counts."""

    note: Text = ""


class EmergencyFacts(msgspec.Struct, frozen=True, kw_only=True):
    case: CaseFacts
    emergency: bool
    responders: frozenset[int]  # officers already sent
    acknowledged: frozenset[int]
    arrived: frozenset[int]


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """What an emergency command does. ``lead`` is a case command to apply first (the
    first responder becomes the case's officer); ``new_responders`` are added."""

    lead: Dispatch | Assign | None = None
    new_responders: tuple[int, ...] = ()
    declare: bool = False
    acknowledge: int | None = None
    arrive: int | None = None


def decide(facts: EmergencyFacts, actor: Actor, command: msgspec.Struct) -> Step:
    """The step ``command`` takes, or an AppError saying why it may not."""
    case = facts.case
    if not case.state.is_open:
        raise Conflict("case_state_invalid", f"the case is {case.state.value}")
    match command:
        case DeclareEmergency():
            if actor.role not in _DESK:
                raise Forbidden("role_forbidden", "the command centre declares emergencies")
            if facts.emergency:
                raise Conflict("already_emergency", "the case is already an emergency")
            if case.squad_id is None:
                raise InvalidInput("case_outside_squads", "the case is outside every squad")
            return Step(declare=True)
        case SendResponders():
            if actor.role not in _DISPATCHERS:
                raise Forbidden("role_forbidden", "the desk or the squad leader sends responders")
            if not facts.emergency:
                raise Conflict("not_emergency", "declare the case an emergency first")
            new = tuple(dict.fromkeys(i for i in command.officer_ids if i not in facts.responders))
            if not new:
                raise Conflict("already_responding", "those officers are already on it")
            return Step(lead=_lead(case, new[0]), new_responders=new)
        case Acknowledge():
            _require_responder(facts, actor)
            assert actor.user_id is not None
            if actor.user_id in facts.acknowledged:
                raise Conflict("already_acknowledged", "you have acknowledged this call")
            return Step(acknowledge=actor.user_id)
        case Arrive():
            _require_responder(facts, actor)
            assert actor.user_id is not None
            if actor.user_id in facts.arrived:
                raise Conflict("already_arrived", "your arrival is recorded")
            return Step(arrive=actor.user_id)
    raise InvalidInput("command_unknown", f"unknown command {type(command).__name__}")


def _lead(case: CaseFacts, officer: int) -> Dispatch | Assign | None:
    """The case command that makes the first responder the case's officer, if it has none."""
    if case.state is State.pending_triage:
        assert case.squad_id is not None  # declared only inside a squad
        return Dispatch(squad_id=case.squad_id, officer_id=officer, note="突发事件派警")
    if case.state is State.dispatched and case.assignee_id is None:
        return Assign(officer_id=officer, note="突发事件派警")
    return None


def _require_responder(facts: EmergencyFacts, actor: Actor) -> None:
    if actor.role is not Role.officer or actor.user_id not in facts.responders:
        raise Forbidden("not_responder", "only an officer sent to this emergency may do that")
