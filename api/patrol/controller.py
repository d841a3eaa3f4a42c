"""``/api/v1/checkin-points``: patrol check-in points (巡查签到点) and check-ins from the
phone; ``/api/v1/squads/{squad_id}/checkins``: missed plans and the month's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.blocks.controller import MonthQuery
from api.cases.controller import IdempotencyKey, actor_of
from api.deps import Caller, Rt
from api.patrol.schemas import (
    BindingIn,
    CheckinCreate,
    CheckinMonth,
    CheckinPointCreate,
    CheckinPointList,
    CheckinPointUpdate,
    CheckinResult,
    MissedList,
)
from api.schemas import CoordTypeQuery, LimitQuery, NearQuery, SquadQuery
from api.security import Principal, requires_role
from domain.errors import InvalidInput, NotFound
from domain.geo import CoordType, Location
from domain.org import Role
from domain.patrol.checkins import check_plan
from offsite.runtime import Runtime
from storage import idempotency, org, patrol
from storage.blocks import month_bounds
from storage.patrol import Binding, NewPoint, PointChanges, PointRead

MANAGERS = requires_role(Role.squad_leader, Role.commander, Role.admin)
FIELD = requires_role(Role.officer, Role.squad_leader)
READERS = requires_role(Role.squad_leader, Role.commander, Role.supervisor, Role.admin)
DayQuery = Annotated[date, QueryParameter(description="A Shanghai day, YYYY-MM-DD.")]


def _binding(b: BindingIn | None) -> Binding | None:
    return Binding(b.kind, b.id) if b else None


async def _squad_for(rt: Runtime, principal: Principal, data: CheckinPointCreate) -> int:
    """The point's squad: the one named (within the caller's scope), the caller's own, or
    for district roles the squad where the point lies."""
    scope = principal.scope.narrowed(data.squad_id)
    if scope.squad_id is not None:
        if not await org.squad_exists(scope.squad_id):
            raise InvalidInput("squad_not_found", f"no squad {scope.squad_id}")
        return scope.squad_id
    placed = await rt.geo.place(data.location.to_wgs84())
    if placed.squad is None:
        raise InvalidInput("squad_required", "the point lies outside every squad: name one")
    return placed.squad.id


async def _known(squad_id: int) -> None:
    if not await org.squad_exists(squad_id):
        raise NotFound("squad_not_found", f"no squad {squad_id}")


class CheckinPointController(Controller):
    path = "/api/v1/checkin-points"
    tags = ["patrol"]

    @post("/", operation_id="create_checkin_point", status_code=HTTP_201_CREATED, guards=[MANAGERS])
    async def create(
        self,
        rt: Rt,
        principal: Caller,
        data: JSONBody[CheckinPointCreate],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> PointRead:
        """A check-in point of a squad, with its radius and daily plan (squad leader for
        their squad; command centre and admin anywhere)."""
        new = NewPoint(
            squad_id=await _squad_for(rt, principal, data),
            name=data.name,
            at=data.location.to_wgs84(),
            radius_m=data.radius_m,
            binding=_binding(data.binding),
            plan=check_plan(data.planned_per_day, data.weekdays),
        )
        return await patrol.create_point(new, principal.user_id, datetime.now(UTC), coord_type)

    @get("/", operation_id="list_checkin_points")
    async def listing(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        near: NearQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
        include_inactive: FromQuery[bool] = False,
        limit: LimitQuery = 200,
    ) -> CheckinPointList:
        """The points of the caller's jurisdiction with today's planned and done counts
        (Shanghai day); nearest first with ``near`` (in ``coord_type``)."""
        items = await patrol.list_points(
            principal.scope.narrowed(squad_id),
            datetime.now(UTC),
            principal.user_id,
            near=Location.parse_pair(near, coord_type).to_wgs84() if near else None,
            coord_type=coord_type,
            include_inactive=include_inactive,
            limit=limit,
        )
        return CheckinPointList(items)

    @get("/{checkin_point_id:int}", operation_id="get_checkin_point")
    async def read(
        self,
        principal: Caller,
        checkin_point_id: FromPath[int],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> PointRead:
        point = await patrol.get_point(
            checkin_point_id, coord_type, datetime.now(UTC), principal.user_id
        )
        if point is None:
            raise NotFound("checkin_point_not_found", f"no check-in point {checkin_point_id}")
        return point

    @patch("/{checkin_point_id:int}", operation_id="update_checkin_point", guards=[MANAGERS])
    async def update(
        self,
        checkin_point_id: FromPath[int],
        data: JSONBody[CheckinPointUpdate],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> PointRead:
        """Edit a point, or take it out of use (``active: false``)."""
        plan = None
        if data.planned_per_day is not None or data.weekdays is not None:
            current = await patrol.get_point(checkin_point_id, CoordType.wgs84, datetime.now(UTC))
            if current is None:
                raise NotFound("checkin_point_not_found", f"no check-in point {checkin_point_id}")
            plan = check_plan(
                current.planned_per_day if data.planned_per_day is None else data.planned_per_day,
                current.weekdays if data.weekdays is None else data.weekdays,
            )
        binding = data.binding if isinstance(data.binding, BindingIn) else None
        changes = PointChanges(
            name=data.name,
            at=data.location.to_wgs84() if data.location else None,
            radius_m=data.radius_m,
            binding=_binding(binding),
            unbind=data.binding is None,
            plan=plan,
            active=data.active,
        )
        return await patrol.update_point(checkin_point_id, changes, datetime.now(UTC), coord_type)

    @post(
        "/{checkin_point_id:int}/checkins",
        operation_id="check_in",
        status_code=HTTP_201_CREATED,
        guards=[FIELD],
    )
    async def check_in(
        self,
        principal: Caller,
        checkin_point_id: FromPath[int],
        data: JSONBody[CheckinCreate],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CheckinResult:
        """Check in at the point with the phone's position (巡查签到). Outside the radius:
        422 ``checkin_outside_radius`` with ``distance_m``. A retry with the same
        ``Idempotency-Key`` gets the first answer (a fresher GPS fix does not matter)."""
        key = (
            idempotency.Key.of(idempotency_key, request.url.path, "checkin")
            if idempotency_key
            else None
        )
        done = await patrol.check_in(
            checkin_point_id,
            actor_of(principal),
            principal.scope,
            data.location.to_wgs84(),
            datetime.now(UTC),
            key,
        )
        return CheckinResult(done)


class SquadCheckinController(Controller):
    path = "/api/v1/squads/{squad_id:int}/checkins"
    tags = ["patrol"]
    guards = [READERS]

    @get("/missed", operation_id="list_missed_checkins")
    async def missed(
        self,
        squad_id: FromPath[int],
        from_: Annotated[date, QueryParameter(name="from", description="First Shanghai day.")],
        to: Annotated[date, QueryParameter(description="Last Shanghai day (inclusive).")],
    ) -> MissedList:
        """Planned check-ins that were not done, per point and day (at most 92 days)."""
        await _known(squad_id)
        items = await patrol.missed_checkins(squad_id, from_, to, datetime.now(UTC))
        return MissedList(
            squad_id=squad_id,
            from_=from_,
            to=to,
            shortfall=sum(s.shortfall for s in items),
            items=items,
        )

    @get("/summary", operation_id="checkin_month_summary")
    async def summary(self, squad_id: FromPath[int], month: MonthQuery) -> CheckinMonth:
        """The month's check-ins for the duty figures: planned (up to today) and done,
        per squad and officer."""
        await _known(squad_id)
        start, _ = month_bounds(month)
        figures = await patrol.month_summary(squad_id, start.date(), datetime.now(UTC))
        return CheckinMonth(squad_id, month, figures)
