"""Duty (网上勤务): ``/api/v1/squads/{id}/roster``, leave, ``/me/shifts``, tracks, roll
calls and duty figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.cases.controller import IdempotencyKey
from api.deps import Caller, Rt
from api.duty import service
from api.duty.schemas import (
    LeaveCreate,
    LeavePage,
    PhotoGrantRequest,
    RollCallAnswer,
    RollCallCreate,
    RollCallPage,
    RosterPut,
    RosterRead,
    ShiftPage,
    WeekPath,
)
from api.schemas import CoordTypeQuery, CursorQuery, LimitQuery, SquadQuery, decode_cursor
from api.schemas import next_cursor as page_cursor
from api.security import requires_role
from domain.duty.roll_calls import RollCallState
from domain.duty.roster import YEARS, Span, check_leave, check_years
from domain.errors import InvalidInput, NotFound
from domain.geo import CoordType
from domain.moments import require_offset
from domain.org import Role
from storage import idempotency, org
from storage.duty import figures, photos, roll_calls, roster, track
from storage.duty.figures import DutyFigures
from storage.duty.photos import PhotoGrant
from storage.duty.roll_calls import RollCallRead
from storage.duty.roster import LeaveRecord
from storage.duty.track import Track

PLANNERS = (Role.squad_leader, Role.commander, Role.admin)
READERS = (Role.squad_leader, Role.commander, Role.supervisor, Role.admin)
FromQueryTime = Annotated[datetime | None, QueryParameter(description="RFC 3339 with an offset.")]
MAX_RANGE = timedelta(days=31)
MonthQuery = Annotated[
    str, QueryParameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, Shanghai time")
]


def _range(start: datetime | None, end: datetime | None, default: timedelta) -> Span:
    """``[from, to)`` from the query: ``to`` defaults to now, ``from`` to ``default``
    before it; at most 31 days."""
    to = require_offset(end, "to") or datetime.now(UTC)
    check_years(to)
    since = require_offset(start, "from") or to - default
    check_years(since)
    if to <= since or to - since > MAX_RANGE:
        raise InvalidInput("time_range_invalid", "`from` must be before `to`, at most 31 days")
    return Span(since, to)


async def _squad(squad_id: int) -> None:
    if not await org.squad_exists(squad_id):
        raise NotFound("squad_not_found", f"no squad {squad_id}")


class RosterController(Controller):
    path = "/api/v1/squads/{squad_id:int}"
    tags = ["duty"]

    @get("/roster/{week:str}", operation_id="get_squad_roster")
    async def get_roster(self, squad_id: FromPath[int], week: WeekPath) -> RosterRead:
        """The squad's shifts (勤务排班) that start in the ISO week (Monday–Sunday,
        Shanghai time)."""
        await _squad(squad_id)
        span = service.week_of_path(week)
        shifts = await roster.week_shifts(squad_id, span)
        return RosterRead.of(squad_id, week, span, shifts)

    @put(
        "/roster/{week:str}",
        operation_id="put_squad_roster",
        guards=[requires_role(*PLANNERS)],
    )
    async def put_roster(
        self, principal: Caller, squad_id: FromPath[int], week: WeekPath, data: JSONBody[RosterPut]
    ) -> RosterRead:
        """Replace the week's roster, all or nothing. Each shift ends after it starts
        (400 ``shift_ends_before_start``), lasts at most 24 h (``shift_too_long``), starts
        in the week (``shift_outside_week``; a night shift may end in the next), belongs to
        an active officer of the squad (``shift_officer_invalid``) and its grid cells to
        the squad (``shift_grid_invalid``); an officer's shifts never overlap, here or
        with a neighbouring week (409 ``shift_overlap``)."""
        await _squad(squad_id)
        span = service.week_of_path(week)
        planned = [
            service.planned(s.officer_id, s.starts_at, s.ends_at, s.grid_ids, s.area_note)
            for s in data.shifts
        ]
        shifts = await roster.replace_week(
            squad_id, span, planned, principal.user_id, datetime.now(UTC)
        )
        return RosterRead.of(squad_id, week, span, shifts)

    @post(
        "/roster/{week:str}/copy-previous",
        operation_id="copy_previous_roster",
        guards=[requires_role(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    async def copy_previous(
        self, principal: Caller, squad_id: FromPath[int], week: WeekPath
    ) -> RosterRead:
        """Replace the week's roster with the previous week's, a week later (same
        weekdays and times; officers who left the squad are left out)."""
        await _squad(squad_id)
        span = service.week_of_path(week)
        shifts = await roster.copy_previous(squad_id, span, principal.user_id, datetime.now(UTC))
        return RosterRead.of(squad_id, week, span, shifts)

    @post(
        "/leave",
        operation_id="create_leave",
        guards=[requires_role(*PLANNERS)],
        status_code=HTTP_201_CREATED,
    )
    async def create_leave(
        self, principal: Caller, squad_id: FromPath[int], data: JSONBody[LeaveCreate]
    ) -> LeaveRecord:
        """Leave (请假) for an officer of the squad: off shift for that time."""
        await _squad(squad_id)
        span = Span(data.starts_at, data.ends_at)
        check_leave(span)
        return await roster.create_leave(
            squad_id,
            data.officer_id,
            span,
            data.kind,
            data.reason,
            principal.user_id,
            datetime.now(UTC),
        )

    @get("/leave", operation_id="list_squad_leave", guards=[requires_role(*READERS)])
    async def list_leave(
        self,
        squad_id: FromPath[int],
        start: Annotated[datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to")] = None,
    ) -> LeavePage:
        """The squad's leave overlapping ``[from, to)`` (default: the 31 days from now)."""
        await _squad(squad_id)
        since = require_offset(start, "from") or datetime.now(UTC)
        check_years(since)
        until = require_offset(end, "to") or since + MAX_RANGE
        check_years(until)
        if until <= since:
            raise InvalidInput("time_range_invalid", "`from` must be before `to`")
        return LeavePage(await roster.squad_leave(squad_id, Span(since, until)))

    @get("/duty-figures", operation_id="get_duty_figures", guards=[requires_role(*READERS)])
    async def duty_figures(self, squad_id: FromPath[int], month: MonthQuery) -> DutyFigures:
        """The squad's duty month (考评) per officer and in total: shifts planned (starting
        in the month, Shanghai time) and worked (on duty for at least half the shift),
        hours planned and on duty within shifts (from the 在岗/离岗 transitions), roll
        calls asked, answered in time, late, missed, pending; check-ins done; emergencies:
        responders sent, arrived, mean and longest dispatch-to-arrival seconds. The
        squad's check-ins planned, done toward the plan and the rate are in
        ``checkins``."""
        await _squad(squad_id)
        if int(month[:4]) not in YEARS:
            raise InvalidInput("month_invalid", f"months run from {YEARS[0]} to {YEARS[-1]}")
        return await figures.duty_figures(squad_id, month, datetime.now(UTC))


