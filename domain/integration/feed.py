"""What integrators are told about a case change: the feed topic of a timeline entry,
and the back-off between delivery attempts."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    created = "case.created"
    state_changed = "case.state_changed"
    escalated = "case.escalated"
    updated = "case.updated"  # assigned, commented, evidence checked, camera observation


def topic_of(action: str, from_state: str | None, to_state: str) -> Topic:
    """The topic of one timeline entry."""
    if action == "created":
        return Topic.created
    if action == "escalate":
        return Topic.escalated
    if from_state is not None and from_state != to_state:
        return Topic.state_changed
    return Topic.updated


# Status callbacks to the source of a complaint: what its case became.
CALLBACK_TOPICS = frozenset({Topic.created, Topic.state_changed})


def backoff_s(attempt: int, base_s: float = 2.0, cap_s: float = 3600.0) -> float:
    """Wait before the attempt after ``attempt`` (1-based) failed: 2, 4, 8 … s, capped."""
    return float(min(cap_s, base_s * 2 ** max(0, attempt - 1)))
