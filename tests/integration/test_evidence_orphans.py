"""A file put into object storage by a transaction that then rolled back is removed by
the hourly clean-up once it is old enough; recorded files stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from minio.error import S3Error

from domain.evidence import Kind
from domain.org import Role
from offsite.settings import Settings
from storage import alerts, evidence
from storage.db import engine
from storage.objects import ObjectStore
from storage.tables import Evidence
from tests.factories import make_user
from tests.integration.cases_helpers import report
from tests.integration.conftest import AppClient, login

pytestmark = pytest.mark.usefixtures("database")


def _keys(store: ObjectStore, prefix: str) -> set[str]:
    return set(store.older_than(prefix, datetime.now(UTC) + timedelta(minutes=5)))


async def test_files_of_a_rolled_back_transaction_are_cleaned_up(
    client: AppClient, settings: Settings
) -> None:
    store = ObjectStore(settings.s3)
    commander = await login(client, await make_user(Role.commander))
    case = await report(client, commander, "01-01")
    now = datetime.now(UTC)
    frame = b"\xff\xd8\xff\xe0 a camera frame"
    # A recorded frame, committed.
    async with engine().transaction():
        await alerts.attach_frame(
            store, case["id"], Kind.camera_frame, frame, "image/jpeg", {}, now
        )
    kept = {
        r["object_key"]
        for r in await Evidence.select(Evidence.object_key).where(Evidence.case == case["id"])
    }
    assert len(kept) == 1
    # The same step for a case that does not exist: the file is put, then the evidence
    # row breaks a foreign key and the transaction rolls back, leaving the file behind.
    missing_case = 2_000_000_000
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        async with engine().transaction():
            await alerts.attach_frame(
                store, missing_case, Kind.camera_frame, frame, "image/jpeg", {}, now
            )
    orphans = _keys(store, f"evidence/{missing_case}/")
    assert len(orphans) == 1
    assert await Evidence.count().where(Evidence.object_key.is_in(list(orphans))) == 0

    # Too young: a transaction might still be on its way to recording it.
    soon = await evidence.clean_up(store, settings.evidence, now)
    assert soon.unrecorded_removed == 0
    assert _keys(store, f"evidence/{missing_case}/") == orphans

    later = await evidence.clean_up(store, settings.evidence, now + timedelta(hours=7))
    assert later.unrecorded_removed >= 1
    for key in orphans:
        with pytest.raises(S3Error):
            store.size(key)
    for key in kept:
        assert store.size(key) == len(frame)
