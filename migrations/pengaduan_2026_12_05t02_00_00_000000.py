"""The map: a GiST index on the complaints' positions (bounding-box queries at close zooms) and
complaint_cells, complaints counted per grid cell at several levels (wide zooms), kept exact by
statement-level triggers on complaints, filled from the complaints already there; a function
that rebuilds it. Why both, and how the map reads them: src/pengaduan/map/clusters.py.

The grid (levels, cell size, the rounding of anonymous positions) must stay exactly
pengaduan.map.grid's. The unique key and the index are raw SQL: listed in
tests/integration/test_schema.py.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "map: position index, per-cell counts of complaints kept by triggers"


class RawSQL(Table, tablename="complaint_cells"):
    pass


LEVELS = "5, 7, 9, 11, 13, 15, 17"
ROUNDED_SIZE = "(360.0 / 32768)"  # a level-15 cell, about 1.2 km: where anonymous ones show
KEY = "level, cx, cy, unit, category, status, is_public, is_anonymous"
MEASURED = ["complaints", "lat_sum", "lon_sum", "public_lat_sum", "public_lon_sum"]
COLUMNS = "id, latitude, longitude, unit, category, status, is_public, is_anonymous"


def _public(column: str, offset: str) -> str:
    """The position a public map shows: an anonymous complaint's at its rounded cell's centre."""
    exact = f"r.{column}"
    rounded = f"(floor(({exact} + {offset}) / {ROUNDED_SIZE}) + 0.5) * {ROUNDED_SIZE} - {offset}"
    return f"CASE WHEN r.is_anonymous THEN {rounded} ELSE {exact} END"


# The change per key of the rows `r` (each with a `sign`), at every level.
DELTA = f"""
SELECT lv.level,
       floor((r.longitude + 180) / (360.0 / (1 << lv.level)))::int AS cx,
       floor((r.latitude + 90) / (360.0 / (1 << lv.level)))::int AS cy,
       coalesce(r.unit, 0) AS unit, coalesce(r.category, 0) AS category, r.status,
       r.is_public, r.is_anonymous,
       sum(r.sign)::int AS complaints,
       sum(r.sign * r.latitude) AS lat_sum, sum(r.sign * r.longitude) AS lon_sum,
       sum(r.sign * ({_public("latitude", "90")})) AS public_lat_sum,
       sum(r.sign * ({_public("longitude", "180")})) AS public_lon_sum
FROM ({{rows}}) AS r CROSS JOIN unnest(ARRAY[{LEVELS}]) AS lv(level)
WHERE r.latitude IS NOT NULL AND r.longitude IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
HAVING sum(r.sign) <> 0 OR sum(r.sign * r.latitude) <> 0 OR sum(r.sign * r.longitude) <> 0
"""
# Only rows whose position, scope or visibility changed (most updates touch other columns).
CHANGED = f"""
SELECT 1 AS sign, {COLUMNS} FROM new_rows n WHERE NOT EXISTS (
    SELECT 1 FROM old_rows o WHERE o.id = n.id
    AND ({COLUMNS}) IS NOT DISTINCT FROM (n.{COLUMNS.replace(", ", ", n.")}))
UNION ALL
SELECT -1 AS sign, {COLUMNS} FROM old_rows o WHERE NOT EXISTS (
    SELECT 1 FROM new_rows n WHERE n.id = o.id
    AND ({COLUMNS}) IS NOT DISTINCT FROM (o.{COLUMNS.replace(", ", ", o.")}))
"""
# A bulk change (an import, the rebuild) adds to slot 0 of each key in one statement, in key
# order (two bulk writers never deadlock); it may wait for a submission holding slot 0, which
# never waits for it (SKIP LOCKED below).
BULK = f"""
INSERT INTO complaint_cells AS d ({KEY}, shard, {", ".join(MEASURED)})
SELECT {KEY}, 0, {", ".join(MEASURED)} FROM ({DELTA}) AS delta ORDER BY {KEY}
ON CONFLICT ({KEY}, shard) DO UPDATE SET
    {", ".join(f"{m} = d.{m} + EXCLUDED.{m}" for m in MEASURED)}
"""
MATCH = " AND ".join(f"x.{k.strip()} = g.{k.strip()}" for k in KEY.split(","))
# A submission (a few rows) adds each key's change to the first slot nobody holds, or a new one.
SLOTS = f"""
FOR g IN {DELTA} LOOP
    UPDATE complaint_cells d SET {", ".join(f"{m} = d.{m} + g.{m}" for m in MEASURED)}
    WHERE d.id = (SELECT x.id FROM complaint_cells x WHERE {MATCH}
                  ORDER BY x.id LIMIT 1 FOR UPDATE SKIP LOCKED);
    IF NOT FOUND THEN
        INSERT INTO complaint_cells ({KEY}, shard, {", ".join(MEASURED)})
        VALUES ({", ".join(f"g.{k.strip()}" for k in KEY.split(","))},
                nextval('complaint_cells_shards'), {", ".join(f"g.{m}" for m in MEASURED)});
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


