"""Hand-written: one structure per case (no double counting against the targets), and
the outbox's settled rows found by status (the dead-letter list)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:38:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "structures: one per case; outbox: settled rows by status"

STATEMENTS = (
    'CREATE UNIQUE INDEX illegal_structure_case ON illegal_structure ("case")',
    "CREATE INDEX outbox_settled ON outbox (status, id) WHERE status <> 'pending'",
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
