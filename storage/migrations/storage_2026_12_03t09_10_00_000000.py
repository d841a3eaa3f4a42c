"""Hand-written: drop ``case_cell_week``; add ``hotspot_refresh``. The hotspot refresh
counts a week's cells in one GROUP BY and keeps them in memory: writing tens of
thousands of count rows a week cost ten times the GROUP BY itself and nothing read them
(``hotspot`` keeps the hot cells with their counts). As ``hotspot`` now holds only hot
cells, when each week was last refreshed is kept on its own (a week may have none)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T09:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hotspots: drop the weekly cell counts table, add the refresh times"

STATEMENTS = (
    "DROP TABLE IF EXISTS case_cell_week",
    """CREATE TABLE IF NOT EXISTS hotspot_refresh (
        week date PRIMARY KEY,
        refreshed_at timestamptz NOT NULL,
        hot_cells integer NOT NULL
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
