"""complaint_tallies also count each unit's complaints per status (scope "unit:<status>", key
the unit): the officers' home page ("My unit") read them by counting all of the unit's
complaints per status, 135 ms of PostgreSQL per visit at a million complaints (a unit held
140,000). The triggers and the rebuild of migration 2026-12-05T10:00 gain the new scope;
then the tallies are rebuilt from the complaints.

The scope column holds 16 characters: "unit:in_progress", the longest status, fits; a longer
status would need the column widened first.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaint_tallies: each unit's complaints per status"


class RawSQL(Table, tablename="complaint_tallies"):
    pass


def _load_tallies_migration() -> ModuleType:
    """The 2026-12-05T10:00 migration, whose trigger and rebuild functions are made again here
    with one more scope."""
    path = Path(__file__).with_name("pengaduan_2026_12_05t10_00_00_000000.py")
    spec = importlib.util.spec_from_file_location("pengaduan_tallies_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KEYS = "('officer', r.officer), ('unit', r.unit), ('category', r.category)"
WITH_STATUS = f"{KEYS}, ('unit:' || r.status, r.unit)"


def _statements() -> list[str]:
    earlier = _load_tallies_migration()
    functions = [
        statement
        for statement in earlier.STATEMENTS
        if "CREATE OR REPLACE FUNCTION complaint_tallies_complaints()" in statement
        or "CREATE OR REPLACE FUNCTION complaint_tallies_rebuild()" in statement
    ]
    assert len(functions) == 2 and all(KEYS in function for function in functions)
    return [function.replace(KEYS, WITH_STATUS) for function in functions] + [
        "SELECT complaint_tallies_rebuild()"
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in _statements():
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
