"""Typed settings, read from environment variables once per process.

Every field names its environment variable in its metadata and is documented there;
``offsite settings`` prints the table. Nothing here is read at import time: call
``get_settings()`` (cached) or build one explicitly with ``Settings.from_env(mapping)``.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Self

import msgspec

__all__ = [
    "AuthSettings",
    "DatabaseSettings",
    "HttpSettings",
    "RedisSettings",
    "S3Settings",
    "Settings",
    "SettingsError",
    "WechatSettings",
    "get_settings",
]


class SettingsError(ValueError):
    """An environment variable is missing or cannot be read as its field's type."""


def env(name: str, doc: str) -> msgspec.Meta:
    """Field metadata: which environment variable sets the field, and what it means."""
    return msgspec.Meta(description=doc, extra={"env": name})


class _Section(msgspec.Struct, frozen=True, kw_only=True):
    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        values = {
            name: environ[var]
            for name, (var, _doc) in _field_metas(cls).items()
            if environ.get(var, "") != ""
        }
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            found = re.search(r"\$\.(\w+)", str(exc))
            field = found.group(1) if found else ""
            var = _field_metas(cls).get(field, (field, ""))[0]
            prefix = f"{var}: " if var else ""  # a __post_init__ check names its own
            raise SettingsError(f"{prefix}{str(exc).partition(' - at ')[0]}") from exc


@functools.cache
def _field_metas(cls: type) -> dict[str, tuple[str, str]]:
    """field name -> (environment variable, description), from the Annotated metadata."""
    out: dict[str, tuple[str, str]] = {}
    for name, hint in typing.get_type_hints(cls, include_extras=True).items():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, msgspec.Meta) and meta.extra and "env" in meta.extra:
                out[name] = (meta.extra["env"], meta.description or "")
    return out


class HttpSettings(_Section, frozen=True, kw_only=True):
    host: Annotated[str, env("OFFSITE_HTTP_HOST", "Address the API server binds.")] = "127.0.0.1"
    port: Annotated[int, env("OFFSITE_HTTP_PORT", "Port the API server listens on.")] = 8000
    workers: Annotated[int, env("OFFSITE_HTTP_WORKERS", "API server worker processes.")] = 1
    public_url: Annotated[
        str, env("OFFSITE_PUBLIC_URL", "Base URL clients reach the API at (printed, linked).")
    ] = "http://127.0.0.1:8000"
    debug: Annotated[bool, env("OFFSITE_DEBUG", "Litestar debug mode (never in production).")] = (
        False
    )
    trusted_proxies: Annotated[
        str,
        env(
            "OFFSITE_TRUSTED_PROXIES",
            "Comma-separated CIDRs of the load balancers / reverse proxies in front of the"
            " API: only from them are X-Forwarded-For (the client is the rightmost address"
            " not in these) and X-Forwarded-Proto believed; empty: none, the peer is the"
            " client.",
        ),
    ] = ""
    hsts_max_age_s: Annotated[
        int,
        env(
            "OFFSITE_HSTS_MAX_AGE_S",
            "Strict-Transport-Security max-age sent on answers to HTTPS requests"
            " (scheme https, or X-Forwarded-Proto: https from a trusted proxy); 0: none.",
        ),
    ] = 31_536_000
    web_dist: Annotated[
        str,
        env(
            "OFFSITE_WEB_DIST",
            "Folder of the built mobile app served at /app/ (default: web/dist of the checkout).",
        ),
    ] = ""
    tencent_map_key: Annotated[
        str,
        env(
            "OFFSITE_TENCENT_MAP_KEY",
            "腾讯位置服务 developer key of the mobile app, sent as `referer` of its 腾讯地图"
            " navigation links (lbs.qq.com console; allow the app's domain); empty: the app"
            " offers 高德 navigation only.",
        ),
    ] = ""
    list_cache_ttl_s: Annotated[
        float,
        env(
            "OFFSITE_LIST_CACHE_TTL_S",
            "Longest life of a cached task list or board page, s"
            " (dropped at once on change notices); 0 turns the cache off.",
        ),
    ] = 30.0

    def __post_init__(self) -> None:
        trusted_networks(self.trusted_proxies)  # a typo fails at start-up, not per request


