"""Grading subjects from their cases: nightly and on demand, overrides, history, and the
urgency it gives a repeat offender's new cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.org import Role
from offsite.runtime import Runtime
from storage import grading
from storage.cases.catalogue import severities
from storage.tables import Case, Subject
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def _subject() -> int:
    now = datetime.now(UTC)
    rows = await Subject.insert(
        Subject(
            kind="merchant",
            name="屡犯小店",
            address="江川路 9 号",
            lng=121.3994,
            lat=30.9995,
            squad=await squad_id("310112001"),  # 江川路 9 号 lies in 江川路街道
            created_at=now,
            updated_at=now,
        )
    ).returning(Subject.id)
    subject: int = rows[0]["id"]
    return subject


async def _established(
    client: AppClient, subject: int, days_ago: list[int], outcome: str = "corrected_on_site"
) -> None:
    """Cases of the subject whose outcome established the violation, backdated."""
    officer = await login(client, await make_user(Role.officer))
    for days in days_ago:
        case = await report(client, officer, "05-10", subject_id=subject)
        at = datetime.now(UTC) - timedelta(days=days)
        await Case.update({Case.outcome: outcome, Case.created_at: at, Case.state: "closed"}).where(
            Case.id == case["id"]
        )


async def test_a_repeat_offender_is_graded_d_and_its_new_cases_are_urgent(
    client: AppClient,
) -> None:
    runtime: Runtime = client.app.state.runtime
    subject = await _subject()
    leader = await login(client, await make_user(Role.squad_leader))
    fresh = (await client.post(f"/api/v1/subjects/{subject}/grade", headers=bearer(leader))).json()
    assert (fresh["grade"], fresh["points"]) == ("A", 0.0)

    # 05-10 is severity 2 (3 points); four within 90 days of each other: 3 + 3 × 4.5.
    await _established(client, subject, [100, 60, 30, 5])
    month_away = datetime.now(UTC) + timedelta(days=30)  # an A subject's next visit
    await Subject.update({Subject.next_inspection_at: month_away}).where(Subject.id == subject)
    await grading.grade_all(runtime.grading_policy, await severities(), datetime.now(UTC))
    visit = await Subject.select(Subject.next_inspection_at).where(Subject.id == subject).first()
    assert visit["next_inspection_at"] <= datetime.now(UTC) + timedelta(days=1), "D: daily"

    state = await grading.state(subject)
    assert (state.grade, state.computed, state.points) == ("D", "D", 16.5)
    history = await grading.history(subject)
    assert [(h.grade, h.source) for h in history][:1] == [("D", "nightly")]

    officer = await login(client, await make_user(Role.officer))
    case = await report(client, officer, "05-04", point=JIANGCHUAN_POINT, subject_id=subject)
    assert case["urgent"] is True and "repeat_offender" in case["flags"]

    # A second run with nothing new writes nothing new.
    before = len(await grading.history(subject))
    await grading.grade_all(runtime.grading_policy, await severities(), datetime.now(UTC))
    assert len(await grading.history(subject)) == before


async def test_an_override_holds_with_its_reason_and_ends_by_itself(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    subject = await _subject()
    await _established(client, subject, [20, 10], outcome="self_corrected")
    supervisor = await login(client, await make_user(Role.supervisor))
    officer = await login(client, await make_user(Role.officer))
    until = datetime.now(UTC) + timedelta(days=30)
    body = {"grade": "C", "reason": "节假日重点整治", "until": until.isoformat()}
    denied = await client.put(
        f"/api/v1/subjects/{subject}/grade-override", headers=bearer(officer), json=body
    )
    assert denied.status_code == 403
    held = await client.put(
        f"/api/v1/subjects/{subject}/grade-override", headers=bearer(supervisor), json=body
    )
    assert held.status_code == 200, held.text
    assert (held.json()["grade"], held.json()["override"]) == ("C", "C")

    await grading.grade_all(runtime.grading_policy, await severities(), datetime.now(UTC))
    state = await grading.state(subject)
    # Two self-corrected 05-10 within 90 days: 1.5 + 2.25 points → B computed; C in force.
    assert (state.grade, state.computed) == ("C", "B")

    await grading.grade_all(runtime.grading_policy, await severities(), until + timedelta(hours=1))
    state = await grading.state(subject)
    assert (state.grade, state.override) == ("B", None)
    sources = [h.source for h in await grading.history(subject)]
    assert sources[0] == "override_ended"
    listed = await client.get(f"/api/v1/subjects/{subject}/grades", headers=bearer(officer))
    assert {h["source"] for h in listed.json()["items"]} >= {"override", "override_ended"}
