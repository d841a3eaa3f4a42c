"""The case state machine: which command may move a case where, for whom, and what it needs.

``decide`` is pure: given what is known of a case, who acts and the command, it returns
the ``Transition`` to apply or raises an ``AppError`` with a code. Persistence, deadlines
and notifications are applied by the use case from the transition it gets back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.cases.model import (
    Action,
    DeadlineKind,
    DismissReason,
    Outcome,
    RecheckResult,
    Source,
    State,
)
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.moments import AwareDatetime
from domain.org import Role
from domain.subjects.inspections import INSPECTION_TYPE

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
Text = Annotated[str, msgspec.Meta(max_length=2000, pattern=_NO_NUL)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=_NO_NUL)]
ExternalRef = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=_NO_NUL)]


# --- commands: what a caller asks for ------------------------------------------------


class Dispatch(msgspec.Struct, frozen=True):
    """Accept the case and send it to a squad (and perhaps straight to an officer)."""

    squad_id: int
    officer_id: int | None = None
    note: Text = ""


class Dismiss(msgspec.Struct, frozen=True):
    reason: DismissReason
    note: Reason


class Assign(msgspec.Struct, frozen=True):
    officer_id: int
    note: Text = ""


class Release(msgspec.Struct, frozen=True):
    """Take a task back from its officer (moved to another squad, left): it goes back to
    the squad's board, unassigned."""

    reason: Reason


class Accept(msgspec.Struct, frozen=True):
    note: Text = ""


class Verify(msgspec.Struct, frozen=True):
    """The officer's on-site verification (现场核查) and its outcome."""

    outcome: Outcome
    note: Text = ""
    rectify_by: AwareDatetime | None = None
    external_ref: ExternalRef | None = None
    evidence_ids: tuple[str, ...] = ()


class OrderRectification(msgspec.Struct, frozen=True):
    """Order (or, when already ordered, extend) a rectification with a deadline."""

    rectify_by: AwareDatetime
    note: Text = ""


class Recheck(msgspec.Struct, frozen=True):
    result: RecheckResult
    note: Text = ""
    evidence_ids: tuple[str, ...] = ()


class File(msgspec.Struct, frozen=True):
    """Hand the case to formal enforcement (网上办案系统) under its reference."""

    external_ref: ExternalRef
    note: Text = ""


class SubmitReview(msgspec.Struct, frozen=True):
    """The formal case has ended: back to the squad leader for the check."""

    note: Reason


class Close(msgspec.Struct, frozen=True):
    note: Text = ""


class Return(msgspec.Struct, frozen=True):
    """Send back for more work (退回): counts as rework."""

    reason: Reason


class Reopen(msgspec.Struct, frozen=True):
    """A supervisor reopens a closed case (返工): counts as rework."""

    reason: Reason


class Comment(msgspec.Struct, frozen=True):
    text: Reason


class NotifyParty(msgspec.Struct, frozen=True):
    """Soft enforcement's first rung: the responsible party is told (SMS) to correct the
    problem by ``rectify_by``; the case waits, then is rechecked (camera or officer)."""

    rectify_by: AwareDatetime
    note: Text = ""


class CheckItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    passed: bool
    note: Text = ""


class RecordInspection(msgspec.Struct, frozen=True):
    """A routine inspection's checklist (日常检查). All passed: the case closes, nothing
    found. Any failed: the case becomes a case of ``violation_type`` (the type's SLA from
    now on) and the officer goes on with the on-site verification."""

    items: Annotated[tuple[CheckItem, ...], msgspec.Meta(min_length=1, max_length=50)]
    violation_type: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    note: Text = ""
    evidence_ids: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return all(i.passed for i in self.items)


class ConfirmCorrection(msgspec.Struct, frozen=True):
    """The camera saw the problem gone before the party's deadline: closed as
    self-corrected (自行整改) without an officer's visit."""

    note: Text = ""


Command = (
    Dispatch
    | Dismiss
    | Assign
    | Accept
    | Verify
    | OrderRectification
    | Recheck
    | File
    | SubmitReview
    | Close
    | Return
    | Reopen
    | Comment
    | NotifyParty
    | ConfirmCorrection
    | RecordInspection
)

