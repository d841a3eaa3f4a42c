"""The squad board's filters and pages, and catalogue edits that apply to new cases only."""

from __future__ import annotations

import pytest

from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
XINZHUANG = "310112101"
XINZHUANG_POINT = {"lng": 121.36948, "lat": 31.10955}


async def test_board_filters_and_pages(client: AppClient) -> None:
    squad = await squad_id(XINZHUANG)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=XINZHUANG))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    await go_on_duty(client, officer, XINZHUANG_POINT)
    made = [await report(client, officer, "05-06", point=XINZHUANG_POINT) for _ in range(5)]
    waiting = await report(client, officer, "01-01", point=XINZHUANG_POINT)

    seen, cursor = [], None
    while True:
        url = "/api/v1/cases?limit=2&type=05-06&state=dispatched"
        page = (
            await client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=bearer(leader))
        ).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    mine = [c["id"] for c in made]
    assert [i for i in seen if i in mine] == sorted(mine, reverse=True)
    triage = (
        await client.get("/api/v1/cases?state=pending_triage&limit=200", headers=bearer(leader))
    ).json()["items"]
    assert waiting["id"] in [c["id"] for c in triage]
    assert all(c["squad_id"] == squad for c in triage)
    unassigned = (
        await client.get("/api/v1/cases?unassigned=true&limit=200", headers=bearer(leader))
    ).json()["items"]
    assert all(c["assignee_id"] is None for c in unassigned)
    assert waiting["id"] in [c["id"] for c in unassigned]


async def test_catalogue_edits_apply_to_new_cases_only(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    officer = await login(client, await make_user(Role.officer, squad_code=XINZHUANG))
    types = (await client.get("/api/v1/violation-types", headers=bearer(officer))).json()
    current = next(t for t in types["items"] if t["code"] == "05-03")
    old_case = await report(client, officer, "05-03", point=XINZHUANG_POINT)

    changed = {**current, "sla": {**current["sla"], "accept": "3h"}, "name_en": "Changed"}
    refused = await client.put(
        "/api/v1/violation-types/05-03", headers=bearer(officer), json=changed
    )
    assert refused.status_code == 403
    bad = await client.put(
        "/api/v1/violation-types/05-03",
        headers=bearer(admin),
        json={**changed, "sla": {**changed["sla"], "accept": "soon"}},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"  # the schema's
    ok = await client.put("/api/v1/violation-types/05-03", headers=bearer(admin), json=changed)
    assert ok.status_code == 200, ok.text
    try:
        new_case = await report(client, officer, "05-03", point=XINZHUANG_POINT)
        old = (await client.get(f"/api/v1/cases/{old_case['id']}", headers=bearer(officer))).json()
        assert old["violation_type"]["name_en"] == current["name_en"]
        assert new_case["violation_type"]["name_en"] == "Changed"
        accept_old = next(d for d in old["deadlines"] if d["kind"] == "accept")
        accept_new = next(d for d in new_case["deadlines"] if d["kind"] == "accept")
        assert accept_new["due_at"] > accept_old["due_at"]
    finally:
        await client.put("/api/v1/violation-types/05-03", headers=bearer(admin), json=current)
