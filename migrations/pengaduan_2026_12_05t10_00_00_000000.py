"""complaint_tallies: open and all complaints per officer, unit and category, kept exact by
statement-level triggers on complaints, filled from the complaints already there; functions
that fold its slots and rebuild it. Read by the auto-assignment (the unit's officer with the
fewest open complaints), the assignment menus (each officer's load) and the admin's units and
categories pages (complaints.tallies).

Why: a submission to a unit that assigns automatically counted every open complaint of each
of the unit's officers to find the least busy one. At a million complaints an officer holds
tens of thousands: 313 ms of PostgreSQL per submission, mostly reading the heap
(bench/submit_load.py at 1,000,000: 88 submissions/s, half of the active backends waiting on
that read). The categories page counted all complaints per category (240 ms at a million),
the units page the open ones per unit. A row per key every submission must update and hold
to commit would be a hot row, so, as complaint_daily and complaint_cells do, a writer adds
to the first slot of its key nobody holds (FOR UPDATE SKIP LOCKED) or a new slot, and
readers sum the slots. The unique key is raw SQL: listed in tests/integration/test_schema.py.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaint_tallies: open and all complaints per officer, unit, category"


class RawSQL(Table, tablename="complaint_tallies"):
    pass


# The open statuses as they were when this migration was written (complaints.statuses).
OPEN = "'pending', 'verified', 'in_progress'"

# The change per key of the rows `r` (each with a `sign`): a complaint counts for its officer,
# unit and category, in `open_count` while open and in `total_count` always.
DELTA = f"""
SELECT k.scope, k.key,
       sum(CASE WHEN r.status IN ({OPEN}) THEN r.sign ELSE 0 END)::int AS open_count,
       sum(r.sign)::int AS total_count
FROM ({{rows}}) AS r
CROSS JOIN LATERAL (VALUES ('officer', r.officer), ('unit', r.unit), ('category', r.category))
    AS k(scope, key)
WHERE k.key IS NOT NULL
GROUP BY k.scope, k.key
HAVING sum(CASE WHEN r.status IN ({OPEN}) THEN r.sign ELSE 0 END) <> 0 OR sum(r.sign) <> 0
"""

# A bulk change (the rebuild, an import) adds to slot 0 in key order in one statement; it may
# wait for a submission holding slot 0, which never waits for it (SKIP LOCKED below).
BULK = f"""
INSERT INTO complaint_tallies AS d (scope, key, shard, open_count, total_count)
SELECT scope, key, 0, open_count, total_count FROM ({DELTA}) AS delta ORDER BY scope, key
ON CONFLICT (scope, key, shard) DO UPDATE SET
    open_count = d.open_count + EXCLUDED.open_count,
    total_count = d.total_count + EXCLUDED.total_count
"""

SLOTS = f"""
FOR g IN {DELTA} LOOP
    UPDATE complaint_tallies d
    SET open_count = d.open_count + g.open_count, total_count = d.total_count + g.total_count
    WHERE d.id = (SELECT x.id FROM complaint_tallies x
                  WHERE x.scope = g.scope AND x.key = g.key
                  ORDER BY x.id LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF NOT FOUND THEN
        INSERT INTO complaint_tallies (scope, key, shard, open_count, total_count)
        VALUES (g.scope, g.key, nextval('complaint_tallies_shards'), g.open_count,
                g.total_count);
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


NEW = "SELECT 1 AS sign, officer, unit, category, status FROM new_rows"
OLD = "SELECT -1 AS sign, officer, unit, category, status FROM old_rows"

STATEMENTS = [
    'CREATE TABLE "complaint_tallies" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"scope" VARCHAR(16) NOT NULL DEFAULT \'\', "key" INTEGER NOT NULL DEFAULT 0, '
    '"shard" INTEGER NOT NULL DEFAULT 0, "open_count" INTEGER NOT NULL DEFAULT 0, '
    '"total_count" INTEGER NOT NULL DEFAULT 0)',
    # Readers sum a key's slots from the index alone.
    "CREATE UNIQUE INDEX complaint_tallies_key ON complaint_tallies (scope, key, shard)"
    " INCLUDE (open_count, total_count)",
    "CREATE SEQUENCE complaint_tallies_shards AS integer",
    f"""
CREATE OR REPLACE FUNCTION complaint_tallies_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_apply(NEW, "SELECT count(*) FROM new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN
        -- Most updates change neither the keys nor whether it is open: they cancel out.
        {_apply(f"{NEW} UNION ALL {OLD}", "SELECT count(*) FROM new_rows")}
    ELSE
        {_apply(OLD, "SELECT count(*) FROM old_rows")}
    END IF;
    RETURN NULL;
END $$""",
    # Everything again from the complaints (one slot per key), writers held off meanwhile.
    f"""
CREATE OR REPLACE FUNCTION complaint_tallies_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE complaints IN SHARE MODE;
    DELETE FROM complaint_tallies;
    {BULK.format(rows="SELECT 1 AS sign, officer, unit, category, status FROM complaints")};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$""",
    # Slots beyond slot 0 exist while writers of one key overlap; a scheduled job
    # (complaints.tallies) folds the ones nobody holds back into slot 0.
    """
CREATE OR REPLACE FUNCTION complaint_tallies_compact() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    WITH extra AS (
        SELECT id FROM complaint_tallies WHERE shard <> 0
        ORDER BY id LIMIT 20000 FOR UPDATE SKIP LOCKED
    ), moved AS (
        DELETE FROM complaint_tallies t USING extra e WHERE t.id = e.id
        RETURNING t.scope, t.key, t.open_count, t.total_count
    )
    INSERT INTO complaint_tallies AS d (scope, key, shard, open_count, total_count)
    SELECT scope, key, 0, sum(open_count), sum(total_count) FROM moved
    GROUP BY scope, key ORDER BY scope, key
    ON CONFLICT (scope, key, shard) DO UPDATE SET
        open_count = d.open_count + EXCLUDED.open_count,
        total_count = d.total_count + EXCLUDED.total_count;
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
        f"CREATE TRIGGER complaint_tallies_{event.lower()} AFTER {event} ON complaints {tables}"
        " FOR EACH STATEMENT EXECUTE FUNCTION complaint_tallies_complaints()"
    )
STATEMENTS.append("SELECT complaint_tallies_rebuild()")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
