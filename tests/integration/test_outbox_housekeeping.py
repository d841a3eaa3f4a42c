"""Outbox rows that are done with are deleted after their keep time; owed ones never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobs.housekeeping import purge_settled_outbox
from storage import outbox
from storage.tables import Outbox
from tests.integration.conftest import AppClient

pytestmark = pytest.mark.usefixtures("database")


async def test_settled_rows_go_after_their_keep_time_and_pending_ones_stay(
    client: AppClient,
) -> None:
    now = datetime.now(UTC)
    tag = f"purge-{now.timestamp()}"
    ages = {
        ("delivered", 40): False,
        ("delivered", 1): True,
        ("skipped", 40): False,
        ("dead", 40): True,  # operators still have time to retry it
        ("dead", 100): False,
        ("pending", 100): True,  # still owed, however old
    }
    for status, days in ages:
        written = now - timedelta(days=days)
        await Outbox.insert(
            Outbox(
                kind="sms",
                topic="party.notice",
                payload={"phone": "13812345678"},
                dedup_key=f"{tag}:{status}:{days}",
                status=status,
                next_attempt_at=written,
                created_at=written,
            )
        )
    settings = client.app.state.runtime.settings.outbox
    assert (settings.keep_days, settings.dead_keep_days) == (30, 90)

    await purge_settled_outbox({"runtime": client.app.state.runtime})

    left = await Outbox.select(Outbox.dedup_key).where(Outbox.dedup_key.like(f"{tag}:%"))
    kept = {tuple(r["dedup_key"].split(":")[1:]) for r in left}
    assert kept == {(s, str(d)) for (s, d), stays in ages.items() if stays}
    await Outbox.delete().where(Outbox.dedup_key.like(f"{tag}:%"))  # not for other tests' pumps


async def test_purging_walks_the_table_in_batches() -> None:
    now = datetime.now(UTC)
    tag = f"batch-{now.timestamp()}"
    old = now - timedelta(days=400)
    await Outbox.insert(
        *[
            Outbox(
                kind="notification",
                topic="case.escalated",
                payload={},
                dedup_key=f"{tag}:{k}",
                status="delivered" if k % 3 else "pending",
                next_attempt_at=old,
                created_at=old,
            )
            for k in range(25)
        ]
    )

    purged = await outbox.purge(now - timedelta(days=300), now - timedelta(days=300), batch=4)

    assert purged >= 16  # other tests' rows may be old enough too, not younger than these
    left = await Outbox.select(Outbox.dedup_key).where(Outbox.dedup_key.like(f"{tag}:%"))
    assert sorted(int(r["dedup_key"].split(":")[1]) for r in left) == list(range(0, 25, 3))
    await Outbox.delete().where(Outbox.dedup_key.like(f"{tag}:%"))
