"""Every Piccolo table, by concept; ``TABLES`` is what the migrations track."""

from storage.tables.field import Camera, Subject
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
)

__all__ = [
    "TABLES",
    "Camera",
    "GridCell",
    "IntegratorKey",
    "RefreshToken",
    "Squad",
    "StaffUser",
    "Subject",
    "WechatBinding",
]
