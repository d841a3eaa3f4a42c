"""Whether a step's photos are accepted uploads of the case they claim to belong to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.errors import InvalidInput
from domain.evidence import Kind, Status
from storage.tables import Evidence


async def require_accepted(case_id: int, evidence_ids: Sequence[str]) -> None:
    """At least one id, each an uploaded and completed photo or clip of ``case_id`` (the
    check may still be running; a refused upload does not count); InvalidInput if not."""
    if not evidence_ids:
        raise InvalidInput("photo_required", "attach at least one photo (evidence_ids)")
    try:
        wanted = {uuid.UUID(i) for i in evidence_ids}
    except ValueError as exc:
        raise InvalidInput("evidence_invalid", "evidence_ids must be evidence ids") from exc
    usable = await Evidence.count().where(
        Evidence.id.is_in(list(wanted))
        & (Evidence.case == case_id)
        & Evidence.status.is_in([Status.processing.value, Status.verified.value])
        & Evidence.kind.is_in([Kind.photo.value, Kind.video.value])
    )
    if usable != len(wanted):
        raise InvalidInput(
            "evidence_invalid", "every evidence id must be an accepted upload of this case"
        )
