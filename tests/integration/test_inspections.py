"""Routine inspections: planned from grades over 30 days, spread over officers; a clean
inspection closes, a failed one goes on as a violation case of the subject."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import h3
import pytest

from domain.org import Role
from domain.subjects.grading import Grade
from domain.subjects.inspections import every
from offsite.runtime import Runtime
from storage.hotspots import ALL_TYPES, last_complete_week
from storage.inspections import plan_day
from storage.tables import Case, Subject
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import command, photo
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
SHANGHAI = ZoneInfo("Asia/Shanghai")
XINZHUANG = "310112101"  # a squad the other inspection tests leave alone


async def _subjects(
    grades: list[Grade], lng: float = 121.36948, lat: float = 31.10955
) -> list[int]:
    now = datetime.now(UTC)
    squad = await squad_id(XINZHUANG)
    ids = []
    for n, grade in enumerate(grades):
        rows = await Subject.insert(
            Subject(
                kind="merchant",
                name=f"巡检{n}",
                address="莘庄",
                lng=lng,
                lat=lat,
                squad=squad,
                grade=grade.value,
                grade_computed=grade.value,
                created_at=now,
                updated_at=now,
            )
        ).returning(Subject.id)
        ids.append(rows[0]["id"])
    return ids


async def test_thirty_days_of_inspections_follow_the_grades(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    officers = [await make_user(Role.officer, squad_code=XINZHUANG) for _ in range(2)]
    grades = [Grade.A, Grade.B, Grade.C, Grade.D] * 3
    ids = await _subjects(grades)
    start = datetime(2027, 3, 1, tzinfo=SHANGHAI)
    for day in range(30):
        day_start = start + timedelta(days=day)
        await plan_day(
            runtime.cases, runtime.grading_policy, day_start, day_start + timedelta(hours=6)
        )
        # The officers do the day's inspections (the squad's other subjects' too: the demo
        # seed's, other tests').
        await Case.update({Case.state: "closed", Case.outcome: "not_found"}).where(
            (Case.squad == await squad_id(XINZHUANG)) & (Case.source == "inspection")
        )
    visits = Counter(
        r["subject"]
        for r in await Case.select(Case.subject).where(
            Case.subject.is_in(ids) & (Case.source == "inspection")
        )
    )
    for subject, grade in zip(ids, grades, strict=True):
        expected = (
            30 / every(grade, runtime.grading_policy).days if grade is not Grade.C else 30 / 3.5
        )
        assert abs(visits[subject] - expected) <= 1, (grade, visits[subject], expected)
    # Spread over the squad's active officers (other tests' officers of the squad too).
    per_officer = Counter(
        r["assignee"]
        for r in await Case.select(Case.assignee).where(
            Case.subject.is_in(ids) & (Case.source == "inspection")
        )
    )
    assert None not in per_officer and {o["id"] for o in officers} <= set(per_officer)
    # Two officers with no other work get the same share of all the squad's inspections
    # (not only of these subjects'), within one visit.
    theirs = Counter(
        r["assignee"]
        for r in await Case.select(Case.assignee).where(
            Case.assignee.is_in([o["id"] for o in officers]) & (Case.source == "inspection")
        )
    )
    mine = [theirs[o["id"]] for o in officers]
    assert max(mine) - min(mine) <= 1, theirs


async def test_a_clean_inspection_closes_and_a_failed_one_becomes_a_violation_case(
    client: AppClient,
) -> None:
    runtime: Runtime = client.app.state.runtime
    officer = await make_user(Role.officer, squad_code=XINZHUANG)
    ids = await _subjects([Grade.D, Grade.D])
    day = datetime(2027, 6, 1, tzinfo=SHANGHAI)
    await plan_day(runtime.cases, runtime.grading_policy, day, day + timedelta(hours=6))
    rows = await Case.select(Case.id, Case.assignee, Case.subject).where(
        Case.subject.is_in(ids) & (Case.source == "inspection")
    )
    assert len(rows) == 2
    for row in rows:
        await Case.update({Case.assignee: officer["id"]}).where(Case.id == row["id"])
    tokens = await login(client, officer)
    clean_id, failed_id = (r["id"] for r in rows)

    clean = (await client.get(f"/api/v1/cases/{clean_id}", headers=bearer(tokens))).json()
    clean = await command(client, tokens, clean, "accept")
    closed = await command(
        client,
        tokens,
        clean,
        "inspect",
        items=[{"item": "门责区整洁", "passed": True}, {"item": "无跨门营业", "passed": True}],
    )
    assert (closed["state"], closed["outcome"]) == ("closed", "not_found")

    case = (await client.get(f"/api/v1/cases/{failed_id}", headers=bearer(tokens))).json()
    case = await command(client, tokens, case, "accept")
    items = [{"item": "门责区整洁", "passed": True}, {"item": "无跨门营业", "passed": False}]
    no_photo = await command(
        client, tokens, case, "inspect", expect=400, items=items, violation_type="05-04"
    )
    assert no_photo["code"] == "photo_required"
    evidence = await photo(client, tokens, case)
    found = await command(
        client,
        tokens,
        case,
        "inspect",
        items=items,
        violation_type="05-04",
        evidence_ids=[evidence],
    )
    assert (found["state"], found["violation_type"]["code"]) == ("in_progress", "05-04")
    assert found["subject_id"] in ids and found["source"] == "inspection"
    assert {d["kind"] for d in found["deadlines"] if d.get("cleared_at") is None} >= {"handle"}
    # A case that became a violation takes no second checklist (that would erase it).
    erased = await command(
        client, tokens, found, "inspect", expect=409, items=[{"item": "门责区整洁", "passed": True}]
    )
    assert erased["code"] == "case_state_invalid"


async def test_subjects_inside_a_hot_cell_are_visited_twice_as_often(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    await make_user(Role.officer, squad_code=XINZHUANG)
    squad = await squad_id(XINZHUANG)
    lng, lat = 121.3800, 31.1150  # apart from the other tests' subjects
    hot = await _subjects([Grade.B] * 3, lng, lat)
    cold = await _subjects([Grade.B] * 3, lng + 0.01, lat + 0.01)  # ~1.5 km away
    start = datetime(2027, 9, 6, tzinfo=SHANGHAI)  # a Monday
    # The refresh found the hot subjects' cell hot in both weeks before the plan's days.
    for monday in (start, start + timedelta(days=7)):
        await Case.raw(
            """INSERT INTO hotspot (week, squad, violation_type, resolution, cell, cases, z, p,
                                    q, hot, trend, weeks_hot, rank, refreshed_at)
               VALUES ({}, {}, {}, 9, {}, 12, 4.2, 0.0001, 0.001, true, 'persistent', 3, 1,
                       now())""",
            last_complete_week(monday),
            squad,
            ALL_TYPES,
            h3.latlng_to_cell(lat, lng, 9),
        )
    for day in range(14):
        day_start = start + timedelta(days=day)
        await plan_day(
            runtime.cases, runtime.grading_policy, day_start, day_start + timedelta(hours=6)
        )
        await Case.update({Case.state: "closed", Case.outcome: "not_found"}).where(
            Case.subject.is_in(hot + cold) & (Case.source == "inspection")
        )
    rows = await Case.select(Case.subject, Case.description).where(
        Case.subject.is_in(hot + cold) & (Case.source == "inspection")
    )
    visits = Counter(r["subject"] for r in rows)
    # Grade B: every 7 days, so two visits in 14 days; inside the hot cell every 3.5 days
    # (the first brought forward into the first 3.5 days), so three or four.
    assert [visits[s] for s in cold] == [2, 2, 2], visits
    assert all(visits[s] >= 3 for s in hot), visits
    assert all(("高发区域" in r["description"]) == (r["subject"] in hot) for r in rows)
