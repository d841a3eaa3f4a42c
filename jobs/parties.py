"""Soft enforcement (柔性执法): the SMS to the party, and the recheck at its deadline."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from integrations.sms import SmsGateway, SmsOutcome
from offsite.runtime import Runtime
from storage.cases.soft import party_unreachable, settle_due, waits_for_party
from storage.outbox import Claimed, Status

log = logging.getLogger("offsite.jobs")


async def settle_party_deadlines(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: parties whose deadline passed are rechecked (camera or officer)."""
    runtime: Runtime = ctx["runtime"]
    counts = await settle_due(runtime.cases, datetime.now(UTC))
    if counts:
        log.info("settled party deadlines", extra=counts)
    return counts


async def deliver_sms(runtime: Runtime, row: Claimed, now: datetime) -> tuple[Status, str | None]:
    """An outbox row of kind ``sms``: the notice to the party (the number is in the row,
    never in a log line or an error text). Skipped when the case no longer waits for
    the party: a dead notice retried after an officer was sent would announce a deadline
    that no longer holds."""
    if row.case is not None and not await waits_for_party(row.case):
        return Status.skipped, "the case no longer waits for the party"
    gateway = SmsGateway(runtime.settings.sms, runtime.http)
    templates = {"party_notice": runtime.settings.sms.template_party_notice}
    outcome, detail = await gateway.send(
        row.payload["phone"],
        templates.get(row.payload["template"], row.payload["template"]),
        row.payload["params"],
        request_id=f"offsite-{row.id}",
    )
    if outcome is SmsOutcome.sent:
        return Status.delivered, f"message {detail}"
    log.warning("SMS refused", extra={"outbox": row.id, "reason": detail})
    if row.case is not None:
        await party_unreachable(runtime.cases, row.case, now)
    return Status.skipped, detail


async def notice_not_delivered(runtime: Runtime, row: Claimed, now: datetime) -> None:
    """The notice to the party went dead (the gateway never took it): an officer goes."""
    if row.case is not None and await party_unreachable(runtime.cases, row.case, now):
        log.warning("party notice undeliverable; case dispatched", extra={"case": row.case})
