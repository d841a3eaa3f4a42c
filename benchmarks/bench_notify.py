"""From a case change to the people and systems that must hear of it.

    .venv/bin/python benchmarks/bench_notify.py [--changes 1000] [--profile bench]

Starts the embedded services of a profile, one API process (granian) and one default
worker (``offsite worker``), a squad leader's board stream (``GET /api/v1/stream``, SSE)
and a local webhook receiver subscribed to ``case.updated``. Then, one change at a time,
a comment on a case of that squad (``POST /api/v1/cases/{id}/comment``), and the time
from sending the command to (a) the ``board`` event on the stream and (b) the webhook
arriving. Beside it, in the same run, the floor under both: a bare Redis publish →
subscribe round trip. Prints p50/p99 of each; nothing asserts on timings.

The path measured: commit → PostgreSQL NOTIFY → the worker's pump relays the timeline
entry into the feed (and writes the webhook's outbox row) → Redis publish → the API's
subscription rings the stream, which reads the feed → SSE; and outbox NOTIFY → pump
enqueues the delivery → arq picks it up (poll 50 ms) → signed POST.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import offsite, serve, wait_up
from offsite import devstack

API_PORT = 18120
POINT = {"lng": 121.3994755, "lat": 30.9995505, "coord_type": "wgs84"}  # 江川路 squad


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.arrived: dict[int, float] = {}  # feed event id → perf_counter at arrival
        self.wake = threading.Condition()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        at = time.perf_counter()
        with self.server.wake:
            self.server.arrived[json.loads(body)["event_id"]] = at
            self.server.wake.notify_all()
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


async def setup(receiver_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A squad leader and an officer of the 江川路 squad (bearer headers), and a webhook."""
    from api.security import Principal, issue_access_token
    from domain.auth import codes
    from domain.integration.signing import new_secret
    from domain.org import Role
    from offsite.settings import get_settings
    from storage import integrators, webhooks
    from storage.tables import Squad, StaffUser

    squad = await Squad.select(Squad.id).where(Squad.code == "310112001").first()
    assert squad is not None, "run `offsite seed` first"
    now = datetime.now(UTC)
    headers = {}
    for role in (Role.squad_leader, Role.officer):
        rows = await StaffUser.insert(
            StaffUser(
                username=f"bench.notify.{role.value}.{time.time_ns()}",
                display_name="bench",
                role=role.value,
                squad=squad["id"],
                on_duty=True,
            )
        ).returning(StaffUser.id)
        token = issue_access_token(
            Principal(rows[0]["id"], role, squad["id"], uuid.uuid4()), get_settings().auth, now
        )
        headers[role.value] = {"Authorization": f"Bearer {token}"}
    secret = codes.new_token("osk_")
    key = await integrators.insert_key(
        name="bench receiver",
        prefix=secret[:12],
        key_hash=codes.digest(secret),
        scopes=["webhooks:manage"],
        rate_limit_per_min=1000,
        created_by=None,
        now=now,
    )
    await webhooks.subscribe(key.id, receiver_url, ["case.updated"], new_secret(), now)
    return headers["squad_leader"], headers["officer"]


async def drain_outbox(limit_s: float = 300.0) -> None:
    """Wait until the worker has delivered what was owed before the run (a backlog of
    thousands of notifications would sit in front of the measured deliveries)."""
    from storage.tables import Outbox

    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        owed = await Outbox.count().where(
            (Outbox.status == "pending") & (Outbox.next_attempt_at <= datetime.now(UTC))
        )
        if owed == 0:
            return
        print(f"  waiting for the worker to deliver {owed:,} earlier outbox rows ...", flush=True)
        await asyncio.sleep(5.0)
    raise SystemExit("the outbox backlog did not drain")


async def revoke_bench_keys() -> None:
    """Revoke the bench's integrator keys: their webhook deliveries are skipped, not
    retried against a receiver that no longer listens."""
    from storage.tables import IntegratorKey

    await IntegratorKey.update({IntegratorKey.revoked_at: datetime.now(UTC)}).where(
        (IntegratorKey.name == "bench receiver") & IntegratorKey.revoked_at.is_null()
    )


async def stream_board(
    base: str, headers: dict[str, str], arrived: dict[int, float], ready: asyncio.Event
) -> None:
    async with (
        httpx.AsyncClient(timeout=None) as http,
        http.stream("GET", f"{base}/api/v1/stream", headers=headers) as response,
    ):
        ready.set()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "board":
                arrived[json.loads(line[5:])["event_id"]] = time.perf_counter()