ACTIONS: dict[type[msgspec.Struct], Action] = {
    Dispatch: Action.dispatch,
    Dismiss: Action.dismiss,
    Assign: Action.assign,
    Release: Action.release,
    Accept: Action.accept,
    Verify: Action.verify,
    OrderRectification: Action.order_rectification,
    Recheck: Action.recheck,
    File: Action.file,
    SubmitReview: Action.submit_review,
    Close: Action.close,
    Return: Action.return_,
    Reopen: Action.reopen,
    Comment: Action.comment,
    NotifyParty: Action.notify_party,
    ConfirmCorrection: Action.confirm_correction,
    RecordInspection: Action.inspect,
}


# --- what the machine knows and decides ------------------------------------------------


class Actor(msgspec.Struct, frozen=True):
    """Who acts: a user with a role, or the system itself (``role is None``)."""

    user_id: int | None
    role: Role | None
    squad_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.role is None


SYSTEM = Actor(None, None)


class CaseFacts(msgspec.Struct, frozen=True, kw_only=True):
    state: State
    squad_id: int | None
    assignee_id: int | None
    outcome: Outcome | None
    rectify_by: AwareDatetime | None = None
    source: Source | None = None
    violation_type: str | None = None


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    """What a command does to a case. ``None`` fields leave that part unchanged, except
    where ``clear_outcome`` / ``clear_assignee`` say otherwise."""

    action: Action
    to_state: State
    outcome: Outcome | None = None
    clear_outcome: bool = False
    squad_id: int | None = None
    assignee_id: int | None = None
    clear_assignee: bool = False
    rectify_by: AwareDatetime | None = None
    external_ref: str | None = None
    rework: bool = False
    extension: bool = False
    violation_type: str | None = None  # an inspection found this: the case is one of it now
    # Deadlines that start afresh even if one of the same kind is running.
    restart: tuple[DeadlineKind, ...] = ()


# Deadlines running in each state; moving on clears the ones the new state lacks.
DEADLINES: dict[State, frozenset[DeadlineKind]] = {
    State.dispatched: frozenset({DeadlineKind.accept, DeadlineKind.handle}),
    State.in_progress: frozenset({DeadlineKind.verify, DeadlineKind.handle}),
    State.awaiting_rectification: frozenset({DeadlineKind.rectification}),
}

_COMMAND_CENTRE = frozenset({Role.commander, Role.admin})
_SQUAD_MANAGERS = frozenset({Role.squad_leader, Role.commander, Role.admin})


# Which sources each role may report a case through (cameras, alarms and complaints
# from integrators arrive through their own paths).
_REPORTABLE = {
    Role.officer: frozenset({Source.patrol}),
    Role.squad_leader: frozenset({Source.patrol}),
    Role.commander: frozenset({Source.patrol, Source.complaint}),
    Role.supervisor: frozenset({Source.patrol, Source.audit}),
    Role.admin: frozenset({Source.patrol, Source.complaint, Source.audit, Source.inspection}),
}


def may_report(role: Role, source: Source) -> bool:
    """Whether a person of ``role`` may report a case of ``source`` by hand."""
    return source in _REPORTABLE[role]


def action_of(command: msgspec.Struct) -> Action:
    """The timeline action of a command (request bodies subclass the commands)."""
    for kind in type(command).__mro__:
        if kind in ACTIONS:
            return ACTIONS[kind]
    raise InvalidInput("command_unknown", f"unknown command {type(command).__name__}")


def deadlines_in(state: State) -> frozenset[DeadlineKind]:
    return DEADLINES.get(state, frozenset())


def _refuse_state(command: msgspec.Struct, state: State) -> Conflict:
    name = action_of(command).value
    return Conflict("case_state_invalid", f"cannot {name} a case that is {state.value}")


def _require_role(
    actor: Actor, allowed: frozenset[Role], what: str, *, system: bool = False
) -> None:
    if actor.is_system:
        if system:
            return
        raise Forbidden("role_forbidden", f"{what} needs a person")
    if actor.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden("role_forbidden", f"{what} needs one of the roles: {roles}")


def _require_worker(actor: Actor, case: CaseFacts, what: str) -> None:
    """The assigned officer, or a manager of the squad acting for them."""
    if actor.role is Role.officer and actor.user_id == case.assignee_id:
        return
    if actor.role in _SQUAD_MANAGERS:
        return
    raise Forbidden("not_assignee", f"only the assigned officer or a manager may {what}")


