"""The SMS gateway: one JSON call per message, behind a configurable base URL.

Protocol (what the bureau's gateway adapter speaks; tests run a local server that checks
it): ``POST {base}/v1/messages`` with ``Authorization: Bearer <key>`` and
``{"to": "+86…", "sign": "闵行城管", "template": "<id>", "params": {...},
"request_id": "<id>"}``. The gateway answers 200 ``{"code": "ok", "message_id": "…"}``;
a repeated ``request_id`` is answered with the first message's id and not sent again.
Refusals: 400 ``{"code": "invalid_number" | "template_invalid" | "blacklisted"}`` (final),
429 / 5xx (try again later). Numbers never appear in our logs unmasked.
"""

from __future__ import annotations

from enum import StrEnum

import httpx
import msgspec

from domain.errors import Unavailable
from domain.integration.privacy import mask_phone
from offsite.settings import SmsSettings


class SmsOutcome(StrEnum):
    sent = "sent"
    refused = "refused"  # the gateway will never send this one (number, template, blacklist)


class _Reply(msgspec.Struct):
    code: str = ""
    message_id: str = ""


class SmsGateway:
    def __init__(self, settings: SmsSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    @property
    def configured(self) -> bool:
        return bool(self.settings.gateway_url)

    async def send(
        self, phone: str, template: str, params: dict[str, str], request_id: str
    ) -> tuple[SmsOutcome, str]:
        """Send one message; (outcome, gateway code or message id). Unavailable when the
        gateway should be tried again later."""
        if not self.configured:
            raise Unavailable("sms_not_configured", "no SMS gateway is configured")
        body = {
            "to": phone,
            "sign": self.settings.sign_name,
            "template": template,
            "params": params,
            "request_id": request_id,
        }
        try:
            response = await self.http.post(
                f"{self.settings.gateway_url.rstrip('/')}/v1/messages",
                json=body,
                headers={"Authorization": f"Bearer {self.settings.api_key}"},
                timeout=self.settings.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise Unavailable("sms_unreachable", f"SMS gateway did not answer: {exc}") from exc
        try:
            reply = msgspec.json.decode(response.content, type=_Reply)
        except msgspec.DecodeError:
            reply = _Reply()
        if response.status_code == 200 and reply.code == "ok":
            return SmsOutcome.sent, reply.message_id
        if response.status_code == 400:
            return SmsOutcome.refused, f"{reply.code or 'refused'} ({mask_phone(phone)})"
        raise Unavailable(
            "sms_unavailable", f"SMS gateway answered {response.status_code} {reply.code}"
        )
