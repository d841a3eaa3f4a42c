"""Routine inspections: planned from grades over 30 days, spread over officers; a clean
inspection closes, a failed one goes on as a violation case of the subject."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.org import Role
from domain.subjects.grading import Grade
from domain.subjects.inspections import every
from offsite.runtime import Runtime
from storage.inspections import plan_day
from storage.tables import Case, Subject
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import command, photo
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
SHANGHAI = ZoneInfo("Asia/Shanghai")
XINZHUANG = "310112101"  # a squad the other inspection tests leave alone


async def _subjects(grades: list[Grade]) -> list[int]:
    now = datetime.now(UTC)
    squad = await squad_id(XINZHUANG)
    ids = []
    for n, grade in enumerate(grades):
        rows = await Subject.insert(
            Subject(
                kind="merchant",
                name=f"巡检{n}",
                address="莘庄",
                lng=121.36948,
                lat=31.10955,
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
        # The officers do the day's inspections.
        await Case.update({Case.state: "closed", Case.outcome: "not_found"}).where(
            Case.subject.is_in(ids) & (Case.source == "inspection")
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
    # Two officers with no other work get the same share, within one visit.
    mine = [per_officer[o["id"]] for o in officers]
    assert max(mine) - min(mine) <= 1, per_officer
    assert min(mine) >= sum(per_officer.values()) / len(per_officer) - 1, per_officer


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
