from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.cases.chain import GENESIS, ChainEntry, entry_hash, verify
from domain.cases.machine import (
    SYSTEM,
    Accept,
    Actor,
    Assign,
    CaseFacts,
    CheckItem,
    Close,
    Comment,
    ConfirmCorrection,
    Dismiss,
    Dispatch,
    File,
    NotifyParty,
    OrderRectification,
    Recheck,
    RecordInspection,
    Reopen,
    Return,
    SubmitReview,
    Transition,
    Verify,
    action_of,
    decide,
)
from domain.cases.model import Action, DismissReason, Outcome, RecheckResult, Source, State
from domain.errors import AppError
from domain.org import Role

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
CST = timezone(timedelta(hours=8))
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

SQUAD = 3
OFFICERS = (11, 12)
LEADER = Actor(20, Role.squad_leader, SQUAD)
COMMANDER = Actor(30, Role.commander)
SUPERVISOR = Actor(40, Role.supervisor)
ADMIN = Actor(50, Role.admin)


def officer(user_id: int) -> Actor:
    return Actor(user_id, Role.officer, SQUAD)


def facts(
    state: State,
    *,
    assignee: int | None = 11,
    outcome: Outcome | None = None,
    rectify_by: datetime | None = None,
) -> CaseFacts:
    return CaseFacts(
        state=state,
        squad_id=None if state is State.pending_triage else SQUAD,
        assignee_id=assignee,
        outcome=outcome,
        rectify_by=rectify_by,
    )


def refused(case: CaseFacts, actor: Actor, command: msgspec.Struct, now: datetime = NOW) -> str:
    with pytest.raises(AppError) as info:
        decide(case, actor, command, now)
    return info.value.code


# --- the model: what storage/cases/commands.py `_apply` keeps of a case ---------------


class Model(msgspec.Struct, kw_only=True):
    state: State = State.pending_triage
    squad_id: int | None = None
    assignee_id: int | None = None
    outcome: Outcome | None = None
    rectify_by: datetime | None = None
    external_ref: str | None = None
    rework: int = 0
    extensions: int = 0
    source: Source = Source.patrol
    violation_type: str = "05-05"
    actions: list[Action] = msgspec.field(default_factory=list)

    def facts(self) -> CaseFacts:
        return CaseFacts(
            state=self.state,
            squad_id=self.squad_id,
            assignee_id=self.assignee_id,
            outcome=self.outcome,
            rectify_by=self.rectify_by,
            source=self.source,
            violation_type=self.violation_type,
        )

    def apply(self, t: Transition) -> None:
        self.state = t.to_state
        if t.outcome is not None or t.clear_outcome:
            self.outcome = t.outcome
        if t.squad_id is not None:
            self.squad_id = t.squad_id
        if t.assignee_id is not None or t.clear_assignee:
            self.assignee_id = t.assignee_id
        if t.rectify_by is not None:
            self.rectify_by = t.rectify_by
        if t.external_ref is not None:
            self.external_ref = t.external_ref
        if t.rework:
            self.rework += 1
        if t.extension:
            self.extensions += 1
        if t.violation_type is not None:
            self.violation_type = t.violation_type
        self.actions.append(t.action)


