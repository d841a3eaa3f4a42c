"""``/api/v1/equipment``: the equipment registry (装备) — vehicles, body cameras, radios —
their assignments to officers for a span (a shift), and the current holder of each;
``/api/v1/me/equipment``: what the signed-in officer holds now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import Caller
from api.schemas import INT4_MAX, SquadQuery
from api.security import requires_role
from domain.errors import InvalidInput, NotFound
from domain.moments import AwareDatetime
from domain.org import Role
from domain.patrol.equipment import EquipmentKind, check_span
from storage import equipment, org
from storage.equipment import AssignmentRead, Ended, EquipmentRead

INT8_MAX = 2**63 - 1
MANAGERS = requires_role(Role.squad_leader, Role.commander, Role.admin)
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=128, examples=["沪A·12345 执法车"])]


class EquipmentCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: EquipmentKind
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["JLY-0001"])]
    label: Label
    squad_id: Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)] | None = None  # default: own


class EquipmentUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    label: Label | None = None
    active: bool | None = None  # false: out of service (no new assignments)


class AssignmentCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Hand the item to an officer of its squad for [starts_at, ends_at) — a shift."""

    user_id: Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class EquipmentList(msgspec.Struct, frozen=True):
    items: list[EquipmentRead]


class EquipmentDetail(msgspec.Struct, frozen=True):
    equipment: EquipmentRead
    upcoming: list[AssignmentRead]  # current and future assignments


class AssignmentList(msgspec.Struct, frozen=True):
    items: list[AssignmentRead]


async def _found(equipment_id: int) -> EquipmentRead:
    item = await equipment.get(equipment_id, datetime.now(UTC))
    if item is None:
        raise NotFound("equipment_not_found", f"no equipment {equipment_id}")
    return item


class EquipmentController(Controller):
    path = "/api/v1/equipment"
    tags = ["equipment"]

    @post("/", operation_id="create_equipment", status_code=HTTP_201_CREATED, guards=[MANAGERS])
    async def create(self, principal: Caller, data: JSONBody[EquipmentCreate]) -> EquipmentRead:
        """Register an item for a squad (squad leader: their own squad)."""
        squad = principal.scope.narrowed(data.squad_id).squad_id
        if squad is None:
            raise InvalidInput("squad_required", "name the squad the item belongs to")
        if not await org.squad_exists(squad):
            raise InvalidInput("squad_not_found", f"no squad {squad}")
        return await _found(await equipment.create(squad, data.kind, data.code, data.label))

    @get("/", operation_id="list_equipment")
    async def listing(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        kind: FromQuery[EquipmentKind | None] = None,
        include_inactive: FromQuery[bool] = False,
    ) -> EquipmentList:
        """The items of the caller's jurisdiction, each with its holder now (``holder
        .user_id``: the console map shows the item beside that officer's marker)."""
        items = await equipment.listing(
            principal.scope.narrowed(squad_id), datetime.now(UTC), kind, include_inactive
        )
        return EquipmentList(items)

    @get("/{equipment_id:int}", operation_id="get_equipment")
    async def read(self, equipment_id: FromPath[int]) -> EquipmentDetail:
        now = datetime.now(UTC)
        return EquipmentDetail(
            await _found(equipment_id), await equipment.assignments(equipment_id, since=now)
        )

    @patch("/{equipment_id:int}", operation_id="update_equipment", guards=[MANAGERS])
    async def update(
        self, equipment_id: FromPath[int], data: JSONBody[EquipmentUpdate]
    ) -> EquipmentRead:
        await equipment.update(equipment_id, data.label, data.active, datetime.now(UTC))
        return await _found(equipment_id)

    @post(
        "/{equipment_id:int}/assignments",
        operation_id="assign_equipment",
        status_code=HTTP_201_CREATED,
        guards=[MANAGERS],
    )
    async def assign(
        self, principal: Caller, equipment_id: FromPath[int], data: JSONBody[AssignmentCreate]
    ) -> AssignmentRead:
        """Assign the item for a span; 409 ``equipment_assignment_overlap`` when the span
        overlaps another assignment of the item."""
        span = check_span(data.starts_at, data.ends_at)
        return await equipment.assign(
            equipment_id, data.user_id, span, principal.user_id, datetime.now(UTC)
        )

    @delete(
        "/{equipment_id:int}/assignments/{assignment_id:int}",
        operation_id="end_equipment_assignment",
        status_code=HTTP_200_OK,
        guards=[MANAGERS],
    )
    async def end(
        self,
        equipment_id: FromPath[int],
        assignment_id: Annotated[int, PathParameter(ge=1, le=INT8_MAX)],
    ) -> Ended:
        """The item comes back early, or a planned shift is off: an assignment that has
        not started is removed, a current one ends now (409 ``assignment_over`` after)."""
        return await equipment.end_assignment(equipment_id, assignment_id, datetime.now(UTC))

    @get("/{equipment_id:int}/assignments", operation_id="list_equipment_assignments")
    async def assignments(self, equipment_id: FromPath[int]) -> AssignmentList:
        """Every assignment of the item, by start time (the last 500)."""
        return AssignmentList(await equipment.assignments(equipment_id))


class MyEquipmentController(Controller):
    path = "/api/v1/me/equipment"
    tags = ["me"]

    @get("/", operation_id="get_my_equipment")
    async def mine(self, principal: Caller) -> EquipmentList:
        """What the signed-in officer holds now."""
        return EquipmentList(await equipment.held_by(principal.user_id, datetime.now(UTC)))
