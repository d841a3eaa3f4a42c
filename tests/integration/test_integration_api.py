"""The integrator API and the outbox: complaints in, the feed, signed webhooks, status
callbacks, deliveries that survive a Redis flush and a worker dying mid-delivery."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from domain.integration.signing import verify
from domain.org import Role
from jobs.outbox import deliver_outbox, enqueue_due, relay_feed
from offsite.runtime import Runtime
from storage import outbox
from storage.tables import Case, Outbox
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, client_for, login

pytestmark = pytest.mark.usefixtures("database")

# Inside the Xinzhuang squad of the demo seed the tests load.
PLACE = {"lng": 121.36948, "lat": 31.10955, "coord_type": "wgs84"}


class Receiver(ThreadingHTTPServer):
    """A webhook receiver that records every request; ``fail`` answers 503 that often."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[dict[str, str], bytes]] = []  # as they arrive
        self.fail = 0
        self.hold = threading.Event()  # while set, requests wait before they are answered
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def delivered(self, topic: str | None = None) -> dict[str, bytes]:
        """Distinct deliveries (by X-Offsite-Delivery): what an idempotent receiver applies."""
        return {
            h["x-offsite-delivery"]: body
            for h, body in self.requests
            if topic is None or h["x-offsite-topic"] == topic
        }


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if self.server.hold.is_set():
            self.server.release.wait(30)
        status = 503 if self.server.fail > 0 else 200
        self.server.fail -= 1
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def _relay(runtime: Runtime) -> None:
    """Relay until every timeline entry committed so far is in the feed. One pass is not
    always enough: the relay rightly waits for transactions still open when it looks
    (another request's, a background write), and those end a moment later."""
    for _ in range(100):
        await relay_feed(runtime)
        rows = await Outbox.raw(
            """SELECT (SELECT low_xid FROM feed_relay WHERE id = 1)::xid8
                      > coalesce(max(txid), '0'::xid8) AS done FROM case_event"""
        )
        if rows[0]["done"]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the feed relay did not catch up")


def _runtime(client: AppClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime
    return runtime


async def _key(client: AppClient, scopes: list[str], **extra: Any) -> tuple[dict[str, str], dict]:
    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "城运中心 bridge", "scopes": scopes, **extra},
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    return {"Authorization": f"Bearer {body['api_key']}"}, body


def _complaint(external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "category": "乱设摊",
        "text": "小区门口有人摆摊卖水果，占用人行道",
        "location": PLACE,
        "address": "七莘路 1000 号",
        "complainant": {"name": "张三丰", "phone": "13812345678"},
        **extra,
    }


async def _deliver_rows(runtime: Runtime, where: Any) -> list[str]:
    rows = await Outbox.select(Outbox.id).where(where).order_by(Outbox.id)
    return [await deliver_outbox({"runtime": runtime}, r["id"]) for r in rows]


async def test_a_complaint_becomes_one_case_however_often_it_is_sent(client: AppClient) -> None:
    key, _ = await _key(client, ["complaints:write", "cases:read"])
    external_id = f"12345-{time.time_ns()}"
    sent = await asyncio.gather(
        *(
            client.post("/integrator/v1/complaints", headers=key, json=_complaint(external_id))
            for _ in range(4)
        )
    )
    assert all(r.status_code == 200 for r in sent), [r.text for r in sent]
    assert len({r.json()["case_id"] for r in sent}) == 1
    assert sorted(r.json()["duplicate"] for r in sent) == [False, True, True, True]
    case_id = sent[0].json()["case_id"]
    assert await Case.count().where(Case.external_id == external_id) == 1

    read = await client.get(f"/integrator/v1/cases/{case_id}", headers=key)
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["source"], body["violation_type"]["code"]) == ("complaint", "05-01")
    assert body["complainant"] == {"name": "张**", "phone": "138****5678"}
    sender, _ = await _key(client, ["complaints:write", "cases:read", "personal_data:read"])
    own = await client.post(
        "/integrator/v1/complaints", headers=sender, json=_complaint(f"own-{time.time_ns()}")
    )
    whole = (
        await client.get(f"/integrator/v1/cases/{own.json()['case_id']}", headers=sender)
    ).json()
    assert whole["complainant"]["phone"] == "13812345678", "the sender, with the scope"
    other = (await client.get(f"/integrator/v1/cases/{case_id}", headers=sender)).json()
    assert other["complainant"]["phone"] == "138****5678", "not another system's caller"

    unknown = await client.post(
        "/integrator/v1/complaints", headers=key, json=_complaint("x-1", category="外星人")
    )
    assert (unknown.status_code, unknown.json()["code"]) == (400, "complaint_category_unknown")
    assert await Case.count().where(Case.external_id == "x-1") == 0


