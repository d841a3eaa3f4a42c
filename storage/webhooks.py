"""Integrators' webhook subscriptions, and where a signed delivery goes."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.errors import NotFound
from storage.sealing import seal, unseal
from storage.tables import IntegratorKey, WebhookSubscription


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    url: str
    topics: list[str]
    active: bool
    created_at: datetime


class Target(msgspec.Struct, frozen=True):
    url: str
    secret: str


_COLUMNS = (
    WebhookSubscription.id,
    WebhookSubscription.url,
    WebhookSubscription.topics,
    WebhookSubscription.active,
    WebhookSubscription.created_at,
)


async def subscribe(
    key: int, url: str, topics: list[str], secret: str, now: datetime
) -> Subscription:
    rows = await WebhookSubscription.insert(
        WebhookSubscription(
            key=key,
            url=url,
            topics=topics,
            secret=seal(secret, "webhook_subscription.secret"),
            created_at=now,
        )
    ).returning(*_COLUMNS)
    return msgspec.convert(rows[0], Subscription)


async def of_key(key: int) -> list[Subscription]:
    rows = (
        await WebhookSubscription.select(*_COLUMNS)
        .where((WebhookSubscription.key == key) & WebhookSubscription.deleted_at.is_null())
        .order_by(WebhookSubscription.id)
    )
    return [msgspec.convert(r, Subscription) for r in rows]


async def unsubscribe(key: int, subscription: int, now: datetime) -> None:
    """Stop a subscription (its pending deliveries are skipped)."""
    rows = (
        await WebhookSubscription.update(
            {WebhookSubscription.active: False, WebhookSubscription.deleted_at: now}
        )
        .where(
            (WebhookSubscription.id == subscription)
            & (WebhookSubscription.key == key)
            & WebhookSubscription.deleted_at.is_null()
        )
        .returning(WebhookSubscription.id)
    )
    if not rows:
        raise NotFound("webhook_not_found", "no such webhook of this key")


async def webhook_target(subscription: int) -> Target | None:
    """Where a webhook delivery goes; None when the subscription or its key has ended."""
    rows = await WebhookSubscription.raw(
        """SELECT s.url, s.secret FROM webhook_subscription s
             JOIN integrator_key k ON k.id = s.key
            WHERE s.id = {} AND s.active AND k.revoked_at IS NULL""",
        subscription,
    )
    if not rows:
        return None
    return Target(rows[0]["url"], unseal(rows[0]["secret"], "webhook_subscription.secret"))


async def callback_target(key: int) -> Target | None:
    """Where a status callback goes; None when the key has no callback URL (any more)."""
    row = (
        await IntegratorKey.select(IntegratorKey.callback_url, IntegratorKey.callback_secret)
        .where((IntegratorKey.id == key) & IntegratorKey.revoked_at.is_null())
        .first()
    )
    if row is None or not row["callback_url"] or not row["callback_secret"]:
        return None
    return Target(
        row["callback_url"], unseal(row["callback_secret"], "integrator_key.callback_secret")
    )
