"""WeChat miniprogram server API: ``jscode2session`` for login, and subscribe messages
(``subscribeMessage.send``) to officers' phones with a shared access token.

Docs: https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
and .../mp-message-management/subscribe-message/sendMessage.html. WeChat answers 200
with ``errcode`` in the body (and sometimes ``text/plain``), so the body is parsed
whatever the content type says.
"""

from __future__ import annotations

import asyncio
import logging
import re
import string
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum

import httpx
import msgspec
from redis.asyncio import Redis

from domain.errors import AppError, Forbidden, InvalidInput, RateLimited, Unavailable
from offsite.settings import WechatSettings

log = logging.getLogger("offsite.wechat")


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


class _TokenReply(msgspec.Struct):
    errcode: int = 0
    errmsg: str = ""
    access_token: str = ""
    expires_in: int = 0


class _SendReply(msgspec.Struct):
    errcode: int = 0
    errmsg: str = ""


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


# --- template data -------------------------------------------------------------------

_KEY = re.compile(r"([a-z_]+?)\d*")


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _ascii_graphic(ch: str) -> bool:
    return "!" <= ch <= "~"


def _ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _ascii_symbol(ch: str) -> bool:
    return ch in string.punctuation


def _keep(value: str, allowed: Callable[[str], bool], limit: int) -> str:
    return "".join(ch for ch in value if allowed(ch))[:limit]


def _number(value: str) -> str:
    found = re.search(r"\d+(?:\.\d+)?", value.replace(",", ""))
    return found.group()[:32].rstrip(".") if found else ""


def _fit(kind: str, value: str) -> str:
    # Line breaks and runs of spaces are never wanted on a phone's lock screen.
    value = " ".join(value.split())
    match kind:
        case "thing":
            # The ellipsis counts in the limit: 19 characters and "…".
            return value if len(value) <= 20 else value[:19] + "…"
        case "phrase":
            return _keep(value, _cjk, 5)
        case "character_string":
            return _keep(value, _ascii_graphic, 32)
        case "number":
            return _number(value)
        case "letter":
            return _keep(value, _ascii_letter, 32)
        case "symbol":
            return _keep(value, _ascii_symbol, 5)
        case "phone_number":
            return _keep(value, lambda ch: ch.isascii() and (ch.isdigit() or _ascii_symbol(ch)), 17)
        case "car_number":
            return _keep(value, lambda ch: _cjk(ch) or (ch.isascii() and ch.isalnum()), 8).upper()
        case "name":
            return (value[:20] if value.isascii() else value[:10]).rstrip()
        case "amount":
            # Separators go; digits are never cut: a shortened sum would be a wrong one.
            return value.replace(",", "").replace(" ", "")
        case _:
            # time, date, enum (and any type WeChat adds later) are sent as given.
            return value


