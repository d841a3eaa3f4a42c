"""Soft enforcement (柔性执法): the party is told by SMS, then rechecked at the deadline —
corrected closes as self-corrected, otherwise an officer goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.cases.machine import SYSTEM
from domain.cases.model import Source
from domain.geo import LngLat
from domain.org import Role
from jobs.outbox import deliver_outbox
from offsite.runtime import Runtime
from storage import alerts, outbox
from storage.cases import records
from storage.cases.commands import NewCase, create_case
from storage.cases.soft import settle_due
from storage.tables import Case, Outbox, StaffUser, Subject
from tests.factories import make_user, on_shift
from tests.fakes.sms import FakeSms
from tests.integration.cases_helpers import JIANGCHUAN_POINT, command, photo
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
SHANGHAI = ZoneInfo("Asia/Shanghai")
OUTSIDE_SHOP = "05-04"  # 店外经营: the ladder starts with the party


async def _merchant(phone: str | None = "13812345678") -> int:
    now = datetime.now(UTC)
    rows = await Subject.insert(
        Subject(
            kind="merchant",
            name="阿强水果店",
            address="江川路 88 号",
            lng=121.3994,
            lat=30.9995,
            contact_name="王阿强",
            contact_phone=phone,
            created_at=now,
            updated_at=now,
        )
    ).returning(Subject.id)
    subject: int = rows[0]["id"]
    return subject


async def _outside_shop(
    client: AppClient, description: str, phone: str | None = "13812345678"
) -> Any:
    """An officer reports 店外经营 by a merchant with that registered number."""
    reporter = await login(client, await make_user(Role.officer))
    return await client.post(
        "/api/v1/cases",
        headers=bearer(reporter),
        json={
            "violation_type": OUTSIDE_SHOP,
            "location": JIANGCHUAN_POINT,
            "description": description,
            "subject_id": await _merchant(phone=phone),
        },
    )


async def _sms_rows(case_id: int) -> list[dict[str, Any]]:
    return await Outbox.select(Outbox.id, Outbox.status).where(
        (Outbox.case == case_id) & (Outbox.kind == "sms")
    )


async def test_a_notified_party_that_did_not_correct_gets_an_officer(
    client: AppClient, fake_sms: tuple[FakeSms, str]
) -> None:
    runtime: Runtime = client.app.state.runtime
    fake, _ = fake_sms
    officer = await make_user(Role.officer)
    await StaffUser.update({StaffUser.on_duty: True}).where(StaffUser.id == officer["id"])
    made = await _outside_shop(client, "水果摆到店外人行道")
    assert made.status_code == 201, made.text
    case = made.json()
    assert (case["state"], case["outcome"], case["assignee"]) == (
        "awaiting_rectification",
        None,
        None,
    )
    rectify_by = datetime.fromisoformat(case["rectify_by"])
    # The recheck goes to an officer on shift at the deadline.
    await on_shift(officer["id"], rectify_by - timedelta(hours=1), rectify_by + timedelta(hours=1))

    # The SMS goes out once, however often the delivery is retried.
    fake.fail_next = 1
    (row,) = await _sms_rows(case["id"])
    assert await deliver_outbox({"runtime": runtime}, row["id"]) == "retry"
    await Outbox.update({Outbox.next_attempt_at: datetime.now(UTC)}).where(Outbox.id == row["id"])
    assert await deliver_outbox({"runtime": runtime}, row["id"]) == "delivered"
    body = fake.sent[f"offsite-{row['id']}"]
    assert body["to"] == "13812345678" and body["template"] == "party_notice"
    assert body["params"]["number"] == case["number"]
    assert body["params"]["deadline"] == f"{rectify_by.astimezone(SHANGHAI):%m月%d日 %H:%M}"
    error = await Outbox.select(Outbox.last_error).where(Outbox.id == row["id"]).first()
    assert "13812345678" not in (error["last_error"] or "")

    # Before the deadline nothing happens; after it, the recheck goes to the on-duty officer.
    assert await settle_due(runtime.cases, rectify_by - timedelta(minutes=1)) == {}
    assert (await settle_due(runtime.cases, rectify_by + timedelta(minutes=1))).get("recheck")
    record = await records.get(case["id"])
    assert record is not None and record.assignee_id is not None
    assert record.state.value == "awaiting_rectification"
    assignee = (
        await StaffUser.select(StaffUser.username).where(StaffUser.id == record.assignee_id).first()
    )
    tokens = await login(client, {**officer, "username": assignee["username"]})

    # On site it is gone: the recheck confirms the party corrected it (自行整改).
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))).json()
    evidence = await photo(client, tokens, detail, purpose="recheck")
    rechecked = await command(
        client, tokens, detail, "recheck", result="corrected", evidence_ids=[evidence]
    )
    assert (rechecked["state"], rechecked["outcome"]) == ("pending_review", "self_corrected")


async def test_a_camera_that_saw_it_cleared_closes_the_case_without_a_visit(
    client: AppClient,
) -> None:
    runtime: Runtime = client.app.state.runtime
    now = datetime.now(UTC)
    from storage.tables import Camera

    cameras = await Camera.insert(
        Camera(
            device_id=f"SOFT-{now:%H%M%S%f}",
            name="店招探头",
            enabled=False,
            lng=121.3994755,
            lat=30.9995505,
            created_at=now,
            updated_at=now,
        )
    ).returning(Camera.id)
    made = []
    for _ in range(3):
        made.append(
            await create_case(
                runtime.cases,
                NewCase(
                    source=Source.camera,
                    violation_type=OUTSIDE_SHOP,
                    position=LngLat(121.3994755, 30.9995505),
                    subject_id=await _merchant(),
                    camera_id=cameras[0]["id"],
                ),
                SYSTEM,
                now,
            )
        )
    cleared, still_there, came_back = made
    assert {c.state.value for c in made} == {"awaiting_rectification"}
    await alerts.observe(cleared.id, "cleared", {"camera_id": cameras[0]["id"]}, now)
    # Cleared for a while, then back: the camera's latest word is what counts.
    await alerts.observe(came_back.id, "cleared", {"camera_id": cameras[0]["id"]}, now)
    await alerts.observe(came_back.id, "still_present", {"camera_id": cameras[0]["id"]}, now)

    later = cleared.rectify_by + timedelta(minutes=1)  # type: ignore[operator]
    counts = await settle_due(runtime.cases, later)
    assert counts.get("corrected", 0) >= 1 and counts.get("dispatched", 0) >= 1
    states = {
        r["id"]: (r["state"], r["outcome"])
        for r in await Case.select(Case.id, Case.state, Case.outcome).where(
            Case.id.is_in([cleared.id, still_there.id, came_back.id])
        )
    }
    assert states[cleared.id] == ("closed", "self_corrected")
    assert states[still_there.id] == ("dispatched", None)
    assert states[came_back.id] == ("dispatched", None)
    assert await settle_due(runtime.cases, later) == {}, "each deadline is settled once"


async def test_without_a_registered_number_an_officer_goes_at_once(client: AppClient) -> None:
    made = await _outside_shop(client, "店外经营", phone=None)
    assert made.json()["state"] != "awaiting_rectification"
    assert await _sms_rows(made.json()["id"]) == []


async def test_a_party_the_gateway_cannot_reach_gets_an_officer_at_once(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    made = await _outside_shop(client, "店外经营", phone="021-5555")  # a landline: no SMS
    case = made.json()
    assert case["state"] == "awaiting_rectification"
    (row,) = await _sms_rows(case["id"])
    assert await deliver_outbox({"runtime": runtime}, row["id"]) == "skipped"
    record = await records.get(case["id"])
    assert record is not None and record.state.value == "dispatched"


async def test_a_notice_the_gateway_never_took_sends_an_officer(
    client: AppClient, fake_sms: tuple[FakeSms, str]
) -> None:
    runtime: Runtime = client.app.state.runtime
    fake, _ = fake_sms
    made = await _outside_shop(client, "店外经营")
    case = made.json()
    (row,) = await _sms_rows(case["id"])
    # The gateway is down through the last attempt.
    fake.fail_next = 1
    last = runtime.settings.outbox.max_attempts - 1
    await Outbox.update({Outbox.attempts: last}).where(Outbox.id == row["id"])

    assert await deliver_outbox({"runtime": runtime}, row["id"]) == "dead"

    record = await records.get(case["id"])
    assert record is not None and record.state.value == "dispatched"
    assert f"offsite-{row['id']}" not in fake.sent

    # An operator retrying the dead notice now would announce a deadline that no longer holds.
    assert await outbox.retry(row["id"], datetime.now(UTC)) is not None
    assert await deliver_outbox({"runtime": runtime}, row["id"]) == "skipped"
    assert f"offsite-{row['id']}" not in fake.sent