async def redis_round_trips(url: str, count: int) -> list[float]:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    pubsub = redis.pubsub()
    await pubsub.subscribe("bench:notify")
    await pubsub.get_message(timeout=1.0)  # the subscribe confirmation
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await redis.publish("bench:notify", "x")
        while await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0) is None:
            pass
        times.append((time.perf_counter() - start) * 1000)
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await redis.aclose()
    return times


async def changes(
    base: str,
    leader: dict[str, str],
    officer: dict[str, str],
    count: int,
    board: dict[int, float],
    receiver: Receiver,
) -> tuple[list[float], list[float]]:
    from storage.tables import CaseEvent

    sse, hooks = [], []
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        made = await http.post(
            "/api/v1/cases",
            headers=officer,
            json={"violation_type": "05-05", "location": POINT, "description": "bench"},
        )
        assert made.status_code == 201, made.text
        case = made.json()
        for n in range(count):
            start = time.perf_counter()
            answer = await http.post(
                f"/api/v1/cases/{case['id']}/comment",
                headers=leader,
                json={"version": case["version"], "text": f"bench comment {n}"},
            )
            assert answer.status_code == 200, answer.text
            case = answer.json()
            event = (
                await CaseEvent.select(CaseEvent.id)
                .where((CaseEvent.case == case["id"]) & (CaseEvent.action == "comment"))
                .order_by(CaseEvent.id, ascending=False)
                .first()
            )
            assert event is not None
            deadline = time.monotonic() + 10
            while event["id"] not in board and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            await asyncio.to_thread(_wait_hook, receiver, event["id"], deadline)
            if event["id"] in board:
                sse.append((board[event["id"]] - start) * 1000)
            if event["id"] in receiver.arrived:
                hooks.append((receiver.arrived[event["id"]] - start) * 1000)
    return sse, hooks


def _wait_hook(receiver: Receiver, event_id: int, deadline: float) -> None:
    with receiver.wake:
        receiver.wake.wait_for(
            lambda: event_id in receiver.arrived or time.monotonic() > deadline, timeout=10
        )


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else float("nan")
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--profile", default="bench", choices=("bench", "run", "test"))
    args = parser.parse_args()

    stack = devstack.Stack(ROOT / ".data", args.profile)
    info = stack.up()
    env = {
        **os.environ,
        "OFFSITE_JWT_SECRET": "bench-secret-" + "x" * 40,
        **info.env,
        "OFFSITE_LOG_LEVEL": "WARNING",
        "OFFSITE_ENV": "bench",
    }
    os.environ.update(env)
    offsite(env, "migrate")
    offsite(env, "seed")
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    children = [
        serve(env, "api.app:create_app", API_PORT),
        subprocess.Popen([sys.executable, "-m", "offsite.cli", "worker"], env=env, cwd=ROOT),
    ]
    from storage.db import close_pool, open_pool

    try:
        await open_pool(1, 4)
        base = f"http://127.0.0.1:{API_PORT}"
        wait_up(f"{base}/healthz")
        leader, officer = await setup(f"http://127.0.0.1:{receiver.server_address[1]}/hook")
        board: dict[int, float] = {}
        ready = asyncio.Event()
        streaming = asyncio.create_task(stream_board(base, leader, board, ready))
        await asyncio.wait_for(ready.wait(), 10)
        await asyncio.sleep(1.0)  # the worker's pump is listening
        await drain_outbox()  # earlier runs' backlog (escalations of bench_cases) first
        await changes(base, leader, officer, 20, board, receiver)  # warm-up
        sse, hooks = await changes(base, leader, officer, args.changes, board, receiver)
        redis = await redis_round_trips(env["REDIS_URL"], args.changes)
        streaming.cancel()
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()  # a server waiting for its open streams to end
        receiver.shutdown()
        await revoke_bench_keys()  # its receiver is gone: nothing more is owed to it
        await close_pool()
        stack.stop_started()  # what ran before is someone else's

    print(
        f"\n{args.changes} case changes, one at a time; one API process, one worker, "
        f"on this machine ({os.cpu_count()} cores)\n"
    )
    print(f"{'path':<52} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = (
        ("bare Redis publish → subscribe round trip", redis),
        ("change → SSE board event (goal p99 < 500 ms)", sse),
        ("change → webhook received (goal p99 < 2000 ms)", hooks),
    )
    for label, values in rows:
        print(
            f"{label:<52} {len(values):>6} {pct(values, 50):>8.1f} {pct(values, 99):>8.1f} "
            f"{max(values) if values else float('nan'):>8.1f}"
        )
    missing = (args.changes - len(sse), args.changes - len(hooks))
    print(f"\nchanges not seen within 10 s: SSE {missing[0]}, webhook {missing[1]}")


if __name__ == "__main__":
    asyncio.run(main())