def fit_template_data(data: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Shape subscribe-message data as WeChat wants it, ``{key: {"value": ...}}``, each
    value cut to what its key's type allows; the type is the key's prefix
    (``thing1``, ``phrase3``, ``character_string4``). Limits, from the sendMessage docs:
    thing ≤ 20 characters (cut with "…"), phrase ≤ 5 Chinese characters, character_string
    ≤ 32 digits/letters/symbols, number ≤ 32 digits, letter ≤ 32, symbol ≤ 5,
    phone_number ≤ 17, car_number ≤ 8, name ≤ 10 (≤ 20 when plain ASCII); amount, time,
    date and enum values keep their content."""
    fitted: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        found = _KEY.fullmatch(key)
        fitted[key] = {"value": _fit(found.group(1) if found else "", value)}
    return fitted


# --- access token ----------------------------------------------------------------------

TOKEN_KEY = "offsite:wechat:access_token"
TOKEN_LOCK_KEY = "offsite:wechat:access_token:lock"
_LOCK_TTL_MS = 10_000  # longer than one token call may take (timeout_s)
_POLL_S = 0.05
# Delete a key only while it still holds the given value.
_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class AccessTokens:
    """The app's access token, cached in Redis for every process of the deployment.

    WeChat allows few token requests a day, and a new token retires the previous one, so
    one process refreshes (under a Redis lock) while the others wait for the cache or keep
    using the still-valid token. The cache entry lives as long as the token (Redis TTL),
    so Redis's clock decides expiry for all hosts alike."""

    def __init__(self, settings: WechatSettings, http: httpx.AsyncClient, redis: Redis) -> None:
        self.settings = settings
        self.http = http
        self.redis = redis
        self._compare_and_delete = redis.register_script(_COMPARE_AND_DELETE)

    async def get(self) -> str:
        """A token valid for at least ``token_refresh_margin_s`` when one can be had, else
        the current one while another process renews it; ``Unavailable`` when none comes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _LOCK_TTL_MS / 1000 + _POLL_S
        while True:
            token, fresh = await self._cached()
            if token and fresh:
                return token
            owner = uuid.uuid4().hex
            if await self.redis.set(TOKEN_LOCK_KEY, owner, nx=True, px=_LOCK_TTL_MS):
                try:
                    return await self._refresh(stale=token)
                finally:
                    await self._compare_and_delete(keys=[TOKEN_LOCK_KEY], args=[owner])
            if token:
                return token
            if loop.time() >= deadline:
                raise Unavailable("wechat_busy", "no WeChat access token came in time")
            await asyncio.sleep(_POLL_S)

    async def invalidate(self, token: str) -> None:
        """Forget ``token`` after WeChat refused it (40001/42001), unless another process
        has already replaced it."""
        await self._compare_and_delete(keys=[TOKEN_KEY], args=[token])

    async def _cached(self) -> tuple[str | None, bool]:
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(TOKEN_KEY)
        pipe.pttl(TOKEN_KEY)
        raw, ttl_ms = await pipe.execute()
        if raw is None:
            return None, False
        token = raw.decode() if isinstance(raw, bytes) else str(raw)
        return token, int(ttl_ms) > self.settings.token_refresh_margin_s * 1000

    async def _refresh(self, stale: str | None) -> str:
        # Another process may have refreshed between our read and our lock.
        token, fresh = await self._cached()
        if token and fresh:
            return token
        try:
            reply = await self._request_token()
        except Unavailable:
            current = token or stale
            if current is None:
                raise
            log.warning("WeChat token refresh failed; using the current token meanwhile")
            return current
        await self.redis.set(TOKEN_KEY, reply.access_token, px=reply.expires_in * 1000)
        return reply.access_token

    async def _request_token(self) -> _TokenReply:
        if not self.settings.app_id or not self.settings.app_secret:
            raise Unavailable("wechat_not_configured", "WeChat is not configured here")
        try:
            response = await self.http.get(
                f"{self.settings.api_base.rstrip('/')}/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.settings.app_id,
                    "secret": self.settings.app_secret,
                },
                timeout=self.settings.timeout_s,
            )
            response.raise_for_status()
            reply = msgspec.json.decode(response.content, type=_TokenReply)
        except (httpx.HTTPError, msgspec.DecodeError) as exc:
            raise Unavailable("wechat_unreachable", f"WeChat did not answer: {_safe(exc)}") from exc
        if reply.errcode != 0 or not reply.access_token or reply.expires_in <= 0:
            if reply.errcode in (-1, 45009):
                raise Unavailable("wechat_busy", "WeChat is busy; try again shortly")
            raise Unavailable(
                "wechat_token_refused", f"WeChat refused a token: {reply.errcode} {reply.errmsg}"
            )
        return reply


# --- client ----------------------------------------------------------------------------


class SendOutcome(StrEnum):
    """What became of one subscribe message; errors worth retrying raise instead."""

    sent = "sent"
    no_subscription = "no_subscription"  # 43101: the officer has no subscription left
    user_invalid = "user_invalid"  # 40003: unknown openid for this app
    template_invalid = "template_invalid"  # 40037, 47003, 41030: our configuration is wrong


_OUTCOMES = {
    0: SendOutcome.sent,
    43101: SendOutcome.no_subscription,
    40003: SendOutcome.user_invalid,
    40037: SendOutcome.template_invalid,  # unknown template id
    47003: SendOutcome.template_invalid,  # a data value WeChat will not take
    41030: SendOutcome.template_invalid,  # page path not in the released miniprogram
    47001: SendOutcome.template_invalid,  # body is not the JSON WeChat expects
}
_TOKEN_REFUSED = (40001, 42001)  # invalid credential / access_token expired


class WechatClient:
    def __init__(
        self, settings: WechatSettings, http: httpx.AsyncClient, redis: Redis | None = None
    ) -> None:
        self.settings = settings
        self.http = http
        self.tokens = AccessTokens(settings, http, redis) if redis is not None else None

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
            raise Unavailable("wechat_unreachable", f"WeChat did not answer: {_safe(exc)}") from exc
        if reply.errcode != 0 or not reply.openid:
            raise _error_for(reply.errcode, reply.errmsg)
        return WechatSession(reply.openid, reply.session_key, reply.unionid)

    async def send_subscribe_message(
        self, openid: str, template_id: str, page: str, data: Mapping[str, str]
    ) -> SendOutcome:
        """Send one subscribe message (``subscribeMessage.send``); ``data`` values are cut
        to their field types with ``fit_template_data``. ``no_subscription`` means the
        officer must be told in the app instead. Raises ``Unavailable`` when WeChat is
        unreachable, busy or rate-limiting, so the job retries later."""
        if self.tokens is None:
            raise Unavailable("wechat_not_configured", "WeChat messages need Redis here")
        body = msgspec.json.encode(
            {
                "touser": openid,
                "template_id": template_id,
                "page": page,
                "data": fit_template_data(data),
                "miniprogram_state": self.settings.miniprogram_state,
                "lang": "zh_CN",
            }
        )
        token = await self.tokens.get()
        reply = await self._post_message(token, body)
        if reply.errcode in _TOKEN_REFUSED:
            # Revoked or expired early (e.g. another app server fetched a token): once more.
            await self.tokens.invalidate(token)
            reply = await self._post_message(await self.tokens.get(), body)
        return _outcome(reply, template_id)

    async def _post_message(self, token: str, body: bytes) -> _SendReply:
        try:
            response = await self.http.post(
                f"{self.settings.api_base.rstrip('/')}/cgi-bin/message/subscribe/send",
                params={"access_token": token},
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=self.settings.timeout_s,
            )
            response.raise_for_status()
            return msgspec.json.decode(response.content, type=_SendReply)
        except (httpx.HTTPError, msgspec.DecodeError) as exc:
            raise Unavailable("wechat_unreachable", f"WeChat did not answer: {_safe(exc)}") from exc


def _outcome(reply: _SendReply, template_id: str) -> SendOutcome:
    outcome = _OUTCOMES.get(reply.errcode)
    if outcome is SendOutcome.template_invalid:
        log.warning(
            "WeChat refused a subscribe message",
            extra={"template_id": template_id, "errcode": reply.errcode, "errmsg": reply.errmsg},
        )
    if outcome is not None:
        return outcome
    if reply.errcode in (-1, 45009):
        raise Unavailable("wechat_busy", "WeChat is busy or rate-limiting; try again later")
    if reply.errcode in _TOKEN_REFUSED:
        raise Unavailable("wechat_token_refused", "WeChat refused a fresh access token")
    raise Unavailable("wechat_error", f"WeChat error {reply.errcode}: {reply.errmsg}")


def _safe(exc: Exception) -> str:
    """What went wrong, without the request URL: it carries the app secret or the access
    token, and this text ends up in logs, outbox errors and answers."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__
