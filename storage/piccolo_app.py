"""The Piccolo app that owns every table and migration of Offsite."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from storage.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="storage",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
