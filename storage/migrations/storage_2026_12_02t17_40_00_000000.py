"""Hand-written: patrol check-in points (巡查签到点) with their daily plans, the check-ins
officers make at them, and the equipment registry (装备) with its assignments."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "patrol check-ins and equipment"

STATEMENTS = (
    """CREATE TABLE checkin_point (
        id SERIAL PRIMARY KEY,
        squad INTEGER NOT NULL REFERENCES squad (id) ON DELETE RESTRICT,
        name VARCHAR(64) NOT NULL,
        lng DOUBLE PRECISION NOT NULL,
        lat DOUBLE PRECISION NOT NULL,
        radius_m INTEGER NOT NULL CHECK (radius_m BETWEEN 10 AND 500),
        binding_kind VARCHAR(32),
        binding_id INTEGER,
        planned_per_day INTEGER NOT NULL DEFAULT 1 CHECK (planned_per_day BETWEEN 0 AND 24),
        weekdays INTEGER[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}',
        created_by INTEGER,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        deactivated_at TIMESTAMPTZ,
        CHECK ((binding_kind IS NULL) = (binding_id IS NULL))
    )""",
    "CREATE INDEX checkin_point_squad ON checkin_point (squad)",
    """CREATE TABLE patrol_checkin (
        id BIGSERIAL PRIMARY KEY,
        point INTEGER NOT NULL REFERENCES checkin_point (id) ON DELETE CASCADE,
        squad INTEGER NOT NULL REFERENCES squad (id) ON DELETE RESTRICT,
        officer INTEGER NOT NULL REFERENCES staff_user (id) ON DELETE RESTRICT,
        at TIMESTAMPTZ NOT NULL,
        local_date DATE NOT NULL,
        lng DOUBLE PRECISION NOT NULL,
        lat DOUBLE PRECISION NOT NULL,
        distance_m DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX patrol_checkin_point_day ON patrol_checkin (point, local_date)",
    "CREATE INDEX patrol_checkin_squad_day ON patrol_checkin (squad, local_date)",
    "CREATE INDEX patrol_checkin_officer ON patrol_checkin (officer, point, at DESC)",
    """CREATE TABLE equipment (
        id SERIAL PRIMARY KEY,
        squad INTEGER NOT NULL REFERENCES squad (id) ON DELETE RESTRICT,
        kind VARCHAR(16) NOT NULL CHECK (kind IN ('vehicle', 'body_camera', 'radio')),
        code VARCHAR(64) NOT NULL UNIQUE,
        label VARCHAR(128) NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX equipment_squad ON equipment (squad)",
    """CREATE TABLE equipment_assignment (
        id BIGSERIAL PRIMARY KEY,
        equipment INTEGER NOT NULL REFERENCES equipment (id) ON DELETE CASCADE,
        officer INTEGER NOT NULL REFERENCES staff_user (id) ON DELETE RESTRICT,
        starts_at TIMESTAMPTZ NOT NULL,
        ends_at TIMESTAMPTZ NOT NULL,
        assigned_by INTEGER,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at)
    )""",
    "CREATE INDEX equipment_assignment_item ON equipment_assignment (equipment, starts_at)",
    "CREATE INDEX equipment_assignment_officer ON equipment_assignment (officer, ends_at)",
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
