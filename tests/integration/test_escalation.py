"""Missed deadlines escalate one level at a time, exactly once, with workers racing."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from domain.org import Role
from storage.cases import timeline
from storage.tables import Case, CaseDeadline, CaseEscalation, Outbox
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import command, go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"


async def _dispatched_cases(client: AppClient, count: int) -> list[dict]:
    await quiet_squad(await squad_id(JIANGCHUAN))
    officer = await make_user(Role.officer, squad_code=JIANGCHUAN)
    tokens = await login(client, officer)
    await go_on_duty(client, tokens, {"lng": 121.3994755, "lat": 30.9995505})
    return [await report(client, tokens, "05-05") for _ in range(count)]


async def _make_due(case_ids: list[int]) -> None:
    await CaseDeadline.raw(
        """UPDATE case_deadline SET due_at = now() - interval '1 minute',
                  next_escalation_at = now() - interval '1 minute'
            WHERE "case" = ANY({}) AND cleared_at IS NULL""",
        case_ids,
    )


async def _run_workers(n: int) -> list[str]:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "offsite.cli",
            "escalate",
            env=dict(os.environ, OFFSITE_LOG_LEVEL="WARNING"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(n)
    ]
    outputs = []
    for proc in procs:
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        outputs.append(out.decode().strip())
    return outputs


async def test_two_workers_escalate_each_deadline_once(client: AppClient) -> None:
    cases = await _dispatched_cases(client, 12)
    ids = [c["id"] for c in cases]
    await _make_due(ids)
    running = await CaseDeadline.count().where(
        CaseDeadline.case.is_in(ids) & CaseDeadline.cleared_at.is_null()
    )
    assert running == 2 * len(ids)  # accept and handle

    outputs = await _run_workers(2)

    escalated = sum(int(o.split()[-1]) for o in outputs)
    assert escalated == running
    rows = await CaseEscalation.select(CaseEscalation.deadline, CaseEscalation.level).where(
        CaseEscalation.case.is_in(ids)
    )
    assert len(rows) == running
    assert {r["level"] for r in rows} == {1}
    assert len({r["deadline"] for r in rows}) == running
    notices = await Outbox.count().where(
        Outbox.case.is_in(ids) & (Outbox.topic == "case.escalated")
    )
    assert notices == running
    for case_id in ids:
        assert (await timeline.verify_case(case_id)).ok
    assert await Case.count().where(Case.id.is_in(ids) & (Case.overdue == True)) == len(ids)  # noqa: E712

    # Nothing more is due: a further pass does nothing.
    assert [int(o.split()[-1]) for o in await _run_workers(1)] == [0]


async def test_next_level_reaches_the_command_centre(client: AppClient) -> None:
    [case] = await _dispatched_cases(client, 1)
    for _ in range(3):
        await _make_due([case["id"]])
        await _run_workers(1)
    levels = await CaseEscalation.select(CaseEscalation.level).where(
        CaseEscalation.case == case["id"]
    )
    # accept and handle each climbed to the top (3) and stop there.
    assert sorted(r["level"] for r in levels) == [1, 1, 2, 2, 3, 3]
    audiences = await Outbox.select(Outbox.recipient_role).where(
        (Outbox.case == case["id"]) & (Outbox.topic == "case.escalated")
    )
    assert {a["recipient_role"] for a in audiences} == {"squad_leader", "commander", "supervisor"}
    top = await CaseDeadline.select(CaseDeadline.next_escalation_at).where(
        CaseDeadline.case == case["id"]
    )
    assert all(d["next_escalation_at"] is None for d in top)


async def test_moving_on_clears_the_pending_deadline(client: AppClient) -> None:
    [case] = await _dispatched_cases(client, 1)
    officer_id = case["assignee"]["id"]
    tokens = await login(
        client,
        {"username": (await make_user_name(officer_id)), "password": "correct-horse-battery"},
    )
    accepted = await command(client, tokens, case, "accept")
    kinds = {d["kind"]: d["running"] for d in accepted["deadlines"]}
    assert kinds == {"accept": False, "handle": True, "verify": True}
    await _make_due([case["id"]])
    await _run_workers(1)
    levels = await CaseEscalation.select(CaseEscalation.deadline).where(
        CaseEscalation.case == case["id"]
    )
    accept_deadline = (
        await CaseDeadline.select(CaseDeadline.id)
        .where((CaseDeadline.case == case["id"]) & (CaseDeadline.kind == "accept"))
        .first()
    )
    assert accept_deadline["id"] not in {r["deadline"] for r in levels}


async def make_user_name(user_id: int) -> str:
    from storage.tables import StaffUser

    row = await StaffUser.select(StaffUser.username).where(StaffUser.id == user_id).first()
    return row["username"]
