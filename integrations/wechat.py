"""WeChat miniprogram server API: ``jscode2session`` for login.

Docs: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
WeChat answers 200 with ``errcode`` in the body (and sometimes ``text/plain``), so the
body is parsed whatever the content type says.
"""

from __future__ import annotations

import httpx
import msgspec

from domain.errors import AppError, Forbidden, InvalidInput, RateLimited, Unavailable
from offsite.settings import WechatSettings


class WechatSession(msgspec.Struct, frozen=True):
    openid: str
    session_key: str = ""
    unionid: str | None = None


class _Reply(msgspec.Struct):
    errcode: int = 0
    errmsg: str = ""
    openid: str | None = None
    session_key: str = ""
    unionid: str | None = None


def _error_for(errcode: int, errmsg: str) -> AppError:
    match errcode:
        case 40029 | 40163:
            return InvalidInput("wechat_code_invalid", "the login code is invalid or was used")
        case 45011:
            return RateLimited("wechat_rate_limited", "WeChat login limit reached", 60)
        case 40226:
            return Forbidden("wechat_user_blocked", "WeChat marked this user as high-risk")
        case -1:
            return Unavailable("wechat_busy", "WeChat is busy; try again shortly")
        case _:
            return Unavailable("wechat_error", f"WeChat error {errcode}: {errmsg}")


class WechatClient:
    def __init__(self, settings: WechatSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    async def code_to_session(self, code: str) -> WechatSession:
        """Exchange a ``wx.login`` code for the user's openid (one use per code)."""
        if not self.settings.app_id or not self.settings.app_secret:
            raise Unavailable("wechat_not_configured", "WeChat login is not configured here")
        try:
            response = await self.http.get(
                f"{self.settings.api_base.rstrip('/')}/sns/jscode2session",
                params={
                    "appid": self.settings.app_id,
                    "secret": self.settings.app_secret,
                    "js_code": code,
                    "grant_type": "authorization_code",
                },
                timeout=self.settings.timeout_s,
            )
            response.raise_for_status()
            reply = msgspec.json.decode(response.content, type=_Reply)
        except (httpx.HTTPError, msgspec.DecodeError) as exc:
            raise Unavailable("wechat_unreachable", f"WeChat did not answer: {exc}") from exc
        if reply.errcode != 0 or not reply.openid:
            raise _error_for(reply.errcode, reply.errmsg)
        return WechatSession(reply.openid, reply.session_key, reply.unionid)
