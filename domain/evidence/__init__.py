"""Evidence (证据): what an upload may be, why one is refused, and when it is flagged."""

from domain.evidence.rules import (
    ACCEPTED_TYPES,
    Flag,
    Kind,
    Purpose,
    RejectReason,
    Status,
    onsite_flags,
)

__all__ = [
    "ACCEPTED_TYPES",
    "Flag",
    "Kind",
    "Purpose",
    "RejectReason",
    "Status",
    "onsite_flags",
]
