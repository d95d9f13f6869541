"""Statistics: the daily aggregate of complaints (complaint_daily) kept exact by statement-level
triggers on complaints and ratings, filled from the complaints already there; a function that
rebuilds it (`pengaduan stats-rebuild`); and the indexes the statistics read directly (overdue
counts, times to first response and to resolution, resolved this month), measured with
bench/stats_load.py.

The unique key and the indexes are raw SQL: listed in tests/integration/test_schema.py.

One case the triggers leave to the rebuild: deleting a rated complaint (the app never deletes
complaints) removes its rating through the foreign key's cascade before the complaints
trigger runs, when the rating's complaint can no longer be found, so the rating stays counted.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-02T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "statistics: daily aggregate with triggers, statistics indexes"


class RawSQL(Table, tablename="complaint_daily"):
    pass


KEY = "day, unit, category, officer, status, is_public"
# Times in buckets (hours): the distribution of resolution times
# (statistics.services.RESOLUTION_BUCKETS), and for both kinds of time where a median starts
# its walk (statistics.services._median_sql).
BOUNDS = {
    "resolved_at": [
        ("resolved_1d", 0, 24),
        ("resolved_3d", 24, 72),
        ("resolved_7d", 72, 168),
        ("resolved_14d", 168, 336),
        ("resolved_30d", 336, 720),
        ("resolved_more", 720, None),
    ],
    "first_response_at": [
        ("responded_4h", 0, 4),
        ("responded_12h", 4, 12),
        ("responded_1d", 12, 24),
        ("responded_2d", 24, 48),
        ("responded_more", 48, None),
    ],
}
BUCKETS = ",\n    ".join(
    f"sum(r.sign) FILTER (WHERE r.{column} IS NOT NULL"
    + (f" AND r.{column} - r.submitted_at >= interval '{low} hours'" if low else "")
    + (f" AND r.{column} - r.submitted_at < interval '{high} hours'" if high else "")
    + f") AS {name}"
    for column, bounds in BOUNDS.items()
    for name, low, high in bounds
)
BUCKET_NAMES = [name for bounds in BOUNDS.values() for name, _low, _high in bounds]
MEASURED = [
    "complaints",
    "resolved",
    "resolved_on_time",
    "rating_sum",
    "rating_count",
    *BUCKET_NAMES,
]
# The key and the measures of complaint rows `r` (with their rating `rt`), times `sign`.
MEASURES = """
    (r.submitted_at AT TIME ZONE 'Asia/Jakarta')::date AS day, r.unit, r.category,
    coalesce(r.officer, 0) AS officer, r.status, r.is_public,
    sum(r.sign) AS complaints,
    sum(r.sign) FILTER (WHERE r.resolved_at IS NOT NULL) AS resolved,
    sum(r.sign) FILTER (WHERE r.resolved_at <= coalesce(r.due_at, 'infinity')) AS resolved_on_time,
    sum(r.sign * rt.score) AS rating_sum,
    sum(r.sign) FILTER (WHERE rt.score IS NOT NULL) AS rating_count,
    {BUCKETS}
"""
UPSERT = f"""
INSERT INTO complaint_daily AS d ({KEY}, {", ".join(MEASURED)})
SELECT {KEY}, {", ".join(f"coalesce({name}, 0)" for name in MEASURED)}
FROM (
    SELECT {MEASURES.format(BUCKETS=BUCKETS)}
    FROM ({{rows}}) AS r LEFT JOIN ratings rt ON rt.complaint = r.id
    GROUP BY 1, 2, 3, 4, 5, 6
) AS delta
WHERE {" OR ".join(f"coalesce({name}, 0) <> 0" for name in MEASURED)}
ORDER BY {KEY}
ON CONFLICT ({KEY}) DO UPDATE SET
    {", ".join(f"{name} = d.{name} + EXCLUDED.{name}" for name in MEASURED)}
"""
COLUMNS = (
    "id, submitted_at, unit, category, officer, status, is_public, resolved_at, due_at,"
    " first_response_at"
)
# Only rows whose statistics changed (most updates touch other columns).
CHANGED = f"""
SELECT 1 AS sign, {COLUMNS} FROM new_rows n WHERE NOT EXISTS (
    SELECT 1 FROM old_rows o WHERE o.id = n.id
    AND ({COLUMNS}) IS NOT DISTINCT FROM (n.{COLUMNS.replace(", ", ", n.")}))
UNION ALL
SELECT -1 AS sign, {COLUMNS} FROM old_rows o WHERE NOT EXISTS (
    SELECT 1 FROM new_rows n WHERE n.id = o.id
    AND ({COLUMNS}) IS NOT DISTINCT FROM (o.{COLUMNS.replace(", ", ", o.")}))
