"""Hand-written: the programmes' monthly figures (三大专项), computed by the worker every
five minutes for the current and the previous month (``storage.programmes.refresh``), so
the dashboard reads one row instead of a month of cases and their subjects' histories."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "programmes: monthly figures, computed ahead"

STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS programme_figures_month (
        month varchar(7) PRIMARY KEY,
        figures jsonb NOT NULL,
        refreshed_at timestamptz NOT NULL
    )""",
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
