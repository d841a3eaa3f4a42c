"""``/api/v1/auth``: sign-in, refresh, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.auth import service
from api.auth.schemas import (
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    TokenResponse,
    WechatBindRequest,
    WechatLoginRequest,
)
from api.deps import Caller, Rt, client_address

PUBLIC = {"exclude_from_auth": True}


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", status_code=HTTP_200_OK, opt=PUBLIC, security=[])
    async def login(
        self, rt: Rt, data: JSONBody[LoginRequest], request: Request[Any, Any, Any]
    ) -> TokenResponse:
        """Sign in with username and password (board and console)."""
        pair = await service.login(
            rt, data.username, data.password, client_address(request), datetime.now(UTC)
        )
        return TokenResponse.of(pair)

    @post(
        "/refresh", operation_id="refresh_tokens", status_code=HTTP_200_OK, opt=PUBLIC, security=[]
    )
    async def refresh(self, rt: Rt, data: JSONBody[RefreshRequest]) -> TokenResponse:
        """Spend a refresh token for a new pair. Replaying the same request within 20 s
        returns the same pair; a spent token used later ends every session of that login."""
        return TokenResponse.of(await service.refresh(rt, data.refresh_token, datetime.now(UTC)))

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, rt: Rt, principal: Caller, data: JSONBody[LogoutRequest]) -> None:
        """End this session (its refresh token) or, with ``everywhere``, all of them."""
        await service.logout(rt, principal, data.refresh_token, data.everywhere, datetime.now(UTC))

    @post("/wechat", operation_id="wechat_login", status_code=HTTP_200_OK, opt=PUBLIC, security=[])
    async def wechat(self, rt: Rt, data: JSONBody[WechatLoginRequest]) -> TokenResponse:
        """Sign in from the miniprogram with a ``wx.login`` code; 403 ``wechat_not_bound``
        until the account is bound with a binding code."""
        return TokenResponse.of(await service.wechat_login(rt, data.code, datetime.now(UTC)))

    @post(
        "/wechat/bind", operation_id="wechat_bind", status_code=HTTP_200_OK, opt=PUBLIC, security=[]
    )
    async def wechat_bind(self, rt: Rt, data: JSONBody[WechatBindRequest]) -> TokenResponse:
        """First WeChat sign-in: bind the WeChat account with the admin-issued code."""
        pair = await service.wechat_bind(rt, data.code, data.binding_code, datetime.now(UTC))
        return TokenResponse.of(pair)
