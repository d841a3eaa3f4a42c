"""The organisation: squads and their grid cells, staff, sessions, integrator keys."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from domain.org import Role


class Squad(Table, tablename="squad"):
    """A squad (中队): one per street/town (街镇), owning a jurisdiction polygon."""

    id = Serial(primary_key=True)

    code = Varchar(length=32, unique=True, help_text="Administrative code of the street/town.")
    name_zh = Varchar(length=64, help_text="Chinese name, e.g. 江川路街道中队.")
    name_en = Varchar(length=128, help_text="English name.")
    kind = Varchar(length=32, help_text="subdistrict | town | industrial_zone")
    boundary = JSONB(help_text="Jurisdiction polygon, GeoJSON geometry in WGS-84.")
    centre_lng = DoublePrecision(help_text="Representative point, WGS-84 longitude.")
    centre_lat = DoublePrecision(help_text="Representative point, WGS-84 latitude.")
    created_at = Timestamptz(default=TimestamptzNow())


class GridCell(Table, tablename="grid_cell"):
    """A grid cell (网格) of about 10,000 m² inside a squad's jurisdiction."""

    id = Serial(primary_key=True)

    code = Varchar(length=32, unique=True, help_text="Grid code, e.g. 310112101-0001.")
    squad = ForeignKey(references=Squad, on_delete=OnDelete.restrict, index=True, null=False)
    name_zh = Varchar(length=64)
    boundary = JSONB(help_text="Cell polygon, GeoJSON geometry in WGS-84.")
    area_m2 = DoublePrecision(help_text="Area of the polygon in square metres.")
    created_at = Timestamptz(default=TimestamptzNow())


class StaffUser(Table, tablename="staff_user"):
    """A member of staff: officer, squad leader, command centre, supervisor or admin."""

    id = Serial(primary_key=True)

    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=64)
    phone = Varchar(length=32, null=True, default=None, help_text="Mobile number (personal data).")
    role = Varchar(length=32, choices=Role, help_text="officer, squad_leader, commander, ...")
    squad = ForeignKey(
        references=Squad,
        on_delete=OnDelete.restrict,
        null=True,
        default=None,
        index=True,
        help_text="Required for officers and squad leaders; empty for district roles.",
    )
    password_hash = Varchar(length=256, null=True, default=None, secret=True)
    is_active = Boolean(default=True)
    wechat_openid = Varchar(length=64, unique=True, null=True, default=None, secret=True)
    on_duty = Boolean(default=False, help_text="Officer is on duty (在岗) and can take tasks.")
    duty_changed_at = Timestamptz(null=True, default=None)
    last_lng = DoublePrecision(null=True, default=None, help_text="Last known position, WGS-84.")
    last_lat = DoublePrecision(null=True, default=None)
    last_located_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class RefreshToken(Table, tablename="refresh_token"):
    """A refresh token, stored as its SHA-256. Tokens of one login form a family:
    presenting a spent token revokes the whole family (it was stolen or replayed)."""

    id = Serial(primary_key=True)

    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True, null=False)
    family = UUID(index=True, help_text="All tokens rotated from one login share it.")
    token_hash = Varchar(length=64, unique=True, secret=True)
    issued_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    spent_at = Timestamptz(null=True, default=None, help_text="Exchanged for a new pair.")
    revoked_at = Timestamptz(null=True, default=None, help_text="Logout or reuse detected.")
    client = Varchar(length=32, default="password", help_text="password | wechat")


class WechatBinding(Table, tablename="wechat_binding"):
    """A one-time code an admin issues so an officer can bind their WeChat account."""

    id = Serial(primary_key=True)

    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, index=True, null=False)
    code_hash = Varchar(length=64, unique=True, secret=True)
    issued_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class IntegratorKey(Table, tablename="integrator_key"):
    """An API key for an outside system; only its SHA-256 and a short prefix are kept."""

    id = Serial(primary_key=True)

    name = Varchar(length=128, help_text="Who holds it, e.g. 城运中心 work-order bridge.")
    prefix = Varchar(length=16, unique=True, help_text="First characters, to recognise a key.")
    key_hash = Varchar(length=64, unique=True, secret=True)
    scopes = Array(base_column=Varchar(length=64))
    rate_limit_per_min = Integer(default=600)
    created_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    callback_url = Varchar(
        length=500, null=True, default=None, help_text="Status callbacks for its complaints."
    )
    callback_secret = Text(
        null=True, default=None, secret=True, help_text="sealed (storage/sealing.py)"
    )
