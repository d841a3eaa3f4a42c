"""Hand-written: pre-aggregated case figures (issue 15, "big numbers stay fast").

``case_figures_day``: per Shanghai day of creation, squad, violation type, source, camera
and zone, the cohort counts of the cases created that day (as they are now) and the sums
and counts behind the mean minutes. ``review_figures_day``: per Shanghai day of a review
decision, the cases decided that day, keyed also by ``since`` (the case's previous
decision day, of any decision or of a rework), so that a period counts each case once:
a case is reviewed in [s, e) exactly on its first decision day there, the one row with
``since`` null or before ``s``. ``case_figures_month`` and ``review_figures_month`` sum
the days per month, for periods of whole months.

A row depends on its cases' current state, so the statement triggers below record in
``figures_dirty`` every day whose rows a change may alter; ``storage.cases.aggregates``
recomputes those days. Every existing day is recorded dirty here, and ``offsite migrate``
runs that refresh, so the tables are full when the migration command ends.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "case figures per day, review figures per day, dirty-day triggers"

DAY = "(({ts}) AT TIME ZONE 'Asia/Shanghai')::date"
REVIEW = "(e.to_state = 'closed' OR (e.data->>'rework')::boolean)"

STATEMENTS = (
    """CREATE TABLE case_figures_day (
        day date NOT NULL,
        squad integer,
        violation_type varchar(16) NOT NULL,
        source varchar(16) NOT NULL,
        camera integer,
        zone_key varchar(64),
        created integer NOT NULL,
        cases integer NOT NULL,
        dismissed integer NOT NULL,
        closed integer NOT NULL,
        closed_on_time integer NOT NULL,
        extended integer NOT NULL,
        overdue integer NOT NULL,
        notified integer NOT NULL,
        self_corrected integer NOT NULL,
        flagged_evidence integer NOT NULL,
        false_positives integer NOT NULL,
        undecided integer NOT NULL,
        accept_seconds numeric NOT NULL,
        accepted_n integer NOT NULL,
        handle_seconds numeric NOT NULL,
        handled_n integer NOT NULL,
        CONSTRAINT case_figures_day_key UNIQUE NULLS NOT DISTINCT
            (day, squad, violation_type, source, camera, zone_key)
    )""",
    """CREATE TABLE review_figures_day (
        day date NOT NULL,
        squad integer,
        violation_type varchar(16) NOT NULL,
        rework boolean NOT NULL,
        since date,
        cases integer NOT NULL,
        CONSTRAINT review_figures_day_key UNIQUE NULLS NOT DISTINCT
            (day, squad, violation_type, rework, since)
    )""",
    # The same, summed per month (``day`` is the month's first day; ``since`` its first
    # day too, which keeps ``since < s`` exact for a period starting on a month's first
    # day): a year reads twelve months of rows, not 365 days of them.
    """CREATE TABLE case_figures_month (LIKE case_figures_day,
        CONSTRAINT case_figures_month_key UNIQUE NULLS NOT DISTINCT
            (day, squad, violation_type, source, camera, zone_key))""",
    """CREATE TABLE review_figures_month (LIKE review_figures_day,
        CONSTRAINT review_figures_month_key UNIQUE NULLS NOT DISTINCT
            (day, squad, violation_type, rework, since))""",
    # An append-only log: writers never wait on each other or on the refresh (which
    # deletes the rows it has seen, and only those).
    """CREATE TABLE figures_dirty (
        id bigserial PRIMARY KEY,
        day date NOT NULL
    )""",
    """CREATE TABLE figures_refresh (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        refreshed_at timestamptz NOT NULL,
        days integer NOT NULL
    )""",
    # The notices and dismissals the day counts look up per case (``NOTIFIED``,
    # ``FALSE_POSITIVE``): a few rows of the timeline, found without reading it all.
    """CREATE INDEX case_event_notice_dismissal ON case_event ("case")
        WHERE action IN ('notify_party', 'dismiss')""",
    # Repeat offenders stay counted over the cases (a 90-day window): an index-only scan
    # of the window's cases that have a subject (1,000,000 a year: ~30 ms, not ~80).
    """CREATE INDEX enforcement_case_subject_window ON enforcement_case (created_at)
        INCLUDE (subject, violation_type, squad) WHERE subject IS NOT NULL""",
    # Each function reads the rows a statement changed as ``changed_rows`` (the inserted
    # or the deleted ones, as its trigger names them); updates see both, old and new.
    # Inserts and deletes of cases: their creation days.
    f"""CREATE FUNCTION figures_dirty_cases() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO figures_dirty (day)
        SELECT DISTINCT {DAY.format(ts="c.created_at")} FROM changed_rows c;
        RETURN NULL;
    END $$""",
    # Updates: the creation day when a counted column changed; when the grouping
    # (squad, type) changed, also every day the case had a review decision.
    f"""CREATE FUNCTION figures_dirty_case_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO figures_dirty (day)
        SELECT DISTINCT d FROM (
            SELECT unnest(ARRAY[{DAY.format(ts="n.created_at")},
                                {DAY.format(ts="o.created_at")}]) AS d
              FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.squad, n.violation_type, n.source, n.camera, n.zone_key, n.state,
                    n.outcome, n.ever_overdue, n.extension_count, n.created_at,
                    n.dispatched_at, n.accepted_at, n.handled_at)
                   IS DISTINCT FROM
                   (o.squad, o.violation_type, o.source, o.camera, o.zone_key, o.state,
                    o.outcome, o.ever_overdue, o.extension_count, o.created_at,
                    o.dispatched_at, o.accepted_at, o.handled_at)
            UNION
            SELECT {DAY.format(ts="e.at")}
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              JOIN case_event e ON e."case" = n.id AND {REVIEW}
             WHERE (n.squad, n.violation_type) IS DISTINCT FROM (o.squad, o.violation_type)
        ) t;
        RETURN NULL;
    END $$""",
    # Timeline entries: a notice or a dismissal changes the creation day's counts; a
    # review decision its own day and the case's next decision day (whose ``since`` it
    # may change, should an entry ever be written out of order).
    f"""CREATE FUNCTION figures_dirty_events() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO figures_dirty (day)
        SELECT DISTINCT d FROM (
            SELECT {DAY.format(ts="c.created_at")} AS d
              FROM changed_rows e JOIN enforcement_case c ON c.id = e."case"
             WHERE e.action IN ('notify_party', 'dismiss')
            UNION
            SELECT {DAY.format(ts="e.at")} FROM changed_rows e WHERE {REVIEW}
            UNION
            SELECT (SELECT min({DAY.format(ts="x.at")}) FROM case_event x
                     WHERE x."case" = e."case" AND x.at > e.at
                       AND {REVIEW.replace("e.", "x.")})
              FROM changed_rows e WHERE {REVIEW}
        ) t WHERE d IS NOT NULL;
        RETURN NULL;
    END $$""",
    # Evidence: flagged files count on their case's creation day.
    f"""CREATE FUNCTION figures_dirty_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO figures_dirty (day)
        SELECT DISTINCT {DAY.format(ts="c.created_at")}
          FROM changed_rows v JOIN enforcement_case c ON c.id = v."case"
         WHERE v.flags <> '[]'::jsonb;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION figures_dirty_evidence_update() RETURNS trigger LANGUAGE plpgsql
    AS $$
    BEGIN
        INSERT INTO figures_dirty (day)
        SELECT DISTINCT {DAY.format(ts="c.created_at")}
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN enforcement_case c ON c.id = n."case"
         WHERE n.flags IS DISTINCT FROM o.flags;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER figures_dirty_case_insert AFTER INSERT ON enforcement_case
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_cases()""",
    """CREATE TRIGGER figures_dirty_case_delete AFTER DELETE ON enforcement_case
        REFERENCING OLD TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_cases()""",
    """CREATE TRIGGER figures_dirty_case_update AFTER UPDATE ON enforcement_case
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_case_update()""",
    """CREATE TRIGGER figures_dirty_event_insert AFTER INSERT ON case_event
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_events()""",
    """CREATE TRIGGER figures_dirty_event_delete AFTER DELETE ON case_event
        REFERENCING OLD TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_events()""",
    """CREATE TRIGGER figures_dirty_evidence_insert AFTER INSERT ON evidence
        REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_evidence()""",
    """CREATE TRIGGER figures_dirty_evidence_delete AFTER DELETE ON evidence
        REFERENCING OLD TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_evidence()""",
    """CREATE TRIGGER figures_dirty_evidence_update AFTER UPDATE ON evidence
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION figures_dirty_evidence_update()""",
    # Every day that has cases or review decisions now: the refresh fills them.
    f"""INSERT INTO figures_dirty (day)
        SELECT DISTINCT {DAY.format(ts="created_at")} FROM enforcement_case
        UNION
        SELECT DISTINCT {DAY.format(ts="e.at")} FROM case_event e WHERE {REVIEW}""",
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
