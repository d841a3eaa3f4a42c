"""The jurisdiction guard: every route, before its handler, for every path parameter that
names a squad-owned resource and every ``squad_id`` the caller names.

Handlers never check jurisdiction themselves for what the path addresses: the guard runs
on the whole application (``create_app``), so a new route with ``{case_id}`` is covered
the day it is written. Lists and figures pass the caller's ``Scope`` into their query
(``storage.scoping.squad_filter``). The jurisdiction matrix test
(``tests/integration/test_jurisdiction_matrix.py``) checks both for every operation.

A resource outside the caller's jurisdiction answers as if it did not exist (404 with the
resource's ``*_not_found`` code): a squad cannot probe which ids another squad holds. A
``squad_id`` the caller names outside their jurisdiction is a plain 403.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.security import Principal
from domain.errors import NotFound
from storage.scoping import Owned, owner_of

# Path parameter → the resource it names, and the code of its 404.
OWNED_PATH_PARAMS: dict[str, tuple[Owned, str]] = {
    "case_id": (Owned.case, "case_not_found"),
    "subject_id": (Owned.subject, "subject_not_found"),
    "structure_id": (Owned.structure, "structure_not_found"),
    "block_id": (Owned.block, "block_not_found"),
    "camera_id": (Owned.camera, "camera_not_found"),
    "evidence_id": (Owned.evidence, "evidence_not_found"),
    "user_id": (Owned.user, "user_not_found"),
    "leave_id": (Owned.leave, "leave_not_found"),
    "roll_call_id": (Owned.roll_call, "roll_call_not_found"),
    "checkin_point_id": (Owned.checkin_point, "checkin_point_not_found"),
    "equipment_id": (Owned.equipment, "equipment_not_found"),
}
SQUAD_PARAM = "squad_id"
INT4_MAX = 2**31 - 1


async def jurisdiction_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Refuse a staff caller anything the path or ``?squad_id=`` places outside their
    jurisdiction. Integrator keys act for the whole district; their scopes decide."""
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        return
    scope = principal.scope
    params = connection.path_params
    if SQUAD_PARAM in params:
        scope.narrowed(params[SQUAD_PARAM])  # 403 outside the caller's scope
    named = connection.query_params.get(SQUAD_PARAM)
    # ASCII digits only: str.isdigit also takes "¹", which int() refuses.
    if named is not None and named.isascii() and named.isdigit() and int(named) <= INT4_MAX:
        scope.narrowed(int(named))
    for name, (kind, not_found) in OWNED_PATH_PARAMS.items():
        if name not in params:
            continue
        owner = await owner_of(kind, params[name])
        if not owner.exists or not scope.covers(owner.squad_id):
            raise NotFound(not_found, f"no {kind.value} {params[name]} in your jurisdiction")
