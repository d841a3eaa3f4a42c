"""``/integrator/v1/complaints``: 12345 / 城运 work orders (诉件) in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.deps import IntegratorCaller, Rt
from api.integrators.auth import requires_scope
from domain.catalogue.complaints import violation_type_for
from domain.geo import Location
from domain.integration import IntegratorScope
from domain.moments import AwareDatetime
from storage import complaints
from storage.cases import catalogue

Url = Annotated[str, msgspec.Meta(max_length=1000, pattern=r"^https?://")]


class Complainant(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The caller (personal data: masked wherever it is shown to integrators)."""

    name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] = ""


class ComplaintIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One work order. Sending the same ``external_id`` again (with the same key) returns
    the first case; another key's order of the same id is a case of its own."""

    external_id: Annotated[
        str, msgspec.Meta(min_length=1, max_length=128, examples=["12345-20261124-000123"])
    ]
    category: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=64,
            description="A violation type code (05-05) or a mapped hotline category (乱停车).",
            examples=["乱设摊"],
        ),
    ]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    location: Location
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    complainant: Complainant | None = None
    media_urls: Annotated[list[Url], msgspec.Meta(max_length=9)] = []
    received_at: AwareDatetime | None = None


class ComplaintAccepted(msgspec.Struct, frozen=True):
    case_id: int
    number: str
    state: str
    duplicate: Annotated[bool, msgspec.Meta(description="True: this external id was known.")]


class ComplaintController(Controller):
    path = "/integrator/v1/complaints"
    tags = ["integrator"]
    security = [{"IntegratorKey": []}]

    @post(
        "/",
        operation_id="submit_complaint",
        status_code=HTTP_200_OK,
        guards=[requires_scope(IntegratorScope.complaints_write)],
    )
    async def submit(
        self, rt: Rt, caller: IntegratorCaller, data: JSONBody[ComplaintIn]
    ) -> ComplaintAccepted:
        """Take a work order in: it becomes a case (source ``complaint``), placed and
        dispatched like any other; its pictures are fetched afterwards; the key's
        ``callback_url`` then hears of every state change of the case."""
        codes = {t.code for t in await catalogue.all_types()}
        person = data.complainant
        result = await complaints.intake_complaint(
            rt.cases,
            complaints.Complaint(
                external_id=data.external_id,
                violation_type=violation_type_for(
                    data.category, codes, rt.settings.outbox.complaint_types
                ),
                text=data.text,
                position=data.location.to_wgs84(),
                address=data.address,
                complainant={"name": person.name, "phone": person.phone} if person else None,
                media_urls=data.media_urls,
                received_at=data.received_at,
            ),
            caller.key_id,
            datetime.now(UTC),
        )
        return ComplaintAccepted(result.case_id, result.number, result.state, result.duplicate)
