"""``/healthz`` (the process answers) and ``/readyz`` (its backing services do)."""

from __future__ import annotations

import asyncio
from typing import Literal

import msgspec
from litestar import Controller, Response, get

from api.deps import Rt
from storage import db

PUBLIC = {"exclude_from_auth": True}


class Health(msgspec.Struct, frozen=True):
    status: Literal["ok"]


class Readiness(msgspec.Struct, frozen=True):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]


async def _check(name: str, probe: object) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, timeout=3)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported
        return name, f"error: {type(exc).__name__}: {exc}"[:300]
    return name, "ok"


async def _migrations_current() -> None:
    pending = await db.pending_migrations()
    if pending:
        raise RuntimeError(f"pending migrations: {', '.join(pending)}")


class HealthController(Controller):
    tags = ["operations"]

    @get("/healthz", operation_id="healthz", opt=PUBLIC, security=[])
    async def healthz(self) -> Health:
        """The process is up (no backing service is touched)."""
        return Health("ok")

    @get("/readyz", operation_id="readyz", opt=PUBLIC, security=[])
    async def readyz(self, rt: Rt) -> Response[Readiness]:
        """PostgreSQL, Redis and object storage answer, and the schema is current; 503 if not."""
        results = await asyncio.gather(
            _check("database", db.ping()),
            _check("migrations", _migrations_current()),
            _check("redis", rt.redis.ping()),
            _check("object_storage", rt.objects.ping()),
        )
        checks = dict(results)
        ready = all(v == "ok" for v in checks.values())
        return Response(
            Readiness("ready" if ready else "not_ready", checks), status_code=200 if ready else 503
        )
