"""Hand-written: the review decisions of the timeline (closes, returns, reopens) by time,
for the rework rate, which counts them in the period they were taken."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case_event: review decisions by time"

STATEMENTS = (
    """CREATE INDEX case_event_review ON case_event (at)
        WHERE (to_state = 'closed' OR (data->>'rework')::boolean)""",
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
