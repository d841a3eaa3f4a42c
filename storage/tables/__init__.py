"""Every Piccolo table, by concept; ``TABLES`` is what the migrations track."""

from storage.tables.cases import (
    Case,
    CaseDeadline,
    CaseEscalation,
    CaseEvent,
    IdempotencyRecord,
    Outbox,
    ViolationTypeRow,
    ViolationTypeVersion,
)
from storage.tables.evidence import Evidence
from storage.tables.field import Camera, CameraZone, Subject, SubjectGrade
from storage.tables.integration import FeedEntry, FeedRelay, Notification, WebhookSubscription
from storage.tables.org import (
    GridCell,
    IntegratorKey,
    RefreshToken,
    Squad,
    StaffUser,
    WechatBinding,
)

TABLES = (
    Squad,
    GridCell,
    StaffUser,
    RefreshToken,
    WechatBinding,
    IntegratorKey,
    Camera,
    Subject,
    SubjectGrade,
    CameraZone,
    ViolationTypeRow,
    ViolationTypeVersion,
    Case,
    CaseEvent,
    CaseDeadline,
    CaseEscalation,
    Outbox,
    IdempotencyRecord,
    Evidence,
    FeedEntry,
    FeedRelay,
    WebhookSubscription,
    Notification,
)

__all__ = [
    "TABLES",
    "Camera",
    "CameraZone",
    "Case",
    "CaseDeadline",
    "CaseEscalation",
    "CaseEvent",
    "Evidence",
    "FeedEntry",
    "FeedRelay",
    "GridCell",
    "IdempotencyRecord",
    "IntegratorKey",
    "Notification",
    "Outbox",
    "RefreshToken",
    "Squad",
    "StaffUser",
    "Subject",
    "SubjectGrade",
    "ViolationTypeRow",
    "ViolationTypeVersion",
    "WebhookSubscription",
    "WechatBinding",
]
