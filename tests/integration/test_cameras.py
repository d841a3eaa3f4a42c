"""The camera registry: sources whose credentials never come back, derived placement,
legal fields, zones, and jurisdiction."""

from __future__ import annotations

import itertools
import os

import pytest

from domain.org import Role
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
_ids = itertools.count(1)


def camera_body(**extra) -> dict:
    return {
        "device_id": f"T{os.getpid()}-{next(_ids):06d}",
        "name": "江川路口探头",
        "location": {"lng": 121.3994755, "lat": 30.9995505},
        "source": {
            "kind": "http_snapshot",
            "url": "http://10.0.0.5/snapshot.jpg",
            "auth": "digest",
            "username": "viewer",
            "password": "s3cret",
        },
        **extra,
    }


async def test_a_camera_is_registered_placed_and_keeps_its_secrets(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    created = await client.post(
        "/api/v1/cameras",
        headers=bearer(admin),
        json=camera_body(
            published_location="江川路与沧源路路口",
            legal_review_date="2026-10-01",
            technical_review_date="2026-10-08",
        ),
    )
    assert created.status_code == 201, created.text
    camera = created.json()
    assert camera["squad_id"] is not None and camera["grid_id"] is not None
    assert camera["legal_ready"] is True
    assert camera["source"] == {
        "kind": "http_snapshot",
        "url": "http://10.0.0.5/snapshot.jpg",
        "auth": "digest",
        "has_credentials": True,
    }
    assert "s3cret" not in created.text and "viewer" not in created.text
    again = await client.post(
        "/api/v1/cameras", headers=bearer(admin), json=camera_body(device_id=camera["device_id"])
    )
    assert again.status_code == 409 and again.json()["code"] == "camera_device_taken"


async def test_zones_are_validated_and_replaced(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    camera = (
        await client.post("/api/v1/cameras", headers=bearer(admin), json=camera_body())
    ).json()
    zone = {
        "key": "no-parking-1",
        "polygon": [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]],
        "rules": [{"violation_type": "05-05", "dwell_s": 300}],
    }
    saved = await client.put(
        f"/api/v1/cameras/{camera['id']}/zones", headers=bearer(admin), json=[zone]
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["zones"][0]["rules"][0]["dwell_s"] == 300
    flat = {**zone, "polygon": [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]}
    bad = await client.put(
        f"/api/v1/cameras/{camera['id']}/zones", headers=bearer(admin), json=[flat]
    )
    assert bad.status_code == 400 and bad.json()["code"] == "zone_polygon_invalid"
    unknown = {**zone, "rules": [{"violation_type": "99-99"}]}
    bad = await client.put(
        f"/api/v1/cameras/{camera['id']}/zones", headers=bearer(admin), json=[unknown]
    )
    assert bad.json()["code"] == "violation_type_unknown"
    outside = {**zone, "polygon": [[0.1, 0.5], [1.4, 0.5], [0.9, 1.0]]}
    bad = await client.put(
        f"/api/v1/cameras/{camera['id']}/zones", headers=bearer(admin), json=[outside]
    )
    assert bad.json()["code"] == "invalid_request"


async def test_credentials_in_the_url_are_refused(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    body = camera_body()
    body["source"] = {"kind": "rtsp", "url": "rtsp://admin:pw@10.0.0.6/stream1"}
    refused = await client.post("/api/v1/cameras", headers=bearer(admin), json=body)
    assert refused.status_code == 400 and refused.json()["code"] == "source_url_credentials"
    body["source"] = {"kind": "rtsp", "url": "http://10.0.0.6/stream1"}
    refused = await client.post("/api/v1/cameras", headers=bearer(admin), json=body)
    assert refused.json()["code"] == "source_url_invalid"


async def test_officers_see_only_their_squads_cameras(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    camera = (
        await client.post("/api/v1/cameras", headers=bearer(admin), json=camera_body())
    ).json()
    stranger = await login(client, await make_user(Role.officer, squad_code="310112101"))
    seen = await client.get(f"/api/v1/cameras/{camera['id']}", headers=bearer(stranger))
    assert seen.status_code == 404
    listed = (await client.get("/api/v1/cameras?limit=200", headers=bearer(stranger))).json()
    assert camera["id"] not in [c["id"] for c in listed["items"]]
    refused = await client.patch(
        f"/api/v1/cameras/{camera['id']}", headers=bearer(stranger), json={"enabled": False}
    )
    assert refused.status_code == 404  # another squad's camera is not there for them
    disabled = await client.patch(
        f"/api/v1/cameras/{camera['id']}",
        headers=bearer(admin),
        json={"enabled": False, "sample_interval_s": 30},
    )
    assert disabled.json()["enabled"] is False and disabled.json()["sample_interval_s"] == 30
    gone = await client.delete(f"/api/v1/cameras/{camera['id']}", headers=bearer(admin))
    assert gone.status_code == 200


async def test_credentials_are_stored_sealed_and_old_ones_get_sealed(client: AppClient) -> None:
    from storage import cameras, sealing
    from storage.tables import Camera

    admin = await login(client, await make_user(Role.admin))
    made = await client.post("/api/v1/cameras", headers=bearer(admin), json=camera_body())
    assert made.status_code == 201, made.text
    camera_id = made.json()["id"]
    row = await Camera.select(Camera.source_password).where(Camera.id == camera_id).first()
    assert row is not None and row["source_password"].startswith(sealing.PREFIX)
    password = (await cameras.source(camera_id)).password
    assert password and password not in row["source_password"]

    # A password written before sealing existed: read as it is, sealed by `offsite migrate`.
    await Camera.update({Camera.source_password: "legacy-pass"}).where(Camera.id == camera_id)
    assert (await cameras.source(camera_id)).password == "legacy-pass"
    assert await sealing.reseal() >= 1
    row = await Camera.select(Camera.source_password).where(Camera.id == camera_id).first()
    assert row is not None and row["source_password"].startswith(sealing.PREFIX)
    assert (await cameras.source(camera_id)).password == "legacy-pass"


async def test_rotating_the_data_key_reseals_what_the_old_one_sealed(client: AppClient) -> None:
    import base64

    from storage import cameras, sealing
    from storage.tables import Camera

    admin = await login(client, await make_user(Role.admin))
    made = await client.post("/api/v1/cameras", headers=bearer(admin), json=camera_body())
    camera_id = made.json()["id"]
    password = (await cameras.source(camera_id)).password
    current = client.app.state.runtime.settings.auth.data_key
    new = base64.b64encode(b"\x07" * 32).decode()
    try:
        sealing.configure(new, retired=current)  # the operator's rotation
        assert (await cameras.source(camera_id)).password == password  # opens meanwhile
        assert await sealing.reseal() >= 1
        sealing.configure(new)  # the retired key dropped
        assert (await cameras.source(camera_id)).password == password
    finally:
        sealing.configure(current, retired=new)
        await sealing.reseal()  # back under the key the rest of the session uses
        sealing.configure(current)
    row = await Camera.select(Camera.source_password).where(Camera.id == camera_id).first()
    assert row is not None and sealing.unseal(row["source_password"], "camera.source_password")
