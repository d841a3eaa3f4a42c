"""The indicators from the database are the pure functions' (domain.assessment) on the
same cases' rows, and no rate exceeds 100 % — a soft-enforcement case the party corrected
without a dispatch included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.stats.controller import period_bounds
from domain.assessment import CaseFacts, count, count_alerts, precision, rates
from domain.cases.machine import SYSTEM
from domain.cases.model import Source
from domain.geo import LngLat
from domain.hotspots.cells import cells_of
from domain.org import Role
from offsite.runtime import Runtime
from storage import alerts
from storage.cases import aggregates
from storage.cases.commands import NewCase, create_case
from storage.cases.figures import case_facts
from storage.cases.soft import settle_due
from storage.tables import Case
from tests.factories import make_camera, make_merchant, make_user, squad_id
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    command,
    go_on_duty,
    photo,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"
TYPE = "02-01"  # no other test reports 非法小广告
TRIAGED = "90-01"  # no auto-dispatch: camera alerts wait for triage
SOFT = "05-04"  # 店外经营: the ladder starts with the party
POINT = LngLat(121.3994755, 30.9995505)
RATES = ("closure_rate", "on_time_closure_rate", "extension_rate", "rework_rate")
COUNTED = (
    "cases",
    "dismissed",
    "closed",
    "closed_on_time",
    "reviewed",
    "reworked",
    "extended",
    "overdue",
    "notified",
    "self_corrected",
)


def _month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Shanghai')):%Y-%m}"


async def _figures(client: AppClient, tokens: dict[str, Any], squad: int, vtype: str) -> Any:
    await aggregates.refresh()  # the day tables the dashboard reads, as of now
    response = await client.get(
        f"/api/v1/stats/indicators?period={_month()}&group_by=squad_type&squad_id={squad}"
        f"&type={vtype}",
        headers=bearer(tokens),
    )
    assert response.status_code == 200, response.text
    (row,) = response.json()["items"]
    return row


async def _facts(squad: int, vtype: str) -> list[CaseFacts]:
    rows = await Case.select(Case.id).where((Case.squad == squad) & (Case.violation_type == vtype))
    return await case_facts([r["id"] for r in rows])


async def _assert_pure_equals_sql(
    client: AppClient, tokens: dict[str, Any], squad: int, vtype: str
) -> dict[str, Any]:
    """The endpoint's figures are ``count`` and ``rates`` over the group's own rows."""
    got = await _figures(client, tokens, squad, vtype)
    start, end = period_bounds(_month())
    counts = count(await _facts(squad, vtype), start, end)
    assert {k: got[k] for k in COUNTED} == {k: getattr(counts, k) for k in COUNTED}
    want = rates(counts)
    for name in (*RATES, "self_correction_rate"):
        assert got[name] == pytest.approx(getattr(want, name)), name
        assert got[name] is None or 0.0 <= got[name] <= 1.0, name
    for field, minutes in (
        ("mean_minutes_to_accept", counts.minutes_to_accept),
        ("mean_minutes_to_handle", counts.minutes_to_handle),
    ):
        mean = sum(minutes) / len(minutes) if minutes else None
        assert got[field] == (None if mean is None else pytest.approx(mean, abs=0.01))
    return dict(got)


async def test_the_indicators_from_sql_are_the_pure_functions_on_the_same_rows(
    client: AppClient,
) -> None:
    runtime: Runtime = client.app.state.runtime
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    supervisor = await login(client, await make_user(Role.supervisor))
    commander = await login(client, await make_user(Role.commander))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)

    async def to_review() -> dict[str, Any]:
        case = await report(client, officer, TYPE)
        case = await command(client, officer, case, "accept")
        shot = await photo(client, officer, case)
        return await command(
            client,
            officer,
            case,
            "verify",
            outcome="corrected_on_site",
            location=JIANGCHUAN_POINT,
            evidence_ids=[shot],
        )

    closed = await command(client, leader, await to_review(), "close", note="ok")
    await command(client, supervisor, closed, "reopen", reason="not corrected")
    await command(client, leader, await to_review(), "return", reason="photo is blurred")
    await command(client, leader, await to_review(), "close", note="ok")
    await report(client, officer, TYPE)  # dispatched, nothing done yet
    # A camera alert dismissed as a false positive at triage, one still waiting.
    camera = await make_camera("考评探头", POINT.lng, POINT.lat)
    made = [
        await create_case(
            runtime.cases,
            NewCase(source=Source.camera, violation_type=TRIAGED, position=POINT, camera_id=camera),
            SYSTEM,
            datetime.now(UTC),
        )
        for _ in range(2)
    ]
    assert {c.state.value for c in made} == {"pending_triage"}
    detail = (await client.get(f"/api/v1/cases/{made[0].id}", headers=bearer(commander))).json()
    await command(
        client, commander, detail, "dismiss", reason="false_positive", note="a poster, not an ad"
    )

    got = await _assert_pure_equals_sql(client, leader, squad, TYPE)
    assert got["reworked"] >= 2 and got["closed"] >= 1 and got["cases"] >= 4
    got = await _assert_pure_equals_sql(client, leader, squad, TRIAGED)
    assert got["dismissed"] >= 1

    # The camera rule's precision is the pure one on the same rows.
    response = await client.get(
        f"/api/v1/stats/precision?period={_month()}", headers=bearer(commander)
    )
    assert response.status_code == 200, response.text
    (row,) = [r for r in response.json()["items"] if r["camera_id"] == camera]
    start, end = period_bounds(_month())
    alerts_ = count_alerts(await case_facts([c.id for c in made]), start, end)
    assert (row["alerts"], row["false_positives"], row["undecided"]) == (2, 1, 1)
    assert (row["alerts"], row["false_positives"], row["undecided"]) == (
        alerts_.alerts,
        alerts_.false_positives,
        alerts_.undecided,
    )
    assert row["precision"] == precision(1, 1) == 0.0
    assert row["false_positive_rate"] == 1.0


async def test_a_party_that_corrected_after_the_notice_counts_in_both_terms_of_the_closure_rate(
    client: AppClient,
) -> None:
    """Regression: closed as self-corrected without a dispatch, the case used to count in
    the closure rate's numerator and not its denominator (a rate above 100 %)."""
    runtime: Runtime = client.app.state.runtime
    camera = await make_camera("考评探头", POINT.lng, POINT.lat)
    now = datetime.now(UTC)
    case = await create_case(
        runtime.cases,
        NewCase(
            source=Source.camera,
            violation_type=SOFT,
            position=POINT,
            subject_id=await make_merchant(
                "考评水果店", POINT.lng, POINT.lat, address="江川路 90 号"
            ),
            camera_id=camera,
        ),
        SYSTEM,
        now,
    )
    assert case.state.value == "awaiting_rectification" and case.squad_id is not None
    squad = case.squad_id
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    before = await _figures(client, leader, squad, SOFT)
    await alerts.observe(case.id, "cleared", {"camera_id": camera}, now)
    assert case.rectify_by is not None
    await settle_due(runtime.cases, case.rectify_by + timedelta(minutes=1))
    row = (
        await Case.select(Case.state, Case.outcome, Case.dispatched_at)
        .where(Case.id == case.id)
        .first()
    )
    assert row is not None
    assert (row["state"], row["outcome"], row["dispatched_at"]) == (
        "closed",
        "self_corrected",
        None,
    )
    after = await _assert_pure_equals_sql(client, leader, squad, SOFT)
    assert after["closed"] - before["closed"] == 1
    assert after["cases"] - before["cases"] == 0  # accepted since the notice already
    assert after["self_corrected"] - before["self_corrected"] == 1
    assert after["closed"] <= after["cases"]
    assert after["self_corrected"] <= after["notified"] <= after["cases"]
    assert 0 < after["self_correction_rate"] <= 1


async def test_a_case_is_placed_on_its_h3_cells_when_written(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    case = await report(client, officer, TYPE)
    row = (
        await Case.select(Case.lng, Case.lat, Case.h3_r9, Case.h3_r10)
        .where(Case.id == case["id"])
        .first()
    )
    assert row is not None
    assert (row["h3_r9"], row["h3_r10"]) == cells_of(LngLat(row["lng"], row["lat"]))
    assert row["h3_r9"] == "89309b8083bffff"
