"""``/api/v1/emergencies`` and the emergency steps of a case: declare, send responders
(several at once), each responder's acknowledgement and arrival. Every step is a case
command: version, Idempotency-Key, one transaction, an entry in the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.cases.controller import IdempotencyKey, actor_of, forget
from api.cases.schemas import Version
from api.deps import Caller, Rt
from api.schemas import CoordTypeQuery
from api.security import Principal, requires_role
from domain.emergency.commands import Acknowledge, Arrive, DeclareEmergency, SendResponders
from domain.errors import NotFound
from domain.geo import CoordType, Location
from domain.org import Role
from offsite.runtime import Runtime
from storage import emergency, idempotency
from storage.cases import records
from storage.cases.views import CaseDetail

_RESPONDERS = requires_role(Role.officer)
_DESK_AND_LEADERS = requires_role(Role.commander, Role.admin, Role.squad_leader, Role.supervisor)


class DeclareEmergencyRequest(
    DeclareEmergency, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    version: Version
    location: Location | None = None


class SendRespondersRequest(SendResponders, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class AcknowledgeRequest(Acknowledge, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: Version
    location: Location | None = None


class ArriveRequest(Arrive, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The phone's position goes with a check-in: the desk sees how far from the site."""

    version: Version
    location: Location | None = None


EmergencyRequest = (
    DeclareEmergencyRequest | SendRespondersRequest | AcknowledgeRequest | ArriveRequest
)


class ResponderList(msgspec.Struct, frozen=True):
    items: list[emergency.ResponderRead]


class CandidateList(msgspec.Struct, frozen=True):
    items: list[emergency.CandidateRead]


class EmergencyList(msgspec.Struct, frozen=True):
    items: list[emergency.EmergencyRead]


async def _run(
    rt: Runtime,
    principal: Principal,
    case_id: int,
    body: EmergencyRequest,
    key: str | None,
    request: Request[Any, Any, Any],
) -> CaseDetail:
    asked: dict[str, Any] = msgspec.to_builtins(body)
    asked.pop("location", None)  # a retry may carry a fresher fix
    result = await emergency.run(
        rt.cases,
        case_id,
        actor_of(principal),
        principal.scope,
        body,
        version=body.version,
        now=datetime.now(UTC),
        position=body.location.to_wgs84() if body.location else None,
        idem=idempotency.Key.of(key, request.url.path, asked) if key else None,
    )
    return forget(rt, principal, result)


class EmergencyController(Controller):
    path = "/api/v1"
    tags = ["emergencies"]

    @get("/emergencies", operation_id="list_emergencies", guards=[_DESK_AND_LEADERS])
    async def list_emergencies(
        self, principal: Caller, coord_type: CoordTypeQuery = CoordType.wgs84
    ) -> EmergencyList:
        """Open emergencies in the caller's jurisdiction, newest first (at most 200), each
        with its responders: sent, acknowledged (响应) or arrived (到场), and how long
        arrival took."""
        return EmergencyList(await emergency.open_emergencies(principal.scope, coord_type))

    @post(
        "/cases/{case_id:int}/emergency",
        operation_id="declare_emergency",
        status_code=HTTP_200_OK,
        guards=[requires_role(Role.commander, Role.admin)],
    )
    async def declare(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[DeclareEmergencyRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """The command centre runs this open case live as an emergency (突发事件); it
        becomes urgent. 409 ``already_emergency`` the second time."""
        return await _run(rt, principal, case_id, data, idempotency_key, request)

    @get(
        "/cases/{case_id:int}/responders",
        operation_id="list_responders",
    )
    async def list_responders(self, principal: Caller, case_id: FromPath[int]) -> ResponderList:
        """The officers sent to the case, in the order they were sent, with their state."""
        if await records.get_visible(case_id, principal.scope) is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        return ResponderList(await emergency.responders(case_id))

    @get(
        "/cases/{case_id:int}/responders/candidates",
        operation_id="list_responder_candidates",
        guards=[_DESK_AND_LEADERS],
    )
    async def candidates(
        self,
        principal: Caller,
        case_id: FromPath[int],
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 10,
        coord_type: CoordTypeQuery = CoordType.wgs84,
    ) -> CandidateList:
        """Who can go now: the case's squad's officers on shift (roster) and on duty
        (phone), nearest first by straight-line distance from their last position;
        positions older than 5 minutes rank after fresh ones (``stale``), unknown last;
        open tasks break ties."""
        record = await records.get_visible(case_id, principal.scope)
        if record is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        found = await emergency.responder_candidates(record, datetime.now(UTC), coord_type, limit)
        return CandidateList(found)

    @post(
        "/cases/{case_id:int}/responders",
        operation_id="send_responders",
        status_code=HTTP_200_OK,
        guards=[requires_role(Role.commander, Role.admin, Role.squad_leader)],
    )
    async def send(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[SendRespondersRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """Send one or several officers of the case's squad at once (派警); each must be
        on shift and on duty (400 ``officer_not_available``). When the case has no
        officer yet, the first one sent becomes its officer (dispatched from triage, or
        assigned). Each is notified."""
        return await _run(rt, principal, case_id, data, idempotency_key, request)

    @post(
        "/cases/{case_id:int}/responders/me/acknowledge",
        operation_id="acknowledge_emergency",
        status_code=HTTP_200_OK,
        guards=[_RESPONDERS],
    )
    async def acknowledge(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[AcknowledgeRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """A responder has seen the call and is on the way (响应)."""
        return await _run(rt, principal, case_id, data, idempotency_key, request)

    @post(
        "/cases/{case_id:int}/responders/me/arrive",
        operation_id="arrive_at_emergency",
        status_code=HTTP_200_OK,
        guards=[_RESPONDERS],
    )
    async def arrive(
        self,
        rt: Rt,
        principal: Caller,
        case_id: FromPath[int],
        data: JSONBody[ArriveRequest],
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey = None,
    ) -> CaseDetail:
        """A responder checks in at the site (到场签到), with the phone's position when it
        has one (recorded with its distance from the site). Without a check-in, a duty
        position within the arrival radius of the site records the arrival by itself."""
        return await _run(rt, principal, case_id, data, idempotency_key, request)
