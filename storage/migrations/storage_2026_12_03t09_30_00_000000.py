"""Hand-written: repeat places (高发点位), found by the hourly hotspot refresh for the
windows of 7, 30 and 90 days (``storage.repeat_places``), so a request reads rows instead
of clustering a month of cases."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hotspots: repeat places per window"

STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS repeat_place (
        days smallint NOT NULL,
        squad integer NOT NULL,
        violation_type varchar(16) NOT NULL,
        centre_case bigint NOT NULL,
        lng double precision NOT NULL,
        lat double precision NOT NULL,
        address text NOT NULL DEFAULT '',
        cases integer NOT NULL,
        case_ids bigint[] NOT NULL,
        first_at timestamptz NOT NULL,
        last_at timestamptz NOT NULL,
        refreshed_at timestamptz NOT NULL,
        PRIMARY KEY (days, squad, violation_type, centre_case)
    )""",
    "CREATE INDEX IF NOT EXISTS repeat_place_rank ON repeat_place (days, cases DESC, last_at DESC)",
    # When each window was last found, also when it found no place.
    """CREATE TABLE IF NOT EXISTS repeat_place_refresh (
        days smallint PRIMARY KEY,
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
