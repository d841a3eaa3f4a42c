"""Helpers for case tests: quiet squads, reports, and commands with the right version."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from offsite.settings import EvidenceSettings
from storage.objects import ObjectStore
from storage.tables import StaffUser
from tests import factories
from tests.integration.conftest import AppClient, bearer

# A point in grid 310112001-0001 (江川路), and one in 310112101 (莘庄镇).
JIANGCHUAN_POINT = {"lng": 121.3994755, "lat": 30.9995505, "coord_type": "wgs84"}
XINZHUANG_POINT = {"lng": 121.36948, "lat": 31.10955, "coord_type": "wgs84"}
_keys = itertools.count(1)


async def quiet_squad(squad_id: int) -> None:
    """Take every officer of a squad off duty, so a test decides who is on duty."""
    await StaffUser.update({StaffUser.on_duty: False}).where(StaffUser.squad == squad_id)


async def go_on_duty(client: AppClient, tokens: dict[str, Any], point: dict[str, Any]) -> None:
    """On shift (a roster shift covering now, unless one does already) and on duty at
    ``point``: what auto-dispatch asks of an officer."""
    await factories.on_shift(tokens["user"]["id"])
    response = await client.put(
        "/api/v1/me/duty", headers=bearer(tokens), json={"on_duty": True, "location": point}
    )
    assert response.status_code == 200, response.text


async def report(
    client: AppClient,
    tokens: dict[str, Any],
    vtype: str = "05-05",
    point: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/cases",
        headers=bearer(tokens),
        json={
            "violation_type": vtype,
            "location": point or JIANGCHUAN_POINT,
            "description": "test report",
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def command(
    client: AppClient,
    tokens: dict[str, Any],
    case: dict[str, Any],
    name: str,
    expect: int = 200,
    key: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    """Send a command with the case's current version; returns the new case (or error)."""
    headers = bearer(tokens) | {"Idempotency-Key": key or f"k{next(_keys)}"}
    response = await client.post(
        f"/api/v1/cases/{case['id']}/{name}",
        headers=headers,
        json={"version": case["version"], **body},
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


async def photo(
    client: AppClient,
    tokens: dict[str, Any],
    case: dict[str, Any],
    purpose: str = "verification",
    checked: bool = True,
    *,
    image: Path | None = None,
    location: dict[str, Any] | None = None,
    by_worker: bool = False,
) -> str:
    """Upload a JPEG for a case through a real grant (a small generated one, or the file
    ``image``) and complete it at ``location``; its evidence id. ``checked``: run the
    worker's check on it here and now (commands take checked photos only);
    ``by_worker``: wait instead for a running worker to check it, and require it verified."""
    import io

    import httpx
    from PIL import Image

    grant = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(tokens),
        json={"content_type": "image/jpeg", "purpose": purpose},
    )
    assert grant.status_code == 201, grant.text
    g = grant.json()
    if image is None:
        data = io.BytesIO()
        Image.new("RGB", (32, 24), (10, 120, 10)).save(data, "JPEG")
        name, content = "p.jpg", data.getvalue()
    else:
        name, content = image.name, image.read_bytes()
    async with httpx.AsyncClient(timeout=30) as s3:
        up = await s3.post(
            g["url"], data=g["fields"], files={g["file_field"]: (name, content, "image/jpeg")}
        )
    assert up.status_code in (200, 201, 204), up.text
    done = await client.post(
        f"/api/v1/evidence/{g['evidence_id']}/complete",
        headers=bearer(tokens),
        json={"location": location or JIANGCHUAN_POINT},
    )
    assert done.status_code == 202, done.text
    evidence_id: str = g["evidence_id"]
    if by_worker:
        await worker_checked(client, tokens, evidence_id)
    elif checked:
        await check_photo(client, evidence_id)
    return evidence_id


async def worker_checked(client: AppClient, tokens: dict[str, Any], evidence_id: str) -> None:
    """Wait (up to 30 s) for a running worker to check the evidence; it must be verified."""
    import asyncio

    for _ in range(300):
        ev = (await client.get(f"/api/v1/evidence/{evidence_id}", headers=bearer(tokens))).json()
        if ev["status"] != "processing":
            break
        await asyncio.sleep(0.1)  # the worker checks it; no event to await from here
    assert ev["status"] == "verified", ev


async def check_photo(client: AppClient, evidence_id: str) -> None:
    """What the worker's evidence job does with a completed upload, done here and now."""
    import uuid
    from datetime import UTC, datetime

    from storage import evidence

    rt = client.app.state.runtime
    now = datetime.now(UTC)
    await evidence.check(rt.objects, rt.settings.evidence, uuid.UUID(evidence_id), now)


def demo_store(client: AppClient) -> tuple[ObjectStore, EvidenceSettings]:
    """The app's store and evidence settings, where the demo seed puts its photos."""
    rt = client.app.state.runtime
    return rt.objects, rt.settings.evidence