def decide(case: CaseFacts, actor: Actor, command: msgspec.Struct, now: datetime) -> Transition:
    """The transition ``command`` makes, or an AppError saying why it may not."""
    action = action_of(command)
    s = case.state
    if isinstance(command, Comment):
        if actor.is_system:
            raise Forbidden("role_forbidden", "comments need a person")
        return Transition(action=action, to_state=s)
    if not s.is_open and not isinstance(command, Reopen):
        raise _refuse_state(command, s)

    match command:
        case Dispatch():
            _require_role(actor, _COMMAND_CENTRE, "dispatching", system=True)
            # From triage; or after a party was notified and did not correct it in time.
            if s is not State.pending_triage and not _party_notified(case):
                raise _refuse_state(command, s)
            return Transition(
                action=action,
                to_state=State.dispatched,
                squad_id=command.squad_id,
                assignee_id=command.officer_id,
            )
        case Dismiss():
            _require_role(actor, _COMMAND_CENTRE, "dismissing")
            if s is not State.pending_triage:
                raise _refuse_state(command, s)
            return Transition(action=action, to_state=State.dismissed)
        case Assign():
            _require_role(actor, _SQUAD_MANAGERS, "assigning", system=True)
            if command.officer_id == case.assignee_id:
                raise Conflict("already_assigned", "the case is already with that officer")
            if s is State.awaiting_rectification:
                # The recheck at the party's deadline goes to an officer; the case waits on.
                return Transition(action=action, to_state=s, assignee_id=command.officer_id)
            if s not in (State.dispatched, State.in_progress):
                raise _refuse_state(command, s)
            return Transition(
                action=action,
                to_state=State.dispatched,
                assignee_id=command.officer_id,
                restart=(DeadlineKind.accept,),
            )
        case Release():
            _require_role(actor, _SQUAD_MANAGERS, "releasing a task", system=True)
            if s not in (State.dispatched, State.in_progress) or case.assignee_id is None:
                raise _refuse_state(command, s)
            return Transition(
                action=action,
                to_state=State.dispatched,
                clear_assignee=True,
                restart=(DeadlineKind.accept,),
            )
        case Accept():
            if actor.role is not Role.officer:
                raise Forbidden("role_forbidden", "only officers accept tasks")
            if s is not State.dispatched:
                raise _refuse_state(command, s)
            if case.assignee_id not in (None, actor.user_id):
                raise Forbidden("not_assignee", "this task is assigned to another officer")
            return Transition(action=action, to_state=State.in_progress, assignee_id=actor.user_id)
        case Verify():
            _require_worker(actor, case, "record the verification")
            if s is not State.in_progress:
                raise _refuse_state(command, s)
            return _verify(command, now)
        case OrderRectification():
            _require_worker(actor, case, "order rectification")
            if s not in (State.in_progress, State.awaiting_rectification):
                raise _refuse_state(command, s)
            _check_rectify_by(command.rectify_by, now)
            extension = s is State.awaiting_rectification
            if extension and case.rectify_by and command.rectify_by <= case.rectify_by:
                raise InvalidInput("rectify_by_not_later", "an extension must end later")
            return Transition(
                action=action,
                to_state=State.awaiting_rectification,
                outcome=Outcome.rectification_ordered,
                rectify_by=command.rectify_by,
                extension=extension,
                restart=(DeadlineKind.rectification,),
            )
        case Recheck():
            _require_worker(actor, case, "recheck")
            if s is not State.awaiting_rectification:
                raise _refuse_state(command, s)
            if command.result is RecheckResult.not_corrected:
                if case.assignee_id is None:
                    # A notified party's case, rechecked by a manager: an officer takes it on.
                    return Transition(action=action, to_state=State.dispatched, clear_outcome=True)
                return Transition(action=action, to_state=State.in_progress, clear_outcome=True)
            # Fixed after an officer's order keeps that outcome; fixed after a mere
            # notification of the party is self-correction (自行整改).
            outcome = case.outcome or Outcome.self_corrected
            return Transition(action=action, to_state=State.pending_review, outcome=outcome)
        case File():
            _require_worker(actor, case, "file the case")
            if s not in (State.in_progress, State.awaiting_rectification):
                raise _refuse_state(command, s)
            return Transition(
                action=action,
                to_state=State.filed,
                outcome=Outcome.case_filed,
                external_ref=command.external_ref,
            )
        case SubmitReview():
            _require_worker(actor, case, "submit for review")
            if s is not State.filed:
                raise _refuse_state(command, s)
            return Transition(action=action, to_state=State.pending_review)
        case Close():
            _require_role(actor, _SQUAD_MANAGERS, "closing")
            if s is not State.pending_review:
                raise _refuse_state(command, s)
            return Transition(action=action, to_state=State.closed)
        case Return():
            _require_role(actor, _SQUAD_MANAGERS, "returning")
            if s is not State.pending_review:
                raise _refuse_state(command, s)
            return Transition(
                action=action,
                to_state=State.dispatched,
                clear_outcome=True,
                rework=True,
                restart=(DeadlineKind.accept, DeadlineKind.handle),
            )
        case Reopen():
            _require_role(actor, frozenset({Role.supervisor, Role.admin}), "reopening")
            if s is not State.closed:
                raise _refuse_state(command, s)
            return Transition(
                action=action,
                to_state=State.dispatched,
                clear_outcome=True,
                rework=True,
                restart=(DeadlineKind.accept, DeadlineKind.handle),
            )
        case NotifyParty():
            _require_role(actor, _COMMAND_CENTRE, "notifying the party", system=True)
            if s is not State.pending_triage:
                raise _refuse_state(command, s)
            if case.squad_id is None:
                raise InvalidInput(
                    "case_outside_squads", "a case outside every squad has no recheck"
                )
            _check_rectify_by(command.rectify_by, now)
            return Transition(
                action=action,
                to_state=State.awaiting_rectification,
                rectify_by=command.rectify_by,
                restart=(DeadlineKind.rectification,),
            )
        case RecordInspection():
            _require_worker(actor, case, "record the inspection")
            # Once a checklist found a violation the case is one of it: no second checklist.
            if (
                s is not State.in_progress
                or case.source is not Source.inspection
                or case.violation_type != INSPECTION_TYPE
            ):
                raise _refuse_state(command, s)
            if command.violation_type == INSPECTION_TYPE:
                raise InvalidInput("violation_type_required", "name the violation found")
            if command.clean:
                if command.violation_type:
                    raise InvalidInput("inspection_clean", "a clean inspection found no violation")
                return Transition(action=action, to_state=State.closed, outcome=Outcome.not_found)
            if not command.violation_type:
                raise InvalidInput(
                    "violation_type_required", "a failed inspection names the violation found"
                )
            return Transition(
                action=action,
                to_state=State.in_progress,
                violation_type=command.violation_type,
                restart=(DeadlineKind.verify, DeadlineKind.handle),
            )
        case ConfirmCorrection():
            if not actor.is_system:
                raise Forbidden("role_forbidden", "only the camera confirms a correction")
            if not _party_notified(case):
                raise _refuse_state(command, s)
            return Transition(action=action, to_state=State.closed, outcome=Outcome.self_corrected)
    raise InvalidInput("command_unknown", f"unknown command {type(command).__name__}")


