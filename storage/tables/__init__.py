"""Every Piccolo table, by concept; ``TABLES`` is what the migrations track."""

from storage.tables.org import (
    GridCell,
    IntegratorKey,
    RefreshToken,
    Squad,
    StaffUser,
    WechatBinding,
)

TABLES = (Squad, GridCell, StaffUser, RefreshToken, WechatBinding, IntegratorKey)

__all__ = [
    "TABLES",
    "GridCell",
    "IntegratorKey",
    "RefreshToken",
    "Squad",
    "StaffUser",
    "WechatBinding",
]