# What the design allows: in which states a command may run, and who may run it.
PEOPLE = frozenset(Role)
MANAGERS = frozenset({Role.squad_leader, Role.commander, Role.admin})
ALLOWED_STATES: dict[type, frozenset[State]] = {
    Dispatch: frozenset({State.pending_triage, State.awaiting_rectification}),
    Dismiss: frozenset({State.pending_triage}),
    Assign: frozenset({State.dispatched, State.in_progress, State.awaiting_rectification}),
    Accept: frozenset({State.dispatched}),
    Verify: frozenset({State.in_progress}),
    OrderRectification: frozenset({State.in_progress, State.awaiting_rectification}),
    Recheck: frozenset({State.awaiting_rectification}),
    File: frozenset({State.in_progress, State.awaiting_rectification}),
    SubmitReview: frozenset({State.filed}),
    Close: frozenset({State.pending_review}),
    Return: frozenset({State.pending_review}),
    Reopen: frozenset({State.closed}),
    Comment: frozenset(State),
    NotifyParty: frozenset({State.pending_triage}),
    ConfirmCorrection: frozenset({State.awaiting_rectification}),
    RecordInspection: frozenset({State.in_progress}),
}
ALLOWED_ROLES: dict[type, frozenset[Role | None]] = {  # None: the system
    Dispatch: frozenset({Role.commander, Role.admin, None}),
    Dismiss: frozenset({Role.commander, Role.admin}),
    Assign: MANAGERS | {None},
    Accept: frozenset({Role.officer}),
    Verify: MANAGERS | {Role.officer},
    OrderRectification: MANAGERS | {Role.officer},
    Recheck: MANAGERS | {Role.officer},
    File: MANAGERS | {Role.officer},
    SubmitReview: MANAGERS | {Role.officer},
    Close: MANAGERS,
    Return: MANAGERS,
    Reopen: frozenset({Role.supervisor, Role.admin}),
    Comment: PEOPLE,
    NotifyParty: frozenset({Role.commander, Role.admin, None}),
    ConfirmCorrection: frozenset({None}),
    RecordInspection: MANAGERS | {Role.officer},
}
# Commands only the assigned officer (not another officer) may run for themselves.
ASSIGNEE_ONLY = (Verify, OrderRectification, Recheck, File, SubmitReview, RecordInspection)
# Where each command may lead.
TARGETS: dict[type, frozenset[State]] = {
    Dispatch: frozenset({State.dispatched}),
    Dismiss: frozenset({State.dismissed}),
    Assign: frozenset({State.dispatched, State.awaiting_rectification}),
    Accept: frozenset({State.in_progress}),
    Verify: frozenset({State.pending_review, State.awaiting_rectification, State.filed}),
    OrderRectification: frozenset({State.awaiting_rectification}),
    Recheck: frozenset({State.in_progress, State.pending_review, State.dispatched}),
    File: frozenset({State.filed}),
    SubmitReview: frozenset({State.pending_review}),
    Close: frozenset({State.closed}),
    Return: frozenset({State.dispatched}),
    Reopen: frozenset({State.dispatched}),
    NotifyParty: frozenset({State.awaiting_rectification}),
    ConfirmCorrection: frozenset({State.closed}),
    RecordInspection: frozenset({State.closed, State.in_progress}),
}
# The outcomes a case may hold in each state.
OUTCOMES: dict[State, frozenset[Outcome | None]] = {
    State.pending_triage: frozenset({None}),
    State.dismissed: frozenset({None}),
    State.dispatched: frozenset({None}),
    State.in_progress: frozenset({None}),
    # None: a notified party's deadline (soft enforcement), no order by an officer yet.
    State.awaiting_rectification: frozenset({Outcome.rectification_ordered, None}),
    State.filed: frozenset({Outcome.case_filed}),
    State.pending_review: frozenset(Outcome),
    State.closed: frozenset(Outcome),
}

ACTOR_KINDS = (
    "assignee",
    "other_officer",
    "squad_leader",
    "commander",
    "supervisor",
    "admin",
    "system",
)
ACTOR_ROLES: dict[str, Role | None] = {
    "assignee": Role.officer,
    "other_officer": Role.officer,
    "squad_leader": Role.squad_leader,
    "commander": Role.commander,
    "supervisor": Role.supervisor,
    "admin": Role.admin,
    "system": None,
}
notes = st.sampled_from(["", "ok", "现场已整改"])
reasons = st.sampled_from(["", "照片不清", "x" * 3])
refs = st.one_of(st.none(), st.sampled_from(["", "WSBA-2025-0012"]))


