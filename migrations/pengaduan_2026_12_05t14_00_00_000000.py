"""A change to an outside agency or a reply template raises the shared queue version, as a
change to a unit or a category does.

Why: the staff complaint page now keeps the lists its menus offer (reply templates, units,
officers, categories, outside agencies) under the staff member's queue version
(handling.services.staff_page). Agencies and templates had no trigger, so an agency added or
a template edited would not have shown until something else raised the version.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue_versions: outside agencies and reply templates raise the shared version"


class RawSQL(Table, tablename="queue_versions"):
    pass


STATEMENTS = [
    f"CREATE TRIGGER queue_versions_shared AFTER INSERT OR UPDATE OR DELETE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()"
    for table in ("outside_agencies", "response_templates")
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
