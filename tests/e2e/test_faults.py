"""Fault injection: PostgreSQL restarted under load, the object store away during an
evidence check, Redis flushed and restarted, with the API and both workers running.

While a dependency is down the API answers 503 with a code naming it (never a hang,
never a 500); afterwards nothing is lost and nothing is done twice: a command retried
with its Idempotency-Key during the outage is applied once, the evidence check completes
once the store is back, and every webhook owed reaches the receiver exactly once."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from domain.org import Role
from offsite.settings import Settings
from storage.tables import CaseEvent, Evidence, Outbox
from tests.e2e.conftest import Workers
from tests.e2e.stack_control import TestStack
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login
from tests.integration.test_integration_api import Receiver, _key

pytestmark = [pytest.mark.usefixtures("database"), pytest.mark.slow]
JIANGCHUAN = "310112001"
HANG_S = 20.0  # an answer slower than this counts as a hang


async def _eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class Load:
    """Concurrent requests in loops while services come and go (a board and a case page,
    as phones poll them): every answer is recorded, and one that takes longer than HANG_S
    is recorded as a hang."""

    def __init__(self, client: AppClient, tokens: dict[str, Any], case_id: int) -> None:
        self.client, self.headers = client, bearer(tokens)
        self.answers: Counter[str] = Counter()
        self._stop = asyncio.Event()
        paths = ["/api/v1/me/tasks", f"/api/v1/cases/{case_id}"] * 2
        self._tasks = [asyncio.create_task(self._run(path)) for path in paths]

    async def _run(self, path: str) -> None:
        while not self._stop.is_set():
            try:
                answer = await asyncio.wait_for(self.client.get(path, headers=self.headers), HANG_S)
            except TimeoutError:
                self.answers["hang"] += 1
                continue
            code = answer.json().get("code", "") if answer.status_code != 200 else ""
            self.answers[f"{answer.status_code} {code}".strip()] += 1
            await asyncio.sleep(0.02)

    async def stop(self) -> Counter[str]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.answers


async def _post(client: AppClient, url: str, **kwargs: Any) -> httpx.Response:
    return await asyncio.wait_for(client.post(url, **kwargs), HANG_S)


async def test_outages_lose_nothing_and_do_nothing_twice(
    client: AppClient, settings: Settings, workers: Workers
) -> None:
    stack = TestStack(settings)
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        await _scenario(client, stack, workers, receiver)
    finally:
        receiver.shutdown()
        receiver.server_close()


async def _scenario(
    client: AppClient, stack: TestStack, workers: Workers, receiver: Receiver
) -> None:
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    key, _ = await _key(client, ["webhooks:manage", "events:read"])
    hook = await client.post(
        "/integrator/v1/webhooks",
        headers=key,
        json={"url": receiver.url, "topics": ["case.created", "case.state_changed"]},
    )
    assert hook.status_code == 201, hook.text
    webhook_id = hook.json()["webhook"]["id"]
    workers.start({"OFFSITE_OUTBOX_RECONCILE_S": "0.5"})
    case = await report(client, officer, "05-05", address="江川路 12 号")

    # 1. PostgreSQL restarted under load; the phone's accept is retried with its key.
    load = Load(client, officer, case["id"])
    await stack.stop("postgres")
    accept = f"fault-accept-{time.time_ns()}"
    headers = bearer(officer) | {"Idempotency-Key": accept}
    body = {"version": case["version"], "location": JIANGCHUAN_POINT}
    refused = await _post(client, f"/api/v1/cases/{case['id']}/accept", headers=headers, json=body)
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "database_unavailable"
    assert refused.headers["retry-after"]
    await _eventually(
        lambda: _true(load.answers["503 database_unavailable"] > 0), 30, "load to see the outage"
    )
    await stack.start("postgres")
    accepted = await _retry_until_answered(
        client, f"/api/v1/cases/{case['id']}/accept", headers, body
    )
    assert accepted.status_code == 200, accepted.text
    again = await _post(client, f"/api/v1/cases/{case['id']}/accept", headers=headers, json=body)
    assert again.status_code == 200 and again.json() == accepted.json()
    accepts = await CaseEvent.count().where(
        (CaseEvent.case == case["id"]) & (CaseEvent.action == "accept")
    )
    assert accepts == 1, "the retried accept was applied once"
    answers = await load.stop()
    assert set(answers) <= {"200", "503 database_unavailable"}, answers
    assert answers["200"] > 0

    # 2. The object store away while an upload is checked, and for a direct upload.
    evidence_id = await _uploaded_photo(client, officer, case)
    await stack.stop("s3")
    done = await _post(
        client,
        f"/api/v1/evidence/{evidence_id}/complete",
        headers=bearer(officer),
        json={"location": JIANGCHUAN_POINT},
    )
    assert done.status_code == 202, done.text  # the check is the worker's
    direct = await _post(
        client,
        f"/api/v1/cases/{case['id']}/evidence/direct",
        headers=bearer(officer),
        data={"purpose": "verification"},
        files={"file": ("p.jpg", _jpeg(), "image/jpeg")},
    )
    assert direct.status_code == 503, direct.text
    assert direct.json()["code"] == "storage_unavailable"
    await _eventually(
        lambda: _evidence_retried(client, evidence_id), 30, "the check to meet the outage"
    )
    await stack.start("s3")
    await _eventually(lambda: _evidence_verified(evidence_id), 60, "the check after S3 returns")
    checked = await CaseEvent.count().where(
        (CaseEvent.case == case["id"]) & (CaseEvent.action == "evidence")
    )
    assert checked == 1, "one audit entry: the checked file (the refused direct upload left none)"

    # 3. Redis flushed and restarted: cases reported meanwhile still reach the receiver.
    await stack.stop("redis")
    signin = await _post(
        client,
        "/api/v1/auth/login",
        json={"username": officer["user"]["username"], "password": "wrong"},
    )
    assert signin.status_code == 503, signin.text
    assert signin.json()["code"] == "service_unavailable"
    during = [await report(client, officer, "05-05", address=f"江川路 {n} 号") for n in (20, 21)]
    await stack.start("redis")
    await _eventually(
        lambda: _true(all(f'"case_id":{c["id"]}' in _bodies(receiver) for c in during)),
        60,
        "the webhooks of cases reported while Redis was down",
    )

    # The staff side too (default queue): what those cases owe is settled, nothing pending.
    owed = Outbox.case.is_in([c["id"] for c in during])

    async def staff_settled() -> bool:
        rows = await Outbox.select(Outbox.status).where(owed & (Outbox.kind == "notification"))
        return bool(rows) and all(r["status"] != "pending" for r in rows)

    await _eventually(staff_settled, 60, "the notifications of cases reported meanwhile")

    # Every webhook owed was delivered, each exactly once.
    async def all_delivered() -> bool:
        pending = await Outbox.count().where(
            (Outbox.kind == "webhook")
            & (Outbox.target == webhook_id)
            & (Outbox.status == "pending")
        )
        return pending == 0

    await _eventually(all_delivered, 60, "every webhook row to be delivered")
    rows = await Outbox.select(Outbox.id, Outbox.status).where(
        (Outbox.kind == "webhook") & (Outbox.target == webhook_id)
    )
    assert rows and all(r["status"] == "delivered" for r in rows)
    seen = Counter(h["x-offsite-delivery"] for h, _ in receiver.requests)
    assert seen == Counter({f"offsite-{r['id']}": 1 for r in rows}), "each row exactly once"
    assert all(proc.poll() is None for proc in workers.procs.values()), "workers outlived it all"


async def _true(value: bool) -> bool:
    return value


def _bodies(receiver: Receiver) -> str:
    return "".join(body.decode() for _, body in list(receiver.requests))


async def _retry_until_answered(
    client: AppClient, url: str, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    """What a phone does: the same request, same key, until it gets an answer that is not
    a 503 (the pool reconnects to the restarted server)."""
    for _ in range(100):
        answer = await _post(client, url, headers=headers, json=body)
        if answer.status_code != 503:
            return answer
        assert answer.json()["code"] == "database_unavailable", answer.text
        await asyncio.sleep(0.2)
    raise AssertionError("still 503 after the database came back")


def _jpeg() -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 10)).save(data, "JPEG")
    return data.getvalue()


async def _uploaded_photo(client: AppClient, tokens: dict[str, Any], case: dict[str, Any]) -> str:
    """Granted and uploaded to the store, not yet reported complete."""
    grant = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(tokens),
        json={"content_type": "image/jpeg", "purpose": "verification"},
    )
    assert grant.status_code == 201, grant.text
    g = grant.json()
    async with httpx.AsyncClient(timeout=30) as s3:
        up = await s3.post(
            g["url"], data=g["fields"], files={g["file_field"]: ("p.jpg", _jpeg(), "image/jpeg")}
        )
    assert up.status_code in (200, 201, 204), up.text
    evidence_id: str = g["evidence_id"]
    return evidence_id


async def _evidence_status(evidence_id: str) -> str:
    rows = await Evidence.select(Evidence.status).where(Evidence.id == evidence_id)
    return str(rows[0]["status"])


async def _evidence_retried(client: AppClient, evidence_id: str) -> bool:
    """The worker tried the check, met the outage and is trying again (arq counts each
    try of a job id under ``arq:retry:<id>``)."""
    runtime = client.app.state.runtime
    tries = await runtime.redis.get(f"arq:retry:evidence:{evidence_id}")
    assert await _evidence_status(evidence_id) == "processing"
    return int(tries or 0) >= 2


async def _evidence_verified(evidence_id: str) -> bool:
    return await _evidence_status(evidence_id) == "verified"