@st.composite
def deadlines(draw: st.DrawFn, now: datetime, current: datetime | None) -> datetime | None:
    """A rectification deadline: past, now, future, naive, or around the current one."""
    base = draw(st.sampled_from(["now", "current"] if current else ["now"]))
    anchor = now if base == "now" else current
    assert anchor is not None
    shift = draw(
        st.sampled_from(
            [
                timedelta(0),
                timedelta(minutes=-1),
                timedelta(minutes=1),
                timedelta(hours=-5),
                timedelta(days=3),
                timedelta(days=10),
            ]
        )
    )
    when = (anchor + shift).astimezone(draw(st.sampled_from([UTC, CST])))
    if draw(st.integers(0, 9)) == 0:
        return when.replace(tzinfo=None)  # a client that forgot the offset
    return when


@st.composite
def commands(
    draw: st.DrawFn, now: datetime, current: datetime | None, state: State
) -> msgspec.Struct:
    """Mostly a command the state accepts (to get deep into the loop), sometimes any."""
    officer_ids = st.sampled_from(OFFICERS)
    plausible = [k for k, states in ALLOWED_STATES.items() if state in states and k is not Comment]
    if plausible and draw(st.integers(0, 3)) > 0:
        kind = draw(st.sampled_from(plausible))
    else:
        kind = draw(st.sampled_from(list(ALLOWED_STATES)))
    if kind is Dispatch:
        return Dispatch(squad_id=SQUAD, officer_id=draw(st.one_of(st.none(), officer_ids)))
    if kind is Dismiss:
        return Dismiss(reason=draw(st.sampled_from(DismissReason)), note=draw(reasons))
    if kind is Assign:
        return Assign(officer_id=draw(officer_ids), note=draw(notes))
    if kind is Accept:
        return Accept(note=draw(notes))
    if kind is Verify:
        return Verify(
            outcome=draw(st.sampled_from(Outcome)),
            note=draw(notes),
            rectify_by=draw(st.one_of(st.none(), deadlines(now, current))),
            external_ref=draw(refs),
        )
    if kind is OrderRectification:
        rectify_by = draw(deadlines(now, current))
        assert rectify_by is not None
        return OrderRectification(rectify_by=rectify_by, note=draw(notes))
    if kind is Recheck:
        return Recheck(result=draw(st.sampled_from(RecheckResult)), note=draw(notes))
    if kind is File:
        return File(external_ref="WSBA-2025-0013", note=draw(notes))
    if kind is SubmitReview:
        return SubmitReview(note="处罚决定已执行")
    if kind is Close:
        return Close(note=draw(notes))
    if kind is Return:
        return Return(reason="照片不清")
    if kind is Reopen:
        return Reopen(reason="督察发现未整改")
    if kind is NotifyParty:
        rectify_by = draw(deadlines(now, current))
        assert rectify_by is not None
        return NotifyParty(rectify_by=rectify_by, note=draw(notes))
    if kind is ConfirmCorrection:
        return ConfirmCorrection(note=draw(notes))
    if kind is RecordInspection:
        items = draw(st.lists(st.booleans(), min_size=1, max_size=3))
        return RecordInspection(
            items=tuple(CheckItem(f"项目{i}", passed=p) for i, p in enumerate(items)),
            violation_type=draw(st.sampled_from([None, "05-04"])),
        )
    return Comment(text="跟进")


