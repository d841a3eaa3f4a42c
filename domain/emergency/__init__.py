"""Emergencies (突发事件): responders offered to the duty desk, arrival, figures."""

from domain.emergency.responders import (
    DEFAULT_ARRIVAL_RADIUS_M,
    DEFAULT_STALE_AFTER,
    ArrivalKind,
    Candidate,
    Officer,
    ResponderState,
    candidates,
    has_arrived,
    state_of,
    time_to_arrive_s,
)

__all__ = [
    "DEFAULT_ARRIVAL_RADIUS_M",
    "DEFAULT_STALE_AFTER",
    "ArrivalKind",
    "Candidate",
    "Officer",
    "ResponderState",
    "candidates",
    "has_arrived",
    "state_of",
    "time_to_arrive_s",
]
