"""The PostgreSQL engine's lifecycle, migrations and readiness."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import cast

import asyncpg
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

APP_NAME = "storage"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("offsite.db")


def engine() -> PostgresEngine:
    """The engine of ``piccolo_conf`` (its DSN comes from the settings)."""
    found = engine_finder()
    if not isinstance(found, PostgresEngine):
        raise RuntimeError("piccolo_conf.DB must be a PostgresEngine")
    return found


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The code never changes session state (no SET, LISTEN or advisory locks), so
    asyncpg's default reset, a round trip on every release (a third of a board request
    here), is skipped; only a transaction left open by a cancelled task is rolled back."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def open_pool(min_size: int, max_size: int) -> bool:
    """Start the connection pool unless one is open; whether this call opened it."""
    if engine().pool is not None:
        return False
    await engine().start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session)
    return True


async def close_pool(timeout_s: float = 5.0) -> None:
    """Close the pool, waiting up to ``timeout_s`` for connections still in use, then
    terminating them. asyncpg's graceful close waits for every connection to come back,
    forever: one leaked by a task cancelled mid-rollback at shutdown would keep the
    process from exiting on SIGTERM."""
    pool = engine().pool
    if pool is None:
        return
    try:
        await asyncio.wait_for(pool.close(), timeout_s)
    except TimeoutError:
        log.warning("database connections still in use after %.0f s; terminating them", timeout_s)
        pool.terminate()
    engine().pool = None


async def migrate(to: str = "all") -> None:
    """Apply the migrations not yet applied, up to ``to`` (idempotent)."""
    result = await run_forwards(app_name=APP_NAME, migration_id=to)
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


def known_migrations() -> list[str]:
    manager = BaseMigrationManager()
    return manager.get_migration_ids(manager.get_migration_modules(str(MIGRATIONS)))


async def pending_migrations() -> list[str]:
    """Migration ids present in the code but not applied to the database."""
    if not await Migration.table_exists().run():
        return known_migrations()
    applied = set(await Migration.get_migrations_which_ran(app_name=APP_NAME))
    return [m for m in known_migrations() if m not in applied]


async def ping() -> None:
    """Raise when the database does not answer a trivial query."""
    rows = cast(list[dict[str, int]], await engine().run_ddl("SELECT 1 AS ok"))
    if not rows or rows[0]["ok"] != 1:
        raise RuntimeError("database did not answer SELECT 1")
