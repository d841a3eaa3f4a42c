"""``/api/v1/integrator-keys``: admins issue and revoke integrator API keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import Caller, Rt
from api.schemas import CursorQuery, LimitQuery, decode_cursor, next_cursor
from api.security import admin_only
from domain.auth import codes
from domain.errors import NotFound
from domain.integration import IntegratorScope
from domain.integration.signing import new_secret
from domain.integration.targets import check_target_url
from storage import integrators
from storage.db import engine

KEY_PREFIX = "osk_"


class IntegratorKeyCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    scopes: Annotated[list[IntegratorScope], msgspec.Meta(min_length=1)]
    rate_limit_per_min: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 600
    callback_url: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=500,
                pattern=r"^https?://",
                description="Where status callbacks for the complaints and alarms this key"
                " sends go.",
            ),
        ]
        | None
    ) = None


class IntegratorKeyRead(msgspec.Struct, frozen=True):
    id: int
    name: str
    prefix: Annotated[str, msgspec.Meta(description="The key's first characters.")]
    scopes: list[str]
    rate_limit_per_min: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: Annotated[
        datetime | None, msgspec.Meta(description="When the key was last used, to the minute.")
    ]
    callback_url: str | None

    @classmethod
    def of(cls, r: integrators.KeyRecord) -> IntegratorKeyRead:
        return cls(
            r.id,
            r.name,
            r.prefix,
            r.scopes,
            r.rate_limit_per_min,
            r.created_at,
            r.revoked_at,
            r.last_used_at,
            r.callback_url,
        )


class IntegratorKeyIssued(msgspec.Struct, frozen=True):
    """The key itself is in ``api_key``, and the secret that signs its status callbacks
    in ``callback_secret`` (with a ``callback_url``); both are shown this once only."""

    api_key: str
    key: IntegratorKeyRead
    callback_secret: str | None = None


class IntegratorKeyPage(msgspec.Struct, frozen=True):
    items: list[IntegratorKeyRead]
    next_cursor: str | None


class IntegratorKeyController(Controller):
    path = "/api/v1/integrator-keys"
    tags = ["integrator keys"]
    guards = [admin_only]

    @get("/", operation_id="list_integrator_keys")
    async def list_keys(
        self, limit: LimitQuery = 100, cursor: CursorQuery = None
    ) -> IntegratorKeyPage:
        keys = await integrators.list_keys(decode_cursor(cursor), limit)
        return IntegratorKeyPage(
            [IntegratorKeyRead.of(k) for k in keys], next_cursor([k.id for k in keys], limit)
        )

    @post("/", operation_id="create_integrator_key", status_code=HTTP_201_CREATED)
    async def create_key(
        self, rt: Rt, principal: Caller, data: JSONBody[IntegratorKeyCreate]
    ) -> IntegratorKeyIssued:
        """Issue a key; only its digest is kept, so this answer is the one chance to copy it."""
        if data.callback_url:
            check_target_url(data.callback_url, allow_private=rt.settings.private_targets_allowed)
        secret = codes.new_token(KEY_PREFIX)
        callback_secret = new_secret() if data.callback_url else None
        async with engine().transaction():
            record = await integrators.insert_key(
                name=data.name,
                prefix=secret[:12],
                key_hash=codes.digest(secret),
                scopes=sorted({s.value for s in data.scopes}),
                rate_limit_per_min=data.rate_limit_per_min,
                created_by=principal.user_id,
                now=datetime.now(UTC),
                callback_url=data.callback_url,
                callback_secret=callback_secret,
            )
        return IntegratorKeyIssued(secret, IntegratorKeyRead.of(record), callback_secret)

    @delete("/{key_id:int}", operation_id="revoke_integrator_key", status_code=HTTP_200_OK)
    async def revoke_key(self, key_id: FromPath[int]) -> IntegratorKeyRead:
        """Revoke a key at once; it stays listed, with ``revoked_at``."""
        record = await integrators.revoke_key(key_id, datetime.now(UTC))
        if record is None:
            raise NotFound("integrator_key_not_found", f"no integrator key {key_id}")
        return IntegratorKeyRead.of(record)
