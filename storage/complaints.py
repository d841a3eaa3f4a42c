"""12345 / 城运 work orders (诉件) become cases, once per external id of each sender."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.cases.machine import SYSTEM
from domain.cases.model import Source
from domain.evidence import Kind
from domain.geo import LngLat
from storage.cases.commands import Deps, NewCase, create_case, same_external
from storage.db import engine
from storage.media import MediaFetch, queue_fetch
from storage.tables import Case


class Complaint(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str
    violation_type: str
    text: str
    position: LngLat
    address: str = ""
    complainant: dict[str, str] | None = None
    media_urls: list[str] = []
    received_at: datetime | None = None


class Intake(msgspec.Struct, frozen=True):
    case_id: int
    number: str
    state: str
    duplicate: bool


async def intake_complaint(deps: Deps, complaint: Complaint, key_id: int, now: datetime) -> Intake:
    """The complaint's case, created once however often the work order is sent; its
    pictures are fetched afterwards (outbox), and its source gets status callbacks."""
    async with engine().transaction():
        # Concurrent sends of one work order (by one sender) queue up here; the first
        # creates the case. Another integrator's order of the same number is its own case.
        await Case.raw(
            "SELECT pg_advisory_xact_lock(hashtext({}))",
            f"complaint:{key_id}:{complaint.external_id}",
        )
        existing = await _existing(complaint.external_id, key_id)
        if existing is not None:
            return existing
        case = await create_case(
            deps,
            NewCase(
                source=Source.complaint,
                violation_type=complaint.violation_type,
                position=complaint.position,
                address=complaint.address,
                description=complaint.text,
                external_id=complaint.external_id,
                origin_key=key_id,
                complainant=complaint.complainant,
            ),
            SYSTEM,
            now,
        )
        for index, url in enumerate(complaint.media_urls):
            await queue_fetch(
                case.id,
                MediaFetch(
                    url=url,
                    kind=Kind.photo,
                    detail={"external_id": complaint.external_id, "media": index},
                ),
                f"complaint:{case.id}:{index}",
                now,
            )
    return Intake(case.id, case.number, case.state, False)


async def _existing(external_id: str, key_id: int) -> Intake | None:
    row = (
        await Case.select(Case.id, Case.number, Case.state)
        .where(same_external(Source.complaint, key_id, external_id))
        .first()
    )
    return Intake(row["id"], row["number"], row["state"], True) if row else None
