"""The equipment registry (装备) against the real stack: assignments for a span, overlaps
refused (also when two arrive at once), the current holder, and jurisdiction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.org import Role
from tests.factories import make_user, unique
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
XINZHUANG = "310112101"


async def register(client: AppClient, leader: dict[str, Any], kind: str = "body_camera") -> Any:
    made = await client.post(
        "/api/v1/equipment",
        headers=bearer(leader),
        json={"kind": kind, "code": unique("JLY-"), "label": "执法记录仪 1 号"},
    )
    assert made.status_code == 201, made.text
    return made.json()


def span(start: datetime, hours: float) -> dict[str, str]:
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


async def test_an_item_is_held_by_one_officer_at_a_time(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    first, second = await make_user(Role.officer), await make_user(Role.officer)
    item = await register(client, leader)
    assert item["holder"] is None and item["kind_label_zh"] == "执法记录仪"
    url = f"/api/v1/equipment/{item['id']}/assignments"
    shift = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)

    held = await client.post(
        url, headers=bearer(leader), json={"user_id": first["id"]} | span(shift, 8)
    )
    assert held.status_code == 201, held.text
    overlap = await client.post(
        url,
        headers=bearer(leader),
        json={"user_id": second["id"]} | span(shift + timedelta(hours=7), 8),
    )
    assert overlap.status_code == 409, overlap.text
    assert overlap.json()["code"] == "equipment_assignment_overlap"
    after = await client.post(
        url,
        headers=bearer(leader),
        json={"user_id": second["id"]} | span(shift + timedelta(hours=8), 8),
    )
    assert after.status_code == 201, after.text  # back to back is fine

    listed = await client.get("/api/v1/equipment", headers=bearer(leader))
    mine = next(e for e in listed.json()["items"] if e["id"] == item["id"])
    assert mine["holder"]["user_id"] == first["id"]
    officer = await login(client, first)
    carried = await client.get("/api/v1/me/equipment", headers=bearer(officer))
    assert [e["id"] for e in carried.json()["items"]] == [item["id"]]
    other = await client.get("/api/v1/me/equipment", headers=bearer(await login(client, second)))
    assert item["id"] not in [e["id"] for e in other.json()["items"]]
    detail = await client.get(f"/api/v1/equipment/{item['id']}", headers=bearer(officer))
    assert [a["user_id"] for a in detail.json()["upcoming"]] == [first["id"], second["id"]]

    naive = await client.post(
        url,
        headers=bearer(leader),
        json={
            "user_id": first["id"],
            "starts_at": "2027-01-01T08:00:00",
            "ends_at": "2027-01-01T16:00:00",
        },
    )
    assert naive.status_code == 400 and naive.json()["code"] == "datetime_without_offset"
    backwards = await client.post(
        url,
        headers=bearer(leader),
        json={"user_id": first["id"]} | span(shift + timedelta(days=3), -1),
    )
    assert backwards.status_code == 400 and backwards.json()["code"] == "assignment_span_invalid"

    # The next shift is off: its assignment goes; the item comes back now: the current ends.
    planned = await client.delete(f"{url}/{after.json()['id']}", headers=bearer(leader))
    assert planned.status_code == 200 and planned.json()["removed"] is True, planned.text
    back = await client.delete(f"{url}/{held.json()['id']}", headers=bearer(leader))
    assert back.status_code == 200 and back.json()["removed"] is False, back.text
    again = await client.delete(f"{url}/{held.json()['id']}", headers=bearer(leader))
    assert again.status_code == 409 and again.json()["code"] == "assignment_over"
    gone = await client.delete(f"{url}/{after.json()['id']}", headers=bearer(leader))
    assert gone.status_code == 404 and gone.json()["code"] == "assignment_not_found"
    now_free = await client.get(f"/api/v1/equipment/{item['id']}", headers=bearer(leader))
    assert now_free.json()["equipment"]["holder"] is None
    history = await client.get(url, headers=bearer(leader))
    assert [a["id"] for a in history.json()["items"]] == [held.json()["id"]]


async def test_two_overlapping_assignments_at_once_one_wins(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    officers = [await make_user(Role.officer) for _ in range(4)]
    item = await register(client, leader, "radio")
    start = datetime.now(UTC) + timedelta(days=1)
    answers = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/equipment/{item['id']}/assignments",
                headers=bearer(leader),
                json={"user_id": o["id"]} | span(start + timedelta(minutes=10 * n), 4),
            )
            for n, o in enumerate(officers)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]


async def test_another_squad_neither_sees_nor_assigns_the_items(client: AppClient) -> None:
    leader_a = await login(client, await make_user(Role.squad_leader))
    leader_b = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    officer_b = await make_user(Role.officer, squad_code=XINZHUANG)
    item = await register(client, leader_a, "vehicle")
    url = f"/api/v1/equipment/{item['id']}"
    assert (await client.get(url, headers=bearer(leader_b))).status_code == 404
    listed = await client.get("/api/v1/equipment", headers=bearer(leader_b))
    assert item["id"] not in {e["id"] for e in listed.json()["items"]}
    start = datetime.now(UTC) + timedelta(days=2)
    taken = await client.post(
        f"{url}/assignments",
        headers=bearer(leader_b),
        json={"user_id": officer_b["id"]} | span(start, 1),
    )
    assert taken.status_code == 404
    # Squad A's leader cannot hand A's item to B's officer either.
    lent = await client.post(
        f"{url}/assignments",
        headers=bearer(leader_a),
        json={"user_id": officer_b["id"]} | span(start, 1),
    )
    assert lent.status_code == 400 and lent.json()["code"] == "equipment_holder_invalid"
    again = await client.post(
        "/api/v1/equipment",
        headers=bearer(leader_b),
        json={"kind": "vehicle", "code": item["code"], "label": "重复"},
    )
    assert again.status_code == 409 and again.json()["code"] == "equipment_code_taken"
    retired = await client.patch(url, headers=bearer(leader_a), json={"active": False})
    assert retired.status_code == 200 and retired.json()["active"] is False
    officer_a = await make_user(Role.officer)
    refused = await client.post(
        f"{url}/assignments",
        headers=bearer(leader_a),
        json={"user_id": officer_a["id"]} | span(start, 1),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "equipment_inactive"
