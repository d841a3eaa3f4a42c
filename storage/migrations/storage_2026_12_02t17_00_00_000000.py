"""Hand-written: the duty model (网上勤务) — rosters of shifts and leave, the officers'
position track and duty transitions, and roll-call spot checks (点名抽查).

A shift's officer cannot be on two shifts at once: the database refuses an overlap
itself (an exclusion constraint over the shift's time range), so two leaders saving
neighbouring weeks at the same moment cannot both slip one in."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "duty: shifts, leave, position track, duty transitions, roll calls"

STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """CREATE TABLE duty_shift (
        id serial PRIMARY KEY,
        squad integer NOT NULL REFERENCES squad (id) ON DELETE RESTRICT,
        officer integer NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        grid_ids integer[] NOT NULL DEFAULT '{}',
        area_note varchar(200),
        created_by integer REFERENCES staff_user (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT duty_shift_ends_after_start CHECK (ends_at > starts_at),
        CONSTRAINT duty_shift_at_most_a_day CHECK (ends_at - starts_at <= interval '24 hours'),
        CONSTRAINT duty_shift_no_overlap EXCLUDE USING gist
            (officer WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    )""",
    "CREATE INDEX duty_shift_squad_starts ON duty_shift (squad, starts_at)",
    "CREATE INDEX duty_shift_officer_starts ON duty_shift (officer, starts_at)",
    """CREATE TABLE duty_leave (
        id serial PRIMARY KEY,
        squad integer NOT NULL REFERENCES squad (id) ON DELETE RESTRICT,
        officer integer NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        kind varchar(32) NOT NULL,
        reason varchar(200),
        created_by integer REFERENCES staff_user (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT duty_leave_ends_after_start CHECK (ends_at > starts_at)
    )""",
    "CREATE INDEX duty_leave_officer_starts ON duty_leave (officer, starts_at)",
    "CREATE INDEX duty_leave_squad_starts ON duty_leave (squad, starts_at)",
    """CREATE TABLE position_fix (
        id bigserial PRIMARY KEY,
        officer integer NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        lng double precision NOT NULL,
        lat double precision NOT NULL,
        accuracy_m double precision
    )""",
    "CREATE INDEX position_fix_officer_at ON position_fix (officer, at)",
    # The retention purge deletes by age over the whole table: a BRIN index stays tiny
    # on an append-only table ordered by time.
    "CREATE INDEX position_fix_at ON position_fix USING brin (at)",
    """CREATE TABLE duty_transition (
        id bigserial PRIMARY KEY,
        officer integer NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        on_duty boolean NOT NULL
    )""",
    "CREATE INDEX duty_transition_officer_at ON duty_transition (officer, at)",
    """CREATE TABLE roll_call (
        id serial PRIMARY KEY,
        squad integer NOT NULL REFERENCES squad (id) ON DELETE RESTRICT,
        officer integer NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
        asked_by integer REFERENCES staff_user (id) ON DELETE SET NULL,
        asked_at timestamptz NOT NULL,
        deadline_at timestamptz NOT NULL,
        state varchar(16) NOT NULL DEFAULT 'pending',
        answered_at timestamptz,
        lng double precision,
        lat double precision,
        accuracy_m double precision,
        note varchar(200),
        photo_key varchar(300),
        photo_at timestamptz,
        CONSTRAINT roll_call_state CHECK (state IN ('pending', 'answered', 'late', 'missed'))
    )""",
    "CREATE INDEX roll_call_squad_asked ON roll_call (squad, asked_at)",
    "CREATE INDEX roll_call_officer_asked ON roll_call (officer, asked_at)",
    "CREATE INDEX roll_call_pending ON roll_call (deadline_at) WHERE state = 'pending'",
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
