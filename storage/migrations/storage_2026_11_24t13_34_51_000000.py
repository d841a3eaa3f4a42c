"""Hand-written: one target per year and squad (the district's with no squad)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:34:51:000000"
VERSION = "1.38.0"
DESCRIPTION = "illegal structures: one target per year and squad"

STATEMENTS = (
    "CREATE UNIQUE INDEX structure_target_once ON structure_target (year, coalesce(squad, 0))",
    "CREATE INDEX illegal_structure_figures ON illegal_structure (squad, kind, state)",
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
