"""Evidence against the real S3 store: POST-policy uploads, the store's own refusals,
checks with their reason codes, on-site flags, and the hash in the audit chain."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import pytest
from minio.error import S3Error
from PIL import Image

from offsite.settings import Settings
from storage import evidence
from storage.cases import timeline
from storage.objects import ObjectStore
from tests.integration.cases_helpers import JIANGCHUAN_POINT, report
from tests.integration.conftest import AppClient, bearer, client_for, login
from tests.integration.test_cases import _officer_on_duty

pytestmark = pytest.mark.usefixtures("database")
PHOTO = Path(__file__).parents[2] / ".." / "shared" / "testdata" / "images" / "bus_pedestrians.jpg"


@pytest.fixture(scope="module", autouse=True)
def bucket(settings: Settings) -> None:
    ObjectStore(settings.s3).ensure_bucket()


def _jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def _grant(client: AppClient, tokens, case, content_type="image/jpeg", purpose="report"):
    response = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(tokens),
        json={"content_type": content_type, "purpose": purpose},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _upload(
    grant: dict, data: bytes, content_type: str = "image/jpeg", **overrides: str
) -> httpx.Response:
    fields = {**grant["fields"], **overrides}
    async with httpx.AsyncClient(timeout=30) as s3:
        return await s3.post(
            grant["url"],
            data=fields,
            files={grant["file_field"]: ("photo.jpg", data, content_type)},
        )


async def _complete_and_check(client: AppClient, settings: Settings, tokens, grant, **body):
    done = await client.post(
        f"/api/v1/evidence/{grant['evidence_id']}/complete", headers=bearer(tokens), json=body
    )
    assert done.status_code == 202, done.text
    await evidence.check(
        ObjectStore(settings.s3),
        settings.evidence,
        msgspec.convert(grant["evidence_id"], evidence.uuid.UUID),
        datetime.now(UTC),
    )
    read = await client.get(f"/api/v1/evidence/{grant['evidence_id']}", headers=bearer(tokens))
    return read.json()


async def test_a_photo_goes_up_is_checked_and_enters_the_chain(client, settings) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    data = _jpeg()
    grant = await _grant(client, tokens, case)
    uploaded = await _upload(grant, data)
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    ev = await _complete_and_check(client, settings, tokens, grant, location=JIANGCHUAN_POINT)
    assert ev["status"] == "verified"
    assert ev["sha256"] == hashlib.sha256(data).hexdigest()
    assert (ev["width"], ev["height"]) == (64, 48)
    async with httpx.AsyncClient() as plain:
        assert (await plain.get(ev["view_url"])).content == data
        assert (await plain.get(ev["thumbnail_url"])).status_code == 200
    # Write-once: posting again under the same grant cannot touch the kept file.
    again = await _upload(grant, _jpeg((10, 10)))
    assert again.status_code in (200, 201, 204)
    async with httpx.AsyncClient() as plain:
        assert (await plain.get(ev["view_url"])).content == data
    entries = await timeline.entries(case["id"])
    assert entries[-1]["action"] == "evidence"
    assert entries[-1]["data"]["sha256"] == ev["sha256"]
    assert (await timeline.verify_case(case["id"])).ok


async def test_an_iphone_heic_photo_is_accepted(client, settings) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 20, 200)).save(out, "HEIF")
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    grant = await _grant(client, tokens, case, "image/heic")
    assert (await _upload(grant, out.getvalue(), "image/heic")).status_code in (200, 201, 204)
    ev = await _complete_and_check(client, settings, tokens, grant, location=JIANGCHUAN_POINT)
    assert ev["status"] == "verified" and (ev["width"], ev["height"]) == (64, 48)


async def test_the_store_itself_refuses_what_the_grant_does_not_allow(settings) -> None:
    async with client_for(settings) as client:
        _, tokens = await _officer_on_duty(client)
        case = await report(client, tokens, "05-05")
        grant = await _grant(client, tokens, case)
        wrong_type = await _upload(grant, _jpeg(), "image/png", **{"Content-Type": "image/png"})
        assert wrong_type.status_code == 403
        wrong_key = await _upload(grant, _jpeg(), key=grant["fields"]["key"] + "-other")
        assert wrong_key.status_code == 403
        big = await _upload(grant, b"\xff" * (grant["max_bytes"] + 1))
        assert big.status_code == 400 and "EntityTooLarge" in big.text


def _png_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content_type", "make", "reason"),
    [
        ("image/jpeg", lambda: _jpeg((400, 300))[:600], "corrupt_image"),
        ("image/png", _png_bomb, "decompression_bomb"),
        ("image/jpeg", lambda: b"just some text, not a photo\n" * 20, "not_an_image"),
        ("image/png", _jpeg, "type_mismatch"),
        ("image/jpeg", None, "object_missing"),
    ],
)
async def test_bad_uploads_are_refused_with_a_reason(
    client, settings, content_type, make, reason
) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    grant = await _grant(client, tokens, case, content_type)
    if make is not None:
        uploaded = await _upload(grant, make(), content_type)
        assert uploaded.status_code in (200, 201, 204), uploaded.text
    ev = await _complete_and_check(client, settings, tokens, grant)
    assert ev["status"] == "rejected"
    assert ev["reject_reason"] == reason
    assert ev["view_url"] is None
    store = ObjectStore(settings.s3)
    for key in (grant["fields"]["key"], f"evidence/{case['id']}/{grant['evidence_id']}"):
        with pytest.raises(S3Error):  # nothing is left behind
            store.size(key)


async def test_a_photo_taken_far_away_is_kept_but_flagged(client, settings) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    grant = await _grant(client, tokens, case, purpose="verification")
    data = PHOTO.read_bytes()  # its EXIF GPS is in Madrid
    assert (await _upload(grant, data)).status_code in (200, 201, 204)
    ev = await _complete_and_check(
        client,
        settings,
        tokens,
        grant,
        location=JIANGCHUAN_POINT,
        captured_at=datetime.now(UTC).isoformat(),
    )
    assert ev["status"] == "verified"
    assert "far_from_case" in ev["flags"]
    assert "outside_task_window" in ev["flags"]  # taken in 2019
    assert ev["exif_location"]["lat"] == pytest.approx(40.41, abs=0.01)
    # The reviewer sees the flags on the case; the figures count the flagged photo.
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))).json()
    assert detail["flagged_evidence"] == 1
    assert "far_from_case" in detail["evidence"][0]["flags"]
    from zoneinfo import ZoneInfo

    from storage.cases import aggregates

    await aggregates.refresh()  # what the worker does every minute
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    figures = (
        await client.get(
            f"/api/v1/stats/indicators?period={period}&group_by=squad&squad_id={case['squad_id']}",
            headers=bearer(tokens),
        )
    ).json()
    assert figures["items"][0]["flagged_evidence"] >= 1


async def test_evidence_of_another_squad_is_not_found(client) -> None:
    from domain.org import Role
    from tests.factories import make_user

    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    grant = await _grant(client, tokens, case)
    stranger = await login(client, await make_user(Role.officer, squad_code="310112101"))
    seen = await client.get(f"/api/v1/evidence/{grant['evidence_id']}", headers=bearer(stranger))
    assert seen.status_code == 404
    refused = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(stranger),
        json={"content_type": "image/jpeg"},
    )
    assert refused.status_code == 404
    odd = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(tokens),
        json={"content_type": "application/pdf"},
    )
    assert odd.status_code == 400 and odd.json()["code"] == "content_type_unsupported"


async def test_the_package_round_trips_through_the_verifier(client, settings, tmp_path) -> None:
    import subprocess
    import sys
    import zipfile

    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    for size in ((64, 48), (80, 60)):
        grant = await _grant(client, tokens, case)
        assert (await _upload(grant, _jpeg(size))).status_code in (200, 201, 204)
        await _complete_and_check(client, settings, tokens, grant, location=JIANGCHUAN_POINT)
    response = await client.get(f"/api/v1/cases/{case['id']}/package", headers=bearer(tokens))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/zip")
    path = tmp_path / "package.zip"
    path.write_bytes(response.content)

    def verify(p) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "offsite.cli", "verify-package", str(p)],
            capture_output=True,
            text=True,
        )

    ok = verify(path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "2 file(s); package verified" in ok.stdout

    # One byte changed in one photo: the verifier names it.
    with zipfile.ZipFile(path) as original:
        names = original.namelist()
        contents = {n: original.read(n) for n in names}
    photo_name = next(n for n in names if n.startswith("files/"))
    data = bytearray(contents[photo_name])
    data[len(data) // 2] ^= 0x01
    contents[photo_name] = bytes(data)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for n in names:
            out.writestr(n, contents[n])
    bad = verify(tampered)
    assert bad.returncode == 1
    assert f"{photo_name}: SHA-256 differs from the manifest" in bad.stdout


async def test_direct_upload_is_the_same_path_through_the_api(client, settings) -> None:
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    data = _jpeg()
    response = await client.post(
        f"/api/v1/cases/{case['id']}/evidence/direct",
        headers=bearer(tokens),
        files={"file": ("p.jpg", data, "image/jpeg")},
        data={
            "purpose": "verification",
            "lng": str(JIANGCHUAN_POINT["lng"]),
            "lat": str(JIANGCHUAN_POINT["lat"]),
            "device_id": "phone-7",
        },
    )
    assert response.status_code == 202, response.text
    ev = response.json()
    assert ev["status"] == "processing"
    await evidence.check(
        ObjectStore(settings.s3),
        settings.evidence,
        msgspec.convert(ev["id"], evidence.uuid.UUID),
        datetime.now(UTC),
    )
    done = (await client.get(f"/api/v1/evidence/{ev['id']}", headers=bearer(tokens))).json()
    assert done["status"] == "verified"
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    assert done["device_location"]["lat"] == pytest.approx(JIANGCHUAN_POINT["lat"])
    text = await client.post(
        f"/api/v1/cases/{case['id']}/evidence/direct",
        headers=bearer(tokens),
        files={"file": ("p.txt", b"hello", "text/plain")},
    )
    assert text.status_code == 400 and text.json()["code"] == "content_type_unsupported"


async def test_abandoned_uploads_and_expired_files_are_cleaned_up(client, settings) -> None:
    from datetime import timedelta

    from domain.org import Role
    from tests.factories import make_user

    store = ObjectStore(settings.s3)
    _, tokens = await _officer_on_duty(client)
    case = await report(client, tokens, "05-05")
    abandoned = await _grant(client, tokens, case)  # uploaded, never completed
    assert (await _upload(abandoned, _jpeg())).status_code in (200, 201, 204)
    used = await _grant(client, tokens, case)  # completed, then posted to again
    assert (await _upload(used, _jpeg())).status_code in (200, 201, 204)
    await _complete_and_check(client, settings, tokens, used, location=JIANGCHUAN_POINT)
    assert (await _upload(used, _jpeg((8, 8)))).status_code in (200, 201, 204)
    # A dismissed case's photo, past a retention of 0 days.
    commander = await login(client, await make_user(Role.commander))
    waiting = await report(client, commander, "01-01")
    kept = await _grant(client, commander, waiting)
    assert (await _upload(kept, _jpeg())).status_code in (200, 201, 204)
    kept_ev = await _complete_and_check(client, settings, commander, kept)
    await client.post(
        f"/api/v1/cases/{waiting['id']}/dismiss",
        headers=bearer(commander),
        json={"version": waiting["version"], "reason": "duplicate", "note": "dup"},
    )

    later = datetime.now(UTC) + timedelta(hours=3)
    short = msgspec.structs.replace(settings.evidence, retention_days_photo=0)
    done = await evidence.clean_up(store, short, later)

    assert done.expired_grants >= 1 and done.orphans_removed >= 2 and done.purged >= 1
    gone = (
        await client.get(f"/api/v1/evidence/{abandoned['evidence_id']}", headers=bearer(tokens))
    ).json()
    assert (gone["status"], gone["reject_reason"]) == ("rejected", "grant_expired")
    for key in (abandoned["fields"]["key"], used["fields"]["key"]):
        with pytest.raises(S3Error):
            store.size(key)
    # The verified photo of the open case is untouched; the dismissed one is purged.
    store.size(f"evidence/{case['id']}/{used['evidence_id']}")
    purged = (
        await client.get(f"/api/v1/evidence/{kept_ev['id']}", headers=bearer(commander))
    ).json()
    assert purged["status"] == "purged" and purged["sha256"] == kept_ev["sha256"]
