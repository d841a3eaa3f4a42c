"""Nothing rests on a photo before its check is done: commands and the evidence package
wait for it (409 evidence_checks_pending), and the package lists every item it has."""

from __future__ import annotations

import io
import zipfile

import msgspec
import pytest

from domain.evidence.package import Manifest
from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    check_photo,
    command,
    go_on_duty,
    photo,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"


async def test_verify_waits_for_the_photo_check_and_the_retry_applies(client: AppClient) -> None:
    await quiet_squad(await squad_id(JIANGCHUAN))
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    case = await command(client, officer, await report(client, officer, "05-05"), "accept")
    shot = await photo(client, officer, case, checked=False)
    body = {"outcome": "corrected_on_site", "location": JIANGCHUAN_POINT, "evidence_ids": [shot]}
    refused = await client.post(
        f"/api/v1/cases/{case['id']}/verify",
        headers=bearer(officer) | {"Idempotency-Key": "verify-weak-net"},
        json={"version": case["version"], **body},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "evidence_checks_pending"
    assert refused.json()["pending"] == [shot]
    assert int(refused.headers["Retry-After"]) > 0
    still = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(officer))).json()
    assert (still["state"], still["version"]) == ("in_progress", case["version"])
    await check_photo(client, shot)
    # The phone retries with the same key: the refusal was not stored, the command runs.
    retried = await command(client, officer, case, "verify", key="verify-weak-net", **body)
    assert retried["state"] == "pending_review"


async def test_the_package_waits_for_checks_and_lists_every_item(client: AppClient) -> None:
    commander = await login(client, await make_user(Role.commander))
    case = await report(client, commander, "01-01")
    checked = await photo(client, commander, case)
    running = await photo(client, commander, case, checked=False)
    url = f"/api/v1/cases/{case['id']}/package"
    refused = await client.get(url, headers=bearer(commander))
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "evidence_checks_pending"
    assert refused.json()["pending"] == [running]
    await check_photo(client, running)
    # An upload granted and never finished is listed too, as not in the package.
    unused = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(commander),
        json={"content_type": "image/jpeg"},
    )
    assert unused.status_code == 201
    ready = await client.get(url, headers=bearer(commander))
    assert ready.status_code == 200, ready.text
    with zipfile.ZipFile(io.BytesIO(ready.content)) as archive:
        manifest = msgspec.json.decode(archive.read("manifest.json"), type=Manifest)
        names = set(archive.namelist())
    items = {i.evidence_id: i for i in manifest.evidence}
    assert set(items) == {checked, running, unused.json()["evidence_id"]}
    for evidence_id in (checked, running):
        assert items[evidence_id].status == "verified"
        assert items[evidence_id].file in names
    granted = items[unused.json()["evidence_id"]]
    assert (granted.status, granted.file) == ("granted", None)
