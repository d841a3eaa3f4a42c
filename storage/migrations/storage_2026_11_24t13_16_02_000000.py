"""Hand-written: finding subjects by name, shop sign or credit code (trigram indexes),
and near a point (a plain index on latitude narrows the box)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T13:16:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "subjects: search indexes"

STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE INDEX subject_search ON subject USING gin
       ((name || ' ' || coalesce(details->>'shop_sign', '') || ' ' || coalesce(credit_code, ''))
        gin_trgm_ops)""",
    "CREATE INDEX subject_lat ON subject (lat, lng)",
    "CREATE UNIQUE INDEX subject_credit_code ON subject (kind, credit_code) WHERE credit_code IS NOT NULL",
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