@functools.cache
def trusted_networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of ``OFFSITE_TRUSTED_PROXIES`` (comma-separated CIDRs or addresses)."""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in spec.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise SettingsError(f"OFFSITE_TRUSTED_PROXIES: {exc}") from exc


class DatabaseSettings(_Section, frozen=True, kw_only=True):
    url: Annotated[
        str, env("DATABASE_URL", "PostgreSQL DSN, postgresql://user:pass@host:port/db.")
    ] = "postgresql://postgres@127.0.0.1:15432/offsite"
    pool_min: Annotated[int, env("OFFSITE_DB_POOL_MIN", "Connections kept open per process.")] = 2
    pool_max: Annotated[int, env("OFFSITE_DB_POOL_MAX", "Most connections per process.")] = 10


class RedisSettings(_Section, frozen=True, kw_only=True):
    url: Annotated[str, env("REDIS_URL", "Redis URL for jobs, SSE fan-out, rate limits.")] = (
        "redis://127.0.0.1:16379/0"
    )
    queue_name: Annotated[str, env("OFFSITE_QUEUE", "arq queue of the default worker.")] = (
        "offsite:queue"
    )
    vision_queue_name: Annotated[
        str, env("OFFSITE_VISION_QUEUE", "arq queue of the vision worker (camera samples).")
    ] = "offsite:vision"
    integrations_queue_name: Annotated[
        str,
        env(
            "OFFSITE_INTEGRATIONS_QUEUE",
            "arq queue of the integrations worker (webhooks, callbacks, integrators' pictures).",
        ),
    ] = "offsite:integrations"


class S3Settings(_Section, frozen=True, kw_only=True):
    endpoint: Annotated[
        str, env("S3_ENDPOINT", "S3-compatible endpoint URL, e.g. http://127.0.0.1:18333.")
    ] = "http://127.0.0.1:18333"
    access_key: Annotated[str, env("S3_ACCESS_KEY", "S3 access key id.")] = ""
    secret_key: Annotated[str, env("S3_SECRET_KEY", "S3 secret access key.")] = ""
    bucket: Annotated[str, env("S3_BUCKET", "Bucket that holds evidence objects.")] = (
        "offsite-evidence"
    )
    region: Annotated[str, env("S3_REGION", "Region used for request signing.")] = "us-east-1"
    public_endpoint: Annotated[
        str,
        env(
            "S3_PUBLIC_ENDPOINT",
            "S3 URL as phones reach it (upload grants, view links); empty: S3_ENDPOINT.",
        ),
    ] = ""
    cors_origins: Annotated[
        str,
        env(
            "S3_CORS_ORIGINS",
            "Comma-separated origins the mobile app is served from (e.g."
            " https://cg.example.gov.cn): `offsite migrate` sets the bucket's CORS rule so"
            " phones may POST photos to it and read the answer; empty: the bucket's CORS is"
            " left as it is (SeaweedFS and MinIO answer every origin until told otherwise).",
        ),
    ] = ""


class AuthSettings(_Section, frozen=True, kw_only=True):
    jwt_secret: Annotated[
        str, env("OFFSITE_JWT_SECRET", "HMAC key for access tokens; at least 32 bytes.")
    ] = ""
    data_key: Annotated[
        str,
        env(
            "OFFSITE_DATA_KEY",
            "32 random bytes in base64 sealing stored credentials (camera passwords, webhook"
            " and callback secrets); `openssl rand -base64 32`. Keep it: sealed values do"
            " not open without it.",
        ),
    ] = ""
    data_keys_retired: Annotated[
        str,
        env(
            "OFFSITE_DATA_KEYS_RETIRED",
            "Earlier data keys, comma-separated, while `offsite migrate` reseals their values"
            " under OFFSITE_DATA_KEY (key rotation).",
        ),
    ] = ""
    jwt_issuer: Annotated[str, env("OFFSITE_JWT_ISSUER", "`iss` claim of access tokens.")] = (
        "offsite"
    )
    access_ttl_s: Annotated[
        int, env("OFFSITE_ACCESS_TTL_S", "Lifetime of an access token, seconds.")
    ] = 900
    refresh_ttl_s: Annotated[
        int, env("OFFSITE_REFRESH_TTL_S", "Lifetime of a refresh token, seconds.")
    ] = 30 * 24 * 3600
    clock_skew_s: Annotated[
        int, env("OFFSITE_CLOCK_SKEW_S", "Leeway allowed on token times, seconds.")
    ] = 30
    password_cost: Annotated[
        int, env("OFFSITE_PASSWORD_COST", "scrypt work factor log2(N) for new password hashes.")
    ] = 15
    login_free_failures: Annotated[
        int,
        env(
            "OFFSITE_LOGIN_FREE_FAILURES",
            "Failed sign-ins in a row per account and client address before each further"
            " attempt from there must wait (doubling); never a lock-out.",
        ),
    ] = 3
    login_address_free_failures: Annotated[
        int,
        env(
            "OFFSITE_LOGIN_ADDRESS_FREE_FAILURES",
            "Failed sign-ins per client address (any account) within"
            " OFFSITE_LOGIN_FAILURE_MEMORY_S of the first before each further attempt from"
            " it must wait (doubling).",
        ),
    ] = 50
    login_delay_base_s: Annotated[
        float, env("OFFSITE_LOGIN_DELAY_BASE_S", "First wait past the free failures, s.")
    ] = 1.0
    login_delay_max_s: Annotated[
        float, env("OFFSITE_LOGIN_DELAY_MAX_S", "Longest wait between sign-in attempts, s.")
    ] = 900.0
    login_failure_memory_s: Annotated[
        int,
        env(
            "OFFSITE_LOGIN_FAILURE_MEMORY_S",
            "Failed sign-ins are forgotten this long after the account's last attempt from"
            " that address, and an address's this long after its first, s.",
        ),
    ] = 3600
    binding_ttl_s: Annotated[
        int, env("OFFSITE_BINDING_TTL_S", "Lifetime of a WeChat one-time binding code.")
    ] = 72 * 3600
    bootstrap_admin: Annotated[
        str,
        env("OFFSITE_BOOTSTRAP_ADMIN", "username:password of an admin created when none exists."),
    ] = ""


class WechatSettings(_Section, frozen=True, kw_only=True):
    api_base: Annotated[
        str, env("OFFSITE_WECHAT_API_BASE", "Base URL of the WeChat server API.")
    ] = "https://api.weixin.qq.com"
    app_id: Annotated[str, env("OFFSITE_WECHAT_APPID", "Miniprogram AppID.")] = ""
    app_secret: Annotated[str, env("OFFSITE_WECHAT_SECRET", "Miniprogram AppSecret.")] = ""
    timeout_s: Annotated[
        float, env("OFFSITE_WECHAT_TIMEOUT_S", "Timeout of one call to WeChat, seconds.")
    ] = 5.0
    token_refresh_margin_s: Annotated[
        int,
        env(
            "OFFSITE_WECHAT_TOKEN_REFRESH_MARGIN_S",
            "Renew the shared access token this many seconds before it expires (< 7200).",
        ),
    ] = 300
    miniprogram_state: Annotated[
        str,
        env(
            "OFFSITE_WECHAT_MINIPROGRAM_STATE",
            "Version a subscribe message opens: formal, trial or developer.",
        ),
    ] = "formal"
    template_case_assigned: Annotated[
        str,
        env("OFFSITE_WECHAT_TEMPLATE_CASE_ASSIGNED", "Subscribe template id: case assigned."),
    ] = ""
    template_case_escalated: Annotated[
        str,
        env("OFFSITE_WECHAT_TEMPLATE_CASE_ESCALATED", "Subscribe template id: case escalated."),
    ] = ""
    template_review_requested: Annotated[
        str,
        env("OFFSITE_WECHAT_TEMPLATE_REVIEW_REQUESTED", "Subscribe template id: review requested."),
    ] = ""
    page_case: Annotated[
        str,
        env("OFFSITE_WECHAT_PAGE_CASE", "Miniprogram page that case messages open."),
    ] = "pages/case/detail"


class EvidenceSettings(_Section, frozen=True, kw_only=True):
    photo_max_bytes: Annotated[
        int, env("OFFSITE_PHOTO_MAX_BYTES", "Largest photo an upload grant allows.")
    ] = 15 * 1024 * 1024
    video_max_bytes: Annotated[
        int, env("OFFSITE_VIDEO_MAX_BYTES", "Largest clip an upload grant allows.")
    ] = 60 * 1024 * 1024
    grant_ttl_s: Annotated[
        int, env("OFFSITE_UPLOAD_GRANT_TTL_S", "How long an upload grant stays usable, s.")
    ] = 600
    view_ttl_s: Annotated[
        int, env("OFFSITE_EVIDENCE_VIEW_TTL_S", "Lifetime of a link to view evidence, s.")
    ] = 300
    max_pixels: Annotated[
        int, env("OFFSITE_MAX_IMAGE_PIXELS", "Images with more pixels are refused (bombs).")
    ] = 60_000_000
    onsite_radius_m: Annotated[
        float, env("OFFSITE_ONSITE_RADIUS_M", "Verification photos farther away are flagged.")
    ] = 200.0
    window_slack_s: Annotated[
        int, env("OFFSITE_ONSITE_WINDOW_SLACK_S", "Slack around the task window, s.")
    ] = 1800
    retention_days_photo: Annotated[
        int, env("OFFSITE_RETENTION_DAYS_PHOTO", "Days a photo is kept after its case closes.")
    ] = 3650
    retention_days_video: Annotated[
        int, env("OFFSITE_RETENTION_DAYS_VIDEO", "Days a clip is kept after its case closes.")
    ] = 1095
    retention_days_frame: Annotated[
        int,
        env(
            "OFFSITE_RETENTION_DAYS_FRAME",
            "Days camera frames (raw and annotated) are kept after their case closes.",
        ),
    ] = 1095


class VisionSettings(_Section, frozen=True, kw_only=True):
    model_path: Annotated[
        str, env("OFFSITE_MODEL_PATH", "ONNX detector; empty: <testdata>/models/yolox_nano.onnx.")
    ] = ""
    model_card: Annotated[
        str, env("OFFSITE_MODEL_CARD", "Model card JSON; empty: the bundled YOLOX-Nano COCO.")
    ] = ""
    prefer_gpu: Annotated[bool, env("OFFSITE_VISION_GPU", "Use CUDA when it really works.")] = True
    frame_max_bytes: Annotated[
        int, env("OFFSITE_FRAME_MAX_BYTES", "Largest snapshot a camera may send.")
    ] = 8_000_000
    offline_after: Annotated[
        int, env("OFFSITE_CAMERA_OFFLINE_AFTER", "Failed samples in a row that mark offline.")
    ] = 5
    cleared_after: Annotated[
        int, env("OFFSITE_CLEARED_AFTER", "Clear samples in a row that record a clearance.")
    ] = 3
    alarm_types: Annotated[
        str,
        env(
            "OFFSITE_ALARM_TYPES",
            "JSON file mapping vendor alarm types to violation"
            " types; empty: domain/catalogue/alarm_types.json.",
        ),
    ] = ""
    observation_every_s: Annotated[
        int, env("OFFSITE_OBSERVATION_EVERY_S", "Least time between still-present notes, s.")
    ] = 600
    skip_unchanged: Annotated[
        bool, env("OFFSITE_SKIP_UNCHANGED", "Reuse detections while the zones look the same.")
    ] = True
    max_skips: Annotated[
        int, env("OFFSITE_MAX_SKIPS", "Samples in a row that may reuse one inference.")
    ] = 5


class OutboxSettings(_Section, frozen=True, kw_only=True):
    max_attempts: Annotated[
        int, env("OFFSITE_OUTBOX_MAX_ATTEMPTS", "Delivery attempts before a row is dead.")
    ] = 10
    lease_s: Annotated[
        float,
        env(
            "OFFSITE_OUTBOX_LEASE_S",
            "How long one attempt may hold its row, s (longer than the job timeout, 120 s).",
        ),
    ] = 180.0
    keep_days: Annotated[
        int,
        env(
            "OFFSITE_OUTBOX_KEEP_DAYS",
            "Delivered and skipped rows are deleted this many days after they were written.",
        ),
    ] = 30
    dead_keep_days: Annotated[
        int,
        env(
            "OFFSITE_OUTBOX_DEAD_KEEP_DAYS",
            "Dead rows stay this many days for operators to retry, then are deleted.",
        ),
    ] = 90
    reconcile_every_s: Annotated[
        float, env("OFFSITE_OUTBOX_RECONCILE_S", "Rescan for due rows at least this often, s.")
    ] = 5.0
    webhook_timeout_s: Annotated[
        float, env("OFFSITE_WEBHOOK_TIMEOUT_S", "Timeout of one webhook delivery, s.")
    ] = 10.0
    media_max_bytes: Annotated[
        int, env("OFFSITE_MEDIA_MAX_BYTES", "Largest picture fetched from an integrator's URL.")
    ] = 8_000_000
    private_targets: Annotated[
        str,
        env(
            "OFFSITE_PRIVATE_TARGETS",
            "Integrator URLs may lead to private addresses: yes, no, or auto (no in production).",
        ),
    ] = "auto"
    complaint_types: Annotated[
        str,
        env(
            "OFFSITE_COMPLAINT_TYPES",
            "JSON file mapping hotline categories to violation"
            " types; empty: domain/catalogue/complaint_types.json.",
        ),
    ] = ""


class SmsSettings(_Section, frozen=True, kw_only=True):
    gateway_url: Annotated[
        str,
        env(
            "OFFSITE_SMS_GATEWAY_URL",
            "Base URL of the SMS gateway; empty: parties are not notified, cases go to officers.",
        ),
    ] = ""
    api_key: Annotated[str, env("OFFSITE_SMS_API_KEY", "Bearer key for the SMS gateway.")] = ""
    sign_name: Annotated[str, env("OFFSITE_SMS_SIGN", "Signature the messages carry.")] = "闵行城管"
    template_party_notice: Annotated[
        str, env("OFFSITE_SMS_TEMPLATE_PARTY_NOTICE", "Template id: notice to correct by a date.")
    ] = "party_notice"
    timeout_s: Annotated[float, env("OFFSITE_SMS_TIMEOUT_S", "Timeout of one SMS call, s.")] = 5.0


class SubjectSettings(_Section, frozen=True, kw_only=True):
    grading_policy: Annotated[
        str,
        env(
            "OFFSITE_GRADING_POLICY",
            "Grading policy JSON (分类分级); empty: domain/subjects/grading_policy.json.",
        ),
    ] = ""
    block_policy: Annotated[
        str,
        env(
            "OFFSITE_BLOCK_POLICY",
            "美丽街区 scoring JSON; empty: domain/blocks/block_policy.json.",
        ),
    ] = ""


class MapSettings(_Section, frozen=True, kw_only=True):
    """The console map's base layer (底图); overlays follow its coordinate system."""

    base: Annotated[
        str,
        env(
            "OFFSITE_MAP_BASE",
            "Base layer of the command console: none (the district's own GeoJSON is the"
            " map; for isolated networks), tianditu (天地图, CGCS2000 = WGS-84; needs"
            " OFFSITE_MAP_TIANDITU_KEY), amap (高德, GCJ-02) or tencent (腾讯, GCJ-02).",
        ),
    ] = "none"
    tianditu_key: Annotated[
        str, env("OFFSITE_MAP_TIANDITU_KEY", "天地图 browser key (tk) for the tianditu base.")
    ] = ""
    tile_url: Annotated[
        str,
        env(
            "OFFSITE_MAP_TILE_URL",
            "Tile URL template ({z}/{x}/{y}, optional {s}) replacing the base's public one,"
            " e.g. a tile server inside 政务外网; its coordinate system is the base's.",
        ),
    ] = ""

    def __post_init__(self) -> None:
        if self.base not in ("none", "tianditu", "amap", "tencent"):
            raise SettingsError("OFFSITE_MAP_BASE: one of none, tianditu, amap, tencent")
        if self.base == "tianditu" and not (self.tianditu_key or self.tile_url):
            raise SettingsError("OFFSITE_MAP_TIANDITU_KEY: the tianditu base needs a tk key")


