"""Shapes of the sign-in endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.auth.service import TokenPair
from api.org.schemas import UserRead

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class LoginRequest(msgspec.Struct, frozen=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class RefreshRequest(msgspec.Struct, frozen=True):
    refresh_token: Secret


class LogoutRequest(msgspec.Struct, frozen=True):
    """End the session of ``refresh_token``, or every session with ``everywhere``."""

    refresh_token: Secret | None = None
    everywhere: bool = False


class WechatLoginRequest(msgspec.Struct, frozen=True):
    """``code`` from ``wx.login()`` in the miniprogram."""

    code: Secret


class WechatBindRequest(msgspec.Struct, frozen=True):
    code: Secret
    binding_code: Annotated[str, msgspec.Meta(min_length=4, max_length=32)]


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: Annotated[int, msgspec.Meta(description="Seconds the access token is valid.")]
    user: UserRead
    token_type: Literal["Bearer"] = "Bearer"

    @classmethod
    def of(cls, pair: TokenPair) -> TokenResponse:
        return cls(pair.access_token, pair.refresh_token, pair.expires_in, UserRead.of(pair.user))
