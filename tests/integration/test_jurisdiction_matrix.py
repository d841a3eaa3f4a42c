"""The jurisdiction matrix: every operation of the OpenAPI document, called by every kind
of caller, against data owned by squad A.

Each operation is classified below; an operation the table does not know fails the test,
so a new endpoint cannot slip past it. For every (operation, caller):

- nobody gets a 500;
- no token, an expired, tampered, foreign-signed or ``alg=none`` token, a refresh token
  and a revoked integrator key get 401 (except on the public operations); an integrator
  key on a staff route and a staff token on an integrator route get 401; an integrator
  key without the operation's scope gets 403;
- squad B's officer and leader get 403/404 for anything the path or ``?squad_id=`` places
  in squad A, and no answer of theirs carries squad A's markers (unique strings in A's
  case, subject, structure, block and camera) or an object with A's ``squad_id``;
- roles outside an operation's role table get 403;
- and, so that the leak check can fail, squad A's leader does see A's markers where a
  list is meant to show them.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import msgspec
import pytest

from api.security import Principal, issue_access_token
from domain.duty.roster import week_of
from domain.org import Role
from offsite.settings import Settings
from tests.factories import make_user, on_shift, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, XINZHUANG_POINT, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

SQUAD_A, SQUAD_B = "310112001", "310112101"  # 江川路街道, 莘庄镇


class Kind(StrEnum):
    public = "public"  # no sign-in
    self_ = "self"  # the caller's own things (profile, inbox, duty)
    owned = "owned"  # a squad-owned resource named by the path
    scoped = "scoped"  # a list or figures filtered to the caller's jurisdiction
    shared = "shared"  # reference data every member of staff reads or writes into
    integrator = "integrator"  # /integrator/v1, by scope


class Op(msgspec.Struct, frozen=True):
    kind: Kind
    roles: frozenset[Role] | None = None  # None: every staff role
    scope: str | None = None  # integrator scope
    destructive: bool = False  # run only by callers who must be refused
    shows_a: bool = False  # squad A's leader sees A's markers here (the check can fail)


ALL = None
ADMIN = frozenset({Role.admin})
MANAGERS = frozenset({Role.squad_leader, Role.commander, Role.admin})
CENTRE = frozenset({Role.commander, Role.admin})
GRADERS = frozenset({Role.commander, Role.supervisor, Role.admin})
STEP = frozenset({Role.officer, Role.squad_leader, Role.commander, Role.admin})
CONSOLE = frozenset({Role.squad_leader, Role.commander, Role.supervisor, Role.admin})

OPERATIONS: dict[str, Op] = {
    # sign-in and operations
    "login": Op(Kind.public),
    "refresh_tokens": Op(Kind.public),
    "wechat_login": Op(Kind.public),
    "wechat_bind": Op(Kind.public),
    "healthz": Op(Kind.public),
    "readyz": Op(Kind.public),
    "logout": Op(Kind.self_, destructive=True),
    # the caller
    "get_me": Op(Kind.self_),
    "set_my_duty": Op(Kind.self_),
    "get_my_tasks": Op(Kind.self_),
    "record_wechat_subscriptions": Op(Kind.self_),
    "list_notifications": Op(Kind.self_),
    "mark_notification_read": Op(Kind.self_),
    "stream": Op(Kind.self_, destructive=True),  # an open SSE stream: refusals only
    # organisation
    "list_squads": Op(Kind.scoped),
    "get_squad": Op(Kind.owned),
    "list_squad_officers": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "list_grids": Op(Kind.scoped),
    "locate_point": Op(Kind.shared),
    "list_users": Op(Kind.scoped, roles=ADMIN),
    "create_user": Op(Kind.shared, roles=ADMIN),
    "get_user": Op(Kind.owned, roles=ADMIN),
    "update_user": Op(Kind.owned, roles=ADMIN),
    "issue_wechat_binding": Op(Kind.owned, roles=ADMIN),
    "list_integrator_keys": Op(Kind.shared, roles=ADMIN),
    "create_integrator_key": Op(Kind.shared, roles=ADMIN),
    "revoke_integrator_key": Op(Kind.shared, roles=ADMIN, destructive=True),
    "list_outbox": Op(Kind.shared, roles=ADMIN),
    "retry_outbox": Op(Kind.shared, roles=ADMIN),
    # catalogue
    "list_violation_types": Op(Kind.shared),
    "put_violation_type": Op(Kind.shared, roles=ADMIN),
    # cases
    "list_cases": Op(Kind.scoped, shows_a=True),
    "create_case": Op(Kind.shared),
    "get_case": Op(Kind.owned),
    "get_case_timeline": Op(Kind.owned),
    "verify_case_timeline": Op(Kind.owned),
    "get_case_package": Op(Kind.owned),
    "grant_evidence_upload": Op(Kind.owned),
    "upload_evidence_directly": Op(Kind.owned),
    **{
        f"{name}_case": Op(Kind.owned)
        for name in (
            "accept",
            "assign",
            "close",
            "comment",
            "dismiss",
            "dispatch",
            "file",
            "inspect",
            "recheck",
            "reopen",
            "return",
            "verify",
        )
    },
    "order_case_rectification": Op(Kind.owned),
    "submit_case_review": Op(Kind.owned),
    "get_evidence": Op(Kind.owned),
    "complete_evidence_upload": Op(Kind.owned),
    # cameras
    "list_cameras": Op(Kind.scoped, shows_a=True),
    "create_camera": Op(Kind.shared, roles=ADMIN),
    "get_camera": Op(Kind.owned),
    "update_camera": Op(Kind.owned, roles=ADMIN),
    "put_camera_zones": Op(Kind.owned, roles=ADMIN),
    "delete_camera": Op(Kind.owned, roles=ADMIN, destructive=True),
    # subjects and grading
    "search_subjects": Op(Kind.scoped, shows_a=True),
    "search_places": Op(Kind.scoped, shows_a=True),
    "create_subject": Op(Kind.shared, roles=MANAGERS),
    "export_subjects": Op(Kind.scoped, roles=MANAGERS, shows_a=True),
    "import_subjects": Op(Kind.shared, roles=CENTRE),
    "read_subject": Op(Kind.owned),
    "update_subject": Op(Kind.owned, roles=MANAGERS),
    "read_subject_grade": Op(Kind.owned),
    "regrade_subject": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "override_subject_grade": Op(Kind.owned, roles=GRADERS),
    "end_subject_grade_override": Op(Kind.owned, roles=GRADERS, destructive=True),
    "list_subject_grades": Op(Kind.owned),
    # illegal structures
    "list_structures": Op(Kind.scoped, shows_a=True),
    "register_structure": Op(Kind.shared, roles=STEP),
    "structure_figures": Op(Kind.scoped),
    "read_structure": Op(Kind.owned),
    "verify_structure": Op(Kind.owned, roles=STEP),
    "file_structure": Op(Kind.owned, roles=STEP),
    "order_structure_demolition": Op(Kind.owned, roles=STEP),
    "demolish_structure": Op(Kind.owned, roles=STEP),
    "retain_structure": Op(Kind.owned, roles=MANAGERS),
    "set_structure_targets": Op(Kind.shared, roles=ADMIN),
    # 美丽街区
    "list_blocks": Op(Kind.scoped, shows_a=True),
    "create_block": Op(Kind.shared, roles=ADMIN),
    "block_ranking": Op(Kind.scoped),
    "compute_block_scores": Op(Kind.shared, roles=GRADERS),
    "list_block_scores": Op(Kind.owned),
    "record_spot_check": Op(Kind.owned, roles=frozenset({Role.supervisor, Role.admin})),
    # patrol check-ins (巡查签到)
    "list_checkin_points": Op(Kind.scoped, shows_a=True),
    "create_checkin_point": Op(Kind.shared, roles=MANAGERS),
    "get_checkin_point": Op(Kind.owned),
    "update_checkin_point": Op(Kind.owned, roles=MANAGERS),
    "check_in": Op(Kind.owned, roles=frozenset({Role.officer, Role.squad_leader})),
    "list_missed_checkins": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "checkin_month_summary": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    # equipment (装备)
    "list_equipment": Op(Kind.scoped, shows_a=True),
    "create_equipment": Op(Kind.shared, roles=MANAGERS),
    "get_equipment": Op(Kind.owned),
    "update_equipment": Op(Kind.owned, roles=MANAGERS),
    "assign_equipment": Op(Kind.owned, roles=MANAGERS),
    "list_equipment_assignments": Op(Kind.owned),
    "end_equipment_assignment": Op(Kind.owned, roles=MANAGERS, destructive=True),
    "get_my_equipment": Op(Kind.self_),
    # figures
    "get_indicators": Op(Kind.scoped),
    "list_hotspots": Op(Kind.scoped),
    "hotspots_geojson": Op(Kind.scoped),
    "list_repeat_places": Op(Kind.scoped),
    "list_patrol_priorities": Op(Kind.owned),
    "get_precision": Op(Kind.scoped),
    "get_programme_figures": Op(Kind.scoped),
    "get_squad_ranking": Op(Kind.scoped),
    "get_indicator_trend": Op(Kind.scoped),
    "get_case_breakdown": Op(Kind.scoped),
    "get_repeat_offenders": Op(Kind.scoped),
    "list_monthly_reports": Op(Kind.scoped),
    "download_monthly_report": Op(Kind.scoped),
    "generate_monthly_report": Op(Kind.scoped, CENTRE),
    # the console map
    "get_map_config": Op(Kind.shared, roles=CONSOLE),
    "map_squads": Op(Kind.scoped, roles=CONSOLE, shows_a=True),
    "map_grids": Op(Kind.scoped, roles=CONSOLE, shows_a=True),
    "map_blocks": Op(Kind.scoped, roles=CONSOLE, shows_a=True),
    "map_subjects": Op(Kind.scoped, roles=CONSOLE, shows_a=True),
    "map_cameras": Op(Kind.scoped, roles=CONSOLE, shows_a=True),
    "map_officers": Op(Kind.scoped, roles=CONSOLE),
    "map_officers_stream": Op(Kind.scoped, roles=CONSOLE, destructive=True),  # SSE
    "map_cases": Op(Kind.scoped, roles=CONSOLE, shows_a=True),
    # duty: rosters, leave, tracks, roll calls, figures
    "get_squad_roster": Op(Kind.owned),
    "put_squad_roster": Op(Kind.owned, roles=MANAGERS),
    "copy_previous_roster": Op(Kind.owned, roles=MANAGERS, destructive=True),
    "create_leave": Op(Kind.owned, roles=MANAGERS),
    "list_squad_leave": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "cancel_leave": Op(Kind.owned, roles=MANAGERS, destructive=True),
    "get_duty_figures": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "list_my_shifts": Op(Kind.self_),
    "list_my_roll_calls": Op(Kind.self_),
    "get_user_track": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "create_roll_call": Op(Kind.shared, roles=MANAGERS),
    # emergencies (突发事件)
    "list_emergencies": Op(Kind.scoped, roles=MANAGERS | {Role.supervisor}, shows_a=True),
    "declare_emergency": Op(Kind.owned, roles=CENTRE),
    "list_responders": Op(Kind.owned),
    "list_responder_candidates": Op(Kind.owned, roles=MANAGERS | {Role.supervisor}),
    "send_responders": Op(Kind.owned, roles=MANAGERS),
    "acknowledge_emergency": Op(Kind.owned, roles=frozenset({Role.officer})),
    "arrive_at_emergency": Op(Kind.owned, roles=frozenset({Role.officer})),
    "list_roll_calls": Op(Kind.scoped, roles=MANAGERS | {Role.supervisor}, shows_a=True),
    "get_roll_call": Op(Kind.owned),
    "answer_roll_call": Op(Kind.owned, roles=frozenset({Role.officer})),
    "grant_roll_call_photo": Op(Kind.owned, roles=frozenset({Role.officer})),
    # integrators
    "submit_complaint": Op(Kind.integrator, scope="complaints:write"),
    "push_alarm": Op(Kind.integrator, scope="alarms:write"),
    "list_case_events": Op(Kind.integrator, scope="events:read"),
    "read_case_integrator": Op(Kind.integrator, scope="cases:read"),
    "list_webhooks": Op(Kind.integrator, scope="webhooks:manage"),
    "create_webhook": Op(Kind.integrator, scope="webhooks:manage"),
    "delete_webhook": Op(Kind.integrator, scope="webhooks:manage", destructive=True),
}

STAFF_ROLES = list(Role)


class Caller(msgspec.Struct, frozen=True):
    name: str
    headers: dict[str, str]
    role: Role | None = None  # staff callers
    squad: str | None = None  # squad-bound staff: their squad's code
    integrator_scopes: frozenset[str] | None = None  # a valid integrator key
    authentic: bool = True  # False: the credentials must be refused


class World(msgspec.Struct):
    """Squad A's data and everything the requests need to name."""

    squad_a: int
    squad_b: int
    markers: list[str]
    path: dict[str, str]
    callers: list[Caller]


