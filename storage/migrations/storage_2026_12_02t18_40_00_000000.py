"""Hand-written: each case's H3 cells (resolutions 9 and 10), set when the case is written,
for the hotspot statistics (domain/hotspots). Cases written before stay NULL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: H3 cells at resolutions 9 and 10"

STATEMENTS = (
    "ALTER TABLE enforcement_case ADD COLUMN h3_r9 varchar(15)",
    "ALTER TABLE enforcement_case ADD COLUMN h3_r10 varchar(15)",
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
