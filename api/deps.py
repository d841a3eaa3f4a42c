"""Dependencies every controller may ask for by name."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from api.security import Principal, principal_of
from offsite.runtime import Runtime


def provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


# What handlers declare: ``rt: Rt`` for the shared clients, ``principal: Caller`` for
# the signed-in user.
Rt = NamedDependency[Runtime]
Caller = NamedDependency[Principal]

DEPENDENCIES = {
    "rt": Provide(provide_runtime, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
}


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"