class CaseMachine(RuleBasedStateMachine):
    """Random commands from random people against one case, checked against a model."""

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.now = NOW
        self.chain: list[tuple[ChainEntry, str]] = []
        self.seen: set[State] = set()

    @initialize(placed=st.booleans(), source=st.sampled_from([Source.patrol, Source.inspection]))
    def created(self, placed: bool, source: Source) -> None:
        # A placed case already has its squad (soft enforcement may start at once).
        self.model.squad_id = SQUAD if placed else None
        self.model.source = source
        self.model.violation_type = "90-01" if source is Source.inspection else "05-05"
        self._append(SYSTEM, "created", None, State.pending_triage, {"source": source.value})
        self.seen.add(self.model.state)

    def _actor(self, kind: str) -> Actor:
        assignee = self.model.assignee_id
        match kind:
            case "assignee":
                return officer(assignee if assignee is not None else OFFICERS[0])
            case "other_officer":
                return officer(OFFICERS[1] if assignee == OFFICERS[0] else OFFICERS[0])
            case "squad_leader":
                return LEADER
            case "commander":
                return COMMANDER
            case "supervisor":
                return SUPERVISOR
            case "admin":
                return ADMIN
        return SYSTEM

    def _append(
        self,
        actor: Actor,
        action: str,
        from_state: State | None,
        to_state: State,
        data: dict[str, Any],
    ) -> None:
        prev = self.chain[-1][1] if self.chain else GENESIS
        entry = ChainEntry(
            case_id=1,
            seq=len(self.chain) + 1,
            at=self.now,
            actor_id=actor.user_id,
            actor_role=actor.role.value if actor.role else None,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            data=data,
            prev_hash=prev,
        )
        self.chain.append((entry, entry_hash(entry)))

    @rule(
        elapsed=st.sampled_from([timedelta(0), timedelta(minutes=30), timedelta(days=2)]),
        data=st.data(),
    )
    def step(self, elapsed: timedelta, data: st.DataObject) -> None:
        self.now += elapsed
        command = data.draw(
            commands(self.now, self.model.rectify_by, self.model.state), label="command"
        )
        kind = type(command)
        # Mostly someone whose role may run the command, sometimes anyone.
        fitting = [k for k in ACTOR_KINDS if ACTOR_ROLES[k] in ALLOWED_ROLES[kind]]
        pool = fitting if fitting and data.draw(st.integers(0, 2)) > 0 else list(ACTOR_KINDS)
        actor = self._actor(data.draw(st.sampled_from(pool), label="actor"))
        before = msgspec.structs.replace(self.model, actions=list(self.model.actions))
        case = self.model.facts()
        try:
            t = decide(case, actor, command, self.now)
        except AppError as err:
            assert isinstance(err.code, str)
            assert SNAKE.match(err.code), err.code
            assert self.model == before  # a refusal changes nothing
            return

        # Never more than the design allows.
        assert case.state in ALLOWED_STATES[kind], (case.state, command)
        assert actor.role in ALLOWED_ROLES[kind], (actor, command)
        if kind in ASSIGNEE_ONLY and actor.role is Role.officer:
            assert actor.user_id == case.assignee_id
        if kind is Accept:
            assert case.assignee_id in (None, actor.user_id)
        assert t.action is action_of(command)
        if kind is Comment:
            assert t.to_state is case.state
            assert t == Transition(action=Action.comment, to_state=case.state)
        else:
            assert t.to_state in TARGETS[kind], (command, t)
        if case.state is State.pending_triage:
            assert t.to_state in (
                State.pending_triage,
                State.dispatched,
                State.dismissed,
                State.awaiting_rectification,
            )
        if kind in (ConfirmCorrection, Dispatch) and case.state is State.awaiting_rectification:
            assert case.outcome is None, "only a notified party's case moves on this way"
        if kind is NotifyParty:
            assert case.squad_id is not None
        if kind is RecordInspection:
            assert isinstance(command, RecordInspection)
            assert case.source is Source.inspection and case.violation_type == "90-01"
            assert (t.to_state is State.closed) == command.clean
            assert (t.violation_type is not None) == (not command.clean)
        if case.state is State.dismissed:
            assert kind is Comment
        if case.state is State.closed:
            assert kind in (Reopen, Comment)
        assert t.rework == (kind in (Return, Reopen))
        assert t.extension == (
            kind is OrderRectification and case.state is State.awaiting_rectification
        )
        if t.rectify_by is not None:
            assert t.rectify_by.tzinfo is not None
            assert t.rectify_by > self.now
            if t.extension and case.rectify_by is not None:
                assert t.rectify_by > case.rectify_by
        if kind is Verify:
            assert isinstance(command, Verify)
            assert command.outcome is not Outcome.self_corrected
            if command.outcome is Outcome.case_filed:
                assert command.external_ref

        self.model.apply(t)
        self.seen.add(self.model.state)
        self._append(actor, t.action.value, case.state, t.to_state, msgspec.to_builtins(command))

        assert self.model.rework == before.rework + (1 if t.action in _REWORK else 0)
        assert self.model.extensions == before.extensions + int(t.extension)
        assert self.model.actions == [*before.actions, t.action]

    @invariant()
    def state_is_consistent(self) -> None:
        m = self.model
        assert isinstance(m.state, State)
        assert m.outcome in OUTCOMES[m.state], (m.state, m.outcome)
        if m.state in (State.closed, State.pending_review):
            assert m.outcome is not None
        if m.outcome is Outcome.self_corrected:
            assert m.state in (State.pending_review, State.closed)
        if m.state is State.in_progress:
            assert m.assignee_id is not None
        if m.state is State.awaiting_rectification:
            assert m.rectify_by is not None
        if m.state is State.filed:
            assert m.external_ref
        if m.state not in (State.pending_triage, State.dismissed):
            assert m.squad_id == SQUAD
        assert m.rework == sum(a in _REWORK for a in m.actions)
        assert m.extensions <= m.actions.count(Action.order_rectification)

    @invariant()
    def chain_verifies(self) -> None:
        report = verify(1, self.chain)
        assert report.ok, report
        assert report.entries == len(self.model.actions) + 1

    def teardown(self) -> None:
        if not self.chain:
            return
        for i, (entry, stored) in enumerate(self.chain):
            tampered = list(self.chain)
            tampered[i] = (
                msgspec.structs.replace(entry, data=entry.data | {"tampered": True}),
                stored,
            )
            report = verify(1, tampered)
            assert not report.ok
            assert report.broken_at_seq == entry.seq


