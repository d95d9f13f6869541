"""A new staff account raises the shared queue version, as a changed or removed one did.

Why: the admin complaint list now keeps its choices (units, categories, officers) under the
admin's queue version (handling.admin_list), as web.pagecache keeps staff pages. The users
trigger fired on UPDATE and DELETE only, so an officer created by an admin was missing from the
admin's officer menus until something else changed. Citizens
register all day and no queue shows them: only a new officer or admin counts.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue_versions: a new staff account raises the shared version"


class RawSQL(Table, tablename="queue_versions"):
    pass


def _load_slots_migration() -> ModuleType:
    """The 2026-12-04T13:00 migration, whose queue_versions_shared() is made again here with
    one more branch."""
    path = Path(__file__).with_name("pengaduan_2026_12_04t13_00_00_000000.py")
    spec = importlib.util.spec_from_file_location("pengaduan_slots_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Before the function's last END IF: a new account counts only when it is staff.
LAST_BRANCH_END = "    END IF;\n    PERFORM queue_versions_bump(ARRAY[0]);"
NEW_STAFF = """    ELSIF TG_TABLE_NAME = 'users' AND TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows WHERE role <> 'citizen') THEN
            RETURN NULL;
        END IF;
"""


def _statements() -> list[str]:
    (function,) = [
        statement
        for statement in _load_slots_migration().QUEUE_STATEMENTS
        if "CREATE OR REPLACE FUNCTION queue_versions_shared()" in statement
    ]
    assert function.count(LAST_BRANCH_END) == 1
    return [
        function.replace(LAST_BRANCH_END, NEW_STAFF + LAST_BRANCH_END),
        "CREATE TRIGGER queue_versions_shared_insert AFTER INSERT ON users"
        " REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION queue_versions_shared()",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in _statements():
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
