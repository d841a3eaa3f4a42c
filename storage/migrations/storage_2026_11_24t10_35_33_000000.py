"""Hand-written: rules the database enforces whatever code writes to it.

Piccolo runs a manager's raw SQL before its table changes, so constraints on the tables
of the previous migration live in this one of their own.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T10:35:33:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation constraints"

STATEMENTS = [
    """ALTER TABLE staff_user ADD CONSTRAINT staff_user_role_valid
       CHECK (role IN ('officer', 'squad_leader', 'commander', 'supervisor', 'admin'))""",
    """ALTER TABLE staff_user ADD CONSTRAINT staff_user_squad_bound
       CHECK (role NOT IN ('officer', 'squad_leader') OR squad IS NOT NULL)""",
    # The purge job and "live sessions of a user" look only at unrevoked tokens.
    """CREATE INDEX refresh_token_live_expiry ON refresh_token (expires_at)
       WHERE revoked_at IS NULL""",
    # On-duty officers of a squad: the auto-dispatch candidate query.
    """CREATE INDEX staff_user_on_duty ON staff_user (squad, role) WHERE on_duty""",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="storage", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
