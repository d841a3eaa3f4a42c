"""Dependencies every controller may ask for by name."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from api import proxies
from api.integrators.auth import IntegratorPrincipal, integrator_of
from api.security import Principal, principal_of
from offsite.runtime import Runtime
from offsite.settings import trusted_networks
from storage.live import LiveHub


def provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def provide_principal(request: Request[Any, Any, Any], rt: NamedDependency[Runtime]) -> Principal:
    # ``rt`` is not needed here: depending on it puts the two in successive batches, and
    # Litestar resolves a batch of several dependencies in an anyio task group — two task
    # spawns per request, about a third of a cached list's cost (measured).
    return principal_of(request)


def provide_hub(state: State) -> LiveHub:
    hub: LiveHub = state.live
    return hub


def provide_integrator(
    request: Request[Any, Any, Any], rt: NamedDependency[Runtime]
) -> IntegratorPrincipal:
    return integrator_of(request)  # ``rt``: see provide_principal


# What handlers declare: ``rt: Rt`` for the shared clients, ``principal: Caller`` for
# the signed-in user, ``caller: IntegratorCaller`` for the integrator key on /integrator.
Rt = NamedDependency[Runtime]
Caller = NamedDependency[Principal]
IntegratorCaller = NamedDependency[IntegratorPrincipal]
Hub = NamedDependency[LiveHub]

DEPENDENCIES = {
    "rt": Provide(provide_runtime, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "caller": Provide(provide_integrator, sync_to_thread=False),
    "hub": Provide(provide_hub, sync_to_thread=False),
}


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address, through trusted proxies (``OFFSITE_TRUSTED_PROXIES``)."""
    peer = request.client.host if request.client else "unknown"
    trusted = trusted_networks(request.app.state.runtime.settings.http.trusted_proxies)
    forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
    return proxies.client_address(peer, forwarded, trusted)