async def test_two_integrators_orders_of_one_number_are_two_cases(client: AppClient) -> None:
    hotline, _ = await _key(client, ["complaints:write"])
    city_centre, _ = await _key(client, ["complaints:write"])
    external_id = f"WO-{time.time_ns()}"
    sent = await asyncio.gather(
        *(
            client.post("/integrator/v1/complaints", headers=key, json=_complaint(external_id))
            for key in (hotline, city_centre, hotline, city_centre)
        )
    )
    assert all(r.status_code == 200 for r in sent), [r.text for r in sent]
    assert sent[0].json()["case_id"] == sent[2].json()["case_id"]
    assert sent[1].json()["case_id"] == sent[3].json()["case_id"]
    assert sent[0].json()["case_id"] != sent[1].json()["case_id"]
    assert sorted(r.json()["duplicate"] for r in sent) == [False, False, True, True]
    assert await Case.count().where(Case.external_id == external_id) == 2


async def _listed_key(client: AppClient, admin: dict[str, Any], key_id: int) -> dict[str, Any]:
    cursor = ""
    while True:
        page = (
            await client.get(f"/api/v1/integrator-keys?limit=200{cursor}", headers=bearer(admin))
        ).json()
        for item in page["items"]:
            if item["id"] == key_id:
                found: dict[str, Any] = item
                return found
        assert page["next_cursor"], f"key {key_id} not listed"
        cursor = f"&cursor={page['next_cursor']}"


async def test_a_key_shows_when_it_was_last_used(client: AppClient, settings: Any) -> None:
    admin = await login(client, await make_user(Role.admin))
    key, issued = await _key(client, ["events:read"])
    key_id = issued["key"]["id"]
    assert (await _listed_key(client, admin, key_id))["last_used_at"] is None

    before = datetime.now(UTC)
    assert (await client.get("/integrator/v1/events", headers=key)).status_code == 200
    used = (await _listed_key(client, admin, key_id))["last_used_at"]
    assert used is not None and datetime.fromisoformat(used) >= before - timedelta(seconds=1)

    # Within the minute neither this process nor another one writes the row again.
    async with client_for(settings) as other_process:
        for api in (client, other_process):
            assert (await api.get("/integrator/v1/events", headers=key)).status_code == 200
    assert (await _listed_key(client, admin, key_id))["last_used_at"] == used


