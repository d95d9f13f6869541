"""officer_workload: each officer's open complaints, kept exact by statement-level triggers on
complaints, filled from the complaints already there; functions that fold its slots and
rebuild it. Read by the auto-assignment (the unit's officer with the fewest open complaints)
and the staff pages that show each officer's load (handling.workload).

Why: a submission to a unit that assigns automatically counted every open complaint of each
of the unit's officers to find the least busy one. At a million complaints an officer holds
tens of thousands: 313 ms of PostgreSQL per submission, mostly reading the heap
(bench/submit_load.py at 1,000,000: 88 submissions/s, half of the active backends waiting on
that read). A per-officer row every submission must update and hold to commit would be the
next hot row, so, as complaint_daily and complaint_cells do, a writer adds to the first slot
of its officer nobody holds (FOR UPDATE SKIP LOCKED) or a new slot, and readers sum the
slots. The unique key is raw SQL: listed in tests/integration/test_schema.py.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "officer_workload: open complaints per officer kept by triggers"


class RawSQL(Table, tablename="officer_workload"):
    pass


# The open statuses as they were when this migration was written (complaints.statuses).
OPEN = "'pending', 'verified', 'in_progress'"

# The change per officer of the rows `r` (each with a `sign`).
DELTA = f"""
SELECT r.officer, sum(r.sign)::int AS open_count
FROM ({{rows}}) AS r
WHERE r.officer IS NOT NULL AND r.status IN ({OPEN})
GROUP BY r.officer HAVING sum(r.sign) <> 0
"""

# A bulk change (the rebuild, an import) adds to slot 0 in officer order in one statement; it
# may wait for a submission holding slot 0, which never waits for it (SKIP LOCKED below).
BULK = f"""
INSERT INTO officer_workload AS d (officer, shard, open_count)
SELECT officer, 0, open_count FROM ({DELTA}) AS delta ORDER BY officer
ON CONFLICT (officer, shard) DO UPDATE SET open_count = d.open_count + EXCLUDED.open_count
"""

SLOTS = f"""
FOR g IN {DELTA} LOOP
    UPDATE officer_workload d SET open_count = d.open_count + g.open_count
    WHERE d.id = (SELECT x.id FROM officer_workload x WHERE x.officer = g.officer
                  ORDER BY x.id LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF NOT FOUND THEN
        INSERT INTO officer_workload (officer, shard, open_count)
        VALUES (g.officer, nextval('officer_workload_shards'), g.open_count);
    END IF;
END LOOP;"""

BULK_ROWS = 16


def _apply(rows: str, count: str) -> str:
    return f"""
    IF ({count}) > {BULK_ROWS} THEN
        {BULK.format(rows=rows)};
    ELSE
        {SLOTS.format(rows=rows)}
    END IF;"""


NEW = "SELECT 1 AS sign, officer, status FROM new_rows"
OLD = "SELECT -1 AS sign, officer, status FROM old_rows"

STATEMENTS = [
    'CREATE TABLE "officer_workload" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"officer" INTEGER NOT NULL DEFAULT 0, "shard" INTEGER NOT NULL DEFAULT 0, '
    '"open_count" INTEGER NOT NULL DEFAULT 0)',
    # Readers sum an officer's slots from the index alone.
    "CREATE UNIQUE INDEX officer_workload_key ON officer_workload (officer, shard)"
    " INCLUDE (open_count)",
    "CREATE SEQUENCE officer_workload_shards AS integer",
    f"""
CREATE OR REPLACE FUNCTION officer_workload_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_apply(NEW, "SELECT count(*) FROM new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN
        -- Most updates change neither the officer nor whether it is open: they cancel out.
        {_apply(f"{NEW} UNION ALL {OLD}", "SELECT count(*) FROM new_rows")}
    ELSE
        {_apply(OLD, "SELECT count(*) FROM old_rows")}
    END IF;
    RETURN NULL;
END $$""",
    # Everything again from the complaints (one slot per officer), writers held off meanwhile.
    f"""
CREATE OR REPLACE FUNCTION officer_workload_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE complaints IN SHARE MODE;
    DELETE FROM officer_workload;
    {BULK.format(rows="SELECT 1 AS sign, officer, status FROM complaints")};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$""",
    # Slots beyond slot 0 exist while submissions for one officer overlap; a scheduled job
    # (handling.jobs) folds the ones nobody holds back into slot 0.
    """
CREATE OR REPLACE FUNCTION officer_workload_compact() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    WITH extra AS (
        SELECT id FROM officer_workload WHERE shard <> 0
        ORDER BY id LIMIT 20000 FOR UPDATE SKIP LOCKED
    ), moved AS (
        DELETE FROM officer_workload w USING extra e WHERE w.id = e.id
        RETURNING w.officer, w.open_count
    )
    INSERT INTO officer_workload AS d (officer, shard, open_count)
    SELECT officer, 0, sum(open_count) FROM moved GROUP BY officer ORDER BY officer
    ON CONFLICT (officer, shard) DO UPDATE SET open_count = d.open_count + EXCLUDED.open_count;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$""",
]

for event, tables in (
    ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
):
    STATEMENTS.append(
        f"CREATE TRIGGER officer_workload_{event.lower()} AFTER {event} ON complaints {tables}"
        " FOR EACH STATEMENT EXECUTE FUNCTION officer_workload_complaints()"
    )
STATEMENTS.append("SELECT officer_workload_rebuild()")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