class DutySettings(_Section, frozen=True, kw_only=True):
    position_retention_days: Annotated[
        int,
        env(
            "OFFSITE_POSITION_RETENTION_DAYS",
            "Officers' position tracks (personal data) are deleted after this many days.",
        ),
    ] = 30
    arrival_radius_m: Annotated[
        float,
        env(
            "OFFSITE_ARRIVAL_RADIUS_M",
            "A responder's duty position this close to an emergency's site records arrival.",
        ),
    ] = 100.0


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """All settings, by section."""

    environment: str = "development"
    data_dir: Path = Path(".data")
    log_level: str = "INFO"
    log_json: bool = True
    testdata_dir: Path = Path("../shared/testdata")
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    database: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    s3: S3Settings = msgspec.field(default_factory=S3Settings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    wechat: WechatSettings = msgspec.field(default_factory=WechatSettings)
    evidence: EvidenceSettings = msgspec.field(default_factory=EvidenceSettings)
    vision: VisionSettings = msgspec.field(default_factory=VisionSettings)
    outbox: OutboxSettings = msgspec.field(default_factory=OutboxSettings)
    sms: SmsSettings = msgspec.field(default_factory=SmsSettings)
    subjects: SubjectSettings = msgspec.field(default_factory=SubjectSettings)
    map: MapSettings = msgspec.field(default_factory=MapSettings)
    duty: DutySettings = msgspec.field(default_factory=DutySettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping (``os.environ`` in production)."""
        top = _Top.from_env(environ)
        return cls(
            environment=top.environment,
            data_dir=Path(top.data_dir),
            log_level=top.log_level.upper(),
            log_json=top.log_json,
            testdata_dir=Path(top.testdata_dir),
            http=HttpSettings.from_env(environ),
            database=DatabaseSettings.from_env(environ),
            redis=RedisSettings.from_env(environ),
            s3=S3Settings.from_env(environ),
            auth=AuthSettings.from_env(environ),
            wechat=WechatSettings.from_env(environ),
            evidence=EvidenceSettings.from_env(environ),
            vision=VisionSettings.from_env(environ),
            outbox=OutboxSettings.from_env(environ),
            sms=SmsSettings.from_env(environ),
            subjects=SubjectSettings.from_env(environ),
            map=MapSettings.from_env(environ),
            duty=DutySettings.from_env(environ),
        )

    @property
    def private_targets_allowed(self) -> bool:
        """Whether deliveries may go to loopback / private addresses (not in production,
        unless ``OFFSITE_PRIVATE_TARGETS=yes``)."""
        choice = self.outbox.private_targets.lower()
        return choice == "yes" or (choice == "auto" and not self.is_production)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


class _Top(_Section, frozen=True, kw_only=True):
    environment: Annotated[
        str, env("OFFSITE_ENV", "development | test | production (production is stricter).")
    ] = "development"
    data_dir: Annotated[
        str, env("OFFSITE_DATA_DIR", "Folder for the embedded services' data and local state.")
    ] = ".data"
    log_level: Annotated[str, env("OFFSITE_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    log_json: Annotated[
        bool, env("OFFSITE_LOG_JSON", "One JSON object per log line (else plain text).")
    ] = True
    testdata_dir: Annotated[
        str, env("OFFSITE_TESTDATA_DIR", "Shared test data: models and street photographs.")
    ] = "../shared/testdata"


SECTIONS: tuple[type[_Section], ...] = (
    _Top,
    HttpSettings,
    DatabaseSettings,
    RedisSettings,
    S3Settings,
    AuthSettings,
    WechatSettings,
    EvidenceSettings,
    VisionSettings,
    OutboxSettings,
    SmsSettings,
    SubjectSettings,
    MapSettings,
    DutySettings,
)


def describe() -> list[tuple[str, str, str]]:
    """(env var, default, description) for every setting: the documentation table."""
    rows: list[tuple[str, str, str]] = []
    for section in SECTIONS:
        defaults = section()
        for name, (var, doc) in _field_metas(section).items():
            rows.append((var, str(getattr(defaults, name)), doc))
    return rows


@functools.cache
def get_settings() -> Settings:
    """The process's settings, built from ``os.environ`` on first use and cached."""
    return Settings.from_env(os.environ)
