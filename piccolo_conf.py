"""Piccolo's configuration: the engine reads its DSN from the settings.

Piccolo imports this module lazily, the first time a table needs the database, so the
settings are not read at import time of the application modules.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from offsite.settings import get_settings

DB = PostgresEngine(config={"dsn": get_settings().database.url})

APP_REGISTRY = AppRegistry(apps=["storage.piccolo_app"])
