"""Hand-written: hotspot statistics. ``case_cell_week`` holds the pre-aggregated weekly
counts of cases per squad, violation type, H3 resolution and cell; ``hotspot`` the Gi*
results of the refresh job (jobs/hotspots.py). Also backfills the H3 cells of cases
written before they were set at create, in batches of 5,000 (never the whole table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hotspots: weekly cell counts, results; H3 backfill"

STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS case_cell_week (
        week date NOT NULL,
        squad integer NOT NULL,
        violation_type varchar(16) NOT NULL,
        resolution smallint NOT NULL,
        cell varchar(15) NOT NULL,
        cases integer NOT NULL,
        PRIMARY KEY (week, squad, violation_type, resolution, cell)
    )""",
    """CREATE TABLE IF NOT EXISTS hotspot (
        week date NOT NULL,
        squad integer NOT NULL,
        violation_type varchar(16) NOT NULL,
        resolution smallint NOT NULL,
        cell varchar(15) NOT NULL,
        cases integer NOT NULL,
        z double precision NOT NULL,
        p double precision NOT NULL,
        q double precision NOT NULL,
        hot boolean NOT NULL,
        trend varchar(16),
        weeks_hot smallint NOT NULL,
        rank integer NOT NULL,
        refreshed_at timestamptz NOT NULL,
        PRIMARY KEY (week, squad, violation_type, resolution, cell)
    )""",
    "CREATE INDEX IF NOT EXISTS hotspot_week_hot ON hotspot (week, resolution, hot, z DESC)",
    "CREATE INDEX IF NOT EXISTS enforcement_case_h3_r9 ON enforcement_case (h3_r9)",
    "CREATE INDEX IF NOT EXISTS enforcement_case_h3_r10 ON enforcement_case (h3_r10)",
)

BATCH = 5000


async def backfill(engine: object) -> int:
    """Fill the NULL H3 cells of located cases, ``BATCH`` rows at a time; the count filled."""
    import h3

    filled = 0
    last = 0
    while True:
        rows = await engine.run_ddl(  # type: ignore[attr-defined]
            f"""SELECT id, lng, lat FROM enforcement_case
                 WHERE id > {last} AND h3_r9 IS NULL AND lng IS NOT NULL AND lat IS NOT NULL
                 ORDER BY id LIMIT {BATCH}"""
        )
        if not rows:
            return filled
        last = rows[-1]["id"]
        ids = [r["id"] for r in rows]
        r9 = [h3.latlng_to_cell(r["lat"], r["lng"], 9) for r in rows]
        r10 = [h3.latlng_to_cell(r["lat"], r["lng"], 10) for r in rows]
        ids_sql = ",".join(str(i) for i in ids)
        r9_sql = ",".join(f"'{c}'" for c in r9)
        r10_sql = ",".join(f"'{c}'" for c in r10)
        await engine.run_ddl(  # type: ignore[attr-defined]
            f"""UPDATE enforcement_case c SET h3_r9 = u.r9, h3_r10 = u.r10
                  FROM unnest(ARRAY[{ids_sql}]::bigint[], ARRAY[{r9_sql}]::varchar[],
                              ARRAY[{r10_sql}]::varchar[]) AS u(id, r9, r10)
                 WHERE c.id = u.id"""
        )
        filled += len(rows)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="storage", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)
        await backfill(engine)

    manager.add_raw(run)
    return manager