"""

RATINGS_UPSERT = f"""
INSERT INTO complaint_daily AS d ({KEY}, rating_sum, rating_count)
SELECT (c.submitted_at AT TIME ZONE 'Asia/Jakarta')::date, c.unit, c.category,
       coalesce(c.officer, 0), c.status, c.is_public, sum(r.sign * r.score), sum(r.sign)
FROM ({{rows}}) AS r JOIN complaints c ON c.id = r.complaint
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT ({KEY}) DO UPDATE SET
    rating_sum = d.rating_sum + EXCLUDED.rating_sum,
    rating_count = d.rating_count + EXCLUDED.rating_count
"""

STATEMENTS = [
    'CREATE TABLE "complaint_daily" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"day" DATE NOT NULL DEFAULT CURRENT_DATE, "unit" INTEGER NOT NULL DEFAULT 0, '
    '"category" INTEGER NOT NULL DEFAULT 0, "officer" INTEGER NOT NULL DEFAULT 0, '
    '"status" VARCHAR(16) NOT NULL DEFAULT \'\', "is_public" BOOLEAN NOT NULL DEFAULT true, '
    '"complaints" INTEGER NOT NULL DEFAULT 0, "resolved" INTEGER NOT NULL DEFAULT 0, '
    '"resolved_on_time" INTEGER NOT NULL DEFAULT 0, "rating_sum" INTEGER NOT NULL DEFAULT 0, '
    '"rating_count" INTEGER NOT NULL DEFAULT 0, '
    + ", ".join(f'"{name}" INTEGER NOT NULL DEFAULT 0' for name in BUCKET_NAMES)
    + ")",
    f"CREATE UNIQUE INDEX complaint_daily_key ON complaint_daily ({KEY})",
    f"""
CREATE OR REPLACE FUNCTION complaint_daily_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {UPSERT.format(rows=f"SELECT 1 AS sign, {COLUMNS} FROM new_rows")};
    ELSIF TG_OP = 'UPDATE' THEN
        {UPSERT.format(rows=CHANGED)};
    ELSE
        {UPSERT.format(rows=f"SELECT -1 AS sign, {COLUMNS} FROM old_rows")};
    END IF;
    RETURN NULL;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION complaint_daily_ratings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {RATINGS_UPSERT.format(rows="SELECT 1 AS sign, complaint, score FROM new_rows")};
    ELSIF TG_OP = 'UPDATE' THEN
        {
        RATINGS_UPSERT.format(
            rows="SELECT 1 AS sign, complaint, score FROM new_rows"
            " UNION ALL SELECT -1, complaint, score FROM old_rows"
        )
    };
    ELSE
        {RATINGS_UPSERT.format(rows="SELECT -1 AS sign, complaint, score FROM old_rows")};
    END IF;
    RETURN NULL;
END $$""",
    # Everything again from the complaints, with writers held off meanwhile.
    f"""
CREATE OR REPLACE FUNCTION complaint_daily_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    LOCK TABLE complaints, ratings IN SHARE MODE;
    DELETE FROM complaint_daily;
    {UPSERT.format(rows=f"SELECT 1 AS sign, {COLUMNS} FROM complaints")};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$""",
]
for table, columns in (("complaints", COLUMNS), ("ratings", "")):
    for event, tables in (
        ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ):
        STATEMENTS.append(
            f"CREATE TRIGGER complaint_daily_{event.lower()} AFTER {event} ON {table} {tables}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION complaint_daily_{table}()"
        )
STATEMENTS += [
    # Overdue now: open complaints by due date, with what the statistics filter and group by.
    "CREATE INDEX IF NOT EXISTS complaints_stats_open ON complaints (due_at) "
    "INCLUDE (submitted_at, unit, category, officer, is_public) "
    "WHERE status IN ('pending', 'verified', 'in_progress')",
    # Exact medians without sorting: the middle row found by walking these in order of time
    # (statistics.services._median_sql), overall and per unit. The expression's own columns
    # are included too: PostgreSQL reads an index alone (index-only) only when every column
    # the query names is in it.
    "CREATE INDEX IF NOT EXISTS complaints_stats_resolve_time ON complaints "
    "((resolved_at - submitted_at)) "
    "INCLUDE (submitted_at, resolved_at, unit, category, is_public) "
    "WHERE resolved_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS complaints_stats_unit_resolve_time ON complaints "
    "(unit, (resolved_at - submitted_at)) INCLUDE (submitted_at, resolved_at, category, is_public) "
    "WHERE resolved_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS complaints_stats_response_time ON complaints "
    "((first_response_at - submitted_at)) "
    "INCLUDE (submitted_at, first_response_at, unit, category, is_public) "
    "WHERE first_response_at IS NOT NULL",
    # Resolved this month.
    "CREATE INDEX IF NOT EXISTS complaints_stats_resolved ON complaints (resolved_at) "
    "INCLUDE (unit, category, is_public) WHERE resolved_at IS NOT NULL",
    "SELECT complaint_daily_rebuild()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
