"""Every time a client sends needs an offset: a naive one is refused, never read as
server time (400 ``datetime_without_offset``), and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.org import Role
from storage.tables import Case
from tests.factories import make_user
from tests.integration.cases_helpers import JIANGCHUAN_POINT, command, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
NAIVE = "2026-11-24T17:30:00"


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "datetime_without_offset", response.text


async def _integrator(client: AppClient, scopes: list[str]) -> dict[str, str]:
    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "naive clock", "scopes": scopes},
    )
    return {"Authorization": f"Bearer {issued.json()['api_key']}"}


async def test_integrator_times_need_an_offset(client: AppClient) -> None:
    key = await _integrator(client, ["alarms:write", "complaints:write"])
    before = await Case.count()
    alarm = {
        "alarm_id": "NAIVE-1",
        "device_id": "BOX-1",
        "vendor_type": "illegal_parking",
        "occurred_at": NAIVE,
        "location": JIANGCHUAN_POINT,
    }
    _refused(await client.post("/integrator/v1/alarms", headers=key, json=alarm))
    complaint = {
        "external_id": "12345-NAIVE",
        "category": "05-05",
        "text": "车停在人行道上",
        "location": JIANGCHUAN_POINT,
        "received_at": NAIVE,
    }
    _refused(await client.post("/integrator/v1/complaints", headers=key, json=complaint))
    assert await Case.count() == before


async def test_staff_times_need_an_offset(client: AppClient) -> None:
    commander = await login(client, await make_user(Role.commander))
    auth = bearer(commander)
    for query in (f"from={NAIVE}", f"to={NAIVE}"):
        _refused(await client.get(f"/api/v1/cases?{query}", headers=auth))
    aware = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert (await client.get(f"/api/v1/cases?from={aware}", headers=auth)).status_code == 200

    case = await report(client, commander, "05-05")
    grant = await client.post(
        f"/api/v1/cases/{case['id']}/evidence", headers=auth, json={"content_type": "image/jpeg"}
    )
    done = await client.post(
        f"/api/v1/evidence/{grant.json()['evidence_id']}/complete",
        headers=auth,
        json={"captured_at": NAIVE},
    )
    _refused(done)
    direct = await client.post(
        f"/api/v1/cases/{case['id']}/evidence/direct",
        headers=auth,
        files={"file": ("p.jpg", b"\xff\xd8\xff", "image/jpeg")},
        data={"captured_at": NAIVE},
    )
    _refused(direct)
    # A command's time (an order's deadline) too: refused before anything is decided.
    refused = await command(
        client, commander, case, "order-rectification", expect=400, rectify_by=NAIVE
    )
    assert refused["code"] == "datetime_without_offset"
