"""Hand-written: the sessions ended lately, found without scanning every refresh token
(each API process reads them when its session listener (re)connects)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T13:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "refresh tokens: revoked ones by time"

STATEMENTS = (
    """CREATE INDEX refresh_token_revoked ON refresh_token (revoked_at)
       WHERE revoked_at IS NOT NULL""",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="storage", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
