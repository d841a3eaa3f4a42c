"""Migrations run forwards on an empty database, one step at a time (each on the schema
the previous one left, as an upgrade from an earlier release does), and again as a no-op."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from storage.db import known_migrations


def _url_for(database: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{database}"))


def _offsite(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, OFFSITE_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "offsite.cli", *args], env=env, capture_output=True, text=True
    )


@pytest.fixture
async def empty_database():
    name = f"migrations_{os.getpid()}"
    admin = await asyncpg.connect(_url_for("postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url_for(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_migrations_step_by_step_then_idempotent(empty_database: str) -> None:
    steps = known_migrations()
    assert len(steps) >= 2
    for step in steps:
        result = _offsite(empty_database, "migrate", "--to", step)
        assert result.returncode == 0, result.stderr
    again = _offsite(empty_database, "migrate")
    assert again.returncode == 0, again.stderr

    conn = await asyncpg.connect(empty_database)
    try:
        applied = await conn.fetch("SELECT name FROM migration ORDER BY id")
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        # The database itself refuses an officer without a squad.
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO staff_user (username, display_name, role) VALUES ('x', 'x', 'officer')"
            )
    finally:
        await conn.close()
    assert [r["name"] for r in applied] == steps
    assert {
        "squad",
        "grid_cell",
        "staff_user",
        "refresh_token",
        "wechat_binding",
        "integrator_key",
    } <= tables
