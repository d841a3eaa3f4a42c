"""The application's error hierarchy: every refusal is data with a stable code.

Use cases raise these; the API maps each kind to one HTTP status in one place
(``api.errors``), so a code means the same thing wherever it comes from.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    invalid = "invalid"  # the request is malformed or breaks a rule: 400 / 422
    unauthenticated = "unauthenticated"  # who you are is unknown or wrong: 401
    forbidden = "forbidden"  # known, but not allowed: 403
    not_found = "not_found"  # 404 (also for what the caller may not see)
    conflict = "conflict"  # stale version, duplicate: 409
    rate_limited = "rate_limited"  # 429
    unavailable = "unavailable"  # an outside system failed: 502 / 503


class AppError(Exception):
    """A refusal with a machine-readable ``code`` and a human ``detail``."""

    kind: ErrorKind = ErrorKind.invalid

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.extra = extra


class InvalidInput(AppError):
    kind = ErrorKind.invalid


class Unauthenticated(AppError):
    kind = ErrorKind.unauthenticated


class Forbidden(AppError):
    kind = ErrorKind.forbidden


class NotFound(AppError):
    kind = ErrorKind.not_found


class Conflict(AppError):
    kind = ErrorKind.conflict


class RateLimited(AppError):
    kind = ErrorKind.rate_limited

    def __init__(self, code: str, detail: str, retry_after_s: int) -> None:
        super().__init__(code, detail, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class Unavailable(AppError):
    kind = ErrorKind.unavailable
