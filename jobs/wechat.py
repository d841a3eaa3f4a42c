"""Officers' phones: a notification becomes a WeChat subscribe message where it can.

Which topics have a template is configuration (``OFFSITE_WECHAT_TEMPLATE_*``); every
template is expected to carry the same four keys, chosen in the WeChat console when the
template is picked: ``character_string1`` the case number, ``thing2`` the title,
``time3`` when, ``thing4`` the violation type or the device. A user with no subscription
left (43101) is remembered and not tried again for that template until the phone says
they subscribed again (``POST /api/v1/me/wechat-subscriptions``); the inbox entry, which
always exists, is where they will find it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from integrations.wechat import SendOutcome
from offsite.runtime import Runtime
from offsite.settings import WechatSettings
from storage import subscriptions
from storage.outbox import Claimed, Status
from storage.tables import StaffUser

SHANGHAI = ZoneInfo("Asia/Shanghai")


def templates(settings: WechatSettings) -> dict[str, str]:
    """Notification topic → subscribe template id, for the configured ones."""
    configured = {
        "case.assigned": settings.template_case_assigned,
        "case.dispatched": settings.template_case_assigned,
        "case.escalated": settings.template_case_escalated,
        "case.review_requested": settings.template_review_requested,
    }
    return {topic: template for topic, template in configured.items() if template}


def message_data(row: Claimed, now: datetime) -> dict[str, str]:
    payload = row.payload
    return {
        "character_string1": str(payload.get("number", "")),
        "thing2": str(payload.get("title", row.topic)),
        "time3": now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "thing4": str(payload.get("violation_type_name") or payload.get("state") or "-"),
    }


async def deliver(runtime: Runtime, row: Claimed, now: datetime) -> tuple[Status, str | None]:
    """Send one WeChat message (an outbox row of kind ``wechat``)."""
    settings = runtime.settings.wechat
    template = templates(settings).get(row.topic)
    if template is None or row.recipient is None:
        return Status.skipped, "no template for this topic"
    if await subscriptions.exhausted(runtime.redis, row.recipient, template):
        return Status.skipped, "no subscription left (remembered)"
    user = (
        await StaffUser.select(StaffUser.wechat_openid).where(StaffUser.id == row.recipient).first()
    )
    if user is None or not user["wechat_openid"]:
        return Status.skipped, "no WeChat account bound"
    page = f"{settings.page_case}?id={row.case}" if row.case else settings.page_case
    outcome = await runtime.wechat.send_subscribe_message(
        user["wechat_openid"], template, page, message_data(row, now)
    )
    if outcome is SendOutcome.sent:
        return Status.delivered, None
    if outcome is SendOutcome.no_subscription:
        await subscriptions.remember_exhausted(runtime.redis, row.recipient, template, now)
    return Status.skipped, outcome.value