def _operations(client: AppClient) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    schema = client.app.openapi_schema.to_schema()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield op["operationId"], method.upper(), path, op


def _tampered(token: str) -> str:
    """The same signature over a payload that now claims the admin role."""
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    claims["squad"] = None
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{sig}"


async def _integrator_key(client: AppClient, admin: dict, scopes: list[str]) -> dict[str, Any]:
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": f"matrix {secrets.token_hex(3)}", "scopes": scopes},
    )
    assert issued.status_code == 201, issued.text
    body: dict[str, Any] = issued.json()
    return body


def _square(point: dict[str, Any], d: float = 0.0004) -> list[dict[str, float]]:
    lng, lat = point["lng"], point["lat"]
    return [
        {"lng": lng - d, "lat": lat - d},
        {"lng": lng + d, "lat": lat - d},
        {"lng": lng + d, "lat": lat + d},
        {"lng": lng - d, "lat": lat + d},
    ]


async def _world(client: AppClient, settings: Settings) -> World:
    nonce = secrets.token_hex(4)
    marker = {
        k: f"MX{k}{nonce}"
        for k in ("case", "subject", "structure", "block", "camera", "checkin", "equipment")
    }
    admin_user = await make_user(Role.admin)
    admin = await login(client, admin_user)
    roles = {
        "officer_a": (Role.officer, SQUAD_A),
        "leader_a": (Role.squad_leader, SQUAD_A),
        "officer_b": (Role.officer, SQUAD_B),
        "leader_b": (Role.squad_leader, SQUAD_B),
        "commander": (Role.commander, None),
        "supervisor": (Role.supervisor, None),
    }
    users = {n: await make_user(role, squad_code=squad) for n, (role, squad) in roles.items()}
    tokens = {name: await login(client, u) for name, u in users.items()}
    tokens["admin"] = admin
    roles["admin"] = (Role.admin, None)

    case = await report(client, tokens["officer_a"], "01-01", description=marker["case"])
    declared = await client.post(  # A's case is an emergency too: its list must not leak
        f"/api/v1/cases/{case['id']}/emergency",
        headers=bearer(tokens["commander"]),
        json={"version": case["version"], "reason": "matrix"},
    )
    assert declared.status_code == 200, declared.text
    grant = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(tokens["officer_a"]),
        json={"content_type": "image/jpeg", "purpose": "verification"},
    )
    assert grant.status_code == 201, grant.text
    subject = await client.post(
        "/api/v1/subjects",
        headers=bearer(tokens["leader_a"]),
        json={
            "kind": "merchant",
            "name": marker["subject"],
            "address": "江川路 1 号",
            "location": JIANGCHUAN_POINT,
            "contact_name": "张三",
            "contact_phone": "13800000001",
            "details": {"type": "merchant", "shop_sign": marker["subject"]},
        },
    )
    assert subject.status_code == 201, subject.text
    structure = await client.post(
        "/api/v1/structures",
        headers=bearer(tokens["officer_a"]),
        json={"case_id": case["id"], "kind": "new", "name": marker["structure"]},
    )
    assert structure.status_code == 201, structure.text
    block = await client.post(
        "/api/v1/blocks",
        headers=bearer(admin),
        json={"name": marker["block"], "polygon": _square(JIANGCHUAN_POINT)},
    )
    assert block.status_code == 201, block.text
    camera = await client.post(
        "/api/v1/cameras",
        headers=bearer(admin),
        json={
            "device_id": f"MX{nonce}",
            "name": marker["camera"],
            "location": JIANGCHUAN_POINT,
            "source": {"kind": "http_snapshot", "url": "http://192.0.2.10/snapshot.jpg"},
        },
    )
    assert camera.status_code == 201, camera.text
    point = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(tokens["leader_a"]),
        json={"name": marker["checkin"], "location": JIANGCHUAN_POINT, "radius_m": 100},
    )
    assert point.status_code == 201, point.text
    item = await client.post(
        "/api/v1/equipment",
        headers=bearer(tokens["leader_a"]),
        json={"kind": "radio", "code": f"MX{nonce}", "label": marker["equipment"]},
    )
    assert item.status_code == 201, item.text
    a = await squad_id(SQUAD_A)
    # Duty: officer A on shift, on leave later, and asked for a roll call by leader A.
    await on_shift(users["officer_a"]["id"])
    later = datetime.now(UTC) + timedelta(days=20)
    leave = await client.post(
        f"/api/v1/squads/{a}/leave",
        headers=bearer(tokens["leader_a"]),
        json={
            "officer_id": users["officer_a"]["id"],
            "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(days=1)).isoformat(),
            "kind": "annual",
        },
    )
    assert leave.status_code == 201, leave.text
    roll_call = await client.post(
        "/api/v1/roll-calls",
        headers=bearer(tokens["leader_a"]),
        json={"officer_id": users["officer_a"]["id"], "within_minutes": 30},
    )
    assert roll_call.status_code == 201, roll_call.text

    everything = await _integrator_key(
        client,
        admin,
        sorted({o.scope for o in OPERATIONS.values() if o.scope} | {"personal_data:read"}),
    )
    unrelated = await _integrator_key(client, admin, ["events:read"])
    revoked = await _integrator_key(client, admin, ["cases:read"])
    gone = await client.delete(
        f"/api/v1/integrator-keys/{revoked['key']['id']}", headers=bearer(admin)
    )
    assert gone.status_code == 200, gone.text

    officer_a = tokens["officer_a"]
    principal = Principal(users["officer_a"]["id"], Role.officer, a)
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = issue_access_token(principal, settings.auth, past)
    claims = jwt.decode(officer_a["access_token"], options={"verify_signature": False})
    foreign = jwt.encode(claims | {"role": "admin", "squad": None}, "x" * 48, algorithm="HS256")
    unsigned = jwt.encode(claims | {"role": "admin"}, key=None, algorithm="none")

    callers = [
        *(
            Caller(name, bearer(tokens[name]), role=role, squad=squad)
            for name, (role, squad) in roles.items()
        ),
        Caller(
            "integrator",
            {"Authorization": f"Bearer {everything['api_key']}"},
            integrator_scopes=frozenset(everything["key"]["scopes"]),
        ),
        Caller(
            "integrator_unscoped",
            {"Authorization": f"Bearer {unrelated['api_key']}"},
            integrator_scopes=frozenset(unrelated["key"]["scopes"]),
        ),
        Caller(
            "integrator_revoked", {"Authorization": f"Bearer {revoked['api_key']}"}, authentic=False
        ),
        Caller("no_token", {}, authentic=False),
        Caller("basic_auth", {"Authorization": "Basic b2ZmaWNlcjpwdw=="}, authentic=False),
        Caller("expired", {"Authorization": f"Bearer {expired}"}, authentic=False),
        Caller(
            "tampered",
            {"Authorization": f"Bearer {_tampered(officer_a['access_token'])}"},
            authentic=False,
        ),
        Caller("foreign_secret", {"Authorization": f"Bearer {foreign}"}, authentic=False),
        Caller("alg_none", {"Authorization": f"Bearer {unsigned}"}, authentic=False),
        Caller(
            "refresh_as_access",
            {"Authorization": f"Bearer {officer_a['refresh_token']}"},
            authentic=False,
        ),
    ]
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    path = {
        "case_id": str(case["id"]),
        "evidence_id": grant.json()["evidence_id"],
        "subject_id": str(subject.json()["id"]),
        "structure_id": str(structure.json()["id"]),
        "block_id": str(block.json()["id"]),
        "camera_id": str(camera.json()["id"]),
        "checkin_point_id": str(point.json()["id"]),
        "equipment_id": str(item.json()["id"]),
        "user_id": str(users["officer_a"]["id"]),
        "squad_id": str(a),
        "key_id": str(unrelated["key"]["id"]),
        "webhook_id": "1",
        "notification_id": "1",
        "outbox_id": "1",
        "assignment_id": "1",
        "code": "05-04",
        "month": month,
        "year": month[:4],
        "week": week_of(datetime.now(UTC)),
        "leave_id": str(leave.json()["id"]),
        "roll_call_id": str(roll_call.json()["id"]),
    }
    markers = [*marker.values(), case["number"]]
    return World(a, await squad_id(SQUAD_B), markers, path, callers)


