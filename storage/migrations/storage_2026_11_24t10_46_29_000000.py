"""Hand-written: the cases' constraints, the timeline's append-only guard, and the
indexes behind the task board, the escalation scan and the outbox."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T10:46:29:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: constraints, append-only timeline, board and escalation indexes"

STATEMENTS = [
    """ALTER TABLE enforcement_case ADD CONSTRAINT enforcement_case_state_valid CHECK (state IN
       ('pending_triage', 'dismissed', 'dispatched', 'in_progress', 'awaiting_rectification',
        'filed', 'pending_review', 'closed'))""",
    """ALTER TABLE enforcement_case ADD CONSTRAINT enforcement_case_source_valid CHECK (source IN
       ('camera', 'alarm', 'patrol', 'complaint', 'inspection', 'audit'))""",
    # An outside system's id identifies its case once (12345 work orders, vendor alarms).
    """CREATE UNIQUE INDEX enforcement_case_external ON enforcement_case (source, external_id)
       WHERE external_id IS NOT NULL""",
    # "My tasks": an officer's open work, most urgent first.
    """CREATE INDEX enforcement_case_tasks ON enforcement_case
       (assignee, overdue DESC, next_due_at, id)
       WHERE state IN ('dispatched', 'in_progress', 'awaiting_rectification')""",
    # The squad board by state, newest first; and the district triage queue.
    """CREATE INDEX enforcement_case_board ON enforcement_case
       (squad, state, created_at DESC, id DESC)""",
    """CREATE INDEX enforcement_case_triage ON enforcement_case (created_at, id)
       WHERE state = 'pending_triage'""",
    """CREATE INDEX enforcement_case_overdue ON enforcement_case (squad, next_due_at)
       WHERE overdue""",
    "CREATE INDEX enforcement_case_created ON enforcement_case (created_at)",
    # The timeline: one entry per sequence number per case, and never rewritten.
    "CREATE UNIQUE INDEX case_event_seq ON case_event (\"case\", seq)",
    """CREATE FUNCTION case_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'case_event is append-only (the audit chain)';
       END $$""",
    """CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON case_event
       FOR EACH ROW EXECUTE FUNCTION case_event_append_only()""",
    """CREATE TRIGGER case_event_no_truncate BEFORE TRUNCATE ON case_event
       FOR EACH STATEMENT EXECUTE FUNCTION case_event_append_only()""",
    # Deadlines: one running deadline per kind per case; the escalation scan's index.
    """CREATE UNIQUE INDEX case_deadline_running ON case_deadline ("case", kind)
       WHERE cleared_at IS NULL""",
    """CREATE INDEX case_deadline_due ON case_deadline (next_escalation_at)
       WHERE next_escalation_at IS NOT NULL""",
    "CREATE INDEX case_deadline_case ON case_deadline (\"case\")",
    # Each escalation level of a deadline happens once, whatever the number of workers.
    "CREATE UNIQUE INDEX case_escalation_once ON case_escalation (deadline, level)",
    "CREATE INDEX case_escalation_case ON case_escalation (\"case\")",
    """CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending'""",
    "CREATE INDEX outbox_case ON outbox (\"case\")",
    "CREATE UNIQUE INDEX idempotency_record_key ON idempotency_record (actor, key)",
    "CREATE INDEX idempotency_record_created ON idempotency_record (created_at)",
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