STATEMENTS = [
    # point(x, y) is (longitude, latitude): a box of the view is a range in both at once.
    "CREATE INDEX IF NOT EXISTS complaints_position ON complaints "
    "USING gist (point(longitude, latitude)) "
    "WHERE latitude IS NOT NULL AND longitude IS NOT NULL",
    'CREATE TABLE "complaint_cells" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"level" INTEGER NOT NULL DEFAULT 0, "cx" INTEGER NOT NULL DEFAULT 0, '
    '"cy" INTEGER NOT NULL DEFAULT 0, "unit" INTEGER NOT NULL DEFAULT 0, '
    '"category" INTEGER NOT NULL DEFAULT 0, "status" VARCHAR(16) NOT NULL DEFAULT \'\', '
    '"is_public" BOOLEAN NOT NULL DEFAULT true, "is_anonymous" BOOLEAN NOT NULL DEFAULT false, '
    '"shard" INTEGER NOT NULL DEFAULT 0, "complaints" INTEGER NOT NULL DEFAULT 0, '
    '"lat_sum" DOUBLE PRECISION NOT NULL DEFAULT 0.0, '
    '"lon_sum" DOUBLE PRECISION NOT NULL DEFAULT 0.0, '
    '"public_lat_sum" DOUBLE PRECISION NOT NULL DEFAULT 0.0, '
    '"public_lon_sum" DOUBLE PRECISION NOT NULL DEFAULT 0.0)',
    # The readers' range (level, cx, cy) leads; the rest makes a slot's key unique; what they
    # sum is included, so a view reads the index alone (no row of the table).
    f"CREATE UNIQUE INDEX complaint_cells_key ON complaint_cells ({KEY}, shard)"
    f" INCLUDE ({', '.join(MEASURED)})",
    "CREATE SEQUENCE complaint_cells_shards AS integer",
    f"""
CREATE OR REPLACE FUNCTION complaint_cells_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_apply(f"SELECT 1 AS sign, {COLUMNS} FROM new_rows", "SELECT count(*) FROM new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN
        {_apply(CHANGED, "SELECT count(*) FROM new_rows")}
    ELSE
        {_apply(f"SELECT -1 AS sign, {COLUMNS} FROM old_rows", "SELECT count(*) FROM old_rows")}
    END IF;
    RETURN NULL;
END $$""",
    # Everything again from the complaints (one slot per key), writers held off meanwhile.
    f"""
CREATE OR REPLACE FUNCTION complaint_cells_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE complaints IN SHARE MODE;
    DELETE FROM complaint_cells;
    {BULK.format(rows=f"SELECT 1 AS sign, {COLUMNS} FROM complaints")};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$""",
]
# Slots beyond slot 0 exist while submissions of a key overlap (at most as many as overlapped);
# a scheduled job (map.jobs) folds them back into slot 0, taking only slots nobody holds, so
# readers sum few rows. It may wait for a submission holding slot 0; none ever waits for it.
STATEMENTS += [
    "CREATE INDEX complaint_cells_slots ON complaint_cells (id) WHERE shard <> 0",
    f"""
CREATE OR REPLACE FUNCTION complaint_cells_compact() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    WITH extra AS (
        SELECT id FROM complaint_cells WHERE shard <> 0
        ORDER BY id LIMIT 20000 FOR UPDATE SKIP LOCKED
    ), moved AS (
        DELETE FROM complaint_cells c USING extra e WHERE c.id = e.id
        RETURNING {", ".join(f"c.{k.strip()}" for k in KEY.split(","))},
                  {", ".join(f"c.{m}" for m in MEASURED)}
    )
    INSERT INTO complaint_cells AS d ({KEY}, shard, {", ".join(MEASURED)})
    SELECT {KEY}, 0, {", ".join(f"sum({m})" for m in MEASURED)} FROM moved
    GROUP BY {KEY} ORDER BY {KEY}
    ON CONFLICT ({KEY}, shard) DO UPDATE SET
        {", ".join(f"{m} = d.{m} + EXCLUDED.{m}" for m in MEASURED)};
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
        f"CREATE TRIGGER complaint_cells_{event.lower()} AFTER {event} ON complaints {tables}"
        " FOR EACH STATEMENT EXECUTE FUNCTION complaint_cells_complaints()"
    )
STATEMENTS.append("SELECT complaint_cells_rebuild()")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