def _query(op_id: str, op: dict[str, Any], world: World) -> dict[str, str]:
    values = {
        "period": world.path["month"],
        "month": world.path["month"],
        "end": world.path["month"],
        "year": world.path["year"],
        "lng": str(XINZHUANG_POINT["lng"]),
        "lat": str(XINZHUANG_POINT["lat"]),
        "limit": "200",
        "q": world.markers[1],  # squad A's subject (search_places requires a text)
        "from": (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=7)).date().isoformat(),
        "to": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
    }
    query = {}
    for p in op.get("parameters", []):
        if p["in"] == "query" and (p.get("required") or p["name"] == "limit"):
            query[p["name"]] = values[p["name"]]
    if op_id == "get_repeat_offenders":
        query["limit"] = "100"  # at most 100
    if op_id == "search_subjects":
        query["q"] = world.markers[1]
    if op_id == "export_subjects":
        query["format"] = "csv"  # the markers are readable in it
    return query


def _owners(body: Any, squad: int) -> Iterator[Any]:
    """Objects in a JSON answer that say they belong to ``squad``."""
    if isinstance(body, dict):
        if body.get("squad_id") == squad:
            yield body
        for value in body.values():
            yield from _owners(value, squad)
    elif isinstance(body, list):
        for value in body:
            yield from _owners(value, squad)


