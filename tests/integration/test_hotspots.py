"""Hotspots: a planted cluster is found by the refresh, listed, drawn and linked to its
cases; squad B sees none of it; patrol priorities rank with reasons; backfill fills cells."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import h3
import pytest

from domain.org import Role
from storage import repeat_places
from storage.hotspots import monday_of, refresh_week
from storage.tables import Case
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN, XINZHUANG = "310112001", "310112101"
TYPE = "05-10"


async def _plant(client: AppClient) -> tuple[dict[str, Any], list[int]]:
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    ids = [(await report(client, officer, TYPE))["id"] for _ in range(12)]
    for k in range(6):  # background: single cases ~1 km apart
        point = dict(
            JIANGCHUAN_POINT,
            lng=JIANGCHUAN_POINT["lng"] + 0.01 * (k % 3 - 1),
            lat=JIANGCHUAN_POINT["lat"] + 0.01 * (1 if k < 3 else -1),
        )
        await report(client, officer, TYPE, point)
    return officer, ids


async def test_a_planted_cluster_is_found_listed_and_scoped(client: AppClient) -> None:
    # Other tests report at the same corner: the cell's cases since this test began are ours.
    began = datetime.now(UTC)
    _, ids = await _plant(client)
    from storage.hotspots import SHANGHAI

    assert await refresh_week(monday_of(datetime.now(SHANGHAI).date())) > 0
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    week = (
        f"{datetime.now(SHANGHAI).isocalendar()[0]}-W{datetime.now(SHANGHAI).isocalendar()[1]:02d}"
    )
    response = await client.get(f"/api/v1/hotspots?week={week}&type={TYPE}", headers=bearer(leader))
    assert response.status_code == 200, response.text
    body = response.json()
    cell = h3.latlng_to_cell(JIANGCHUAN_POINT["lat"], JIANGCHUAN_POINT["lng"], 9)
    top = body["items"][0]
    assert top["cell"] == cell and top["cases"] >= 12 and top["z"] > 0, body
    assert top["trend"] == "new" and top["rank"] == 1
    assert body["refreshed_at"] is not None

    geo = await client.get(
        f"/api/v1/hotspots/geojson?week={week}&type={TYPE}", headers=bearer(leader)
    )
    assert geo.status_code == 200
    feature = geo.json()["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["cell"] == cell

    cases = await client.get(
        f"/api/v1/cases?cell={cell}&type={TYPE}&limit=100&from={quote(began.isoformat())}",
        headers=bearer(leader),
    )
    assert cases.status_code == 200, cases.text
    assert {c["id"] for c in cases.json()["items"]} == set(ids)
    bad = await client.get("/api/v1/cases?cell=8f0000000000000", headers=bearer(leader))
    assert bad.status_code == 400

    await repeat_places.refresh()
    places = await client.get(f"/api/v1/hotspots/places?type={TYPE}", headers=bearer(leader))
    assert places.status_code == 200
    found = places.json()
    assert found["days"] == 30 and found["refreshed_at"] is not None
    assert found["items"][0]["cases"] >= 12
    assert set(ids) <= set(found["items"][0]["case_ids"])
    week_only = await client.get(
        f"/api/v1/hotspots/places?type={TYPE}&days=7&min_cases=100", headers=bearer(leader)
    )
    assert week_only.status_code == 200 and week_only.json()["items"] == []
    odd = await client.get("/api/v1/hotspots/places?days=10", headers=bearer(leader))
    assert odd.status_code == 400

    other = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    for path in (
        f"/api/v1/hotspots?week={week}&type={TYPE}",
        f"/api/v1/hotspots/places?type={TYPE}",
    ):
        seen = await client.get(path, headers=bearer(other))
        assert seen.status_code == 200
        squad_a = await squad_id(JIANGCHUAN)
        assert all(i["squad_id"] != squad_a for i in seen.json()["items"])
    refused = await client.get(
        f"/api/v1/hotspots?squad_id={await squad_id(JIANGCHUAN)}", headers=bearer(other)
    )
    assert refused.status_code == 403

    pri = await client.get(
        f"/api/v1/squads/{await squad_id(JIANGCHUAN)}/patrol-priorities?week={week}",
        headers=bearer(leader),
    )
    assert pri.status_code == 200, pri.text
    items = pri.json()["items"]
    assert items and all(i["reason"] for i in items)
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert any(i["kind"] == "hotspot" and i["cell"] == cell for i in items)


async def test_bad_week_is_400(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    response = await client.get("/api/v1/hotspots?week=2026-W60", headers=bearer(leader))
    assert response.status_code == 400
    assert response.json()["code"] == "week_invalid"


async def test_backfill_fills_null_cells(client: AppClient) -> None:
    _, ids = await _plant(client)
    await Case.update({Case.h3_r9: None, Case.h3_r10: None}).where(Case.id.is_in(ids[:3]))
    migration = importlib.import_module("storage.migrations.storage_2026_12_02t20_00_00_000000")
    assert await migration.backfill(Case._meta.db) >= 3
    rows = await Case.select(Case.h3_r9, Case.h3_r10).where(Case.id.is_in(ids[:3]))
    cell = h3.latlng_to_cell(JIANGCHUAN_POINT["lat"], JIANGCHUAN_POINT["lng"], 9)
    assert all(r["h3_r9"] == cell and r["h3_r10"] for r in rows)


async def test_a_week_without_hot_cells_still_says_when_it_was_refreshed(
    client: AppClient,
) -> None:
    assert await refresh_week(date(2001, 1, 1)) == 0
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    response = await client.get("/api/v1/hotspots?week=2001-W01", headers=bearer(leader))
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [] and response.json()["refreshed_at"] is not None
    never = await client.get("/api/v1/hotspots?week=2002-W01", headers=bearer(leader))
    assert never.json()["refreshed_at"] is None
