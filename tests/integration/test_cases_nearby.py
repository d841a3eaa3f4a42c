"""``GET /api/v1/cases?near=&radius_m=&open=``: what a new patrol report may duplicate,
within the caller's jurisdiction only."""

from __future__ import annotations

import pytest

from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"
# In 江川, a spot of this test's own (away from where other tests report).
HERE = {"lng": 121.4048, "lat": 30.9968, "coord_type": "wgs84"}
M_PER_DEG_LAT = 111_195.0


def north(point: dict[str, float | str], metres: float) -> dict[str, float | str]:
    return {**point, "lat": float(point["lat"]) + metres / M_PER_DEG_LAT}


async def test_open_cases_of_a_type_near_a_point(client: AppClient) -> None:
    await quiet_squad(await squad_id(JIANGCHUAN))
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, HERE)
    here = await report(client, officer, "05-04", point=HERE)
    near = await report(client, officer, "05-04", point=north(HERE, 30))
    far = await report(client, officer, "05-04", point=north(HERE, 80))
    other_type = await report(client, officer, "05-07", point=HERE)
    mine = {c["id"] for c in (here, near, far, other_type)}

    async def found(tokens: dict, query: str) -> set[int]:
        response = await client.get(f"/api/v1/cases?{query}", headers=bearer(tokens))
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()["items"]} & mine

    point = f"near={HERE['lng']},{HERE['lat']}"
    assert await found(officer, f"{point}&radius_m=50&type=05-04&open=true") == {
        here["id"],
        near["id"],
    }
    assert await found(officer, f"{point}&radius_m=100&type=05-04") == {
        here["id"],
        near["id"],
        far["id"],
    }
    any_type = {here["id"], near["id"], other_type["id"]}
    assert await found(officer, f"{point}&radius_m=50") == any_type
    assert await found(officer, f"{point}&radius_m=50&open=false") == set()

    # Another squad's officer asking about the same spot sees none of them.
    xinzhuang = await login(client, await make_user(Role.officer, squad_code="310112101"))
    assert await found(xinzhuang, f"{point}&radius_m=50") == set()

    bad = await client.get("/api/v1/cases?near=here&radius_m=50", headers=bearer(officer))
    assert bad.status_code == 400, bad.text
