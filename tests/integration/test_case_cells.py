"""A case's H3 cells follow its stored (WGS-84) location: set at create from whichever
datum the report came in, none without a location, and unchanged by commands, which
carry the officer's position for the timeline and never move the case. (Create is the
only path that sets a case's location: ``storage.cases.commands.located``.)"""

from __future__ import annotations

from typing import Any

import pytest

from domain.geo import CoordType, LngLat, from_wgs84, haversine_m
from domain.hotspots.cells import cells_of
from domain.org import Role
from storage.tables import Case
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    command,
    go_on_duty,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"


async def _stored(case_id: int) -> dict[str, Any]:
    row = (
        await Case.select(Case.lng, Case.lat, Case.h3_r9, Case.h3_r10)
        .where(Case.id == case_id)
        .first()
    )
    assert row is not None
    return row


def _cells_right(row: dict[str, Any]) -> bool:
    if row["lng"] is None:
        return row["h3_r9"] is None and row["h3_r10"] is None
    return (row["h3_r9"], row["h3_r10"]) == cells_of(LngLat(row["lng"], row["lat"]))


@pytest.mark.parametrize("coord_type", list(CoordType))
async def test_cells_are_those_of_the_stored_location(
    client: AppClient, coord_type: CoordType
) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    # 300 m from the usual corner, so a datum shift (≈ 500 m for GCJ-02) changes cells.
    corner = LngLat(float(JIANGCHUAN_POINT["lng"]), float(JIANGCHUAN_POINT["lat"]))  # type: ignore[arg-type]
    wgs = LngLat(corner.lng + 0.003, corner.lat)
    sent = from_wgs84(wgs, coord_type)
    case = await report(
        client, officer, "05-05", {"lng": sent.lng, "lat": sent.lat, "coord_type": coord_type}
    )
    row = await _stored(case["id"])
    assert haversine_m(LngLat(row["lng"], row["lat"]), wgs) < 1.0  # stored in WGS-84
    assert _cells_right(row)
    assert (row["h3_r9"], row["h3_r10"]) == cells_of(wgs)


async def test_commands_do_not_move_a_case_or_its_cells(client: AppClient) -> None:
    await quiet_squad(await squad_id(JIANGCHUAN))
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    case = await report(client, officer, "05-05")
    before = await _stored(case["id"])
    # 2 km away: the officer's position, not the case's.
    far = dict(JIANGCHUAN_POINT, lng=float(JIANGCHUAN_POINT["lng"]) + 0.02)  # type: ignore[arg-type]
    accepted = await command(client, officer, case, "accept", location=far)
    assert accepted["state"] == "in_progress"
    assert await _stored(case["id"]) == before and _cells_right(before)


async def test_every_case_written_so_far_has_the_cells_of_its_location() -> None:
    """Whatever the tests before made through the application (patrol, complaint, alarm,
    camera, inspection: every case with a ``created`` timeline entry; bulk copies made
    in SQL by a browser test are not cases the application wrote): located cases have
    their location's cells, the others none."""
    rows = await Case.raw(
        """SELECT c.id, c.lng, c.lat, c.h3_r9, c.h3_r10 FROM enforcement_case c
            WHERE EXISTS (SELECT 1 FROM case_event e
                           WHERE e."case" = c.id AND e.action = 'created')"""
    )
    assert rows
    assert [r["id"] for r in rows if not _cells_right(r)] == []
