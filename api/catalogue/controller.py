"""``/api/v1/violation-types``: read by everyone, edited by admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from api.deps import Caller
from api.security import admin_only
from domain.catalogue import CatalogueError, decode_type, encode_type
from domain.errors import InvalidInput
from storage.cases import catalogue


class ViolationTypePage(msgspec.Struct, frozen=True):
    """Types as in the data file: durations are texts like ``30m``, ``4h``, ``3d``."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


class ViolationTypeController(Controller):
    path = "/api/v1/violation-types"
    tags = ["catalogue"]

    @get("/", operation_id="list_violation_types")
    async def list_types(self) -> ViolationTypePage:
        """The catalogue (大类-小类 codes, names, SLA, urgency, dispatch, camera defaults)."""
        return ViolationTypePage([encode_type(vt) for vt in await catalogue.all_types()])

    @put("/{code:str}", operation_id="put_violation_type", guards=[admin_only])
    async def put_type(
        self, principal: Caller, code: FromPath[str], data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Create or replace a type. Cases already open keep the SLA they started with."""
        try:
            vt = decode_type({**data, "code": code})
        except CatalogueError as exc:
            raise InvalidInput("violation_type_invalid", str(exc)) from exc
        return encode_type(await catalogue.put(vt, principal.user_id, datetime.now(UTC)))
