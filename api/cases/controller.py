"""``/api/v1/cases``: report, board, detail, timeline, and one route per command."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.cases.schemas import (
    AcceptRequest,
    AssignRequest,
    CaseCreate,
    CaseDetail,
    ChainCheck,
    CloseRequest,
    CommandRequest,
    CommentRequest,
    DismissRequest,
    DispatchRequest,
    FileRequest,
    OrderRectificationRequest,
    RecheckRequest,
    RecordInspectionRequest,
    ReopenRequest,
    ReturnRequest,
    SubmitReviewRequest,
    Timeline,
    VerifyRequest,
)
from api.deps import Caller, Rt
from api.schemas import (
    CoordTypeQuery,
    CursorQuery,
    LimitQuery,
    NearQuery,
    SquadQuery,
    json_response,
)
from api.security import Principal
from domain.cases.machine import Actor, may_report
from domain.cases.model import Source, State
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.geo import CoordType, Location
from domain.moments import require_offset
from domain.subjects.grading import Grade
from offsite.runtime import Runtime
from storage import blocks, idempotency
from storage.cases import board, commands, records, timeline
from storage.cases.changes import Notice
from storage.cases.views import detail

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Any unique string per user action; a retry with the same key gets the "
        "first answer and changes nothing.",
    ),
]


def allowed_source(principal: Principal, source: Source) -> Source:
    if not may_report(principal.role, source):
        raise Forbidden("source_forbidden", f"a {principal.role.value} cannot report {source}")
    return source


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.role, principal.squad_id)


async def _command(
    rt: Runtime,
    principal: Principal,
    case_id: int,
    body: CommandRequest,
    key: str | None,
    request: Request[Any, Any, Any],
) -> CaseDetail:
    """Run one command body (a command plus ``version`` and ``location``)."""
    location = body.location
    result = await commands.run_command(
        rt.cases,
        case_id,
        actor_of(principal),
        principal.scope,
        body,
        version=body.version,
        now=datetime.now(UTC),
        position=location.to_wgs84() if location else None,
        idem=idempotency.Key.of(key, request.url.path, _what_was_asked(body)) if key else None,
    )
    return forget(rt, principal, result)


def _what_was_asked(body: CommandRequest) -> dict[str, Any]:
    """The request as idempotency compares it: a retry may carry a fresher GPS fix."""
    asked: dict[str, Any] = msgspec.to_builtins(body)
    asked.pop("location", None)
    return asked


def forget(rt: Runtime, principal: Principal, case: CaseDetail) -> CaseDetail:
    """Drop the cached lists the change touched in this process at once, so the caller
    reads its own write; other processes drop theirs on the commit's notice."""
    if rt.lists is not None:
        assignee = case.assignee.id if case.assignee else None
        rt.lists.invalidate(
            Notice(
                squads=[case.squad_id] if case.squad_id else [],
                users=[u for u in (principal.user_id, assignee) if u],
            )
        )
    return case


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @post("/", operation_id="create_case", status_code=HTTP_201_CREATED)
    async def create(
        self,
        rt: Rt,
        principal: Caller,
        data: JSONBody[CaseCreate],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Report a case (巡查上报). It is placed in its squad and grid cell and dispatched
        when its violation type says so; a point outside the district is kept and flagged."""
        new = commands.NewCase(
            source=allowed_source(principal, data.source),
            violation_type=data.violation_type,
            position=data.location.to_wgs84(),
            address=data.address,
            description=data.description,
            subject_id=data.subject_id,
        )
        key = (
            idempotency.Key.of(idempotency_key, request.url.path, msgspec.to_builtins(data))
            if idempotency_key
            else None
        )
        created = await commands.create_case(
            rt.cases, new, actor_of(principal), datetime.now(UTC), key
        )
        return forget(rt, principal, created)

    @get("/", operation_id="list_cases")
    async def list_cases(
        self,
        rt: Rt,
        principal: Caller,
        case_state: Annotated[State | None, QueryParameter(name="state")] = None,
        squad_id: SquadQuery = None,
        type: FromQuery[str | None] = None,
        grid: FromQuery[int | None] = None,
        cell: Annotated[
            str | None,
            QueryParameter(
                pattern=r"^8[0-9a-f]{14}$",
                description="H3 cell (resolution 9 or 10): the cases a hotspot counts.",
            ),
        ] = None,
        source: FromQuery[Source | None] = None,
        overdue: FromQuery[bool | None] = None,
        unassigned: FromQuery[bool | None] = None,
        assignee_id: FromQuery[int | None] = None,
        camera_id: Annotated[
            int | None,
            QueryParameter(ge=1, le=2**31 - 1, description="Cases raised by this camera."),
        ] = None,
        subject_id: Annotated[
            int | None,
            QueryParameter(ge=1, le=2**31 - 1, description="Cases of this subject (监管对象)."),
        ] = None,
        subject_grade: Annotated[
            Grade | None,
            QueryParameter(description="Cases of subjects graded so now (A-D, 分级分类)."),
        ] = None,
        block_id: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=2**31 - 1,
                description="Cases inside this street block (美丽街区); 404 block_not_found.",
            ),
        ] = None,
        created_from: Annotated[datetime | None, QueryParameter(name="from")] = None,
        created_to: Annotated[datetime | None, QueryParameter(name="to")] = None,
        near: NearQuery = None,
        radius_m: Annotated[float, QueryParameter(gt=0, le=5_000)] = 50.0,
        open_only: Annotated[
            bool | None, QueryParameter(name="open", description="Only open cases (or closed).")
        ] = None,
        limit: LimitQuery = 50,
        cursor: CursorQuery = None,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> Response[board.CasePage]:
        """The board: cases in the caller's jurisdiction, newest first. Squad leaders see
        their squad (``unassigned``, ``overdue``, ``state`` filters); the command centre's
        triage queue is ``state=pending_triage``. ``near`` (in ``coord_type``) with
        ``radius_m`` and ``open=true`` finds what a new report may duplicate."""
        query = board.BoardQuery(
            state=case_state,
            squad_id=squad_id,
            type=type,
            grid=grid,
            cell=_cell(cell),
            source=source,
            overdue=overdue,
            unassigned=unassigned,
            assignee_id=assignee_id,
            camera_id=camera_id,
            subject_id=subject_id,
            subject_grade=subject_grade,
            block=await _block_polygon(block_id) if block_id is not None else None,
            created_from=require_offset(created_from, "from"),
            created_to=require_offset(created_to, "to"),
            near=Location.parse_pair(near, coord_type).to_wgs84() if near else None,
            radius_m=radius_m,
            open=open_only,
            limit=limit,
            cursor=cursor,
        )
        return json_response(await board.list_cases(principal.scope, query, rt.lists, coord_type))

    @get("/{case_id:int}", operation_id="get_case")
    async def get_case(
        self,
        principal: Caller,
        case_id: FromPath[int],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> CaseDetail:
        """A case with its deadlines, assignee and flags; ``version`` goes with the next
        command."""
        record = await records.get_visible(case_id, principal.scope)
        if record is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        return await detail(record, coord_type)

    @get("/{case_id:int}/timeline", operation_id="get_case_timeline")
    async def get_timeline(
        self,
        principal: Caller,
        case_id: FromPath[int],
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> Timeline:
        """Every step of the case, oldest first, each with the hash that chains it."""
        if await records.get_visible(case_id, principal.scope) is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        return Timeline.of(case_id, await timeline.entries(case_id), coord_type)

    @get("/{case_id:int}/timeline/verify", operation_id="verify_case_timeline")
    async def verify_timeline(self, principal: Caller, case_id: FromPath[int]) -> ChainCheck:
        """Recompute the audit chain; ``ok`` is false when any entry was altered."""
        if await records.get_visible(case_id, principal.scope) is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        report = await timeline.verify_case(case_id)
        return ChainCheck(
            report.case_id, report.ok, report.entries, report.broken_at_seq, report.reason
        )

    @post("/{case_id:int}/dispatch", operation_id="dispatch_case", status_code=HTTP_200_OK)
    async def dispatch(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[DispatchRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Accept a case from triage and send it to a squad (and optionally an officer)."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/dismiss", operation_id="dismiss_case", status_code=HTTP_200_OK)
    async def dismiss(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[DismissRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Refuse a case at triage (不予受理), with a reason."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/assign", operation_id="assign_case", status_code=HTTP_200_OK)
    async def assign(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[AssignRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Assign or reassign the case to an officer of its squad."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/accept", operation_id="accept_case", status_code=HTTP_200_OK)
    async def accept(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[AcceptRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """The officer takes the task (an unassigned one of their squad becomes theirs)."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/verify", operation_id="verify_case", status_code=HTTP_200_OK)
    async def verify(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[VerifyRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Record the on-site verification (现场核查) and its outcome."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post(
        "/{case_id:int}/order-rectification",
        operation_id="order_case_rectification",
        status_code=HTTP_200_OK,
    )
    async def order_rectification(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[OrderRectificationRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Order rectification by a deadline (责令限期整改); on an order already running,
        extend it (counts as an extension)."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/recheck", operation_id="recheck_case", status_code=HTTP_200_OK)
    async def recheck(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[RecheckRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Recheck after the rectification period: corrected, or not."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/inspect", operation_id="inspect_case", status_code=HTTP_200_OK)
    async def inspect(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[RecordInspectionRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """A routine inspection's checklist (日常检查, cases of source ``inspection``): all
        passed closes it; a failed item names the violation found (with a photo), and the
        case goes on as a case of that type."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/file", operation_id="file_case", status_code=HTTP_200_OK)
    async def file(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[FileRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Hand the case to formal enforcement (立案) under its external reference."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post(
        "/{case_id:int}/submit-review", operation_id="submit_case_review", status_code=HTTP_200_OK
    )
    async def submit_review(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[SubmitReviewRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """The formal case has ended: send it to the squad leader's check."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/close", operation_id="close_case", status_code=HTTP_200_OK)
    async def close(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[CloseRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Close after review (结案)."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/return", operation_id="return_case", status_code=HTTP_200_OK)
    async def return_(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[ReturnRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Send back for more work (退回); counts as rework."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/reopen", operation_id="reopen_case", status_code=HTTP_200_OK)
    async def reopen(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[ReopenRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """A supervisor reopens a closed case (返工); counts as rework."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)

    @post("/{case_id:int}/comment", operation_id="comment_case", status_code=HTTP_200_OK)
    async def comment(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[CommentRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Add a remark to the timeline; the state does not change."""
        return await _command(rt, principal, case_id, data, idempotency_key, request)


def _cell(cell: str | None) -> str | None:
    """A valid H3 cell of resolution 9 or 10 (400 ``cell_invalid`` otherwise)."""
    if cell is None:
        return None
    import h3

    if not h3.is_valid_cell(cell) or h3.get_resolution(cell) not in (9, 10):
        raise InvalidInput("cell_invalid", "cell is an H3 index of resolution 9 or 10")
    return cell


async def _block_polygon(block_id: int) -> tuple[tuple[float, float], ...]:
    block = await blocks.get(block_id)
    if block is None:
        raise NotFound("block_not_found", f"no street block {block_id}")
    return tuple((lng, lat) for lng, lat in block.polygon)
