"""Roll-call spot checks (点名抽查): the desk asks an on-shift officer to report their
position within N minutes; the answer, late or never, is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import Conflict

MIN_MINUTES, MAX_MINUTES = 1, 120


class RollCallState(StrEnum):
    pending = "pending"  # asked, not answered, deadline not passed
    answered = "answered"  # answered by the deadline
    late = "late"  # answered after the deadline (before or after it was marked missed)
    missed = "missed"  # the deadline passed unanswered (may still become late)

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    RollCallState.pending: "待应答",
    RollCallState.answered: "按时应答",
    RollCallState.late: "逾时应答",
    RollCallState.missed: "未应答",
}


def deadline(asked_at: datetime, within_minutes: int) -> datetime:
    return asked_at + timedelta(minutes=within_minutes)


def answered_state(state: RollCallState, deadline_at: datetime, at: datetime) -> RollCallState:
    """The state an answer at ``at`` leaves: in time up to the deadline (inclusive), late
    after it; a roll call answered once cannot be answered again."""
    if state in (RollCallState.answered, RollCallState.late):
        raise Conflict("roll_call_answered", "this roll call was answered already")
    return RollCallState.answered if at <= deadline_at else RollCallState.late


def is_missed(state: RollCallState, deadline_at: datetime, now: datetime) -> bool:
    """Whether a still-pending roll call is missed at ``now`` (the deadline passed)."""
    return state is RollCallState.pending and now > deadline_at