async def test_the_feed_is_ordered_and_resumable(client: AppClient) -> None:
    writer, _ = await _key(client, ["complaints:write"])
    reader, _ = await _key(client, ["events:read"])
    runtime = _runtime(client)
    await _relay(runtime)
    start = (await client.get("/integrator/v1/events?after=0&limit=1000", headers=reader)).json()
    while start["has_more"]:
        start = (
            await client.get(
                f"/integrator/v1/events?after={start['next_after']}&limit=1000", headers=reader
            )
        ).json()
    cursor = start["next_after"]

    ids = []
    for n in range(3):
        made = await client.post(
            "/integrator/v1/complaints",
            headers=writer,
            json=_complaint(f"feed-{time.time_ns()}-{n}"),
        )
        ids.append(made.json()["case_id"])
    await _relay(runtime)

    seen: list[dict[str, Any]] = []
    while True:
        page = (
            await client.get(f"/integrator/v1/events?after={cursor}&limit=2", headers=reader)
        ).json()
        seen += page["items"]
        cursor = page["next_after"]
        if not page["has_more"]:
            break
    mine = [e for e in seen if e["case_id"] in ids]
    assert [e["case_id"] for e in mine if e["topic"] == "case.created"] == ids
    positions = [e["pos"] for e in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all("complainant" not in e for e in seen)


async def test_webhooks_are_signed_and_survive_a_redis_flush(
    client: AppClient, receiver: Receiver
) -> None:
    writer, _ = await _key(client, ["complaints:write", "webhooks:manage", "events:read"])
    created = await client.post(
        "/integrator/v1/webhooks",
        headers=writer,
        json={"url": receiver.url, "topics": ["case.created"]},
    )
    assert created.status_code == 201, created.text
    secret, hook = created.json()["secret"], created.json()["webhook"]
    runtime = _runtime(client)

    made = await client.post(
        "/integrator/v1/complaints", headers=writer, json=_complaint(f"hook-{time.time_ns()}")
    )
    await _relay(runtime)
    mine = Outbox.target == hook["id"]
    assert await Outbox.count().where(mine & (Outbox.kind == "webhook")) == 1

    # Redis loses every queued job: the rows are still owed, and the next scan queues them.
    await runtime.redis.flushdb()
    assert await enqueue_due(runtime) >= 1
    receiver.fail = 1  # the first attempt is refused: retried with back-off
    assert await _deliver_rows(runtime, mine) == ["retry"]
    row = await Outbox.select(Outbox.next_attempt_at).where(mine).first()
    assert row["next_attempt_at"] > datetime.now(UTC)
    await Outbox.update({Outbox.next_attempt_at: datetime.now(UTC)}).where(mine)
    assert await _deliver_rows(runtime, mine) == ["delivered"]
    assert await _deliver_rows(runtime, mine) == ["not due"]  # once delivered, never again

    deliveries = receiver.delivered("case.created")
    assert len(deliveries) == 1 and len(receiver.requests) == 2
    headers, body = receiver.requests[-1]
    assert verify(secret, headers["x-offsite-signature"], body, time.time())
    assert not verify(secret, headers["x-offsite-signature"], body + b" ", time.time())
    assert not verify(secret, headers["x-offsite-signature"], body, time.time() + 301)
    event = json.loads(body)
    assert (event["case_id"], event["topic"]) == (made.json()["case_id"], "case.created")

    gone = await client.delete(f"/integrator/v1/webhooks/{hook['id']}", headers=writer)
    assert gone.status_code == 200 and gone.json()["items"] == []


async def test_a_delivery_cut_off_mid_way_is_retried_with_the_same_delivery_id(
    client: AppClient, receiver: Receiver
) -> None:
    writer, body = await _key(client, ["complaints:write"], callback_url=receiver.url)
    runtime = _runtime(client)
    made = await client.post(
        "/integrator/v1/complaints", headers=writer, json=_complaint(f"cb-{time.time_ns()}")
    )
    case_id = made.json()["case_id"]
    await _relay(runtime)
    mine = (Outbox.kind == "callback") & (Outbox.case == case_id)
    rows = await Outbox.select(Outbox.id).where(mine)
    assert len(rows) >= 1  # created (and dispatched, if its type auto-dispatches)
    first = rows[0]["id"]

    # A worker claims the row and dies after the receiver got it, before recording that.
    now = datetime.now(UTC)
    claimed = await outbox.claim(first, now, lease_s=60)
    assert claimed is not None
    await asyncio.to_thread(
        _post_as_the_dead_worker, receiver.url, first, body["callback_secret"], claimed.payload
    )
    assert await outbox.claim(first, now, lease_s=60) is None, "held while the lease runs"
    assert [d.id for d in await outbox.due(now, ["callback"])].count(first) == 0
    later = now + timedelta(seconds=61)
    assert first in [d.id for d in await outbox.due(later, ["callback"], limit=100_000)]
    await Outbox.update({Outbox.lease_until: now - timedelta(seconds=1)}).where(Outbox.id == first)

    assert await deliver_outbox({"runtime": runtime}, first) == "delivered"
    # The dead worker's attempt, were it to come back late, changes nothing any more.
    late = await outbox.failed(first, claimed.attempts, "late", datetime.now(UTC), 10)
    assert late == ("superseded", None)
    ids = [h["x-offsite-delivery"] for h, _ in receiver.requests]
    assert ids == [f"offsite-{first}", f"offsite-{first}"], "same id: applied once"
    headers, sent = receiver.requests[-1]
    assert verify(body["callback_secret"], headers["x-offsite-signature"], sent, time.time())


def _post_as_the_dead_worker(url: str, row: int, secret: str, payload: dict[str, Any]) -> None:
    import httpx

    from domain.integration.signing import signature

    raw = json.dumps(payload).encode()
    httpx.post(
        url,
        content=raw,
        headers={
            "X-Offsite-Signature": signature(secret, int(time.time()), raw),
            "X-Offsite-Delivery": f"offsite-{row}",
            "X-Offsite-Topic": "case.created",
        },
    )


async def test_a_webhook_into_the_internal_network_is_refused_in_production(
    client: AppClient, receiver: Receiver
) -> None:
    import dataclasses

    import msgspec

    base = _runtime(client)
    strict = msgspec.structs.replace(base.settings.outbox, private_targets="no")
    runtime = dataclasses.replace(
        base, settings=msgspec.structs.replace(base.settings, outbox=strict)
    )
    writer, _ = await _key(client, ["complaints:write", "webhooks:manage", "events:read"])
    hook = await client.post(
        "/integrator/v1/webhooks",
        headers=writer,
        json={"url": receiver.url, "topics": ["case.created"]},
    )
    await client.post(
        "/integrator/v1/complaints", headers=writer, json=_complaint(f"ssrf-{time.time_ns()}")
    )
    await _relay(runtime)
    mine = Outbox.target == hook.json()["webhook"]["id"]
    assert await _deliver_rows(runtime, mine) == ["retry"]
    row = await Outbox.select(Outbox.last_error).where(mine).first()
    assert "non-public address" in row["last_error"]
    assert receiver.requests == []


async def test_a_dead_delivery_is_listed_and_can_be_retried(
    client: AppClient, receiver: Receiver
) -> None:
    import dataclasses

    import msgspec

    from domain.org import Role

    base = _runtime(client)
    once = msgspec.structs.replace(base.settings.outbox, max_attempts=1)
    runtime = dataclasses.replace(
        base, settings=msgspec.structs.replace(base.settings, outbox=once)
    )
    admin = await login(client, await make_user(Role.admin))
    writer, _ = await _key(client, ["complaints:write", "webhooks:manage", "events:read"])
    hook = await client.post(
        "/integrator/v1/webhooks",
        headers=writer,
        json={"url": receiver.url, "topics": ["case.created"]},
    )
    await client.post(
        "/integrator/v1/complaints", headers=writer, json=_complaint(f"dead-{time.time_ns()}")
    )
    await _relay(runtime)
    mine = Outbox.target == hook.json()["webhook"]["id"]
    receiver.fail = 1
    assert await _deliver_rows(runtime, mine) == ["dead"]
    row = await Outbox.select(Outbox.id).where(mine).first()

    dead = (await client.get("/api/v1/outbox?kind=webhook&limit=200", headers=bearer(admin))).json()
    listed = next(r for r in dead["items"] if r["id"] == row["id"])
    assert listed["status"] == "dead" and "503" in listed["last_error"]
    retried = await client.post(f"/api/v1/outbox/{row['id']}/retry", headers=bearer(admin))
    assert (retried.status_code, retried.json()["status"]) == (200, "pending")
    assert await _deliver_rows(runtime, mine) == ["delivered"]
    again = await client.post(f"/api/v1/outbox/{row['id']}/retry", headers=bearer(admin))
    assert (again.status_code, again.json()["code"]) == (404, "outbox_row_not_dead")


async def test_a_receiver_that_does_not_answer_is_left_alone_for_a_while(
    client: AppClient,
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    writer, _ = await _key(client, ["complaints:write", "webhooks:manage", "events:read"])
    hook = await client.post(
        "/integrator/v1/webhooks",
        headers=writer,
        json={"url": f"http://127.0.0.1:{port}/hook", "topics": ["case.created"]},
    )
    runtime = _runtime(client)
    mine = Outbox.target == hook.json()["webhook"]["id"]
    try:
        for n in range(2):
            await client.post(
                "/integrator/v1/complaints", headers=writer, json=_complaint(f"down-{n}-{port}")
            )
        await _relay(runtime)

        assert await _deliver_rows(runtime, mine) == ["retry", "retry"]

        errors = await Outbox.select(Outbox.last_error).where(mine).order_by(Outbox.id)
        assert "Connect" in errors[0]["last_error"]  # tried, and refused
        assert "not called again yet" in errors[1]["last_error"]  # not tried
    finally:
        await runtime.redis.delete(f"offsite:receiver-down:http://127.0.0.1:{port}")
