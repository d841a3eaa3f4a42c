"""An illegal structure through its whole lifecycle, and the year's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import photo, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def _structure(client: AppClient, tokens: dict, kind: str) -> tuple[dict, dict]:
    case = await report(client, tokens, "01-01")
    made = await client.post(
        "/api/v1/structures",
        headers=bearer(tokens),
        json={"case_id": case["id"], "kind": kind, "name": "顶楼加层"},
    )
    assert made.status_code == 201, made.text
    return case, made.json()


async def _step(
    client: AppClient, tokens: dict, structure: dict, step: str, **body: object
) -> dict:
    response = await client.post(
        f"/api/v1/structures/{structure['id']}/{step}", headers=bearer(tokens), json=body
    )
    assert response.status_code == 200, response.text
    result: dict = response.json()
    return result


async def test_a_structure_from_discovery_to_demolition_and_the_figures(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    admin = await login(client, await make_user(Role.admin))
    year = datetime.now(UTC).astimezone().year
    squad = await squad_id("310112001")
    targets = await client.put(
        f"/api/v1/structure-targets/{year}",
        headers=bearer(admin),
        json={"items": [{"squad_id": squad, "stock_demolish_m2": 1000.0, "new_max": 0}]},
    )
    assert targets.status_code == 200, targets.text
    before = (
        await client.get(
            f"/api/v1/structures/figures?year={year}&squad_id={squad}", headers=bearer(admin)
        )
    ).json()["totals"]
    before_m2 = before[0]["stock_demolished_m2"] if before else 0.0

    case, stock = await _structure(client, officer, "stock")
    assert (stock["state"], stock["squad_id"]) == ("discovered", squad)
    no_photo = await client.post(
        f"/api/v1/structures/{stock['id']}/verify",
        headers=bearer(officer),
        json={
            "area_m2": 80.0,
            "floors": 1,
            "structure_type": "砖混",
            "built_when": "2015",
            "owner": "李某",
            "evidence_ids": ["00000000-0000-0000-0000-000000000000"],
        },
    )
    assert (no_photo.status_code, no_photo.json()["code"]) == (400, "evidence_invalid")
    p = [await photo(client, officer, case)]
    await _step(
        client,
        officer,
        stock,
        "verify",
        area_m2=80.0,
        floors=1,
        structure_type="砖混",
        built_when="2015",
        owner="李某",
        evidence_ids=p,
    )
    await _step(client, officer, stock, "file", external_ref="WSBA-2026-0042", evidence_ids=p)
    deadline = (datetime.now(UTC) + timedelta(days=15)).isoformat()
    await _step(client, officer, stock, "order-demolition", deadline=deadline, evidence_ids=p)
    too_much = await client.post(
        f"/api/v1/structures/{stock['id']}/demolish",
        headers=bearer(officer),
        json={"enforced": True, "area_m2": 120.0, "evidence_ids": p},
    )
    assert too_much.json()["code"] == "area_exceeds_verified"
    down = await _step(
        client, officer, stock, "demolish", enforced=True, area_m2=80.0, evidence_ids=p
    )
    assert (down["state"], down["demolished_area_m2"]) == ("demolished_enforced", 80.0)

    view = (await client.get(f"/api/v1/structures/{stock['id']}", headers=bearer(officer))).json()
    assert [s["step"] for s in view["steps"]] == [
        "discover",
        "verify",
        "file",
        "order_demolition",
        "demolish",
    ]
    subject = (
        await client.get(f"/api/v1/subjects/{stock['subject_id']}", headers=bearer(officer))
    ).json()
    assert subject["subject"]["details"]["area_m2"] == 80.0

    new_case, new = await _structure(client, officer, "new")
    q = [await photo(client, officer, new_case)]
    await _step(client, officer, new, "demolish", enforced=False, area_m2=12.0, evidence_ids=q)

    figures = (
        await client.get(
            f"/api/v1/structures/figures?year={year}&squad_id={squad}", headers=bearer(admin)
        )
    ).json()
    total = figures["totals"][0]
    assert total["squad_id"] == squad and total["stock_target_m2"] == 1000.0
    assert total["stock_demolished_m2"] == pytest.approx(before_m2 + 80.0)
    assert total["new_found"] >= 1 and total["new_demolished"] >= 1
    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    assert any(m["month"] == month and m["new_demolished_m2"] >= 12.0 for m in figures["months"])
