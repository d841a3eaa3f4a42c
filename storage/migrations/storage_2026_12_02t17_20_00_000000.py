"""Hand-written: open cases by position, for the console map's clusters and points
(storage/map_cases.py): an index-only scan of a box reads only open cases."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "enforcement_case: open cases by position"

STATEMENTS = (
    """CREATE INDEX enforcement_case_open_position ON enforcement_case (lng, lat)
        INCLUDE (state, overdue, squad)
        WHERE state NOT IN ('closed', 'dismissed') AND lng IS NOT NULL""",
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
