"""Whether a step's photos are checked uploads of the case they claim to belong to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.errors import Conflict, InvalidInput
from domain.evidence import Kind, Status
from storage.tables import Evidence

# How long a phone should wait before retrying a command whose photos are being checked
# (a check takes a second or two: hash, decode, EXIF, thumbnail).
CHECK_RETRY_AFTER_S = 2


async def require_accepted(case_id: int, evidence_ids: Sequence[str]) -> None:
    """At least one id, each a checked (verified) photo or clip of ``case_id``.

    A photo whose check is still running is refused with 409 ``evidence_checks_pending``
    rather than waited for: a phone on a weak network should not hold a request open
    while a worker hashes and decodes, and it retries the same command with the same
    Idempotency-Key (a refusal stores no answer, so the retry runs afresh). Only a
    verified photo may back what the officer says was seen on site: a check can still
    reject it (not an image, a decompression bomb), and the record would then point at
    nothing. A refused upload is ``evidence_invalid``.
    """
    if not evidence_ids:
        raise InvalidInput("photo_required", "attach at least one photo (evidence_ids)")
    try:
        wanted = {uuid.UUID(i) for i in evidence_ids}
    except ValueError as exc:
        raise InvalidInput("evidence_invalid", "evidence_ids must be evidence ids") from exc
    rows = await Evidence.select(Evidence.id, Evidence.status).where(
        Evidence.id.is_in(list(wanted))
        & (Evidence.case == case_id)
        & Evidence.kind.is_in([Kind.photo.value, Kind.video.value])
    )
    status = {row["id"]: Status(row["status"]) for row in rows}
    if any(status.get(i) not in (Status.processing, Status.verified) for i in wanted):
        raise InvalidInput(
            "evidence_invalid", "every evidence id must be an accepted upload of this case"
        )
    pending = sorted(str(i) for i in wanted if status[i] is Status.processing)
    if pending:
        raise Conflict(
            "evidence_checks_pending",
            "a photo is still being checked: retry in a moment with the same Idempotency-Key",
            pending=pending,
            retry_after_s=CHECK_RETRY_AFTER_S,
        )
