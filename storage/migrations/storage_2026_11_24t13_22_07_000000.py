"""Hand-written: a subject's established violations, found by subject and time (grading)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:22:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: by subject, for grading"

STATEMENTS = (
    """CREATE INDEX enforcement_case_subject ON enforcement_case (subject, created_at)
       WHERE subject IS NOT NULL""",
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
