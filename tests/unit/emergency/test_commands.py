from __future__ import annotations

import msgspec
import pytest

from domain.cases.machine import Actor, Assign, CaseFacts, Comment, Dispatch
from domain.cases.model import State
from domain.emergency.commands import (
    Acknowledge,
    Arrive,
    DeclareEmergency,
    EmergencyFacts,
    SendResponders,
    decide,
)
from domain.errors import AppError
from domain.org import Role

DESK = Actor(1, Role.commander)
LEADER = Actor(2, Role.squad_leader, 3)
OFFICER = Actor(11, Role.officer, 3)


def facts(
    state: State = State.pending_triage,
    *,
    emergency: bool = True,
    assignee: int | None = None,
    responders: set[int] | None = None,
    acknowledged: set[int] | None = None,
    arrived: set[int] | None = None,
) -> EmergencyFacts:
    return EmergencyFacts(
        case=CaseFacts(state=state, squad_id=3, assignee_id=assignee, outcome=None),
        emergency=emergency,
        responders=frozenset(responders or ()),
        acknowledged=frozenset(acknowledged or ()),
        arrived=frozenset(arrived or ()),
    )


def code(f: EmergencyFacts, actor: Actor, command: msgspec.Struct) -> str:
    with pytest.raises(AppError) as raised:
        decide(f, actor, command)
    return raised.value.code


def test_the_desk_declares_once() -> None:
    assert decide(facts(emergency=False), DESK, DeclareEmergency("火情")).declare
    assert code(facts(), DESK, DeclareEmergency("火情")) == "already_emergency"
    assert code(facts(emergency=False), LEADER, DeclareEmergency("x")) == "role_forbidden"


def test_sending_from_triage_dispatches_to_the_first_responder() -> None:
    step = decide(facts(), DESK, SendResponders((11, 12, 11)))
    assert step.new_responders == (11, 12)
    assert isinstance(step.lead, Dispatch)
    assert (step.lead.squad_id, step.lead.officer_id) == (3, 11)


def test_sending_to_an_unassigned_dispatched_case_assigns() -> None:
    step = decide(facts(State.dispatched), LEADER, SendResponders((12,)))
    assert isinstance(step.lead, Assign) and step.lead.officer_id == 12


def test_more_responders_leave_the_lead_alone() -> None:
    f = facts(State.in_progress, assignee=11, responders={11})
    step = decide(f, DESK, SendResponders((11, 13)))
    assert step.lead is None and step.new_responders == (13,)
    assert code(f, DESK, SendResponders((11,))) == "already_responding"


def test_only_emergencies_take_responders() -> None:
    assert code(facts(emergency=False), DESK, SendResponders((11,))) == "not_emergency"
    assert code(facts(), OFFICER, SendResponders((11,))) == "role_forbidden"


def test_responders_acknowledge_and_arrive_once() -> None:
    f = facts(State.dispatched, assignee=11, responders={11})
    assert decide(f, OFFICER, Acknowledge()).acknowledge == 11
    assert decide(f, OFFICER, Arrive()).arrive == 11
    assert (
        code(facts(State.dispatched, responders={11}, acknowledged={11}), OFFICER, Acknowledge())
        == "already_acknowledged"
    )
    assert (
        code(facts(State.dispatched, responders={11}, arrived={11}), OFFICER, Arrive())
        == "already_arrived"
    )
    assert code(facts(State.dispatched, responders={12}), OFFICER, Arrive()) == "not_responder"
    assert code(f, LEADER, Acknowledge()) == "not_responder"


def test_closed_cases_take_nothing() -> None:
    assert code(facts(State.closed), DESK, SendResponders((11,))) == "case_state_invalid"


def test_unknown_command() -> None:
    assert code(facts(), DESK, Comment("x")) == "command_unknown"


def test_responder_ids_are_bounded() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"officer_ids": []}, SendResponders)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"officer_ids": list(range(1, 12))}, SendResponders)
