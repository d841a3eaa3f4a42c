"""Vendor alarms through the integrator API: keys, scopes, mapping, dedup, evidence."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from domain.org import Role
from jobs.outbox import deliver_outbox
from storage.tables import Evidence, Outbox
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def _key(client: AppClient, scopes: list[str]) -> dict[str, str]:
    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "AI box vendor", "scopes": scopes},
    )
    return {"Authorization": f"Bearer {issued.json()['api_key']}"}


def _jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 90)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def _alarm(alarm_id: str, **extra) -> dict:
    return {
        "alarm_id": alarm_id,
        "device_id": "BOX-UNREGISTERED",
        "vendor_type": "illegal_parking",
        "occurred_at": datetime.now(UTC).isoformat(),
        "image_base64": _jpeg(),
        "location": {"lng": 121.3994755, "lat": 30.9995505},
        "boxes": [{"label": "car", "score": 0.9, "x1": 10, "y1": 20, "x2": 200, "y2": 180}],
        **extra,
    }


async def test_an_alarm_becomes_one_case_with_its_pictures(client: AppClient) -> None:
    key = await _key(client, ["alarms:write"])
    alarm_id = f"A-{datetime.now(UTC):%H%M%S%f}"
    first = await client.post("/integrator/v1/alarms", headers=key, json=_alarm(alarm_id))
    assert first.status_code == 200, first.text
    again = await client.post("/integrator/v1/alarms", headers=key, json=_alarm(alarm_id))
    assert again.json() == {**first.json(), "duplicate": True}
    assert first.json()["duplicate"] is False
    kinds = await Evidence.select(Evidence.kind).where(Evidence.case == first.json()["case_id"])
    assert sorted(k["kind"] for k in kinds) == ["annotated_frame", "camera_frame"]
    # An unregistered device has no legal review: its pictures are flagged for the reviewer.
    flags = (
        await Evidence.select(Evidence.flags)
        .output(load_json=True)
        .where(Evidence.case == first.json()["case_id"])
    )
    assert all(f["flags"] == ["camera_not_reviewed"] for f in flags)


async def test_keys_scopes_and_mapping_are_enforced(client: AppClient) -> None:
    alarm = _alarm("A-scope")
    missing = await client.post("/integrator/v1/alarms", json=alarm)
    assert missing.status_code == 401
    wrong = await client.post(
        "/integrator/v1/alarms", json=alarm, headers={"Authorization": "Bearer osk_not-a-key"}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "api_key_invalid"
    reader = await _key(client, ["events:read"])
    denied = await client.post("/integrator/v1/alarms", headers=reader, json=alarm)
    assert denied.status_code == 403 and denied.json()["code"] == "scope_missing"
    writer = await _key(client, ["alarms:write"])
    unknown = await client.post(
        "/integrator/v1/alarms", headers=writer, json={**alarm, "vendor_type": "ufo_sighting"}
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "alarm_type_unknown"
    nowhere = await client.post(
        "/integrator/v1/alarms", headers=writer, json={**alarm, "location": None}
    )
    assert nowhere.status_code == 400 and nowhere.json()["code"] == "location_required"
    staff = await login(client, await make_user(Role.admin))
    jwt_refused = await client.post("/integrator/v1/alarms", headers=bearer(staff), json=alarm)
    assert jwt_refused.status_code == 401


async def test_two_vendors_alarms_of_one_id_are_two_cases(client: AppClient) -> None:
    first_vendor = await _key(client, ["alarms:write"])
    second_vendor = await _key(client, ["alarms:write"])
    alarm_id = f"A-{datetime.now(UTC):%H%M%S%f}"
    sent = await asyncio.gather(
        *(
            client.post("/integrator/v1/alarms", headers=key, json=_alarm(alarm_id))
            for key in (first_vendor, first_vendor, second_vendor)
        )
    )
    assert all(r.status_code == 200 for r in sent), [r.text for r in sent]
    assert sent[0].json()["case_id"] == sent[1].json()["case_id"], "one vendor: one case"
    assert sent[2].json()["case_id"] != sent[0].json()["case_id"]
    assert sent[2].json()["duplicate"] is False
    assert sorted(r.json()["duplicate"] for r in sent) == [False, False, True]


async def test_an_alarm_picture_given_by_url_is_fetched_afterwards(client: AppClient) -> None:
    picture = base64.b64decode(_jpeg())

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(picture)))
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        key = await _key(client, ["alarms:write"])
        url = f"http://127.0.0.1:{server.server_address[1]}/alarm.jpg"
        both = await client.post(
            "/integrator/v1/alarms", headers=key, json=_alarm("A-both", image_url=url)
        )
        assert (both.status_code, both.json()["code"]) == (400, "image_invalid")
        alarm = {**_alarm(f"A-url-{datetime.now(UTC):%H%M%S%f}", image_url=url)}
        del alarm["image_base64"]
        sent = await client.post("/integrator/v1/alarms", headers=key, json=alarm)
        assert sent.status_code == 200, sent.text
        case_id = sent.json()["case_id"]
        assert await Evidence.count().where(Evidence.case == case_id) == 0  # not in the request

        runtime = client.app.state.runtime
        rows = await Outbox.select(Outbox.id).where(
            (Outbox.case == case_id) & (Outbox.kind == "fetch")
        )
        assert [await deliver_outbox({"runtime": runtime}, r["id"]) for r in rows] == ["delivered"]
        assert await deliver_outbox({"runtime": runtime}, rows[0]["id"]) == "not due"
        kinds = await Evidence.select(Evidence.kind, Evidence.sha256).where(
            Evidence.case == case_id
        )
        assert sorted(k["kind"] for k in kinds) == ["annotated_frame", "camera_frame"]
        raw = next(k for k in kinds if k["kind"] == "camera_frame")
        assert raw["sha256"] == hashlib.sha256(picture).hexdigest()
    finally:
        server.shutdown()
        server.server_close()
