"""Hand-written: a zone's key is unique within its camera."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T11:58:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "camera zones: unique key per camera"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="storage", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("CREATE UNIQUE INDEX camera_zone_key ON camera_zone (camera, key)")

    manager.add_raw(run)
    return manager
