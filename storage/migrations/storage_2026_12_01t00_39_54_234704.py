from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T00:39:54:234704"
VERSION = "1.38.0"
DESCRIPTION = "credentials are sealed: text columns for camera passwords and secrets"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="storage", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="IntegratorKey",
        tablename="integrator_key",
        column_name="callback_secret",
        db_column_name="callback_secret",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="source_password",
        db_column_name="source_password",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WebhookSubscription",
        tablename="webhook_subscription",
        column_name="secret",
        db_column_name="secret",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
