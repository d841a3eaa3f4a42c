"""Hand-written: emergencies (突发事件). A case the desk runs live is flagged, and each
officer sent to it has a row with their acknowledgement and arrival."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "emergencies: the flag on the case and its responders"

STATEMENTS = (
    "ALTER TABLE enforcement_case ADD COLUMN emergency boolean NOT NULL DEFAULT false",
    """CREATE INDEX enforcement_case_open_emergency ON enforcement_case (squad, created_at)
        WHERE emergency AND state NOT IN ('closed', 'dismissed')""",
    """CREATE TABLE case_responder (
        id bigserial PRIMARY KEY,
        "case" bigint NOT NULL REFERENCES enforcement_case (id) ON DELETE CASCADE,
        officer integer NOT NULL REFERENCES staff_user (id) ON DELETE RESTRICT,
        sent_by integer REFERENCES staff_user (id) ON DELETE SET NULL,
        sent_at timestamptz NOT NULL,
        acknowledged_at timestamptz,
        arrived_at timestamptz,
        arrival_kind varchar(16),
        arrival_lng double precision,
        arrival_lat double precision,
        arrival_distance_m double precision,
        UNIQUE ("case", officer),
        CHECK (arrived_at IS NULL OR arrival_kind IS NOT NULL)
    )""",
    # Positions look up the officer's responses that wait for an arrival.
    """CREATE INDEX case_responder_on_the_way ON case_responder (officer)
        WHERE arrived_at IS NULL""",
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
