"""A real integrations worker killed while a webhook is on the wire: another one delivers
it again with the same delivery id, so an idempotent receiver applies it once; nothing
is lost. (The default worker's pump, which enqueues the attempts, runs throughout.)"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time

from domain.integration.signing import verify
from tests.e2e.conftest import start_worker
from tests.integration.conftest import AppClient
from tests.integration.test_integration_api import Receiver, _complaint, _key


def _worker(kind: str, lease_s: float) -> subprocess.Popen[bytes]:
    return start_worker(kind, OFFSITE_OUTBOX_LEASE_S=str(lease_s), OFFSITE_OUTBOX_RECONCILE_S="0.5")


async def _until(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    client: AppClient,
) -> None:
    receiver = Receiver()
    receiver.hold.set()  # the first delivery hangs on the wire: the worker dies meanwhile
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    pump = _worker("default", lease_s=2.0)
    first = _worker("integrations", lease_s=2.0)
    second: subprocess.Popen[bytes] | None = None
    try:
        key, _ = await _key(client, ["complaints:write", "webhooks:manage", "events:read"])
        hook = await client.post(
            "/integrator/v1/webhooks",
            headers=key,
            json={"url": receiver.url, "topics": ["case.created"]},
        )
        secret = hook.json()["secret"]
        made = await client.post(
            "/integrator/v1/complaints", headers=key, json=_complaint(f"crash-{time.time_ns()}")
        )
        case_id = made.json()["case_id"]

        await _until(lambda: len(receiver.requests) == 1, 20)
        first.send_signal(signal.SIGKILL)  # mid-delivery: the receiver has not answered
        first.wait(10)
        receiver.hold.clear()
        second = _worker("integrations", lease_s=2.0)
        await _until(lambda: len(receiver.requests) >= 2, 30)

        ids = [h["x-offsite-delivery"] for h, _ in receiver.requests]
        assert len(set(ids)) == 1, "every attempt of one delivery carries one id"
        headers, body = receiver.requests[-1]
        assert verify(secret, headers["x-offsite-signature"], body, time.time())
        assert f'"case_id":{case_id}' in body.decode()
    finally:
        for proc in (first, second, pump):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(20)
        receiver.release.set()
        receiver.shutdown()
        receiver.server_close()