_REWORK = (Action.return_, Action.reopen)

CaseMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestCaseMachine = CaseMachine.TestCase


# --- focused examples ------------------------------------------------------------------


def test_happy_path_patrol_to_close() -> None:
    m = Model()
    o = officer(11)
    rectify_by = (NOW + timedelta(days=3)).astimezone(CST)
    steps: list[tuple[Actor, msgspec.Struct, State]] = [
        (SYSTEM, Dispatch(squad_id=SQUAD, officer_id=11), State.dispatched),
        (o, Accept(), State.in_progress),
        (
            o,
            Verify(outcome=Outcome.rectification_ordered, rectify_by=rectify_by),
            State.awaiting_rectification,
        ),
        (o, Recheck(result=RecheckResult.corrected), State.pending_review),
        (LEADER, Close(note="已整改"), State.closed),
    ]
    for actor, command, state in steps:
        t = decide(m.facts(), actor, command, NOW)
        assert t.to_state is state
        m.apply(t)
    assert m.state is State.closed
    assert m.outcome is Outcome.rectification_ordered
    assert m.assignee_id == 11
    assert m.squad_id == SQUAD
    assert m.rectify_by == rectify_by
    assert (m.rework, m.extensions) == (0, 0)
    assert m.actions == [
        Action.dispatch,
        Action.accept,
        Action.verify,
        Action.recheck,
        Action.close,
    ]


def test_dispatch_without_officer_lets_any_officer_accept() -> None:
    case = facts(State.dispatched, assignee=None)
    t = decide(case, officer(12), Accept(), NOW)
    assert (t.to_state, t.assignee_id) == (State.in_progress, 12)


def test_self_correction_is_not_an_on_site_outcome() -> None:
    code = refused(facts(State.in_progress), officer(11), Verify(outcome=Outcome.self_corrected))
    assert code == "outcome_not_on_site"


def test_dismiss_needs_a_reason_and_a_note() -> None:
    t = decide(
        facts(State.pending_triage, assignee=None),
        COMMANDER,
        Dismiss(reason=DismissReason.false_positive, note="影子误报"),
        NOW,
    )
    assert t.to_state is State.dismissed
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"reason": "false_positive", "note": ""}, Dismiss)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"reason": "false_positive"}, Dismiss)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"note": "重复"}, Dismiss)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"reason": "because", "note": "重复"}, Dismiss)


