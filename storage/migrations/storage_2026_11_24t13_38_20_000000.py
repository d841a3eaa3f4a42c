"""Hand-written: one score per block and month; cases found by time and place."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:38:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "street blocks: one score per month"

STATEMENTS = (
    "CREATE UNIQUE INDEX block_score_month ON block_score (block, month)",
    "CREATE INDEX block_spot_check_month ON block_spot_check (block, at)",
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
