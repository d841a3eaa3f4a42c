"""``/api/v1/structures``: illegal structures (违法建筑) through their lifecycle, and the
year's figures against the targets (``/api/v1/structure-targets/{year}``, admin)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import Caller, Rt
from api.schemas import CursorQuery, LimitQuery, SquadQuery, decode_cursor, next_cursor
from api.security import Principal, admin_only, requires_role
from domain.errors import NotFound
from domain.geo import Location
from domain.subjects.structures import (
    REGISTER_ROLES,
    STEP_ROLES,
    Demolish,
    File,
    OrderDemolition,
    Retain,
    Step,
    StructureKind,
    StructureState,
    Verify,
)
from storage import structures
from storage.cases import records
from storage.structures import (
    MonthFigures,
    StructureRecord,
    StructureStep,
    Target,
    YearFigures,
)


class StructureCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    case_id: Annotated[int, msgspec.Meta(description="The case that found it (its photos).")]
    kind: StructureKind
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128, examples=["某小区顶楼加层"])]
    address: Annotated[str, msgspec.Meta(max_length=256)] = ""
    location: Location | None = None


class StructureView(msgspec.Struct, frozen=True):
    structure: StructureRecord
    steps: list[StructureStep]


class StructurePage(msgspec.Struct, frozen=True):
    items: list[StructureRecord]
    next_cursor: str | None


class StructureFigures(msgspec.Struct, frozen=True):
    year: int
    months: list[MonthFigures]
    totals: list[YearFigures]


def _may(step: type[Step]) -> Any:
    """The guard of one step: the roles the domain's table gives it."""
    return requires_role(*STEP_ROLES[step])


class StructureController(Controller):
    path = "/api/v1/structures"
    tags = ["illegal structures"]

    @post(
        "/",
        operation_id="register_structure",
        status_code=HTTP_201_CREATED,
        guards=[requires_role(*REGISTER_ROLES)],
    )
    async def register(
        self, rt: Rt, principal: Caller, data: JSONBody[StructureCreate]
    ) -> StructureRecord:
        """Register a structure found by a case (once per case): a subject of kind
        ``illegal_structure`` in ``discovered``; every later step needs photos of that case."""
        if await records.get_visible(data.case_id, principal.scope) is None:
            raise NotFound("case_not_found", f"no case {data.case_id} in your jurisdiction")
        return await structures.register(
            rt.geo,
            case_id=data.case_id,
            kind=data.kind,
            name=data.name,
            address=data.address,
            location=data.location,
            actor=principal.user_id,
            now=datetime.now(UTC),
        )

    @get("/", operation_id="list_structures")
    async def listing(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        structure_state: Annotated[StructureState | None, QueryParameter(name="state")] = None,
        limit: LimitQuery = 50,
        cursor: CursorQuery = None,
    ) -> StructurePage:
        scope = principal.scope.narrowed(squad_id)
        found = await structures.listing(scope, structure_state, decode_cursor(cursor), limit)
        return StructurePage(found, next_cursor([s.id for s in found], limit))

    @get("/figures", operation_id="structure_figures")
    async def figures(
        self,
        principal: Caller,
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
        squad_id: SquadQuery = None,
    ) -> StructureFigures:
        """Per squad and month: new structures (控违) found and taken down, stock (拆违)
        taken down in m²; per squad and for the district: the year against its targets."""
        months, totals = await structures.figures(year, principal.scope.narrowed(squad_id))
        return StructureFigures(year, months, totals)

    @get("/{structure_id:int}", operation_id="read_structure")
    async def read(self, structure_id: FromPath[int]) -> StructureView:
        record = await structures.get(structure_id)
        if record is None:
            raise NotFound("structure_not_found", f"no illegal structure {structure_id}")
        return StructureView(record, await structures.steps(structure_id))

    @post(
        "/{structure_id:int}/verify",
        operation_id="verify_structure",
        status_code=HTTP_200_OK,
        guards=[_may(Verify)],
    )
    async def verify(
        self, principal: Caller, structure_id: FromPath[int], data: JSONBody[Verify]
    ) -> StructureRecord:
        """Measured on site: area, floors, structure, when built, owner."""
        return await _advance(principal, structure_id, data)

    @post(
        "/{structure_id:int}/file",
        operation_id="file_structure",
        status_code=HTTP_200_OK,
        guards=[_may(File)],
    )
    async def file(
        self, principal: Caller, structure_id: FromPath[int], data: JSONBody[File]
    ) -> StructureRecord:
        return await _advance(principal, structure_id, data)

    @post(
        "/{structure_id:int}/order-demolition",
        operation_id="order_structure_demolition",
        status_code=HTTP_200_OK,
        guards=[_may(OrderDemolition)],
    )
    async def order_demolition(
        self, principal: Caller, structure_id: FromPath[int], data: JSONBody[OrderDemolition]
    ) -> StructureRecord:
        return await _advance(principal, structure_id, data)

    @post(
        "/{structure_id:int}/demolish",
        operation_id="demolish_structure",
        status_code=HTTP_200_OK,
        guards=[_may(Demolish)],
    )
    async def demolish(
        self, principal: Caller, structure_id: FromPath[int], data: JSONBody[Demolish]
    ) -> StructureRecord:
        """Taken down, by its owner or by enforcement, with the area that came down."""
        return await _advance(principal, structure_id, data)

    @post(
        "/{structure_id:int}/retain",
        operation_id="retain_structure",
        status_code=HTTP_200_OK,
        guards=[_may(Retain)],
    )
    async def retain(
        self, principal: Caller, structure_id: FromPath[int], data: JSONBody[Retain]
    ) -> StructureRecord:
        """Approved to stay (补办手续), under the approval's reference."""
        return await _advance(principal, structure_id, data)


async def _advance(principal: Principal, structure_id: int, step: Step) -> StructureRecord:
    """One step; the guards have checked the role and placed the structure in the
    caller's jurisdiction."""
    return await structures.advance(structure_id, step, principal.user_id, datetime.now(UTC))


class TargetList(msgspec.Struct, frozen=True):
    items: list[Target]


class StructureTargetController(Controller):
    path = "/api/v1/structure-targets"
    tags = ["illegal structures"]
    guards = [admin_only]

    @put("/{year:int}", operation_id="set_structure_targets")
    async def set_targets(self, year: FromPath[int], data: JSONBody[TargetList]) -> TargetList:
        """The year's targets: m² of stock to take down and new structures tolerated, per
        squad (``squad_id``) and for the district (``squad_id`` null). Replaces the year's."""
        await structures.set_targets(year, data.items)
        return data
