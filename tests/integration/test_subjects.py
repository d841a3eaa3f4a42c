"""The subject registry over HTTP: write, find, a subject's page, import and export."""

from __future__ import annotations

import io
import time

import pytest
from openpyxl import load_workbook

from domain.org import Role
from domain.subjects.model import credit_code_with_check
from storage.tables import Subject
from tests.factories import make_user
from tests.integration.cases_helpers import JIANGCHUAN_POINT, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


def _code() -> str:
    digits = str(time.time_ns())[-9:]
    return credit_code_with_check(f"92310112MA{digits[:7]}")


def _merchant(**extra: object) -> dict[str, object]:
    return {
        "kind": "merchant",
        "name": "阿强水果店",
        "address": "江川路 88 号",
        "location": JIANGCHUAN_POINT,
        "credit_code": _code(),
        "contact_name": "王阿强",
        "contact_phone": "13812345678",
        "details": {"type": "merchant", "shop_sign": "阿强鲜果", "business_type": "水果"},
        **extra,
    }


async def test_a_subject_is_written_found_and_shows_its_cases(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    officer = await login(client, await make_user(Role.officer))
    made = await client.post("/api/v1/subjects", headers=bearer(leader), json=_merchant())
    assert made.status_code == 201, made.text
    subject = made.json()
    assert subject["squad_id"] is not None and subject["kind_label_zh"] == "沿街商户"

    denied = await client.post("/api/v1/subjects", headers=bearer(officer), json=_merchant())
    assert denied.status_code == 403
    twice = await client.post(
        "/api/v1/subjects",
        headers=bearer(leader),
        json=_merchant(credit_code=subject["credit_code"]),
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "subject_duplicate")
    wrong = await client.post(
        "/api/v1/subjects", headers=bearer(leader), json=_merchant(credit_code="91350100M000100Y44")
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "credit_code_invalid")

    by_sign = await client.get("/api/v1/subjects?q=阿强鲜果&kind=merchant", headers=bearer(officer))
    assert subject["id"] in [s["id"] for s in by_sign.json()["items"]]
    near = await client.get(
        f"/api/v1/subjects?near={JIANGCHUAN_POINT['lng']},{JIANGCHUAN_POINT['lat']}&radius_m=100",
        headers=bearer(officer),
    )
    found = near.json()["items"]
    assert subject["id"] in [s["id"] for s in found]
    distances = [s["distance_m"] for s in found]
    assert distances == sorted(distances) and all(d <= 100 for d in distances)

    await report(client, officer, "05-04", subject_id=subject["id"])
    page = (await client.get(f"/api/v1/subjects/{subject['id']}", headers=bearer(officer))).json()
    assert page["history"]["cases_total"] == 1 and page["history"]["by_type"] == {"05-04": 1}

    moved = await client.patch(
        f"/api/v1/subjects/{subject['id']}",
        headers=bearer(leader),
        json={"details": {"type": "merchant", "shop_sign": "阿强果业"}},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["details"]["shop_sign"] == "阿强果业"
    assert moved.json()["name"] == "阿强水果店"
    elsewhere = await login(client, await make_user(Role.squad_leader, squad_code="310112101"))
    foreign = await client.patch(
        f"/api/v1/subjects/{subject['id']}", headers=bearer(elsewhere), json={"name": "改名"}
    )
    # Another squad's subject is not there for them at all (404, not 403).
    assert (foreign.status_code, foreign.json()["code"]) == (404, "subject_not_found")
    for path in ("", "/grade", "/grades"):
        read = await client.get(
            f"/api/v1/subjects/{subject['id']}{path}", headers=bearer(elsewhere)
        )
        assert (read.status_code, read.json()["code"]) == (404, "subject_not_found")
    regrade = await client.post(
        f"/api/v1/subjects/{subject['id']}/grade", headers=bearer(elsewhere)
    )
    assert regrade.status_code == 404
    listed = await client.get("/api/v1/subjects?q=阿强", headers=bearer(elsewhere))
    assert subject["id"] not in [s["id"] for s in listed.json()["items"]]


CSV_HEADER = "类型,名称,地址,经度,纬度,统一社会信用代码,联系电话,店招,施工许可证号\n"


async def test_a_register_with_bad_rows_imports_nothing_and_says_why(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    name = f"导入测试{time.time_ns()}"
    good = f"沿街商户,{name},江川路 1 号,121.3994,30.9995,{_code()},13800000009,好店,\n"
    csv = (
        CSV_HEADER
        + good
        + f"沿街商户,{name}-2,江川路 2 号,121.3994,,{_code()},13800000008,坏店,\n"
        + f"飞船,{name}-3,,121.39,30.99,,,,\n"
    ).encode()
    headers = {**bearer(admin), "Content-Type": "text/csv"}
    dry = await client.post("/api/v1/subjects/import", headers=headers, content=csv)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["rows"], dry.json()["valid"]) == (3, 1)
    assert [(e["row"], e["field"]) for e in dry.json()["rejected"]] == [
        (3, "location"),
        (4, "kind"),
    ]

    real = await client.post("/api/v1/subjects/import?dry_run=false", headers=headers, content=csv)
    assert (real.status_code, real.json()["code"]) == (400, "register_rows_rejected")
    assert await Subject.count().where(Subject.name.like(f"{name}%")) == 0, "nothing half-imported"

    clean = (CSV_HEADER + good).encode()
    done = await client.post(
        "/api/v1/subjects/import?dry_run=false", headers=headers, content=clean
    )
    assert (done.json()["created"], done.json()["updated"]) == (1, 0)
    again = await client.post(
        "/api/v1/subjects/import?dry_run=false", headers=headers, content=clean
    )
    assert (again.json()["created"], again.json()["updated"]) == (0, 1), "same code: updated"


async def test_the_export_reads_back_as_a_register(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    await client.post("/api/v1/subjects", headers=bearer(admin), json=_merchant())
    exported = await client.get("/api/v1/subjects/export?kind=merchant", headers=bearer(admin))
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:4] == ["编号", "类型", "名称", "地址"]
    back = await client.post(
        "/api/v1/subjects/import",
        headers={
            **bearer(admin),
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        content=exported.content,
    )
    assert back.status_code == 200, back.text
    assert back.json()["rejected"] == [] and back.json()["valid"] == sheet.max_row - 1


async def test_an_edited_export_updates_its_subjects_instead_of_doubling_them(
    client: AppClient,
) -> None:
    admin = await login(client, await make_user(Role.admin))
    name = f"无照摊{time.time_ns()}"
    body = {**_merchant(), "name": name, "credit_code": None}  # a stall has no credit code
    made = await client.post("/api/v1/subjects", headers=bearer(admin), json=body)
    assert made.status_code == 201, made.text
    subject_id = made.json()["id"]
    exported = await client.get(
        "/api/v1/subjects/export?kind=merchant&format=csv", headers=bearer(admin)
    )
    lines = exported.content.decode("utf-8-sig").splitlines()
    ours = next(line for line in lines[1:] if line.split(",")[0] == str(subject_id))
    edited = (lines[0] + "\n" + ours.replace(name, name + "（已改名）") + "\n").encode()
    headers = {**bearer(admin), "Content-Type": "text/csv"}

    done = await client.post(
        "/api/v1/subjects/import?dry_run=false", headers=headers, content=edited
    )

    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["updated"]) == (0, 1)
    assert await Subject.count().where(Subject.name.like(f"{name}%")) == 1
    again = await client.get(f"/api/v1/subjects/{subject_id}", headers=bearer(admin))
    assert again.json()["subject"]["name"] == name + "（已改名）"

    stranger = edited.replace(f"\n{subject_id},".encode(), b"\n999999999,")
    dry = await client.post("/api/v1/subjects/import", headers=headers, content=stranger)
    assert [(e["row"], e["field"]) for e in dry.json()["rejected"]] == [(2, "id")]
