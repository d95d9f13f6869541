"""Complaint numbers from a sequence (complaint_numbers) instead of a counter row per year.

Every submission updated the year's complaint_counters row and held its lock to commit, so
submissions queued behind each other (issue 13: 1,445 of 1,529 active backends waiting on that
row). nextval() holds no lock past the call. The sequence's values continue across years
(complaints.numbering, "NUMBER_SEQUENCE"); it starts past every number already stored and past
the old counters, so existing numbers stay valid and none is given twice. The counters go.

Then the rows the complaint triggers update in the submission's transaction (queue_versions,
complaint_daily) get slots written through FOR UPDATE SKIP LOCKED, read as sums: see below.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaint numbers from a sequence; trigger rows no submission waits for"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    # Owned by the number column: TRUNCATE complaints RESTART IDENTITY (tests) restarts it too.
    "CREATE SEQUENCE IF NOT EXISTS complaint_numbers AS bigint OWNED BY complaints.number",
    """
SELECT setval('complaint_numbers', greatest(
    (SELECT max(split_part(number, '-', 3)::bigint) FROM complaints
     WHERE number ~ '^ADU-[0-9][0-9][0-9][0-9]-[0-9]+$'),
    (SELECT max(last_value) FROM complaint_counters)))
WHERE greatest(
    (SELECT max(split_part(number, '-', 3)::bigint) FROM complaints
     WHERE number ~ '^ADU-[0-9][0-9][0-9][0-9]-[0-9]+$'),
    (SELECT max(last_value) FROM complaint_counters)) > 0
