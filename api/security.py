"""Access tokens (JWT), the authenticated principal, and the guards that check it."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)

from api.integrators.auth import INTEGRATOR_PREFIX, authenticate_integrator
from domain.errors import Forbidden, Unauthenticated
from domain.org import Role, Scope, scope_for
from offsite.settings import AuthSettings

# One algorithm, pinned: a token naming another (``none``, RS256 with our secret as a
# public key, ...) is refused before its signature is looked at.
ALGORITHM = "HS256"


class Principal(msgspec.Struct, frozen=True):
    """Who is calling, as the access token says."""

    user_id: int
    role: Role
    squad_id: int | None
    # The sign-in this token belongs to (its refresh-token family): ending it ends the
    # token at once (``storage.ended_sessions``).
    session: uuid.UUID | None = None

    @property
    def scope(self) -> Scope:
        return scope_for(self.role, self.squad_id)


def issue_access_token(principal: Principal, settings: AuthSettings, now: datetime) -> str:
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "sub": str(principal.user_id),
        "role": principal.role.value,
        "squad": principal.squad_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_ttl_s)).timestamp()),
        "typ": "access",
    }
    if principal.session is not None:
        claims["sid"] = str(principal.session)
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def read_access_token(token: str, settings: AuthSettings) -> Principal:
    """The principal of a valid access token; ``Unauthenticated`` for anything else."""
    return read_access_token_with_expiry(token, settings)[0]


def read_access_token_with_expiry(token: str, settings: AuthSettings) -> tuple[Principal, float]:
    """The principal of a valid access token and its expiry (unix time)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            leeway=settings.clock_skew_s,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        if claims.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        if claims["iat"] > datetime.now(UTC).timestamp() + settings.clock_skew_s:
            raise jwt.ImmatureSignatureError("issued in the future")
        sid = claims.get("sid")
        principal = Principal(
            int(claims["sub"]),
            Role(claims["role"]),
            claims.get("squad"),
            uuid.UUID(sid) if isinstance(sid, str) else None,
        )
        return principal, float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token_expired", "the access token has expired") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise Unauthenticated("token_invalid", "the access token is not valid") from exc


class VerifiedTokens:
    """Access tokens already verified by this process, until they expire.

    A phone sends the same token for up to its lifetime; checking its signature and
    claims once saves the most expensive step of every later request. Only a token
    string that verified is ever stored, so a forged one always goes through PyJWT.
    """

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._known: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def read(self, token: str, settings: AuthSettings) -> Principal:
        now = datetime.now(UTC).timestamp()
        hit = self._known.get(token)
        if hit is not None and now < hit[1] + settings.clock_skew_s:
            return hit[0]
        principal, expires = read_access_token_with_expiry(token, settings)
        self._known[token] = (principal, expires)
        if len(self._known) > self.size:
            self._known.popitem(last=False)
        return principal


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Puts the ``Principal`` of ``Authorization: Bearer <jwt>`` on ``connection.user``
    (on ``/integrator/`` paths: the ``IntegratorPrincipal`` of an API key).

    Handlers opt out with ``opt={"exclude_from_auth": True}`` (login, health, schema).
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("auth_required", "send Authorization: Bearer <access token>")
        if connection.scope["path"].startswith(INTEGRATOR_PREFIX):
            caller = await authenticate_integrator(connection, token.strip())
            return AuthenticationResult(user=caller, auth=token)
        state = connection.app.state
        principal = state.tokens.read(token.strip(), state.runtime.settings.auth)
        # A token outlives the sign-in it came from unless asked: sign-out, deactivation
        # or a changed password, role or squad end the session, and so the token.
        if principal.session is None or await state.ended_sessions.has_ended(principal.session):
            raise Unauthenticated("session_ended", "this session has ended; sign in again")
        return AuthenticationResult(user=principal, auth=token)


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthenticated("auth_required", "send Authorization: Bearer <access token>")
    return user


def requires_role(*roles: Role) -> Any:
    """A guard admitting only the given roles."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # Litestar's automatic answer: the Allow header, no data, no sign-in
        if principal_of(connection).role not in allowed:
            raise Forbidden(
                "role_forbidden",
                f"this needs one of the roles: {', '.join(sorted(r.value for r in allowed))}",
            )

    return guard


admin_only = requires_role(Role.admin)


def check_jurisdiction(principal: Principal, squad_id: int | None) -> None:
    """Refuse access to data owned by a squad outside the caller's jurisdiction."""
    if not principal.scope.covers(squad_id):
        raise Forbidden("out_of_jurisdiction", "this belongs to another squad's jurisdiction")