def _party_notified(case: CaseFacts) -> bool:
    """Waiting for a party that was notified (no officer has ordered anything yet)."""
    return case.state is State.awaiting_rectification and case.outcome is None


def _check_rectify_by(rectify_by: datetime | None, now: datetime) -> None:
    if rectify_by is None:
        raise InvalidInput("rectify_by_required", "a rectification order needs a deadline")
    if rectify_by.tzinfo is None:
        raise InvalidInput("datetime_without_offset", "times need an offset, e.g. +08:00")
    if rectify_by <= now:
        raise InvalidInput("rectify_by_past", "the rectification deadline must be in the future")


def _verify(command: Verify, now: datetime) -> Transition:
    action = Action.verify
    match command.outcome:
        case Outcome.not_found | Outcome.corrected_on_site:
            return Transition(action=action, to_state=State.pending_review, outcome=command.outcome)
        case Outcome.rectification_ordered:
            _check_rectify_by(command.rectify_by, now)
            return Transition(
                action=action,
                to_state=State.awaiting_rectification,
                outcome=command.outcome,
                rectify_by=command.rectify_by,
                restart=(DeadlineKind.rectification,),
            )
        case Outcome.case_filed:
            if not command.external_ref:
                raise InvalidInput("external_ref_required", "filing needs the external reference")
            return Transition(
                action=action,
                to_state=State.filed,
                outcome=command.outcome,
                external_ref=command.external_ref,
            )
        case Outcome.self_corrected:
            raise InvalidInput(
                "outcome_not_on_site", "self-correction is recorded by a recheck, not on site"
            )
