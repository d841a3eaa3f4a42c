"""The programmes' monthly figures, per squad and for the district."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.org import Role
from storage import programmes
from storage.tables import Subject
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def test_the_month_s_figures_count_repeats_grades_and_types(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    commander = await login(client, await make_user(Role.commander))
    leader = await login(client, await make_user(Role.squad_leader))
    now = datetime.now(UTC)
    month = now.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    squad = await squad_id("310112001")
    rows = await Subject.insert(
        Subject(
            kind="merchant",
            name="又是这家",
            address="江川路",
            lng=121.3994,
            lat=30.9995,
            squad=squad,
            grade="C",
            grade_computed="C",
            created_at=now,
            updated_at=now,
        )
    ).returning(Subject.id)
    subject = rows[0]["id"]

    async def figures(tokens: dict) -> dict:
        answer = await client.get(f"/api/v1/stats/programmes?month={month}", headers=bearer(tokens))
        assert answer.status_code == 200, answer.text
        return answer.json()

    await programmes.refresh(month)
    before = next(r for r in (await figures(commander))["items"] if r["squad_id"] == squad)
    await report(client, officer, "05-10", subject_id=subject)
    await report(client, officer, "05-10", subject_id=subject)  # the same again: a repeat
    await programmes.refresh(month)  # what the worker does every five minutes
    after = (await figures(commander))["items"]
    district, mine = after[0], next(r for r in after if r["squad_id"] == squad)
    assert district["squad_id"] is None and district["violations"] >= mine["violations"]
    assert mine["violations"] == before["violations"] + 2
    assert mine["with_subject"] == before["with_subject"] + 2
    by_type = {t["violation_type"]: t["cases"] for t in mine["by_type"]}
    assert by_type["05-10"] >= 2
    assert mine["repeat_offender_share"] > 0
    assert mine["grades"]["C"] >= 1 and set(mine["grades"]) == {"A", "B", "C", "D"}

    # A squad leader sees their own squad only.
    own = (await figures(leader))["items"]
    assert [r["squad_id"] for r in own] == [squad]