def _expected_refusal(op_id: str, op: Op, caller: Caller, integrator_path: bool) -> int | None:
    """The status ``caller`` must get for ``op`` before jurisdiction (or None)."""
    if op.kind is Kind.public:
        return None
    if not caller.authentic:
        return 401
    if integrator_path != (caller.integrator_scopes is not None):
        return 401  # staff tokens on /integrator, integrator keys on /api
    if integrator_path:
        assert caller.integrator_scopes is not None and op.scope
        return None if op.scope in caller.integrator_scopes else 403
    if op.roles is not None and caller.role not in op.roles:
        return 403
    return None


async def test_every_operation_keeps_squad_a_s_data_from_everyone_else(
    client: AppClient, settings: Settings
) -> None:
    operations = list(_operations(client))
    unknown = sorted({op_id for op_id, *_ in operations} - OPERATIONS.keys())
    assert not unknown, f"classify these operations in OPERATIONS: {unknown}"
    stale = sorted(OPERATIONS.keys() - {op_id for op_id, *_ in operations})
    assert not stale, f"no longer in the document: {stale}"

    world = await _world(client, settings)
    problems: list[str] = []
    seen_by_a: set[str] = set()
    calls = 0
    # Destructive operations last, so that nothing they might do changes the rest.
    ordered = sorted(operations, key=lambda o: OPERATIONS[o[0]].destructive)
    for op_id, method, template, spec in ordered:
        op = OPERATIONS[op_id]
        url = re.sub(r"\{(\w+)\}", lambda m: world.path[m.group(1)], template)
        integrator_path = template.startswith("/integrator/")
        query = _query(op_id, spec, world)
        for caller in world.callers:
            refusal = _expected_refusal(op_id, op, caller, integrator_path)
            foreign = caller.squad == SQUAD_B
            if op.destructive and refusal is None and not (foreign and op.kind is Kind.owned):
                continue
            variants = [query]
            if (
                foreign
                and op.kind is Kind.scoped
                and any(p["name"] == "squad_id" for p in spec.get("parameters", []))
            ):
                variants.append(query | {"squad_id": str(world.squad_a)})
            for params in variants:
                calls += 1
                response = await client.request(
                    method,
                    url,
                    params=params,
                    headers=caller.headers | {"Idempotency-Key": secrets.token_hex(8)},
                    json={} if method in ("POST", "PUT", "PATCH") else None,
                )
                where = f"{method} {url} {params} as {caller.name}: {response.status_code}"
                status = response.status_code
                if status >= 500:
                    problems.append(f"{where} server error {response.text[:200]}")
                    continue
                if refusal is not None:
                    # Another squad's resource is not there for them, whatever the role.
                    hidden = foreign and op.kind is Kind.owned and status == 404
                    if status != refusal and not hidden:
                        problems.append(f"{where}, expected {refusal}")
                    continue
                if status == 401 and op.kind is not Kind.public:
                    problems.append(f"{where}: an authentic caller was refused")
                text = response.text
                is_json = "json" in response.headers.get("content-type", "")
                if caller.name == "leader_a" and op.shows_a:
                    shown = any(m in text for m in world.markers) or (
                        is_json and any(_owners(response.json(), world.squad_a))
                    )
                    if shown:
                        seen_by_a.add(op_id)
                if not foreign:
                    continue
                named_a = "squad_id" in params or op.kind is Kind.owned
                if named_a and status not in (403, 404):
                    problems.append(f"{where}: squad A's resource was not refused")
                if leaked := [m for m in world.markers if m in text]:
                    problems.append(f"{where}: leaks {leaked}")
                if op.kind is not Kind.shared and is_json:
                    owned = list(_owners(response.json(), world.squad_a))
                    if owned:
                        problems.append(f"{where}: shows squad A's {owned[0]}"[:300])
    missing_proof = sorted(
        op_id for op_id, op in OPERATIONS.items() if op.shows_a and op_id not in seen_by_a
    )
    assert not missing_proof, f"squad A's leader did not see A's data in {missing_proof}"
    assert not problems, f"{len(problems)} of {calls} calls:\n" + "\n".join(problems[:60])
    print(f"jurisdiction matrix: {len(operations)} operations, {calls} calls")  # noqa: T201
    assert calls > 1500  # every operation x 18 callers, less the skipped destructive calls
