"""From a camera frame to a case: a local HTTP "camera" serves road_traffic_cn.jpg with a
no-parking zone over the cars; after the dwell time exactly one case exists, with both
evidence frames and the zone's party; an empty street then records a clearance."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from domain.org import Role
from jobs.vision import VisionState, load_detector, sample
from storage.cases import timeline
from storage.tables import Case, Evidence, Subject
from tests.factories import make_user
from tests.fakes.rtsp import FakeRtspCamera
from tests.fakes.rtsp import serve as serve_rtsp
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
IMAGES = Path(__file__).parents[2] / ".." / "shared" / "testdata" / "images"


class Camera:
    """Serves whatever ``frame`` holds as /snapshot.jpg, behind basic auth."""

    frame: bytes = b""


@pytest.fixture
def camera() -> Iterator[tuple[type[Camera], str]]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != "Basic dmlld2VyOnMzY3JldA==":
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="cam"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(Camera.frame)))
            self.end_headers()
            self.wfile.write(Camera.frame)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Camera, f"http://127.0.0.1:{server.server_address[1]}/snapshot.jpg"
    finally:
        server.shutdown()
        server.server_close()


async def _register(
    client: AppClient, admin: dict[str, Any], prefix: str, url: str, **extra: object
) -> int:
    """A camera serving ``url`` behind the fixture camera's basic auth; its id."""
    created = await client.post(
        "/api/v1/cameras",
        headers=bearer(admin),
        json={
            "device_id": f"{prefix}-{datetime.now(UTC):%H%M%S%f}",
            "name": "测试探头",
            "location": {"lng": 121.3994755, "lat": 30.9995505},
            "source": {
                "kind": "http_snapshot",
                "url": url,
                "auth": "basic",
                "username": "viewer",
                "password": "s3cret",
            },
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def test_cars_in_a_no_parking_zone_become_one_case_then_clear(
    client: AppClient, settings, camera
) -> None:
    cam, url = camera
    cam.frame = (IMAGES / "road_traffic_cn.jpg").read_bytes()
    admin = await login(client, await make_user(Role.admin))
    now = datetime.now(UTC)
    rows = await Subject.insert(
        Subject(
            kind="merchant",
            name="测试水果店",
            address="江川路 1 号",
            lng=121.3994,
            lat=30.9995,
            created_at=now,
            updated_at=now,
        )
    ).returning(Subject.id)
    subject = rows[0]
    camera_id = await _register(
        client,
        admin,
        "VISION",
        url,
        published_location="测试路口",
        legal_review_date="2026-10-01",
        technical_review_date="2026-10-02",
    )
    zones = await client.put(
        f"/api/v1/cameras/{camera_id}/zones",
        headers=bearer(admin),
        json=[
            {
                "key": "no-parking",
                "polygon": [[0, 0.3], [1, 0.3], [1, 1], [0, 1]],
                "rules": [{"violation_type": "05-05", "dwell_s": 20, "min_score": 0.4}],
                "subject_id": subject["id"],
            }
        ],
    )
    assert zones.status_code == 200, zones.text

    rt = client.app.state.runtime
    state = VisionState(load_detector(settings))
    start = datetime.now(UTC)
    results = [
        await sample(rt, state, camera_id, start + timedelta(seconds=10 * i)) for i in range(5)
    ]
    assert all(r.startswith("ok:") for r in results), results
    # The same frame five times: the model looked once; four samples reused its detections.
    assert (state.inferences, state.inferences_skipped) == (1, 4)

    cases = await Case.select(Case.id, Case.source, Case.subject, Case.state).where(
        Case.camera == camera_id
    )
    assert len(cases) == 1, "one case for the zone, however many samples"
    case = cases[0]
    assert case["source"] == "camera" and case["subject"] == subject["id"]
    frames = await Evidence.select(Evidence.kind, Evidence.sha256).where(
        Evidence.case == case["id"]
    )
    assert sorted(f["kind"] for f in frames) == ["annotated_frame", "camera_frame"]
    assert all(len(f["sha256"]) == 64 for f in frames)
    # The camera's legal fields are complete: its frames carry no flag.
    flags = (
        await Evidence.select(Evidence.flags)
        .output(load_json=True)
        .where(Evidence.case == case["id"])
    )
    assert all(f["flags"] == [] for f in flags)

    # An empty street: after three clear samples the case gets its "cleared" observation.
    cam.frame = (IMAGES / "shop_sign_bank_cn.jpg").read_bytes()
    for i in range(5, 9):
        await sample(rt, state, camera_id, start + timedelta(seconds=10 * i))
    entries = await timeline.entries(case["id"])
    notes = [e["data"].get("observation") for e in entries if e["action"] == "observation"]
    assert notes.count("cleared") == 1
    assert state.inferences == 2, "the new scene was looked at"
    assert (await timeline.verify_case(case["id"])).ok
    assert len(await Case.select(Case.id).where(Case.camera == camera_id)) == 1


async def test_a_failing_camera_goes_offline_once(client: AppClient, settings) -> None:
    from storage.tables import Camera as CameraTable
    from storage.tables import Outbox

    admin = await login(client, await make_user(Role.admin))
    created = await client.post(
        "/api/v1/cameras",
        headers=bearer(admin),
        json={
            "device_id": f"DEAD-{datetime.now(UTC):%H%M%S%f}",
            "name": "坏探头",
            "location": {"lng": 121.3994755, "lat": 30.9995505},
            "source": {"kind": "http_snapshot", "url": "http://127.0.0.1:9/none.jpg"},
        },
    )
    camera_id = created.json()["id"]
    rt = client.app.state.runtime
    state = VisionState(load_detector(settings))
    now = datetime.now(UTC)
    for i in range(7):
        result = await sample(rt, state, camera_id, now + timedelta(seconds=i))
        assert result.startswith("failed:")
    row = (
        await CameraTable.select(CameraTable.health, CameraTable.consecutive_failures)
        .where(CameraTable.id == camera_id)
        .first()
    )
    assert row == {"health": "offline", "consecutive_failures": 7}
    notices = await Outbox.raw(
        """SELECT count(*) AS n FROM outbox
            WHERE topic = 'camera.offline' AND (payload->>'camera_id')::int = {}""",
        camera_id,
    )
    assert notices[0]["n"] == 1


async def test_false_positives_feed_the_precision_of_a_camera_rule(client: AppClient) -> None:
    from domain.cases.machine import SYSTEM
    from domain.cases.model import Source
    from domain.geo import LngLat
    from storage.cases.commands import NewCase, create_case

    admin = await login(client, await make_user(Role.admin))
    camera_id = (
        await client.post(
            "/api/v1/cameras",
            headers=bearer(admin),
            json={
                "device_id": f"PREC-{datetime.now(UTC):%H%M%S%f}",
                "name": "精度探头",
                "location": {"lng": 121.3994755, "lat": 30.9995505},
                "source": {"kind": "http_snapshot", "url": ""},
            },
        )
    ).json()["id"]
    rt = client.app.state.runtime
    commander = await login(client, await make_user(Role.commander))
    for reason in ("false_positive", "duplicate", None):
        case = await create_case(
            rt.cases,
            NewCase(
                source=Source.camera,
                violation_type="01-01",
                camera_id=camera_id,
                position=LngLat(121.3994755, 30.9995505),
            ),
            SYSTEM,
            datetime.now(UTC),
        )
        if reason:
            dismissed = await client.post(
                f"/api/v1/cases/{case.id}/dismiss",
                headers=bearer(commander),
                json={"version": case.version, "reason": reason, "note": "triage"},
            )
            assert dismissed.status_code == 200, dismissed.text
    from zoneinfo import ZoneInfo

    from storage.cases import aggregates

    await aggregates.refresh()  # what the worker does every minute
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    report = (
        await client.get(f"/api/v1/stats/precision?period={period}", headers=bearer(commander))
    ).json()
    row = next(r for r in report["items"] if r["camera_id"] == camera_id)
    assert (row["alerts"], row["false_positives"], row["undecided"]) == (3, 1, 1)
    assert row["precision"] == pytest.approx(0.5)


async def test_an_rtsp_camera_raises_its_case_the_same_way(client: AppClient, settings) -> None:
    admin = await login(client, await make_user(Role.admin))
    with Image.open(IMAGES / "road_traffic_cn.jpg") as still:
        rtsp = FakeRtspCamera(still, username="viewer", password="s3cret")
    with serve_rtsp(rtsp) as url:
        created = await client.post(
            "/api/v1/cameras",
            headers=bearer(admin),
            json={
                "device_id": f"RTSP-{datetime.now(UTC):%H%M%S%f}",
                "name": "测试 RTSP 探头",
                "location": {"lng": 121.3994755, "lat": 30.9995505},
                "source": {"kind": "rtsp", "url": url, "username": "viewer", "password": "s3cret"},
                "published_location": "测试路口",
                "legal_review_date": "2026-10-01",
                "technical_review_date": "2026-10-02",
            },
        )
        assert created.status_code == 201, created.text
        camera_id = created.json()["id"]
        zones = await client.put(
            f"/api/v1/cameras/{camera_id}/zones",
            headers=bearer(admin),
            json=[
                {
                    "key": "no-parking",
                    "polygon": [[0, 0.3], [1, 0.3], [1, 1], [0, 1]],
                    "rules": [{"violation_type": "05-05", "dwell_s": 20, "min_score": 0.4}],
                }
            ],
        )
        assert zones.status_code == 200, zones.text
        rt = client.app.state.runtime
        state = VisionState(load_detector(settings))
        start = datetime.now(UTC)
        results = [
            await sample(rt, state, camera_id, start + timedelta(seconds=10 * i)) for i in range(4)
        ]
    assert all(r.startswith("ok:") for r in results), results
    cases = await Case.select(Case.id).where(Case.camera == camera_id)
    assert len(cases) == 1
    frames = await Evidence.select(Evidence.kind).where(Evidence.case == cases[0]["id"])
    assert sorted(f["kind"] for f in frames) == ["annotated_frame", "camera_frame"]
    assert rtsp.requests.count("PLAY") == 4, "one stream opened per sample"


async def test_a_frame_that_does_not_decode_is_the_cameras_failure(
    client: AppClient, settings, camera
) -> None:
    from storage.tables import Camera as CameraTable

    cam, url = camera
    whole = (IMAGES / "road_traffic_cn.jpg").read_bytes()
    cam.frame = whole[: len(whole) // 2]  # a camera that cut its JPEG short
    admin = await login(client, await make_user(Role.admin))
    camera_id = await _register(client, admin, "HALF", url)
    state = VisionState(load_detector(settings))

    result = await sample(client.app.state.runtime, state, camera_id, datetime.now(UTC))

    assert result == "failed:undecodable"
    row = (
        await CameraTable.select(CameraTable.consecutive_failures, CameraTable.last_error)
        .where(CameraTable.id == camera_id)
        .first()
    )
    assert row is not None and row["consecutive_failures"] == 1
    assert row["last_error"].startswith("undecodable")
    assert state.inferences == 0
