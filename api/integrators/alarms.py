"""``/integrator/v1/alarms``: alarms pushed by vendor AI boxes and video platforms."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from api.deps import IntegratorCaller, Rt
from api.integrators.auth import requires_scope
from domain.catalogue.alarms import check_alarm_image, violation_type_for
from domain.errors import InvalidInput
from domain.geo import Location
from domain.integration import IntegratorScope
from domain.moments import AwareDatetime
from storage import alerts


class AlarmIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One alarm. Sending the same ``alarm_id`` again (with the same key) returns the first
    case; another key's alarm of the same id is a case of its own."""

    alarm_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    vendor_type: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64, examples=["illegal_parking"])
    ]
    occurred_at: AwareDatetime
    image_base64: str | None = None
    image_url: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=1000,
                pattern=r"^https?://",
                description="Instead of image_base64: fetched afterwards, with retries.",
            ),
        ]
        | None
    ) = None
    location: Location | None = None
    boxes: list[alerts.AlarmBox] = []
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class AlarmAccepted(msgspec.Struct, frozen=True):
    case_id: int
    number: str
    duplicate: bool


class AlarmController(Controller):
    path = "/integrator/v1/alarms"
    tags = ["integrator"]
    security = [{"IntegratorKey": []}]

    @post(
        "/",
        operation_id="push_alarm",
        status_code=HTTP_200_OK,
        guards=[requires_scope(IntegratorScope.alarms_write)],
    )
    async def push(
        self, rt: Rt, caller: IntegratorCaller, data: JSONBody[AlarmIn]
    ) -> AlarmAccepted:
        """Take an alarm in: its type is mapped to a violation type, it is placed by its
        device (or location), and it becomes a case with its picture as evidence."""
        violation_type = violation_type_for(data.vendor_type, rt.settings.vision.alarm_types)
        image = None
        if data.image_base64 and data.image_url:
            raise InvalidInput("image_invalid", "send image_base64 or image_url, not both")
        if data.image_base64:
            try:
                image = check_alarm_image(base64.b64decode(data.image_base64, validate=True))
            except binascii.Error as exc:
                raise InvalidInput("image_invalid", "image_base64 is not base64") from exc
        result = await alerts.intake_alarm(
            rt.cases,
            rt.objects,
            alerts.Alarm(
                alarm_id=data.alarm_id,
                device_id=data.device_id,
                violation_type=violation_type,
                occurred_at=data.occurred_at,
                image=image,
                position=data.location.to_wgs84() if data.location else None,
                boxes=data.boxes,
                description=data.description,
                image_url=data.image_url,
            ),
            caller.key_id,
            datetime.now(UTC),
        )
        return AlarmAccepted(result.case_id, result.number, result.duplicate)
