"""Hand-written: what the feed relay and the outbox pump need from PostgreSQL.

- ``case_event.txid``: the transaction that wrote each timeline entry (xid8). The relay
  publishes entries only once every transaction below a horizon has ended, so the feed
  never skips an entry that commits late. Entries from before this migration have none
  and are not fed (the feed starts here).
- Statement-level triggers ``pg_notify`` at commit when timeline entries or outbox rows
  are written, so the worker relays and delivers at once instead of at the next poll.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T12:43:14:000000"
VERSION = "1.38.0"
DESCRIPTION = "integration: relay horizon, change notices, indexes"

STATEMENTS = (
    "ALTER TABLE case_event ADD COLUMN txid xid8",
    "ALTER TABLE case_event ALTER COLUMN txid SET DEFAULT pg_current_xact_id()",
    "CREATE INDEX case_event_txid ON case_event (txid) WHERE txid IS NOT NULL",
    """INSERT INTO feed_relay (id, low_xid, high_xid, last_event)
       VALUES (1, pg_current_xact_id()::text, NULL, 0)""",
    """CREATE FUNCTION offsite_notify() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify(TG_ARGV[0], '');
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER case_event_notify AFTER INSERT ON case_event
       FOR EACH STATEMENT EXECUTE FUNCTION offsite_notify('offsite_case_event')""",
    """CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
       FOR EACH STATEMENT EXECUTE FUNCTION offsite_notify('offsite_outbox')""",
    "CREATE INDEX feed_entry_squad ON feed_entry (squad, pos)",
    "CREATE INDEX feed_entry_case ON feed_entry (\"case\", pos)",
    "CREATE INDEX notification_inbox ON notification (\"user\", id)",
    "CREATE UNIQUE INDEX notification_once ON notification (outbox, \"user\")",
    "CREATE INDEX webhook_subscription_live ON webhook_subscription (key) WHERE active",
    "CREATE INDEX enforcement_case_origin ON enforcement_case (origin_key) WHERE origin_key IS NOT NULL",
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
