"""Queue versions: one counter per unit (0: what all queues share), raised by triggers in the
same transaction as the change, read with each staff session lookup to key the staff pages'
cache (handling.tables.QueueVersion, web.pagecache).

What a queue shows: complaints (their unit's counter; both units when one moves), and from
the shared row categories, units, and staff names, roles, units and activity.
Counters are raised in unit order, so two transactions never wait on each other in a cycle.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T19:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue versions raised by triggers"


class RawSQL(Table, tablename="queue_versions"):
    pass


BUMP_UNITS = """
INSERT INTO queue_versions AS v (unit, version)
SELECT unit, 1 FROM ({units}) AS changed WHERE unit IS NOT NULL ORDER BY unit
ON CONFLICT (unit) DO UPDATE SET version = v.version + 1
"""

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "queue_versions" '
    '("unit" INTEGER PRIMARY KEY NOT NULL DEFAULT 0, "version" BIGINT NOT NULL DEFAULT 0)',
    f"""
CREATE OR REPLACE FUNCTION queue_versions_complaints() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {BUMP_UNITS.format(units="SELECT DISTINCT unit FROM new_rows")};
    ELSIF TG_OP = 'UPDATE' THEN
        {BUMP_UNITS.format(units="SELECT unit FROM old_rows UNION SELECT unit FROM new_rows")};
    ELSE
        {BUMP_UNITS.format(units="SELECT DISTINCT unit FROM old_rows")};
    END IF;
    RETURN NULL;
END $$""",
    f"""
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
    {BUMP_UNITS.format(units="SELECT 0 AS unit")};
    RETURN NULL;
END $$""",
]
for event, tables in (
    ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
):
    STATEMENTS.append(
        f"CREATE TRIGGER queue_versions_{event.lower()} AFTER {event} ON complaints {tables}"
        " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_complaints()"
    )
STATEMENTS += [
    "CREATE TRIGGER queue_versions_shared AFTER INSERT OR UPDATE OR DELETE ON categories"
    " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()",
    "CREATE TRIGGER queue_versions_shared AFTER INSERT OR UPDATE OR DELETE ON units"
    " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()",
    "CREATE TRIGGER queue_versions_shared AFTER UPDATE ON users"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()",
    "CREATE TRIGGER queue_versions_shared_delete AFTER DELETE ON users"
    " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