def test_dismissed_is_terminal() -> None:
    case = facts(State.dismissed, assignee=None)
    for actor in (SUPERVISOR, ADMIN):
        assert refused(case, actor, Reopen(reason="错了")) == "case_state_invalid"
    assert refused(case, COMMANDER, Reopen(reason="错了")) == "role_forbidden"
    for actor in (COMMANDER, ADMIN, SYSTEM):
        assert refused(case, actor, Dispatch(squad_id=SQUAD)) == "case_state_invalid"
    assert decide(case, ADMIN, Comment(text="备注"), NOW).to_state is State.dismissed


def test_only_people_comment() -> None:
    assert refused(facts(State.in_progress), SYSTEM, Comment(text="x")) == "role_forbidden"


@pytest.mark.parametrize(
    "command",
    [
        lambda rb: Verify(outcome=Outcome.rectification_ordered, rectify_by=rb),
        lambda rb: OrderRectification(rectify_by=rb),
    ],
)
def test_rectification_needs_a_future_deadline_with_an_offset(command: Any) -> None:
    case = facts(State.in_progress)
    o = officer(11)
    assert refused(case, o, command(NOW - timedelta(hours=1))) == "rectify_by_past"
    assert refused(case, o, command(NOW)) == "rectify_by_past"
    assert refused(case, o, command(NOW.astimezone(CST))) == "rectify_by_past"
    naive = (NOW + timedelta(days=3)).replace(tzinfo=None)
    assert refused(case, o, command(naive)) == "datetime_without_offset"
    t = decide(case, o, command((NOW + timedelta(days=3)).astimezone(CST)), NOW)
    assert t.to_state is State.awaiting_rectification
    assert t.outcome is Outcome.rectification_ordered


def test_ordering_rectification_on_site_needs_a_deadline() -> None:
    verify_cmd = Verify(outcome=Outcome.rectification_ordered)
    assert refused(facts(State.in_progress), officer(11), verify_cmd) == "rectify_by_required"


def test_filing_needs_the_external_reference() -> None:
    case = facts(State.in_progress)
    o = officer(11)
    assert refused(case, o, Verify(outcome=Outcome.case_filed)) == "external_ref_required"
    empty = Verify(outcome=Outcome.case_filed, external_ref="")
    assert refused(case, o, empty) == "external_ref_required"
    t = decide(case, o, Verify(outcome=Outcome.case_filed, external_ref="WSBA-1"), NOW)
    assert (t.to_state, t.outcome, t.external_ref) == (
        State.filed,
        Outcome.case_filed,
        "WSBA-1",
    )
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"external_ref": ""}, File)
    t = decide(case, o, File(external_ref="WSBA-2"), NOW)
    assert (t.to_state, t.outcome, t.external_ref) == (State.filed, Outcome.case_filed, "WSBA-2")


def test_an_officer_cannot_accept_someone_elses_task() -> None:
    case = facts(State.dispatched, assignee=11)
    assert refused(case, officer(12), Accept()) == "not_assignee"
    assert refused(case, LEADER, Accept()) == "role_forbidden"
    assert decide(case, officer(11), Accept(), NOW).assignee_id == 11


def test_another_officer_cannot_work_the_task() -> None:
    case = facts(State.in_progress, assignee=11)
    verify_cmd = Verify(outcome=Outcome.not_found)
    assert refused(case, officer(12), verify_cmd) == "not_assignee"
    # A manager of the squad may act for the officer.
    assert decide(case, LEADER, verify_cmd, NOW).to_state is State.pending_review
    assert refused(case, SUPERVISOR, verify_cmd) == "not_assignee"


