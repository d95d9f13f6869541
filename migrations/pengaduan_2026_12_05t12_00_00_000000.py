"""A new staff account raises the shared queue version, as a changed or removed one did.

Why: the admin complaint list now keeps its choices (units, categories, officers) under the
admin's queue version (handling.admin_list), as web.pagecache keeps staff pages. The users
trigger fired on UPDATE and DELETE only, so an officer created by an admin was missing from the
admin's officer menus until something else changed. Citizens
register all day and no queue shows them: only a new officer or admin counts.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue_versions: a new staff account raises the shared version"


class RawSQL(Table, tablename="queue_versions"):
    pass


STATEMENTS = [
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
    ELSIF TG_TABLE_NAME = 'users' AND TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE role <> 'citizen') THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM queue_versions_bump(ARRAY[0]);
    RETURN NULL;
END $$""",
    "CREATE TRIGGER queue_versions_shared_insert AFTER INSERT ON users"
    " REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
