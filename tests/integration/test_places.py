"""The place lookup behind a typed address: the district's own subjects, street blocks and
grid cells by name, address or code, within the caller's jurisdiction, each as a point."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import Point, Polygon

from domain.geo import CoordType, LngLat, wgs84_to_gcj02
from domain.org import Role
from storage.tables import GridCell
from tests.factories import make_user, squad_id, unique
from tests.integration.cases_helpers import JIANGCHUAN_POINT
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN, XINZHUANG = "310112001", "310112101"
LNG, LAT = JIANGCHUAN_POINT["lng"], JIANGCHUAN_POINT["lat"]
D = 0.0004


def _ring(lng: float, lat: float, d: float = D) -> list[tuple[float, float]]:
    # An L shape: its centroid lies outside it, the answered point must not.
    return [
        (lng, lat),
        (lng + 2 * d, lat),
        (lng + 2 * d, lat + d / 2),
        (lng + d / 2, lat + d / 2),
        (lng + d / 2, lat + 2 * d),
        (lng, lat + 2 * d),
    ]


async def _places(client: AppClient, tokens: dict[str, Any], **query: Any) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/places", headers=bearer(tokens), params=query)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_a_typed_address_finds_subjects_blocks_and_grid_cells_of_the_squad(
    client: AppClient,
) -> None:
    tag = unique("P")
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    admin = await login(client, await make_user(Role.admin))
    subject = await client.post(
        "/api/v1/subjects",
        headers=bearer(leader),
        json={
            "kind": "merchant",
            "name": f"{tag}面馆",
            "address": f"江川路 {tag} 号",
            "location": JIANGCHUAN_POINT,
            "details": {"type": "merchant", "shop_sign": f"{tag}面馆"},
        },
    )
    assert subject.status_code == 201, subject.text
    ring = _ring(LNG + 0.002, LAT)
    block = await client.post(
        "/api/v1/blocks",
        headers=bearer(admin),
        json={"name": f"{tag}美丽街区", "polygon": [{"lng": x, "lat": y} for x, y in ring]},
    )
    assert block.status_code == 201, block.text
    cell_ring = _ring(LNG - 0.003, LAT)
    await GridCell.insert(
        GridCell(
            code=f"{tag}-0001",
            squad=await squad_id(JIANGCHUAN),
            name_zh=f"{tag}网格",
            boundary={
                "type": "Polygon",
                "coordinates": [[*map(list, cell_ring), list(cell_ring[0])]],
            },
            area_m2=1000.0,
        )
    )

    found = await _places(client, officer, q=tag)
    assert [(p["kind"], p["kind_label_zh"]) for p in found] == [
        ("subject", "监管对象"),
        ("block", "街区"),
        ("grid", "网格"),
    ]
    merchant, street, cell = found
    assert merchant["name"] == f"{tag}面馆" and merchant["address"] == f"江川路 {tag} 号"
    assert merchant["location"] == {"lng": LNG, "lat": LAT, "coord_type": "wgs84"}
    assert merchant["id"] == subject.json()["id"]
    assert street["id"] == block.json()["id"]
    for place, shape in ((street, ring), (cell, cell_ring)):
        at = Point(place["location"]["lng"], place["location"]["lat"])
        assert Polygon(shape).contains(at), (place, "not inside its area")
    assert cell["name"] == f"{tag}网格" and cell["address"] == f"{tag}-0001"
    assert {p["squad_id"] for p in found} == {await squad_id(JIANGCHUAN)}

    # By address, by grid code; in GCJ-02 for a phone whose map speaks it.
    by_address = await _places(client, officer, q=f"江川路 {tag}")
    assert [p["kind"] for p in by_address] == ["subject"]
    by_code = await _places(client, officer, q=f"{tag}-00")
    assert [p["kind"] for p in by_code] == ["grid"]
    in_gcj = await _places(client, officer, q=f"{tag}面", coord_type="gcj02")
    expected = wgs84_to_gcj02(LngLat(LNG, LAT))
    assert in_gcj[0]["location"]["coord_type"] == CoordType.gcj02
    assert in_gcj[0]["location"]["lng"] == pytest.approx(expected.lng, abs=1e-6)
    assert in_gcj[0]["location"]["lat"] == pytest.approx(expected.lat, abs=1e-6)
    assert len(await _places(client, officer, q=tag, limit=2)) == 2
    # A LIKE wildcard is a character like any other.
    assert await _places(client, officer, q=f"{tag}%") == []

    # Another squad's officer finds none of it; the district finds it all.
    other = await login(client, await make_user(Role.officer, squad_code=XINZHUANG))
    assert await _places(client, other, q=tag) == []
    commander = await login(client, await make_user(Role.commander))
    assert len(await _places(client, commander, q=tag)) == 3


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": ""},
        {"q": "x" * 65},
        {"q": "江川", "limit": 0},
        {"q": "江川", "limit": 201},
        {"q": "江川", "coord_type": "mars"},
    ],
)
async def test_bad_lookups_are_refused_with_a_code(
    client: AppClient, query: dict[str, Any]
) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    answer = await client.get("/api/v1/places", headers=bearer(officer), params=query)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"]


async def test_blank_text_finds_nothing(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    assert await _places(client, officer, q="   ") == []