def test_return_and_reopen_count_as_rework() -> None:
    m = Model(
        state=State.pending_review,
        squad_id=SQUAD,
        assignee_id=11,
        outcome=Outcome.corrected_on_site,
    )
    t = decide(m.facts(), LEADER, Return(reason="照片不清"), NOW)
    assert (t.to_state, t.rework, t.clear_outcome) == (State.dispatched, True, True)
    m.apply(t)
    assert (m.rework, m.outcome, m.assignee_id) == (1, None, 11)
    for actor, command in [
        (officer(11), Accept()),
        (officer(11), Verify(outcome=Outcome.not_found)),
        (LEADER, Close()),
    ]:
        m.apply(decide(m.facts(), actor, command, NOW))
    assert m.state is State.closed
    assert refused(m.facts(), LEADER, Reopen(reason="x")) == "role_forbidden"
    t = decide(m.facts(), SUPERVISOR, Reopen(reason="督察发现未整改"), NOW)
    assert (t.to_state, t.rework, t.clear_outcome) == (State.dispatched, True, True)
    m.apply(t)
    assert (m.rework, m.outcome, m.state) == (2, None, State.dispatched)


def test_reorder_while_awaiting_is_an_extension_that_must_end_later() -> None:
    current = NOW + timedelta(days=3)
    case = facts(
        State.awaiting_rectification,
        outcome=Outcome.rectification_ordered,
        rectify_by=current,
    )
    o = officer(11)
    assert refused(case, o, OrderRectification(rectify_by=current)) == "rectify_by_not_later"
    same_in_cst = current.astimezone(CST)
    assert refused(case, o, OrderRectification(rectify_by=same_in_cst)) == "rectify_by_not_later"
    earlier = current - timedelta(days=1)
    assert refused(case, o, OrderRectification(rectify_by=earlier)) == "rectify_by_not_later"
    later = current + timedelta(days=2)
    t = decide(case, o, OrderRectification(rectify_by=later), NOW)
    assert (t.to_state, t.extension, t.rectify_by) == (
        State.awaiting_rectification,
        True,
        later,
    )
    # The first order on site is not an extension.
    first = decide(facts(State.in_progress), o, OrderRectification(rectify_by=later), NOW)
    assert not first.extension


def test_recheck_after_a_notification_is_self_correction() -> None:
    notified = facts(State.awaiting_rectification, outcome=None, rectify_by=NOW)
    t = decide(notified, LEADER, Recheck(result=RecheckResult.corrected), NOW)
    assert (t.to_state, t.outcome) == (State.pending_review, Outcome.self_corrected)
    ordered = facts(
        State.awaiting_rectification, outcome=Outcome.rectification_ordered, rectify_by=NOW
    )
    t = decide(ordered, officer(11), Recheck(result=RecheckResult.corrected), NOW)
    assert (t.to_state, t.outcome) == (State.pending_review, Outcome.rectification_ordered)
    t = decide(ordered, officer(11), Recheck(result=RecheckResult.not_corrected), NOW)
    assert (t.to_state, t.outcome, t.clear_outcome) == (State.in_progress, None, True)


def test_dispatch_and_assign() -> None:
    triage = facts(State.pending_triage, assignee=None)
    assert refused(triage, LEADER, Dispatch(squad_id=SQUAD)) == "role_forbidden"
    assert refused(triage, SYSTEM, Dismiss(reason=DismissReason.duplicate, note="x")) == (
        "role_forbidden"
    )
    t = decide(triage, COMMANDER, Dispatch(squad_id=SQUAD), NOW)
    assert (t.to_state, t.squad_id, t.assignee_id) == (State.dispatched, SQUAD, None)
    dispatched = facts(State.dispatched, assignee=11)
    assert refused(dispatched, LEADER, Assign(officer_id=11)) == "already_assigned"
    assert refused(dispatched, officer(11), Assign(officer_id=12)) == "role_forbidden"
    t = decide(dispatched, LEADER, Assign(officer_id=12), NOW)
    assert (t.to_state, t.assignee_id) == (State.dispatched, 12)
    assert refused(facts(State.filed), LEADER, Assign(officer_id=12)) == "case_state_invalid"
