"""Hand-written: an outside system's id identifies its case once *per source* (the
integrator key that sent it), not across every integrator: two systems' work orders may
share a number and each must become its own case."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: external ids unique per source key"

STATEMENTS = (
    "DROP INDEX enforcement_case_external",
    # COALESCE: ids sent without a key (NULL origin) still count once among themselves,
    # without relying on NULLS NOT DISTINCT (PostgreSQL 15+).
    """CREATE UNIQUE INDEX enforcement_case_external ON enforcement_case
       (source, COALESCE(origin_key, 0), external_id) WHERE external_id IS NOT NULL""",
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
