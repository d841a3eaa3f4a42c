"""Integrator API keys on ``/integrator/v1``: who is calling, what they may do, how often.

Keys are looked up by their SHA-256 (never stored in clear), checked for revocation,
and limited per key per minute in Redis; scopes are checked per route by a guard.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api import ratelimit
from domain.auth import codes
from domain.errors import Forbidden, Unauthenticated
from domain.integration import IntegratorScope
from storage import integrators
from storage.integrators import USED_PRECISION
from storage.tables import IntegratorKey

INTEGRATOR_PREFIX = "/integrator/"


class IntegratorPrincipal(msgspec.Struct, frozen=True):
    key_id: int
    name: str
    scopes: frozenset[str]
    rate_limit_per_min: int


class KnownKeys:
    """Keys looked up recently (a minute), so a busy integrator costs one query a minute;
    a revocation takes effect within that minute."""

    def __init__(self, ttl_s: float = 60.0) -> None:
        self.ttl_s = ttl_s
        self._known: dict[str, tuple[float, IntegratorPrincipal | None]] = {}
        self._marked: dict[int, float] = {}  # key id -> when this process last wrote its use

    async def note_use(self, key_id: int, now: datetime) -> None:
        """Keep the key's ``last_used_at`` current to the minute: this process asks the
        database at most once a minute per key, and the database writes the row at most
        once a minute whatever the number of processes."""
        clock = time.monotonic()
        if clock - self._marked.get(key_id, -math.inf) < USED_PRECISION.total_seconds():
            return
        self._marked[key_id] = clock
        await integrators.mark_used(key_id, now)

    async def principal(self, api_key: str) -> IntegratorPrincipal | None:
        digest = codes.digest(api_key)
        hit = self._known.get(digest)
        if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
            return hit[1]
        row = (
            await IntegratorKey.select(
                IntegratorKey.id,
                IntegratorKey.name,
                IntegratorKey.scopes,
                IntegratorKey.rate_limit_per_min,
            )
            .where((IntegratorKey.key_hash == digest) & IntegratorKey.revoked_at.is_null())
            .first()
        )
        found = (
            IntegratorPrincipal(
                row["id"], row["name"], frozenset(row["scopes"]), row["rate_limit_per_min"]
            )
            if row
            else None
        )
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[digest] = (time.monotonic(), found)
        return found


async def authenticate_integrator(
    connection: ASGIConnection[Any, Any, Any, Any], token: str
) -> IntegratorPrincipal:
    state = connection.app.state
    principal: IntegratorPrincipal | None = await state.api_keys.principal(token)
    if principal is None:
        raise Unauthenticated("api_key_invalid", "unknown or revoked API key")
    now = datetime.now(UTC)
    minute = int(now.timestamp() // 60)
    await ratelimit.hit(
        state.runtime.redis,
        f"integrator:{principal.key_id}:{minute}",
        limit=principal.rate_limit_per_min,
        window_s=60,
        code="rate_limited",
    )
    await state.api_keys.note_use(principal.key_id, now)
    return principal


def integrator_of(connection: ASGIConnection[Any, Any, Any, Any]) -> IntegratorPrincipal:
    """The API key calling an ``/integrator/`` route."""
    caller = connection.scope.get("user")
    if not isinstance(caller, IntegratorPrincipal):
        raise Unauthenticated("api_key_invalid", "this route needs an integrator API key")
    return caller


def requires_scope(scope: IntegratorScope) -> Any:
    """A guard admitting integrator keys that carry ``scope``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # Litestar's automatic answer: the Allow header, no data, no sign-in
        caller = integrator_of(connection)
        if scope.value not in caller.scopes:
            raise Forbidden("scope_missing", f"this needs an API key with the {scope} scope")

    return guard
