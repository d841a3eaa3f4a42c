"""One place that turns every error into ``{"code", "detail"}`` with the right status."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import minio.error
import urllib3.exceptions
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from domain.errors import AppError, ErrorKind, RateLimited
from domain.moments import DATETIME_WITHOUT_OFFSET

log = logging.getLogger("offsite.api")

STATUS = {
    ErrorKind.invalid: 400,
    ErrorKind.unauthenticated: 401,
    ErrorKind.forbidden: 403,
    ErrorKind.not_found: 404,
    ErrorKind.conflict: 409,
    ErrorKind.rate_limited: 429,
    ErrorKind.unavailable: 503,
}

# Litestar's own refusals (routing, parsing, auth plumbing) get codes too.
_HTTP_CODES = {
    400: "bad_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


def app_error(_: Request[Any, Any, Any], exc: AppError) -> Response[dict[str, Any]]:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    elif "retry_after_s" in exc.extra:  # a refusal that passes by itself (a check running)
        headers["Retry-After"] = str(exc.extra["retry_after_s"])
    if exc.kind is ErrorKind.unauthenticated:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return Response(
        _body(exc.code, exc.detail, **exc.extra),
        status_code=STATUS[exc.kind],
        headers=headers,
        media_type=MediaType.JSON,
    )


# msgspec's refusal of a naive value under ``AwareDatetime``: a time without an offset
# has its own code, so clients can tell it from a malformed body.
_NAIVE_DATETIME = "with a timezone component"


def validation_error(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = exc.extra or []
    naive = isinstance(errors, list) and any(
        isinstance(e, dict) and _NAIVE_DATETIME in str(e.get("message", "")) for e in errors
    )
    return Response(
        _body(DATETIME_WITHOUT_OFFSET if naive else "invalid_request", exc.detail, errors=errors),
        status_code=400,
        media_type=MediaType.JSON,
    )


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return Response(
        _body(code, exc.detail),
        status_code=exc.status_code,
        headers=exc.headers,
        media_type=MediaType.JSON,
    )


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body("internal_error", "something went wrong on our side; it has been logged"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


def integrity_error(
    request: Request[Any, Any, Any], exc: asyncpg.IntegrityConstraintViolationError
) -> Response[dict[str, Any]]:
    """A backstop: a rule the database enforced that no check caught first."""
    log.warning("constraint violated on %s %s: %s", request.method, request.url.path, exc)
    return Response(
        _body("constraint_violation", "the change conflicts with existing data"),
        status_code=409,
        media_type=MediaType.JSON,
    )


# Text PostgreSQL cannot store: a NUL character (in text, or \u0000 in jsonb).
_UNSTORABLE_TEXT = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


def data_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A backstop for values no schema bound caught first: an integer beyond its column
    (asyncpg refuses to send it), a NUL character, a number PostgreSQL cannot hold. The
    statement failed, so its transaction rolled back: nothing was written."""
    log.warning("value refused on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, _UNSTORABLE_TEXT):
        code, detail = "text_invalid", "text may not contain NUL (U+0000) characters"
    else:
        code, detail = "value_out_of_range", "a value in the request is out of range"
    return Response(_body(code, detail), status_code=400, media_type=MediaType.JSON)


def unreadable_body(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A body msgspec cannot read: not UTF-8, or nested past the decoder's depth."""
    if isinstance(exc, RecursionError):
        code, detail = "body_too_deep", "the JSON body is nested too deeply"
    else:
        code, detail = "body_invalid", "the body is not valid UTF-8 JSON"
    return Response(_body(code, detail), status_code=400, media_type=MediaType.JSON)


# A backing service that is down (or restarting) is the caller's cue to retry, not a
# bug: 503 with a code saying which one. Each command is one transaction, so nothing of
# a refused request was kept; a retry with the same Idempotency-Key applies it once.
RETRY_AFTER_S = 2


def _unavailable(code: str, detail: str) -> Response[dict[str, Any]]:
    return Response(
        _body(code, detail),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
        media_type=MediaType.JSON,
    )


def database_unavailable(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return _unavailable("database_unavailable", "the database cannot be reached right now")


def redis_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.warning("redis unavailable on %s %s: %r", request.method, request.url.path, exc)
    return _unavailable("service_unavailable", "the job queue cannot be reached right now")


def storage_unavailable(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    log.warning("object store unavailable on %s %s: %r", request.method, request.url.path, exc)
    return _unavailable("storage_unavailable", "the object store cannot be reached right now")


def database_client_error(
    request: Request[Any, Any, Any], exc: asyncpg.InternalClientError
) -> Response[dict[str, Any]]:
    """asyncpg reports some connection losses as an internal client error (a pooled
    connection the server dropped mid-use: "cannot switch to state …"). The transaction
    is gone either way, so the caller may retry: 503, logged with its traceback in case
    it is a real bug."""
    log.error("database client error on %s %s", request.method, request.url.path, exc_info=exc)
    return _unavailable("database_unavailable", "the database cannot be reached right now")


def connection_error(
    request: Request[Any, Any, Any], exc: ConnectionError
) -> Response[dict[str, Any]]:
    """A refused or reset connection that no client library wrapped: the database pool
    (asyncpg raises the socket's own error when it cannot connect) is the one that does."""
    return database_unavailable(request, exc)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    asyncpg.IntegrityConstraintViolationError: integrity_error,
    asyncpg.exceptions.DataError: data_error,  # SQLSTATE class 22, raised by the server
    asyncpg.exceptions._base.DataError: data_error,  # refused by asyncpg before sending
    UnicodeDecodeError: unreadable_body,
    RecursionError: unreadable_body,
    # the server went away, is starting or shutting down, or a pooled connection broke
    asyncpg.PostgresConnectionError: database_unavailable,
    asyncpg.CannotConnectNowError: database_unavailable,
    asyncpg.AdminShutdownError: database_unavailable,
    asyncpg.CrashShutdownError: database_unavailable,
    asyncpg.ConnectionDoesNotExistError: database_unavailable,
    asyncpg.InternalClientError: database_client_error,
    ConnectionError: connection_error,
    RedisConnectionError: redis_unavailable,
    RedisTimeoutError: redis_unavailable,
    urllib3.exceptions.HTTPError: storage_unavailable,
    minio.error.ServerError: storage_unavailable,
    AppError: app_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: internal_error,
}
