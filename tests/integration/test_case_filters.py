"""The board's filters behind the dashboard's lists: a camera's cases (摄像头准确率) and a
subject's cases (重复违法), scoped to the caller's squad like every other filter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.cases.machine import SYSTEM
from domain.cases.model import Source
from domain.geo import LngLat
from domain.org import Role
from offsite.runtime import Runtime
from storage.cases.commands import NewCase, create_case
from storage.tables import Subject
from tests.factories import make_camera, make_merchant, make_user, squad_id
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"
XINZHUANG = "310112101"
TRIAGED = "90-01"  # no auto-dispatch: the cases stay where they were made
POINT = LngLat(121.3994755, 30.9995505)


async def test_cases_filter_by_camera_and_subject_within_the_callers_squad(
    client: AppClient,
) -> None:
    runtime: Runtime = client.app.state.runtime
    camera, subject = (
        await make_camera("筛选探头", POINT.lng, POINT.lat),
        await make_merchant("筛选水果店", POINT.lng, POINT.lat),
    )
    made = []
    for extra in ({"camera_id": camera}, {"camera_id": camera, "subject_id": subject}, {}):
        new = NewCase(source=Source.camera, violation_type=TRIAGED, position=POINT, **extra)
        made.append(await create_case(runtime.cases, new, SYSTEM, datetime.now(UTC)))
    by_camera, both, neither = (c.id for c in made)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))

    async def ids(query: str, tokens: dict[str, Any]) -> list[int]:
        response = await client.get(f"/api/v1/cases?{query}&limit=200", headers=bearer(tokens))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert sorted(await ids(f"camera_id={camera}", leader)) == sorted([by_camera, both])
    assert await ids(f"subject_id={subject}", leader) == [both]
    assert neither not in await ids(f"camera_id={camera}", leader)
    assert await ids(f"camera_id={camera}&subject_id={subject}", leader) == [both]
    # By the subject's grade now: the grade pie's slice.
    await Subject.update({Subject.grade: "D"}).where(Subject.id == subject)
    assert both in await ids("subject_grade=D", leader)
    assert both not in await ids("subject_grade=A", leader)
    bad = await client.get("/api/v1/cases?subject_grade=E", headers=bearer(leader))
    assert bad.status_code == 400

    # Another squad's leader sees none of them; naming the squad is refused as before.
    other = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    assert await ids(f"camera_id={camera}", other) == []
    response = await client.get(
        f"/api/v1/cases?camera_id={camera}&squad_id={await squad_id(JIANGCHUAN)}",
        headers=bearer(other),
    )
    assert response.status_code == 403
    response = await client.get("/api/v1/cases?camera_id=0", headers=bearer(leader))
    assert response.status_code == 400


async def test_cases_filter_by_street_block_polygon(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    admin = await login(client, await make_user(Role.admin))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    corner = LngLat(121.4031, 31.0042)  # a corner no other test uses
    d = 0.001  # ~100 m
    # A triangle: its bounding box holds a point the triangle does not.
    triangle = [
        {"lng": corner.lng, "lat": corner.lat},
        {"lng": corner.lng + d, "lat": corner.lat},
        {"lng": corner.lng, "lat": corner.lat + d},
    ]
    made = await client.post(
        "/api/v1/blocks", headers=bearer(admin), json={"name": "筛选街区", "polygon": triangle}
    )
    assert made.status_code == 201, made.text
    block = made.json()["id"]
    inside = LngLat(corner.lng + d / 4, corner.lat + d / 4)
    in_box_only = LngLat(corner.lng + 0.9 * d, corner.lat + 0.9 * d)
    ids = []
    for at in (inside, in_box_only):
        new = NewCase(source=Source.camera, violation_type=TRIAGED, position=at)
        ids.append((await create_case(runtime.cases, new, SYSTEM, datetime.now(UTC))).id)
    response = await client.get(f"/api/v1/cases?block_id={block}&limit=200", headers=bearer(leader))
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [ids[0]]
    missing = await client.get("/api/v1/cases?block_id=2147483647", headers=bearer(leader))
    assert missing.status_code == 404 and missing.json()["code"] == "block_not_found"
