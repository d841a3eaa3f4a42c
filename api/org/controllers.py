"""``/api/v1/me``, ``/squads``, ``/grids``, ``/users``."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Controller, Response, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.auth import service as auth_service
from api.deps import Caller, Rt
from api.org import service
from api.org.schemas import (
    AreaRef,
    BindingCodeRead,
    DutyUpdate,
    GridPage,
    GridRead,
    MeRead,
    PlacementRead,
    SquadPage,
    SquadRead,
    SquadSummary,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from api.schemas import (
    CoordTypeQuery,
    CursorQuery,
    LimitQuery,
    SquadQuery,
    decode_cursor,
    json_response,
    next_cursor,
)
from api.security import admin_only, requires_role
from domain.errors import NotFound
from domain.geo import CoordType, Location
from domain.org import Role
from storage import org, roster
from storage.cases.board import CasePage, my_tasks
from storage.roster import OfficerLoad


class OfficerPage(msgspec.Struct, frozen=True):
    items: list[OfficerLoad]
    next_cursor: str | None = None


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["me"]

    @get("/", operation_id="get_me")
    async def me(self, principal: Caller) -> MeRead:
        """The signed-in user's profile, role and squad."""
        user = await org.get_user(principal.user_id)
        if user is None:
            raise NotFound("user_not_found", "this account no longer exists")
        squad = await org.get_squad(user.squad_id) if user.squad_id is not None else None
        summary = SquadSummary(squad.id, squad.code, squad.name_zh) if squad else None
        return MeRead(UserRead.of(user), summary)

    @get("/tasks", operation_id="get_my_tasks")
    async def tasks(
        self,
        rt: Rt,
        principal: Caller,
        limit: LimitQuery = 100,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> Response[CasePage]:
        """The officer's open tasks: overdue first, then the nearest deadline."""
        return json_response(
            await my_tasks(principal.user_id, principal.scope, limit, rt.lists, coord_type)
        )

    @put("/duty", operation_id="set_my_duty")
    async def duty(self, principal: Caller, data: JSONBody[DutyUpdate]) -> UserRead:
        """Go on or off duty; the location (any coord_type) becomes the last known position."""
        position = data.location.to_wgs84() if data.location else None
        user = await service.set_duty(
            principal.user_id, data.on_duty, position, datetime.now(UTC), data.accuracy_m
        )
        return UserRead.of(user)


class SquadController(Controller):
    path = "/api/v1"
    tags = ["organisation"]

    @get("/squads", operation_id="list_squads")
    async def list_squads(self, principal: Caller) -> SquadPage:
        """Squads in the caller's jurisdiction: their own, or all 14 for district roles."""
        return SquadPage([SquadRead.of(s) for s in await org.list_squads(principal.scope)])

    @get("/squads/{squad_id:int}", operation_id="get_squad")
    async def get_squad(self, squad_id: FromPath[int]) -> SquadRead:
        """One squad (the jurisdiction guard refuses squad roles any but their own)."""
        squad = await org.get_squad(squad_id)
        if squad is None:
            raise NotFound("squad_not_found", f"no squad {squad_id}")
        return SquadRead.of(squad)

    @get(
        "/squads/{squad_id:int}/officers",
        operation_id="list_squad_officers",
        guards=[requires_role(Role.squad_leader, Role.commander, Role.supervisor, Role.admin)],
    )
    async def list_officers(
        self, squad_id: FromPath[int], coord_type: CoordTypeQuery = CoordType.wgs84
    ) -> OfficerPage:
        """The squad's officers for assigning a task (派单): duty status (``on_duty``, the
        phone's word), whether the roster has them on shift now (``on_shift``) and when
        that shift ends, last known position (in ``coord_type``) and when it was taken,
        open and overdue tasks; on duty first, then the lightest load. Squad leaders see
        their own squad only."""
        if not await org.squad_exists(squad_id):
            raise NotFound("squad_not_found", f"no squad {squad_id}")
        return OfficerPage(await roster.squad_officers(squad_id, datetime.now(UTC), coord_type))

    @get("/grids", operation_id="list_grids")
    async def list_grids(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
    ) -> GridPage:
        """Grid cells (网格) in the caller's jurisdiction, optionally of one squad."""
        scope = principal.scope.narrowed(squad_id)
        cells = await org.list_grids(scope, decode_cursor(cursor), limit)
        return GridPage([GridRead.of(c) for c in cells], next_cursor([c.id for c in cells], limit))

    @get("/grids/locate", operation_id="locate_point")
    async def locate(
        self,
        rt: Rt,
        lng: FromQuery[float],
        lat: FromQuery[float],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> PlacementRead:
        """The squad and grid cell that hold a point (either is null outside the district);
        the point is read and answered in ``coord_type`` (400 ``location_invalid`` when it
        is not on the Earth)."""
        point = Location(lng, lat, coord_type).to_wgs84()
        placed = await rt.geo.place(point)
        return PlacementRead(
            location=Location.from_wgs84(point.lng, point.lat, coord_type),
            squad=AreaRef(placed.squad.id, placed.squad.code) if placed.squad else None,
            grid=AreaRef(placed.grid.id, placed.grid.code) if placed.grid else None,
        )


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]
    guards = [admin_only]

    @get("/", operation_id="list_users")
    async def list_users(
        self,
        principal: Caller,
        role: FromQuery[Role | None] = None,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
    ) -> UserPage:
        users = await org.list_users(
            principal.scope, role=role, after_id=decode_cursor(cursor), limit=limit
        )
        return UserPage([UserRead.of(u) for u in users], next_cursor([u.id for u in users], limit))

    @post("/", operation_id="create_user", status_code=HTTP_201_CREATED)
    async def create_user(self, rt: Rt, data: JSONBody[UserCreate]) -> UserRead:
        return UserRead.of(await service.create_user(rt, data, datetime.now(UTC)))

    @get("/{user_id:int}", operation_id="get_user")
    async def get_user(self, user_id: FromPath[int]) -> UserRead:
        user = await org.get_user(user_id)
        if user is None:
            raise NotFound("user_not_found", f"no user {user_id}")
        return UserRead.of(user)

    @patch("/{user_id:int}", operation_id="update_user")
    async def update_user(
        self, rt: Rt, user_id: FromPath[int], data: JSONBody[UserUpdate]
    ) -> UserRead:
        """Change an account. A new password, role or squad, or deactivation, signs it out."""
        return UserRead.of(await service.update_user(rt, user_id, data, datetime.now(UTC)))

    @post(
        "/{user_id:int}/wechat-binding",
        operation_id="issue_wechat_binding",
        status_code=HTTP_201_CREATED,
    )
    async def wechat_binding(
        self, rt: Rt, principal: Caller, user_id: FromPath[int]
    ) -> BindingCodeRead:
        """A one-time code for the user's first WeChat sign-in; earlier codes stop working."""
        code = await auth_service.issue_binding(rt, principal.user_id, user_id, datetime.now(UTC))
        return BindingCodeRead(code.binding_code, code.expires_at)
