"""The closed loop over HTTP: reports, dispatch, commands, versions, idempotency,
jurisdiction and the audit chain."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    command,
    go_on_duty,
    photo,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"


async def _officer_on_duty(client: AppClient, point=JIANGCHUAN_POINT):
    await quiet_squad(await squad_id(JIANGCHUAN))
    officer = await make_user(Role.officer, squad_code=JIANGCHUAN)
    tokens = await login(client, officer)
    await go_on_duty(client, tokens, point)
    return officer, tokens


async def test_patrol_report_is_auto_dispatched_to_the_on_duty_officer(client: AppClient) -> None:
    officer, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    assert case["state"] == "dispatched"
    assert case["assignee"]["id"] == officer["id"]
    assert case["squad_id"] == await squad_id(JIANGCHUAN)
    assert case["grid_id"] is not None
    kinds = {d["kind"] for d in case["deadlines"] if d["running"]}
    assert kinds == {"accept", "handle"}
    tasks = (await client.get("/api/v1/me/tasks", headers=bearer(tokens))).json()["items"]
    assert case["id"] in [t["id"] for t in tasks]


async def test_the_least_busy_then_nearest_officer_gets_the_case(client: AppClient) -> None:
    await quiet_squad(await squad_id(JIANGCHUAN))
    near = await make_user(Role.officer, squad_code=JIANGCHUAN)
    far = await make_user(Role.officer, squad_code=JIANGCHUAN)
    near_t, far_t = await login(client, near), await login(client, far)
    await go_on_duty(client, near_t, JIANGCHUAN_POINT)
    await go_on_duty(client, far_t, {**JIANGCHUAN_POINT, "lat": JIANGCHUAN_POINT["lat"] + 0.01})
    first = await report(client, near_t, "05-05")
    assert first["assignee"]["id"] == near["id"]
    # Now the near one has a task: the far one, with none, gets the next.
    second = await report(client, near_t, "05-05")
    assert second["assignee"]["id"] == far["id"]


async def test_types_without_auto_dispatch_wait_for_triage(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "01-01")
    assert case["state"] == "pending_triage"
    commander = await login(client, await make_user(Role.commander))
    queue = (
        await client.get("/api/v1/cases?state=pending_triage&limit=200", headers=bearer(commander))
    ).json()
    assert case["id"] in [c["id"] for c in queue["items"]]


async def test_out_of_district_reports_are_kept_and_flagged(client: AppClient) -> None:
    commander = await login(client, await make_user(Role.commander))
    case = await report(
        client, commander, "05-05", point={"lng": 116.39, "lat": 39.9, "coord_type": "gcj02"}
    )
    assert case["state"] == "pending_triage"
    assert case["flags"] == ["out_of_district"]
    assert case["squad_id"] is None


async def test_whole_loop_with_version_checks(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    case = await report(client, tokens, "05-05")
    stale = dict(case)
    case = await command(client, tokens, case, "accept")
    assert case["state"] == "in_progress"
    conflict = await command(
        client, tokens, stale, "verify", expect=409, outcome="corrected_on_site"
    )
    assert conflict["code"] == "case_version_conflict"
    assert conflict["current_version"] == case["version"]
    no_photo = await command(
        client, tokens, case, "verify", expect=400, outcome="corrected_on_site"
    )
    assert no_photo["code"] == "photo_required"
    shot = await photo(client, tokens, case)
    case = await command(
        client,
        tokens,
        case,
        "verify",
        outcome="corrected_on_site",
        location=JIANGCHUAN_POINT,
        evidence_ids=[shot],
    )
    assert case["state"] == "pending_review"
    assert not any(d["running"] for d in case["deadlines"])
    case = await command(client, leader, case, "close", note="ok")
    assert case["state"] == "closed"
    check = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline/verify", headers=bearer(leader))
    ).json()
    # created, dispatch, accept, evidence (the photo's hash), verify, close
    assert check["ok"] is True and check["entries"] == 6


async def test_a_replayed_command_applies_once(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    first = await command(client, tokens, case, "accept", key="phone-retry-1")
    again = await command(client, tokens, case, "accept", key="phone-retry-1")
    assert again == first
    timeline = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    ).json()["items"]
    assert [e["action"] for e in timeline].count("accept") == 1
    reused = await command(
        client,
        tokens,
        first,
        "comment",
        key="phone-retry-1",
        expect=400,
        text="different request, same key",
    )
    assert reused["code"] == "idempotency_key_reused"


async def test_a_replayed_report_creates_one_case(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    body = {"violation_type": "05-05", "location": JIANGCHUAN_POINT}
    headers = bearer(tokens) | {"Idempotency-Key": "report-once"}
    first = await client.post("/api/v1/cases", headers=headers, json=body)
    second = await client.post("/api/v1/cases", headers=headers, json=body)
    assert first.json()["id"] == second.json()["id"]


async def test_rules_of_the_machine_come_back_as_codes(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    wrong = await command(client, tokens, case, "close", expect=403, note="x")
    assert wrong["code"] == "role_forbidden"
    case = await command(client, tokens, case, "accept")
    missing = await command(client, tokens, case, "verify", expect=400, outcome="case_filed")
    assert missing["code"] == "external_ref_required"
    no_reason = await command(client, tokens, case, "dismiss", expect=400, reason="duplicate")
    assert no_reason["code"] == "invalid_request"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    late = await command(client, tokens, case, "order-rectification", expect=400, rectify_by=past)
    assert late["code"] == "rectify_by_past"


async def test_another_squad_cannot_see_or_touch_the_case(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    stranger = await login(client, await make_user(Role.squad_leader, squad_code="310112101"))
    seen = await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(stranger))
    assert seen.status_code == 404
    touched = await command(client, stranger, case, "assign", expect=404, officer_id=1)
    assert touched["code"] == "case_not_found"
    board = (await client.get("/api/v1/cases?limit=200", headers=bearer(stranger))).json()
    assert case["id"] not in [c["id"] for c in board["items"]]
    refused = await client.get(
        f"/api/v1/cases?squad_id={case['squad_id']}", headers=bearer(stranger)
    )
    assert refused.status_code == 403


async def test_assign_only_to_officers_of_the_squad(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    outsider = await make_user(Role.officer, squad_code="310112101")
    colleague = await make_user(Role.officer, squad_code=JIANGCHUAN)
    case = await report(client, tokens, "05-05")
    refused = await command(client, leader, case, "assign", expect=400, officer_id=outsider["id"])
    assert refused["code"] == "officer_not_in_squad"
    moved = await command(client, leader, case, "assign", officer_id=colleague["id"])
    assert moved["assignee"]["id"] == colleague["id"]


async def test_editing_the_timeline_in_sql_breaks_verification(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    await command(client, tokens, case, "accept")
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        # The table refuses edits; a superuser can switch that off, as an attacker might.
        with pytest.raises(asyncpg.RaiseError):
            await conn.execute("UPDATE case_event SET data = '{}' WHERE \"case\" = $1", case["id"])
        async with conn.transaction():
            await conn.execute("ALTER TABLE case_event DISABLE TRIGGER case_event_append_only")
            await conn.execute(
                """UPDATE case_event SET data = jsonb_set(data, '{note}', '"edited"')
                   WHERE "case" = $1 AND seq = 1""",
                case["id"],
            )
            await conn.execute("ALTER TABLE case_event ENABLE TRIGGER case_event_append_only")
    finally:
        await conn.close()
    check = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline/verify", headers=bearer(tokens))
    ).json()
    assert check["ok"] is False
    assert check["broken_at_seq"] == 1


async def test_lists_built_in_sql_match_the_documented_shape(client: AppClient) -> None:
    import msgspec

    from storage.cases.board import CasePage

    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05", address="江川路 1 号")
    for url in ("/api/v1/me/tasks", "/api/v1/cases?limit=5"):
        response = await client.get(url, headers=bearer(tokens))
        page = msgspec.json.decode(response.content, type=CasePage)
        assert page.items, url
    mine = next(i for i in page.items if i.id == case["id"])
    assert mine.state_label_zh == "已派遣"
    assert mine.violation_name_zh == case["violation_type"]["name_zh"]
    assert mine.location is not None and mine.location.coord_type == "wgs84"


async def test_concurrent_retries_of_one_command_apply_once(client: AppClient) -> None:
    import asyncio

    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    headers = bearer(tokens) | {"Idempotency-Key": "weak-network-42"}
    body = {"version": case["version"], "note": "on my way"}
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/cases/{case['id']}/accept", headers=headers, json=body)
            for _ in range(4)
        )
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["version"] for a in answers}) == 1
    timeline = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    ).json()["items"]
    assert [e["action"] for e in timeline].count("accept") == 1


async def test_cli_verifies_one_case_or_all(client: AppClient) -> None:
    import subprocess
    import sys

    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    env = dict(os.environ, OFFSITE_LOG_LEVEL="WARNING")
    one = subprocess.run(
        [sys.executable, "-m", "offsite.cli", "verify-timeline", "--case", str(case["id"])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert one.returncode == 0, one.stdout + one.stderr
    assert "1 case(s) checked, 0 broken" in one.stdout


async def test_a_change_made_through_another_process_reaches_the_cached_list(
    client: AppClient, settings
) -> None:
    import asyncio

    from tests.integration.conftest import app_client

    _, tokens = await _officer_on_duty(client)
    lists = client.app.state.runtime.lists
    for _ in range(100):
        if lists.connected:
            break
        await asyncio.sleep(0.02)
    assert lists.connected, "the change listener never connected"
    case = await report(client, tokens, "05-05")
    # The report's own notice may land after the first read and (rightly) drop it: read
    # until the list sits in the cache.
    for _ in range(50):
        first = (await client.get("/api/v1/me/tasks", headers=bearer(tokens))).json()
        item = first["items"][0]
        key = ("tasks", item["assignee_id"], item["squad_id"], 100)
        if lists.get(key, lists.generation(user=key[1])) is not None:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the task list was never cached")
    assert next(t for t in first["items"] if t["id"] == case["id"])["state"] == "dispatched"
    async with app_client(settings) as other_process:
        await command(other_process, tokens, case, "accept")
    for _ in range(50):  # the commit's notice arrives within milliseconds
        tasks = (await client.get("/api/v1/me/tasks", headers=bearer(tokens))).json()
        if next(t for t in tasks["items"] if t["id"] == case["id"])["state"] == "in_progress":
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the cached task list never saw the change")


async def test_refusals_found_in_review_come_back_as_4xx(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    commander = await login(client, await make_user(Role.commander))
    waiting = await report(client, commander, "01-01")
    nowhere = await command(client, commander, waiting, "dispatch", expect=400, squad_id=999999)
    assert nowhere["code"] == "squad_not_found"
    nul = await command(client, commander, waiting, "comment", expect=400, text="bad\u0000")
    assert nul["code"] == "invalid_request"
    subject = await client.post(
        "/api/v1/cases",
        headers=bearer(tokens),
        json={"violation_type": "05-05", "location": JIANGCHUAN_POINT, "subject_id": 999999},
    )
    assert subject.status_code == 400 and subject.json()["code"] == "subject_not_found"
    period = await client.get("/api/v1/stats/indicators?period=2026-13", headers=bearer(commander))
    assert period.status_code == 400 and period.json()["code"] == "invalid_request"  # pattern
    leap = await client.get("/api/v1/stats/indicators?period=2026-02-30", headers=bearer(commander))
    assert leap.status_code == 400 and leap.json()["code"] == "period_invalid"


async def test_a_retry_with_a_fresher_gps_fix_is_the_same_request(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    first = await command(
        client, tokens, case, "accept", key="gps-retry", location=JIANGCHUAN_POINT
    )
    moved = {**JIANGCHUAN_POINT, "lat": JIANGCHUAN_POINT["lat"] + 0.0001}
    again = await command(client, tokens, case, "accept", key="gps-retry", location=moved)
    assert again == first


async def test_moving_on_after_a_deadline_passed_counts_as_late(client: AppClient) -> None:
    from storage.tables import Case, CaseDeadline

    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    await CaseDeadline.raw(
        """UPDATE case_deadline SET due_at = now() - interval '1 minute'
            WHERE "case" = {} AND kind = 'accept'""",
        case["id"],
    )
    accepted = await command(client, tokens, case, "accept")
    accept = next(d for d in accepted["deadlines"] if d["kind"] == "accept")
    assert accept["missed"] is True and accept["running"] is False
    row = await Case.select(Case.ever_overdue).where(Case.id == case["id"]).first()
    assert row["ever_overdue"] is True


async def test_a_moved_officer_no_longer_sees_the_old_squads_tasks(client: AppClient) -> None:
    officer, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    assert case["assignee"]["id"] == officer["id"]
    admin = await login(client, await make_user(Role.admin))
    moved = await client.patch(
        f"/api/v1/users/{officer['id']}",
        headers=bearer(admin),
        json={"squad_id": await squad_id("310112101")},
    )
    assert moved.status_code == 200
    again = await login(client, officer)
    tasks = (await client.get("/api/v1/me/tasks", headers=bearer(again))).json()["items"]
    assert tasks == []
    # The task went back to the old squad's board, unassigned, with the reason on record.
    commander = await login(client, await make_user(Role.commander))
    back = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(commander))).json()
    assert back["state"] == "dispatched" and back["assignee"] is None
    steps = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(commander))
    ).json()["items"]
    assert steps[-1]["action"] == "release" and steps[-1]["actor_id"] is None


async def test_only_some_roles_report_some_sources(client: AppClient) -> None:
    _, tokens = await _officer_on_duty(client)
    audit = await client.post(
        "/api/v1/cases",
        headers=bearer(tokens),
        json={"violation_type": "05-05", "location": JIANGCHUAN_POINT, "source": "audit"},
    )
    assert audit.status_code == 403 and audit.json()["code"] == "source_forbidden"
    supervisor = await login(client, await make_user(Role.supervisor))
    allowed = await report(client, supervisor, "01-01", source="audit")
    assert allowed["source"] == "audit"