""",
]


# --- the rows the complaint triggers update -----------------------------------------------------
# Each submission also raised its unit's queue_versions row and added itself to one
# complaint_daily row (day, unit, category, ...), both held locked to commit: measured with
# bench/submit_load.py once numbers came from the sequence, 93 % of active backends waited on
# those rows. Now both tables keep several rows ("slots") per key that readers sum: a writer
# takes the first slot nobody holds (FOR UPDATE SKIP LOCKED, which never waits) and adds a new
# slot when all are held. Slots per key stay at most the number of writers of that key at one
# time; a writer never waits for another, so no order is needed against deadlocks either.


def _load_statistics_migration() -> ModuleType:
    """The 2026-12-02T14:00 migration's SQL parts (its key, measures and deltas), reused."""
    path = Path(__file__).with_name("pengaduan_2026_12_02t14_00_00_000000.py")
    spec = importlib.util.spec_from_file_location("pengaduan_statistics_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


QUEUE_STATEMENTS = [
    "ALTER TABLE queue_versions DROP CONSTRAINT queue_versions_pkey",
    "ALTER TABLE queue_versions ADD COLUMN id SERIAL PRIMARY KEY",
    "CREATE INDEX queue_versions_unit ON queue_versions USING btree (unit)",
    """
CREATE OR REPLACE FUNCTION queue_versions_bump(units integer[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    u integer;
    slot integer;
BEGIN
    FOREACH u IN ARRAY units LOOP
        SELECT id INTO slot FROM queue_versions WHERE unit = u
        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF slot IS NULL THEN
            INSERT INTO queue_versions (unit, version) VALUES (u, 1);
        ELSE
            UPDATE queue_versions SET version = version + 1 WHERE id = slot;
        END IF;
    END LOOP;
END $$""",
    """
CREATE OR REPLACE FUNCTION queue_versions_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM queue_versions_bump(ARRAY(
            SELECT DISTINCT unit FROM new_rows WHERE unit IS NOT NULL));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM queue_versions_bump(ARRAY(
            SELECT unit FROM old_rows WHERE unit IS NOT NULL
            UNION SELECT unit FROM new_rows WHERE unit IS NOT NULL));
    ELSE
        PERFORM queue_versions_bump(ARRAY(
            SELECT DISTINCT unit FROM old_rows WHERE unit IS NOT NULL));
    END IF;
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION queue_versions_shared() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Users change often (logins, profiles): only what a queue shows of them counts.
    -- (Nested: old_rows exists only in that trigger, and a query is planned when reached.)
    IF TG_TABLE_NAME = 'users' AND TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (
            SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.full_name, o.role, o.unit, o.is_active)
                  IS DISTINCT FROM (n.full_name, n.role, n.unit, n.is_active)
        ) THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM queue_versions_bump(ARRAY[0]);
    RETURN NULL;
END $$""",
]


def _add_deltas(select: str, key: list[str], measured: list[str]) -> str:
    """PL/pgSQL: add each row of `select` (the key's columns and `measured`) to a free slot of
    its key in complaint_daily, or to a new slot."""
    match = " AND ".join(f"x.{k} = g.{k}" for k in key)
    return f"""
    FOR g IN {select} LOOP
        UPDATE complaint_daily d SET {", ".join(f"{m} = d.{m} + g.{m}" for m in measured)}
        WHERE d.id = (SELECT x.id FROM complaint_daily x WHERE {match}
                      ORDER BY x.id LIMIT 1 FOR UPDATE SKIP LOCKED);
        IF NOT FOUND THEN
            INSERT INTO complaint_daily ({", ".join(key)}, shard, {", ".join(measured)})
            VALUES ({", ".join(f"g.{k}" for k in key)}, nextval('complaint_daily_shards'),
                    {", ".join(f"g.{m}" for m in measured)});
        END IF;
    END LOOP;"""


def _daily_statements() -> list[str]:
    stats = _load_statistics_migration()
    key = [k.strip() for k in stats.KEY.split(",")]
    measured = stats.MEASURED
    # The old upsert without its INSERT: the deltas per key, all-zero ones left out.
    delta = f"""
    SELECT {", ".join(key)}, {", ".join(f"coalesce({m}, 0) AS {m}" for m in measured)}
    FROM (
        SELECT {stats.MEASURES.format(BUCKETS=stats.BUCKETS)}
        FROM ({{rows}}) AS r LEFT JOIN ratings rt ON rt.complaint = r.id
        GROUP BY 1, 2, 3, 4, 5, 6
    ) AS delta
    WHERE {" OR ".join(f"coalesce({m}, 0) <> 0" for m in measured)}"""
    rating_delta = """
    SELECT (c.submitted_at AT TIME ZONE 'Asia/Jakarta')::date AS day, c.unit, c.category,
           coalesce(c.officer, 0) AS officer, c.status, c.is_public,
           sum(r.sign * r.score)::integer AS rating_sum, sum(r.sign)::integer AS rating_count
    FROM ({rows}) AS r JOIN complaints c ON c.id = r.complaint
    GROUP BY 1, 2, 3, 4, 5, 6"""
    rebuild_upsert = stats.UPSERT.replace(
        f"ON CONFLICT ({stats.KEY})", f"ON CONFLICT ({stats.KEY}, shard)"
    )
    columns = stats.COLUMNS
    ratings = ["rating_sum", "rating_count"]
    return [
        "ALTER TABLE complaint_daily ADD COLUMN shard INTEGER NOT NULL DEFAULT 0",
        "CREATE SEQUENCE complaint_daily_shards AS integer",
        "DROP INDEX complaint_daily_key",
        f"CREATE UNIQUE INDEX complaint_daily_key ON complaint_daily ({stats.KEY}, shard)",
        f"""
CREATE OR REPLACE FUNCTION complaint_daily_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_add_deltas(delta.format(rows=f"SELECT 1 AS sign, {columns} FROM new_rows"), key, measured)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_add_deltas(delta.format(rows=stats.CHANGED), key, measured)}
    ELSE
        {_add_deltas(delta.format(rows=f"SELECT -1 AS sign, {columns} FROM old_rows"), key, measured)}
    END IF;
    RETURN NULL;
END $$""",
        f"""
CREATE OR REPLACE FUNCTION complaint_daily_ratings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        {
            _add_deltas(
                rating_delta.format(rows="SELECT 1 AS sign, complaint, score FROM new_rows"),
                key,
                ratings,
            )
        }
    ELSIF TG_OP = 'UPDATE' THEN
        {
            _add_deltas(
                rating_delta.format(
                    rows="SELECT 1 AS sign, complaint, score FROM new_rows"
                    " UNION ALL SELECT -1, complaint, score FROM old_rows"
                ),
                key,
                ratings,
            )
        }
    ELSE
        {
            _add_deltas(
                rating_delta.format(rows="SELECT -1 AS sign, complaint, score FROM old_rows"),
                key,
                ratings,
            )
        }
    END IF;
    RETURN NULL;
END $$""",
        # Everything again from the complaints (one slot per key), writers held off meanwhile.
        f"""
CREATE OR REPLACE FUNCTION complaint_daily_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE complaints, ratings IN SHARE MODE;
    DELETE FROM complaint_daily;
    {rebuild_upsert.format(rows=f"SELECT 1 AS sign, {columns} FROM complaints")};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$""",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in [*STATEMENTS, *QUEUE_STATEMENTS, *_daily_statements()]:
            await RawSQL.raw(statement)

    # Raw SQL runs before the table operations: the counters are read before they are dropped.
    manager.add_raw(run)
    manager.drop_table(class_name="ComplaintCounter", tablename="complaint_counters")
    return manager