class LeaveController(Controller):
    path = "/api/v1/leave"
    tags = ["duty"]

    @delete(
        "/{leave_id:int}",
        operation_id="cancel_leave",
        guards=[requires_role(*PLANNERS)],
        status_code=HTTP_200_OK,
    )
    async def cancel(self, leave_id: FromPath[int]) -> LeaveRecord:
        """Cancel leave (the jurisdiction guard keeps it to the leave's squad)."""
        return await roster.cancel_leave(leave_id)


class MyDutyController(Controller):
    path = "/api/v1/me"
    tags = ["me"]

    @get("/shifts", operation_id="list_my_shifts")
    async def shifts(
        self,
        principal: Caller,
        start: Annotated[datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to")] = None,
    ) -> ShiftPage:
        """The caller's shifts overlapping ``[from, to)`` (default: now and the next 7 days)."""
        since = require_offset(start, "from") or datetime.now(UTC)
        check_years(since)
        until = require_offset(end, "to") or since + timedelta(days=7)
        check_years(until)
        if until <= since or until - since > MAX_RANGE:
            raise InvalidInput("time_range_invalid", "`from` must be before `to`, at most 31 days")
        return ShiftPage(await roster.officer_shifts(principal.user_id, Span(since, until)))

    @get("/roll-calls", operation_id="list_my_roll_calls")
    async def my_roll_calls(
        self,
        principal: Caller,
        limit: LimitQuery = 50,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> RollCallPage:
        """Roll calls asked of the caller, newest first."""
        items = await roll_calls.listed(
            principal.scope, officer_id=principal.user_id, limit=limit, coord_type=coord_type
        )
        return RollCallPage(items)


class TrackController(Controller):
    path = "/api/v1/users/{user_id:int}"
    tags = ["duty"]

    @get("/track", operation_id="get_user_track", guards=[requires_role(*READERS)])
    async def track(
        self,
        user_id: FromPath[int],
        start: Annotated[datetime | None, QueryParameter(name="from")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to")] = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> Track:
        """An officer's positions and duty changes over ``[from, to)`` (default the last
        24 hours, at most 31 days) in ``coord_type``, to replay a shift. Positions are
        kept ``OFFSITE_POSITION_RETENTION_DAYS``. Squad leaders see their squad's."""
        return await track.track(user_id, _range(start, end, timedelta(hours=24)), coord_type)


class RollCallController(Controller):
    path = "/api/v1/roll-calls"
    tags = ["duty"]

    @post(
        "/",
        operation_id="create_roll_call",
        guards=[requires_role(*PLANNERS)],
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self, rt: Rt, principal: Caller, data: JSONBody[RollCallCreate]
    ) -> RollCallRead:
        """Ask an officer on shift (409 ``officer_not_on_shift`` otherwise) to report their
        position within ``within_minutes`` (点名抽查); they get an inbox notification.
        Unanswered at the deadline it is ``missed``; an answer after it is ``late``."""
        return await service.ask_roll_call(
            rt,
            data.officer_id,
            principal.scope,
            principal.user_id,
            data.within_minutes,
            datetime.now(UTC),
        )

    @get("/", operation_id="list_roll_calls", guards=[requires_role(*READERS)])
    async def list_roll_calls(
        self,
        principal: Caller,
        squad_id: SquadQuery = None,
        call_state: Annotated[RollCallState | None, QueryParameter(name="state")] = None,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> RollCallPage:
        """Roll calls in the caller's jurisdiction (optionally one squad, one state),
        newest first."""
        items = await roll_calls.listed(
            principal.scope.narrowed(squad_id),
            state=call_state,
            before_id=decode_cursor(cursor) or None,
            limit=limit,
            coord_type=coord_type,
        )
        return RollCallPage(items, page_cursor([r.id for r in items], limit))

    @get("/{roll_call_id:int}", operation_id="get_roll_call")
    async def get_roll_call(
        self,
        rt: Rt,
        principal: Caller,
        roll_call_id: FromPath[int],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> RollCallRead:
        """One roll call: officers see only their own. ``photo_url`` is a short-lived link
        to the answer's photo."""
        found = await roll_calls.get(roll_call_id, coord_type)
        if found is None or (
            principal.role is Role.officer and found.officer_id != principal.user_id
        ):
            raise NotFound("roll_call_not_found", f"no roll call {roll_call_id}")
        key = await roll_calls.photo_key(roll_call_id, answered=True)
        if key is None:
            return found
        url = rt.objects.view_url(key, rt.settings.evidence.view_ttl_s)
        return msgspec.structs.replace(found, photo_url=url)

    @post(
        "/{roll_call_id:int}/photo",
        operation_id="grant_roll_call_photo",
        guards=[requires_role(Role.officer)],
        status_code=HTTP_201_CREATED,
    )
    async def photo(
        self,
        rt: Rt,
        principal: Caller,
        roll_call_id: FromPath[int],
        data: JSONBody[PhotoGrantRequest],
    ) -> PhotoGrant:
        """An upload grant (presigned POST policy: JPEG, PNG, HEIC/HEIF) for the photo of
        the caller's own unanswered roll call; then answer with ``"photo": true``."""
        return await photos.grant(
            rt.objects,
            rt.settings.evidence,
            roll_call_id,
            principal.user_id,
            data.content_type,
            datetime.now(UTC),
        )

    @post(
        "/{roll_call_id:int}/answer",
        operation_id="answer_roll_call",
        guards=[requires_role(Role.officer)],
        status_code=HTTP_200_OK,
    )
    async def answer(
        self,
        rt: Rt,
        principal: Caller,
        roll_call_id: FromPath[int],
        data: JSONBody[RollCallAnswer],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> RollCallRead:
        """The officer's answer with their position now; by the deadline it is
        ``answered``, after it ``late``. Send an ``Idempotency-Key``: a retry gets the
        first answer."""
        position = data.location.to_wgs84()
        key = (
            idempotency.Key.of(
                idempotency_key, request.url.path, {"note": data.note, "photo": data.photo}
            )
            if idempotency_key
            else None
        )
        photo_key = None
        if data.photo:
            photo_key = await roll_calls.photo_key(roll_call_id, answered=False)
            await photos.require_uploaded(rt.objects, photo_key)
        return await roll_calls.answer(
            roll_call_id,
            principal.user_id,
            position,
            data.accuracy_m,
            data.note,
            datetime.now(UTC),
            key,
            photo_key,
        )
