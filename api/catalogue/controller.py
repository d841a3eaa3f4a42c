"""``/api/v1/violation-types``: read by everyone, edited by admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from api.deps import Caller
from api.security import admin_only
from domain.catalogue import CatalogueError, decode_type, encode_type
from domain.catalogue.types import AutoDispatch, CameraRule, Category, FirstStep, Urgency
from domain.errors import InvalidInput
from storage.cases import catalogue

DurationText = Annotated[
    str, msgspec.Meta(pattern=r"^[1-9]\d{0,5}[mhd]$", examples=["30m", "4h", "3d"])
]


class SlaText(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Deadlines as texts: minutes (``30m``) and hours (``4h``) of working time for
    ordinary types, wall-clock for urgent ones; days (``3d``) are working days."""

    accept: DurationText
    verify: DurationText
    handle: DurationText
    rectification: DurationText


class ViolationTypeBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A type as an admin writes it: its code is in the path (a ``code`` in the body, as
    the list reads it, must be the same)."""

    code: Annotated[str | None, msgspec.Meta(examples=["05-04"])] = None
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    category: Category
    urgency: Urgency
    severity: Annotated[int, msgspec.Meta(ge=1, le=3, description="1 minor … 3 serious.")]
    sla: SlaText
    auto_dispatch: AutoDispatch
    first_step: FirstStep
    camera: CameraRule | None = None
    active: bool = True
    legal_basis_zh: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ViolationTypeRead(ViolationTypeBody, frozen=True, kw_only=True):
    code: Annotated[str, msgspec.Meta(examples=["05-04"])]  # type: ignore[assignment]


class ViolationTypePage(msgspec.Struct, frozen=True):
    items: list[ViolationTypeRead]
    next_cursor: str | None = None


def _read(encoded: object) -> ViolationTypeRead:
    return msgspec.convert(encoded, ViolationTypeRead)


class ViolationTypeController(Controller):
    path = "/api/v1/violation-types"
    tags = ["catalogue"]

    @get("/", operation_id="list_violation_types")
    async def list_types(self) -> ViolationTypePage:
        """The catalogue (大类-小类 codes, names, SLA, urgency, dispatch, camera defaults)."""
        return ViolationTypePage([_read(encode_type(vt)) for vt in await catalogue.all_types()])

    @put("/{code:str}", operation_id="put_violation_type", guards=[admin_only])
    async def put_type(
        self, principal: Caller, code: FromPath[str], data: JSONBody[ViolationTypeBody]
    ) -> ViolationTypeRead:
        """Create or replace a type. Cases already open keep the SLA they started with."""
        if data.code not in (None, code):
            raise InvalidInput(
                "violation_type_invalid", f"the body is {data.code}, the path {code}"
            )
        try:
            vt = decode_type({**msgspec.to_builtins(data), "code": code})
        except CatalogueError as exc:
            raise InvalidInput("violation_type_invalid", str(exc)) from exc
        return _read(encode_type(await catalogue.put(vt, principal.user_id, datetime.now(UTC))))
