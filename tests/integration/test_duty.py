"""The duty model against the real stack: rosters a week at a time, on shift at the
edges and across midnight, dispatch only to officers on shift and on duty, roll calls
and their deadlines, the position track and its retention, duty figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.org.service import set_duty
from domain.duty.roster import SHANGHAI, parse_week, week_of, week_span
from domain.geo import LngLat
from domain.org import Role
from jobs.duty import expire_roll_call, purge_old_positions, settle_roll_calls
from storage.cases.commands import candidates
from storage.duty import roll_calls
from storage.duty.roster import current_shift_ends
from storage.tables import Outbox, PositionFix, RollCall
from tests.factories import make_user, on_shift, squad_id
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    XINZHUANG_POINT,
    demo_store,
    go_on_duty,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

JIANGCHUAN, XINZHUANG = "310112001", "310112101"
# A week far ahead, so no other test's shifts are in it: 2030-W10 is 4–10 March 2030.
WEEK = "2030-W10"
MONDAY = datetime(2030, 3, 4, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Shanghai time on day ``day`` (0 = Monday) of WEEK."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def shift(officer: dict[str, Any], start: datetime, hours: float, **extra: Any) -> dict[str, Any]:
    return {
        "officer_id": officer["id"],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        **extra,
    }


async def _leader_and_officers(client: AppClient, code: str = JIANGCHUAN, n: int = 2) -> Any:
    leader = await login(client, await make_user(Role.squad_leader, squad_code=code))
    officers = [await make_user(Role.officer, squad_code=code) for _ in range(n)]
    return leader, officers, await squad_id(code)


async def _put(client: AppClient, tokens: dict, squad: int, week: str, shifts: list) -> Any:
    return await client.put(
        f"/api/v1/squads/{squad}/roster/{week}", headers=bearer(tokens), json={"shifts": shifts}
    )


async def test_a_week_is_replaced_whole_and_copied_from_the_week_before(
    client: AppClient,
) -> None:
    leader, (one, two), squad = await _leader_and_officers(client)
    week = "2030-W20"
    monday = datetime(2030, 5, 13, tzinfo=SHANGHAI)
    night = monday + timedelta(days=6, hours=20)  # Sunday 20:00, into next Monday
    made = await _put(
        client,
        leader,
        squad,
        week,
        [
            shift(one, monday + timedelta(hours=8), 12, area_note="江川路沿线"),
            shift(two, night, 12),
        ],
    )
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["starts_at"] == "2030-05-12T16:00:00Z"  # Monday 00:00 Shanghai
    assert [s["officer_id"] for s in body["shifts"]] == [one["id"], two["id"]]
    assert body["shifts"][0]["area_note"] == "江川路沿线"

    # Replaced as a whole: the second PUT leaves only its own shift.
    again = await _put(client, leader, squad, week, [shift(one, monday + timedelta(hours=9), 8)])
    assert [s["starts_at"] for s in again.json()["shifts"]] == ["2030-05-13T01:00:00Z"]
    read = await client.get(f"/api/v1/squads/{squad}/roster/{week}", headers=bearer(leader))
    assert read.json()["shifts"] == again.json()["shifts"]

    # Copied: the same weekday and Shanghai time a week later.
    await _put(client, leader, squad, week, [shift(two, night, 12)])
    copied = await client.post(
        f"/api/v1/squads/{squad}/roster/2030-W21/copy-previous", headers=bearer(leader)
    )
    assert copied.status_code == 200, copied.text
    (only,) = copied.json()["shifts"]
    assert only["officer_id"] == two["id"]
    assert datetime.fromisoformat(only["starts_at"]) == night + timedelta(days=7)


async def test_rules_refuse_the_whole_week(client: AppClient) -> None:
    leader, (one, two), squad = await _leader_and_officers(client)
    stranger = await make_user(Role.officer, squad_code=XINZHUANG)
    good = shift(two, at(1, 8), 8)
    cases = [
        ([shift(one, at(0, 8), 12), shift(one, at(0, 19), 4), good], 409, "shift_overlap"),
        ([shift(one, at(0, 8), 24.5), good], 400, "shift_too_long"),
        ([shift(one, at(0, 8), 0), good], 400, "shift_ends_before_start"),
        ([shift(one, at(7, 1), 4), good], 400, "shift_outside_week"),
        ([shift(stranger, at(0, 8), 4), good], 400, "shift_officer_invalid"),
        ([shift(one, at(0, 8), 4, grid_ids=[2**31 - 1]), good], 400, "shift_grid_invalid"),
    ]
    for shifts, status, code in cases:
        answer = await _put(client, leader, squad, WEEK, shifts)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    read = await client.get(f"/api/v1/squads/{squad}/roster/{WEEK}", headers=bearer(leader))
    assert [s for s in read.json()["shifts"] if s["officer_id"] in (one["id"], two["id"])] == []
    bad_week = await _put(client, leader, squad, "2030-W60", [])
    assert (bad_week.status_code, bad_week.json()["code"]) == (400, "week_invalid")

    # A Sunday night shift running into Monday blocks an overlapping Monday shift of the
    # next week: the database's exclusion constraint, across weeks.
    sunday = await _put(client, leader, squad, WEEK, [shift(one, at(6, 22), 10)])
    assert sunday.status_code == 200, sunday.text
    monday = datetime(2030, 3, 11, 6, tzinfo=SHANGHAI)
    clash = await _put(client, leader, squad, "2030-W11", [shift(one, monday, 4)])
    assert (clash.status_code, clash.json()["code"]) == (409, "shift_overlap")
    fine = await _put(
        client, leader, squad, "2030-W11", [shift(one, monday + timedelta(hours=2), 4)]
    )
    assert fine.status_code == 200, fine.text  # starts when the night shift ends


async def test_on_shift_at_the_edges_across_midnight_and_on_leave(client: AppClient) -> None:
    leader, (night_officer,), squad = await _leader_and_officers(client, n=1)
    start = at(2, 20)  # Wednesday 20:00 to Thursday 08:00, Shanghai
    made = await _put(client, leader, squad, "2030-W10", [shift(night_officer, start, 12)])
    assert made.status_code == 200, made.text
    end = start + timedelta(hours=12)
    oid = night_officer["id"]

    async def on(t: datetime) -> bool:
        return oid in await current_shift_ends([oid], t)

    assert not await on(start - timedelta(microseconds=1))
    assert await on(start)  # start inclusive
    assert await on(at(3, 0))  # midnight, Shanghai
    assert (await current_shift_ends([oid], at(3, 0)))[oid] == end
    assert await on(end - timedelta(seconds=1))
    assert not await on(end)  # end exclusive

    leave = await client.post(
        f"/api/v1/squads/{squad}/leave",
        headers=bearer(leader),
        json={
            "officer_id": oid,
            "starts_at": at(3, 2).isoformat(),
            "ends_at": at(3, 4).isoformat(),
            "kind": "sick",
            "reason": "发烧",
        },
    )
    assert leave.status_code == 201, leave.text
    assert await on(at(3, 1, 59)) and not await on(at(3, 2)) and await on(at(3, 4))
    overlapping = await client.post(
        f"/api/v1/squads/{squad}/leave",
        headers=bearer(leader),
        json={
            "officer_id": oid,
            "starts_at": at(3, 3).isoformat(),
            "ends_at": at(3, 5).isoformat(),
            "kind": "personal",
        },
    )
    assert (overlapping.status_code, overlapping.json()["code"]) == (409, "leave_overlap")
    listed = await client.get(
        f"/api/v1/squads/{squad}/leave",
        params={"from": at(0, 0).isoformat(), "to": at(7, 0).isoformat()},
        headers=bearer(leader),
    )
    assert [lv["id"] for lv in listed.json()["items"] if lv["officer_id"] == oid] == [
        leave.json()["id"]
    ]
    gone = await client.delete(f"/api/v1/leave/{leave.json()['id']}", headers=bearer(leader))
    assert gone.status_code == 200, gone.text
    assert await on(at(3, 3))

    # Dispatch candidates say the same at the same instants (on duty or not).
    await quiet_squad(squad)
    await set_duty(oid, True, None, datetime.now(UTC))
    by_id = {c.user_id: c for c in await candidates(squad, at(3, 0))}
    assert by_id[oid].on_shift
    assert not {c.user_id: c for c in await candidates(squad, end)}[oid].on_shift


async def test_auto_dispatch_goes_only_to_officers_on_shift_and_on_duty(
    client: AppClient,
) -> None:
    squad = await squad_id(XINZHUANG)
    await quiet_squad(squad)
    off_shift = await make_user(Role.officer, squad_code=XINZHUANG)
    off_duty = await make_user(Role.officer, squad_code=XINZHUANG)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    reporter = await login(client, await make_user(Role.officer, squad_code=XINZHUANG))

    # On duty but not on the roster now: not chosen.
    off_shift_tokens = await login(client, off_shift)
    await client.put(
        "/api/v1/me/duty",
        headers=bearer(off_shift_tokens),
        json={"on_duty": True, "location": XINZHUANG_POINT},
    )
    # On shift but off duty: not chosen.
    await on_shift(off_duty["id"])
    case = await report(client, reporter, "05-05", point=XINZHUANG_POINT)
    assert case["assignee"] is None, case

    # Both: chosen.
    both = await make_user(Role.officer, squad_code=XINZHUANG)
    await go_on_duty(client, await login(client, both), XINZHUANG_POINT)
    case = await report(client, reporter, "05-05", point=XINZHUANG_POINT)
    assert case["assignee"]["id"] == both["id"], case

    officers = await client.get(f"/api/v1/squads/{squad}/officers", headers=bearer(leader))
    rows = {r["id"]: r for r in officers.json()["items"]}
    assert (rows[off_shift["id"]]["on_duty"], rows[off_shift["id"]]["on_shift"]) == (True, False)
    assert (rows[off_duty["id"]]["on_duty"], rows[off_duty["id"]]["on_shift"]) == (False, True)
    assert rows[off_duty["id"]]["shift_ends_at"] is not None
    assert (rows[both["id"]]["on_duty"], rows[both["id"]]["on_shift"]) == (True, True)

    mine = await client.get("/api/v1/me/shifts", headers=bearer(await login(client, off_duty)))
    assert mine.status_code == 200 and len(mine.json()["items"]) == 1, mine.text


async def test_roll_calls_answered_in_time_missed_by_the_job_then_late(
    client: AppClient,
) -> None:
    runtime = client.app.state.runtime
    leader, (officer,), squad = await _leader_and_officers(client, n=1)
    officer_tokens = await login(client, officer)
    off = await make_user(Role.officer, squad_code=JIANGCHUAN)
    refused = await client.post(
        "/api/v1/roll-calls",
        headers=bearer(leader),
        json={"officer_id": off["id"], "within_minutes": 5},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "officer_not_on_shift")
    other_leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    await on_shift(officer["id"])
    foreign = await client.post(
        "/api/v1/roll-calls",
        headers=bearer(other_leader),
        json={"officer_id": officer["id"], "within_minutes": 5},
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "officer_not_found")

    async def ask() -> dict[str, Any]:
        asked = await client.post(
            "/api/v1/roll-calls",
            headers=bearer(leader),
            json={"officer_id": officer["id"], "within_minutes": 5},
        )
        assert asked.status_code == 201, asked.text
        body: dict[str, Any] = asked.json()
        return body

    where = LngLat(JIANGCHUAN_POINT["lng"], JIANGCHUAN_POINT["lat"])
    first = await ask()
    assert first["state"] == "pending" and first["squad_id"] == squad
    note = await Outbox.select(Outbox.recipient, Outbox.topic).where(
        Outbox.dedup_key == f"roll-call:{first['id']}"
    )
    assert note == [{"recipient": officer["id"], "topic": "duty.roll_call"}]
    headers = bearer(officer_tokens) | {"Idempotency-Key": f"rc-{first['id']}"}
    answer = {"location": {**JIANGCHUAN_POINT, "coord_type": "wgs84"}, "accuracy_m": 8}
    answered = await client.post(
        f"/api/v1/roll-calls/{first['id']}/answer", headers=headers, json=answer
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"
    replay = await client.post(
        f"/api/v1/roll-calls/{first['id']}/answer", headers=headers, json=answer
    )
    assert replay.json() == answered.json()  # a retry gets the first answer
    twice = await client.post(
        f"/api/v1/roll-calls/{first['id']}/answer", headers=bearer(officer_tokens), json=answer
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "roll_call_answered")
    # The deadline job finds it answered and leaves it.
    deadline = datetime.fromisoformat(first["deadline_at"])
    assert not await expire_roll_call({"runtime": runtime}, first["id"], deadline + timedelta(1))

    # Unanswered: before the deadline the job leaves it; after it, missed.
    second = await ask()
    deadline = datetime.fromisoformat(second["deadline_at"])
    assert deadline - datetime.fromisoformat(second["asked_at"]) == timedelta(minutes=5)
    assert not await expire_roll_call({"runtime": runtime}, second["id"], deadline)
    assert await expire_roll_call(
        {"runtime": runtime}, second["id"], deadline + timedelta(seconds=1)
    )
    # Answered after the deadline (the clock driven here): recorded, as late.
    after = deadline + timedelta(minutes=3)
    late = await roll_calls.answer(second["id"], officer["id"], where, None, None, after, None)
    assert (late.state.value, late.answered_at) == ("late", after)

    # A job lost from Redis: the minute's reconciler marks it missed all the same.
    third = await ask()
    deadline = datetime.fromisoformat(third["deadline_at"])
    await settle_roll_calls({"runtime": runtime}, deadline - timedelta(seconds=1))
    assert (await RollCall.select(RollCall.state).where(RollCall.id == third["id"]))[0][
        "state"
    ] == "pending"
    assert await settle_roll_calls({"runtime": runtime}, deadline + timedelta(seconds=1)) >= 1
    row = await RollCall.select(RollCall.state).where(RollCall.id == third["id"])
    assert row[0]["state"] == "missed"

    listed = await client.get(
        "/api/v1/roll-calls", params={"squad_id": squad, "state": "missed"}, headers=bearer(leader)
    )
    assert third["id"] in [r["id"] for r in listed.json()["items"]]
    assert all(r["state"] == "missed" for r in listed.json()["items"])
    mine = await client.get("/api/v1/me/roll-calls", headers=bearer(officer_tokens))
    assert [r["id"] for r in mine.json()["items"]] == [third["id"], second["id"], first["id"]]
    hidden = await client.get(f"/api/v1/roll-calls/{first['id']}", headers=bearer(other_leader))
    assert hidden.status_code == 404
    stranger = await login(client, off)
    not_theirs = await client.post(
        f"/api/v1/roll-calls/{third['id']}/answer", headers=bearer(stranger), json=answer
    )
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (404, "roll_call_not_found")


async def test_the_track_is_kept_for_the_retention_and_then_deleted(client: AppClient) -> None:
    runtime = client.app.state.runtime
    leader, (officer,), _ = await _leader_and_officers(client, n=1)
    now = datetime.now(UTC)
    days = runtime.settings.duty.position_retention_days
    where = LngLat(JIANGCHUAN_POINT["lng"], JIANGCHUAN_POINT["lat"])
    ages = [days + 5, days + 0.01, days - 0.01, 1, 0.001]
    for age in ages:
        await set_duty(officer["id"], True, where, now - timedelta(days=age), accuracy_m=12.0)
    await set_duty(officer["id"], False, None, now - timedelta(minutes=1))
    kept = await PositionFix.count().where(PositionFix.officer == officer["id"])
    assert kept == len(ages)

    track = await client.get(
        f"/api/v1/users/{officer['id']}/track",
        params={"from": (now - timedelta(days=2)).isoformat(), "coord_type": "gcj02"},
        headers=bearer(leader),
    )
    assert track.status_code == 200, track.text
    body = track.json()
    assert len(body["points"]) == 2 and body["points"][0]["accuracy_m"] == 12.0
    assert body["points"][0]["location"]["coord_type"] == "gcj02"
    assert body["points"][0]["location"]["lng"] != JIANGCHUAN_POINT["lng"]
    assert [c["on_duty"] for c in body["duty_changes"]] == [False]  # on since long before
    other = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    refused = await client.get(f"/api/v1/users/{officer['id']}/track", headers=bearer(other))
    assert refused.status_code == 404
    too_long = await client.get(
        f"/api/v1/users/{officer['id']}/track",
        params={"from": (now - timedelta(days=40)).isoformat()},
        headers=bearer(leader),
    )
    assert (too_long.status_code, too_long.json()["code"]) == (400, "time_range_invalid")

    await purge_old_positions({"runtime": runtime}, now)
    left = await PositionFix.select(PositionFix.at).where(PositionFix.officer == officer["id"])
    cutoff = now - timedelta(days=days)
    assert sorted(r["at"] for r in left) == sorted(
        now - timedelta(days=a) for a in ages if now - timedelta(days=a) >= cutoff
    )
    assert len(left) == 3


async def test_duty_figures_of_a_month(client: AppClient) -> None:
    leader, (officer,), squad = await _leader_and_officers(client, n=1)
    # January 2030, Shanghai: three day shifts 08:00–20:00 on the 7th, 8th and 9th.
    day = datetime(2030, 1, 7, 8, tzinfo=SHANGHAI)
    for d in range(3):
        start = day + timedelta(days=d)
        await on_shift(officer["id"], start, start + timedelta(hours=12))
    oid = officer["id"]
    await set_duty(oid, True, None, day - timedelta(minutes=10))  # 7th: all of it
    await set_duty(oid, False, None, day + timedelta(hours=12, minutes=5))
    await set_duty(oid, True, None, day + timedelta(days=1, hours=2))  # 8th: 10:00–14:00
    await set_duty(oid, False, None, day + timedelta(days=1, hours=6))
    await set_duty(oid, True, None, day + timedelta(days=2, hours=5))  # 9th: 13:00–23:00
    await set_duty(oid, False, None, day + timedelta(days=2, hours=15))
    got = await client.get(
        f"/api/v1/squads/{squad}/duty-figures", params={"month": "2030-01"}, headers=bearer(leader)
    )
    assert got.status_code == 200, got.text
    row = next(o for o in got.json()["officers"] if o["officer_id"] == oid)
    assert (row["shifts_planned"], row["shifts_worked"]) == (3, 2)
    assert row["hours_planned"] == 36.0
    assert row["hours_on_duty_in_shifts"] == 12 + 4 + 7
    assert got.json()["squad"]["shifts_planned"] >= 3
    assert week_of(day) == "2030-W02" and week_span(parse_week("2030-W02")).covers(day)


async def test_the_demo_seed_keeps_an_officer_of_each_demo_squad_on_shift(
    client: AppClient,
) -> None:
    from storage.seed import seed_demo
    from storage.tables import StaffUser

    now = datetime.now(UTC)
    await seed_demo(now, 10, *demo_store(client))
    await seed_demo(now, 10, *demo_store(client))  # idempotent: no second roster
    ids = {
        r["username"]: r["id"]
        for r in await StaffUser.select(StaffUser.username, StaffUser.id).where(
            StaffUser.username.like("officer.%")
        )
    }
    jiangchuan = [ids["officer.jiangchuan1"], ids["officer.jiangchuan2"]]
    for t in (now, now + timedelta(hours=7), now + timedelta(days=13, hours=5)):
        on = await current_shift_ends([*jiangchuan, ids["officer.xinzhuang1"]], t)
        assert len([o for o in jiangchuan if o in on]) == 1, t  # day or night, never both
        assert ids["officer.xinzhuang1"] in on


async def test_a_roll_call_answered_with_a_photo(client: AppClient) -> None:
    import io

    import httpx
    from PIL import Image

    leader, (officer,), _ = await _leader_and_officers(client, n=1)
    tokens = await login(client, officer)
    await on_shift(officer["id"])
    asked = await client.post(
        "/api/v1/roll-calls",
        headers=bearer(leader),
        json={"officer_id": officer["id"], "within_minutes": 10},
    )
    rid = asked.json()["id"]
    answer = {"location": JIANGCHUAN_POINT, "photo": True}
    grant = await client.post(
        f"/api/v1/roll-calls/{rid}/photo",
        headers=bearer(tokens),
        json={"content_type": "image/jpeg"},
    )
    assert grant.status_code == 201, grant.text
    answer_url = f"/api/v1/roll-calls/{rid}/answer"
    early = await client.post(answer_url, headers=bearer(tokens), json=answer)
    assert (early.status_code, early.json()["code"]) == (409, "roll_call_photo_missing")
    not_mine = await client.post(
        f"/api/v1/roll-calls/{rid}/photo",
        headers=bearer(await login(client, await make_user(Role.officer))),
        json={"content_type": "image/jpeg"},
    )
    assert not_mine.status_code == 404

    g = grant.json()
    data = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 10)).save(data, "JPEG")
    async with httpx.AsyncClient(timeout=30) as s3:
        up = await s3.post(
            g["url"],
            data=g["fields"],
            files={g["file_field"]: ("p.jpg", data.getvalue(), "image/jpeg")},
        )
    assert up.status_code in (200, 201, 204), up.text
    done = await client.post(answer_url, headers=bearer(tokens), json=answer)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["has_photo"]) == ("answered", True)
    read = await client.get(f"/api/v1/roll-calls/{rid}", headers=bearer(leader))
    assert read.json()["photo_url"], read.text
    async with httpx.AsyncClient(timeout=30) as s3:
        shown = await s3.get(read.json()["photo_url"])
    assert shown.status_code == 200 and shown.content == data.getvalue()
    jpeg = {"content_type": "image/jpeg"}
    again = await client.post(f"/api/v1/roll-calls/{rid}/photo", headers=bearer(tokens), json=jpeg)
    assert (again.status_code, again.json()["code"]) == (409, "roll_call_answered")
